import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { RegistryClient } from "../lib/registry/client";
import { loadStackConfig, seedRegistryFor, verifiedDeploy } from "../harness/program";

/** The config as the engine hands it to the Node runtime: `project:key` → string (objects as JSON). */
function engineConfig(raw: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [`image-lifecycle:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
}

function settle<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
}

/**
 * index.ts is what `pulumi up` runs: the one config read, a registry client built from it, the program.
 * Run it as the engine would (config from the shipped stack file, only the registry host pointed at
 * the real test registry) and check its outputs against the registry.
 */
describe("index.ts (the program entry point)", () => {
    // Mocks echo inputs; the app containers answer as their provider does after a verified deploy.
    const mocks: pulumi.runtime.Mocks = { newResource: async (a) => ({ id: `${a.name}-id`, state: (await verifiedDeploy(a)) ?? a.inputs }), call: (a) => a.inputs };
    afterEach(() => pulumi.runtime.setAllConfig({}));

    it("deploys every proxima app pinned to the digest its configured tag has in the registry", async () => {
        const host = await seedRegistryFor("proxima");
        const raw = loadStackConfig("proxima");
        await pulumi.runtime.setMocks(mocks, "image-lifecycle", "proxima", false);
        pulumi.runtime.setAllConfig(engineConfig({ ...raw, registry: { ...raw.registry, host }, deployedBy: "ci" }));
        const program: () => Promise<Record<string, pulumi.Output<unknown>>> = require("../index");
        const outputs = await program();
        const deployments = (await settle(outputs.deployments)) as Record<string, { image: string; tag?: string; digest: string; class: string }>;

        const client = new RegistryClient({ registry: host });
        assert.deepEqual(Object.keys(deployments).sort(), Object.keys(raw.apps).sort());
        for (const [app, config] of Object.entries<any>(raw.apps)) {
            const d = deployments[app];
            assert.equal(d.image, `${host}/${config.repository}`);
            assert.equal(d.class, config.class);
            assert.equal(d.digest, await client.resolve(config.repository, config.tag), `${app} runs the digest of ${config.tag}`);
        }
    });
});
