import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { loadEstate } from "../../pulumi-config";
import { parseConfig, ProximaEstate } from "../../lib/config";
import { loadStackConfig } from "../../harness/program";
import { withConnectionReuse } from "../../lib/host/ssh-reuse";

/** The config as the engine hands it to the Node runtime: `project:key` → string (objects as JSON). */
function engineConfig(raw: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)
        .map(([k, v]) => [`image-lifecycle:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
}

describe("pulumi-config.ts loadEstate (the one config read)", () => {
    const mocks: pulumi.runtime.Mocks = { newResource: (a) => ({ id: a.name, state: a.inputs }), call: (a) => a.inputs };
    afterEach(() => pulumi.runtime.setAllConfig({}));

    it("reads the engine's config of the selected stack into the same estate parseConfig gives", async () => {
        await pulumi.runtime.setMocks(mocks, "image-lifecycle", "proxima", false);
        const raw = loadStackConfig("proxima");
        pulumi.runtime.setAllConfig({ ...engineConfig({ ...raw, deployedBy: "1234" }), "github:owner": "rednaw" });
        const estate = loadEstate({}) as ProximaEstate;
        const parsed = parseConfig({ ...raw, deployedBy: "1234" }, "proxima") as ProximaEstate;
        // Only each class's sshOpts differ: they gain connection reuse (lib/host/ssh-reuse.ts).
        for (const c of Object.values(parsed.classes)) c!.sshOpts = withConnectionReuse(c!.sshOpts, {});
        assert.deepEqual(estate, parsed);
        assert.ok(estate.classes.core!.sshOpts.includes("ControlMaster=auto"), estate.classes.core!.sshOpts.join(" "));
        assert.deepEqual((loadEstate({ IMAGE_LIFECYCLE_SSH_REUSE: "off", IMAGE_LIFECYCLE_DEPLOYER: "1234" }) as ProximaEstate).classes.core!.sshOpts, raw.classes.core.sshOpts ?? []);
        assert.equal(estate.deployedBy, "1234", "a numeric-looking string must stay a string");
    });

    it("takes the password from REGISTRY_PASSWORD and the deployer from IMAGE_LIFECYCLE_DEPLOYER when the stack has none", async () => {
        await pulumi.runtime.setMocks(mocks, "image-lifecycle", "proxima", false);
        pulumi.runtime.setAllConfig(engineConfig(loadStackConfig("proxima")));
        const estate = loadEstate({ REGISTRY_PASSWORD: "from-env", IMAGE_LIFECYCLE_DEPLOYER: "carol" });
        assert.equal(estate.registry.password, "from-env");
        assert.equal(estate.deployedBy, "carol");
        pulumi.runtime.setAllConfig(engineConfig({ ...loadStackConfig("proxima"), registryPassword: "from-stack" }), ["image-lifecycle:registryPassword"]);
        assert.equal(loadEstate({ REGISTRY_PASSWORD: "from-env" }).registry.password, "from-stack");
    });

    it("parses against the selected stack: the lyra stack's keys are unknown to proxima", async () => {
        await pulumi.runtime.setMocks(mocks, "image-lifecycle", "proxima", false);
        pulumi.runtime.setAllConfig(engineConfig(loadStackConfig("lyra")));
        assert.throws(() => loadEstate({}), (e: Error) => /lyra: unknown key for the proxima stack/.test(e.message) && /apps: required/.test(e.message));
        await pulumi.runtime.setMocks(mocks, "image-lifecycle", "lyra", false);
        assert.equal(loadEstate({}).stack, "lyra");
    });
    it("takes REGISTRY_USERNAME with REGISTRY_PASSWORD for a stack without a user name, and ignores a lone password", async () => {
        await pulumi.runtime.setMocks(mocks, "image-lifecycle", "lyra", false);
        const raw = loadStackConfig("lyra");
        assert.equal(raw.registry.username, undefined, "the shipped lyra stack names no registry user");
        pulumi.runtime.setAllConfig(engineConfig(raw));
        const both = loadEstate({ REGISTRY_USERNAME: "ci", REGISTRY_PASSWORD: "from-env" });
        assert.equal(both.registry.username, "ci");
        assert.equal(both.registry.password, "from-env");
        const alone = loadEstate({ REGISTRY_PASSWORD: "from-env" });
        assert.equal(alone.registry.username, undefined);
        assert.equal(alone.registry.password, undefined);
    });
});
