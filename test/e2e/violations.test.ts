/**
 * The policy pack under the real engine refuses, with its own messages, what the program itself never
 * registers: a container reaching into another class (volume and network), a release tag `v1.2`, a
 * release digest with the `sha256:` prefix. The fixture program registers those resources directly
 * (the program's own config checks would refuse them earlier) and is only previewed.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { engineDir, Estate, pulumi, pulumiOk, startEstate } from "../../estate";

const HEX = "3f1c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19";

const PROGRAM = `
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LxcClass } from "../components/lxcClass";
import { KINDS, LIFECYCLE } from "../lib/contract";

const config = new pulumi.Config();
const host = config.require("host");
const sshOpts = config.requireObject<string[]>("sshOpts");
const registry = config.require("registry");
const budget = { memoryMb: 1024, cpus: 1 };
const core = new LxcClass("core", { host, sshOpts, budget });
new LxcClass("monitoring", { host, sshOpts, budget, volumes: [{ app: "uptime", volume: "state" }] });
new docker.Container("intruder", {
    name: "intruder",
    image: \`\${registry}/rednaw/hello-world@sha256:${HEX}\`,
    labels: [{ label: LIFECYCLE.class, value: "core" }, { label: LIFECYCLE.app, value: "intruder" }],
    networksAdvanced: [{ name: "proxima-monitoring" }],
    volumes: [{ volumeName: "monitoring-uptime-state", containerPath: "/state" }],
    memory: 64,
    cpus: "0.1",
}, { provider: core.provider, parent: core });
const echo: pulumi.dynamic.ResourceProvider = { async create(inputs: any) { return { id: "x", outs: inputs }; } };
class Release extends pulumi.dynamic.Resource {
    constructor(name: string, props: Record<string, unknown>) { super(echo, name, { kind: KINDS.release, registry, repository: "rednaw/hello-world", ...props }, {}, "image-lifecycle", "Release"); }
}
new Release("short-tag", { digest: "${HEX}", tag: "v1.2" });
new Release("prefixed-digest", { digest: "sha256:${HEX}", tag: "v9.9.9" });
`;

describe("e2e: the policy pack under the real engine refuses faults with its own messages", function () {
    this.timeout(1800000);
    let estate: Estate;
    let project: { workdir: string; env: NodeJS.ProcessEnv };

    before(async function () {
        this.timeout(3600000);
        estate = await startEstate(await engineDir());
        const dir = path.join(estate.workdir, "violations");
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: violations\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
        fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "commonjs", esModuleInterop: true, skipLibCheck: true } }));
        fs.writeFileSync(path.join(dir, "index.ts"), PROGRAM);
        // Its own package.json: without one, the language host would run the project's main (../index.ts).
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "violations", private: true, main: "index.ts" }));
        project = { workdir: dir, env: { ...estate.env, REGISTRY_USERNAME: estate.credentials.username, REGISTRY_PASSWORD: estate.credentials.password } };
        await pulumiOk(project, ["stack", "init", "proxima"]);
        await pulumiOk(project, ["config", "set", "--", "host", estate.hosts.core.endpoint]);
        await pulumiOk(project, ["config", "set", "--", "registry", estate.registry.registry]);
        for (const [i, opt] of estate.client.sshOpts.entries()) await pulumiOk(project, ["config", "set", "--path", "--", `sshOpts[${i}]`, opt]);
    });
    after(async function () {
        this.timeout(300000);
        await estate?.stop();
    });

    it("reports each fault, mandatory, and the preview fails", async () => {
        const policyDir = path.join(estate.workdir, "policy");
        const r = await pulumi(project, ["preview", "--stack", "proxima", "--policy-pack", policyDir, "--policy-pack-config", path.join(estate.workdir, "policy-pack-config.example.json")]);
        assert.notEqual(r.code, 0, r.stdout);
        const out = r.stdout.replace(/\s+/g, " ");
        assert.match(out, /\[mandatory\] proxima-class-isolation .*network "proxima-monitoring" belongs to class monitoring/);
        assert.match(out, /volume "monitoring-uptime-state" belongs to class monitoring/);
        assert.match(out, /\[mandatory\] release-tag-policy .*Tag does not match required patterns: tag "v1\.2"/);
        assert.match(out, /\[mandatory\] release-digest-format .*Digest must be 64 hex characters/);
    });
});
