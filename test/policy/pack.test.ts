/**
 * The whole pack over what the real program registers (harness/program.ts: program.ts under
 * mocks, the shipped Pulumi.<stack>.yaml, images resolved in a real registry), with the shipped
 * example policy config. Broken estates are made either through the stack config (where the
 * program lets them through) or by editing the captured registrations (where the program's own
 * config validation would refuse first: the pack is the guard for program code that skips it).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { resetTagLookups } from "../../policy/lib/tag-lookup";
import { policies } from "../../policy/policies";
import { byName, type CapturedResource, runProgram } from "../../harness/program";
import { buildAndPush } from "../../estate/services";
import { runPolicies, type Violation } from "../../harness/policy";
import { APP_CONTAINER_TYPE, REMOTE_IMAGE_TYPE } from "../../harness/policy-fixtures";
import { KINDS } from "../../lib/contract";

const CONFIG = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "policy-pack-config.example.json"), "utf8"));

const short = (v: Violation) => `${v.policy} ${v.level} ${v.urn ? v.urn.slice(v.urn.lastIndexOf("::") + 2) : "-"}`;
const run = (resources: CapturedResource[]) => runPolicies(policies, resources, { config: CONFIG });

/** Exactly these violations (policy level resource-name), in any order. */
function expectExactly(vs: Violation[], expected: string[]): void {
    assert.deepEqual(vs.map(short).sort(), [...expected].sort(), vs.map((v) => `${short(v)}: ${v.message}`).join("\n"));
}

// The shipped proxima stack runs one experimental app (playground): one advisory, by design.
const BASELINE = ["proxima-experimental-class advisory playground-container"];

describe("policy pack over the program's real registrations", function () {
    this.timeout(300000);
    let proxima: CapturedResource[];
    let lyra: CapturedResource[];
    before(async () => {
        proxima = await runProgram("proxima");
        lyra = await runProgram("lyra");
    });
    // Each run asks the registry afresh, as each preview would.
    beforeEach(() => resetTagLookups());
    const edit = (base: CapturedResource[], change: (rs: CapturedResource[]) => void) => {
        const rs = structuredClone(base);
        change(rs);
        return rs;
    };

    it("captures what the policies are about (app containers, pulled images, release, production gate)", () => {
        const types = new Set(proxima.map((r) => r.type));
        for (const t of [APP_CONTAINER_TYPE, REMOTE_IMAGE_TYPE, "github:index/repositoryEnvironment:RepositoryEnvironment", "pulumi:providers:docker"]) {
            assert.ok(types.has(t), `no ${t} registered`);
        }
        // Proxima apps run as the product's own containers, which the policies must recognise as containers.
        assert.ok(!types.has("docker:index/container:Container"), "a docker container registered on Proxima");
        const apps = proxima.filter((r) => r.type === APP_CONTAINER_TYPE);
        assert.ok(apps.length > 0 && apps.every((r) => r.props.kind === KINDS.appContainer && !r.provider), "an app container without its kind, or with a docker provider");
        assert.ok(proxima.some((r) => r.props.kind === "image-lifecycle:release"), "no release resource registered");
    });
    it("shipped proxima stack: no mandatory violation, only the experimental advisory", async () => {
        const vs = await run(proxima);
        expectExactly(vs, BASELINE);
        assert.ok(vs.every((v) => v.level !== "mandatory"));
    });
    it("shipped lyra stack: no violation at all", async () => expectExactly(await run(lyra), []));

    it("a volume of another class → class isolation, once", async () => {
        const rs = edit(proxima, (rs) => {
            const c = byName(rs, "hello-world-container");
            const vol = byName(rs, "monitoring-uptime-state");
            (c.props.volumes as object[]).push({ volumeName: "monitoring-uptime-state", containerPath: "/state" });
            c.dependencies.push(vol.urn);
        });
        const vs = await run(rs);
        expectExactly(vs, [...BASELINE, "proxima-class-isolation mandatory hello-world-container"]);
        assert.match(vs.find((v) => v.policy === "proxima-class-isolation")!.message, /volume "monitoring-uptime-state" belongs to class monitoring/);
    });
    it("a v1.2 release → tag policy", async () => {
        const rs = edit(proxima, (rs) => { byName(rs, "hello-world-v1-0-0-promotion").props.tag = "v1.2"; });
        expectExactly(await run(rs), [...BASELINE, "release-tag-policy mandatory hello-world-v1-0-0-promotion"]);
    });
    it("a sha256:-prefixed release digest → digest format", async () => {
        const rs = edit(proxima, (rs) => {
            const r = byName(rs, "hello-world-v1-0-0-promotion");
            r.props.digest = `sha256:${r.props.digest}`;
        });
        const vs = await run(rs);
        expectExactly(vs, [...BASELINE, "release-digest-format mandatory hello-world-v1-0-0-promotion"]);
        assert.match(vs.find((v) => v.policy === "release-digest-format")!.message, /Digest must be 64 hex characters/);
    });
    it("a container by tag → pinned by digest", async () => {
        const rs = edit(proxima, (rs) => {
            const c = byName(rs, "giftfinder-api-container");
            c.props.image = String(c.props.image).replace(/@sha256:[0-9a-f]{64}$/, ":a1b2c3d");
        });
        expectExactly(await run(rs), [...BASELINE, "proxima-container-pinned-by-digest mandatory giftfinder-api-container"]);
    });
    it("another experimental app (through the stack config) → one more advisory", async () => {
        const rs = await runProgram("proxima", (raw) => {
            raw.apps.sandbox = { class: "experimental", image: "giftfinder/playground", tag: "0badc0d", limits: { memoryMb: 128, cpus: 0.25 } };
            return raw;
        });
        expectExactly(await run(rs), [...BASELINE, "proxima-experimental-class advisory sandbox-container"]);
    });
    it("a class over the budget in its outputs (a limit raised past the program's own check) → class budget", async () => {
        const rs = edit(proxima, (rs) => { byName(rs, "hello-world-container").props.memory = 2048; });
        const vs = await run(rs);
        const budget = vs.filter((v) => v.policy === "proxima-class-budget");
        assert.equal(budget.length, 1, vs.map(short).join("\n"));
        assert.match(budget[0].message, /class core: .* ask for 2560 MB of memory, over the class budget of 2048 MB \(the class's outputs\)/);
        assert.equal(budget[0].urn, byName(rs, "core").urn, "reported on the LxcClass");
        expectExactly(vs.filter((v) => v.policy !== "proxima-class-budget"), BASELINE);
    });
    it("a stack budget raised past the example config's: the class's own budget (its outputs) wins", async () => {
        const rs = await runProgram("proxima", (raw) => {
            raw.classes.core.budget = { memoryMb: 8192, cpus: 2 };
            raw.apps["hello-world"].limits.memoryMb = 2048;
            return raw;
        });
        expectExactly(await run(rs), BASELINE);
    });
    it("a release whose tag already exists on another digest in the registry → tag immutability", async () => {
        const release = byName(proxima, "hello-world-v1-0-0-promotion");
        const registry = String(release.props.registry);
        // Its own repository in the run's real registry, so no other test sees this tag.
        const existing = await buildAndPush({ repository: `${registry}/policy-pack/immutable`, tags: ["v1.0.0"], payload: "already released" });
        const rs = edit(proxima, (rs) => { byName(rs, release.name).props.repository = "policy-pack/immutable"; });
        const vs = await run(rs);
        expectExactly(vs, [...BASELINE, "release-tag-immutable mandatory hello-world-v1-0-0-promotion"]);
        assert.match(vs.find((v) => v.policy === "release-tag-immutable")!.message, new RegExp(`Tag already exists: .*policy-pack/immutable:v1.0.0 points at ${existing}`));
    });
    it("a dependsOn across classes → class isolation", async () => {
        const rs = edit(proxima, (rs) => { byName(rs, "metrics-container").dependencies.push(byName(rs, "hello-world-container").urn); });
        const vs = await run(rs);
        expectExactly(vs, [...BASELINE, "proxima-class-isolation mandatory metrics-container"]);
        assert.match(vs.find((v) => v.policy === "proxima-class-isolation")!.message, /class monitoring\) depends on hello-world-container \(class core\)/);
    });
    it("all of the above at once → each fault exactly once", async () => {
        const rs = edit(proxima, (rs) => {
            const web = byName(rs, "hello-world-container");
            (web.props.volumes as object[]).push({ volumeName: "monitoring-uptime-state", containerPath: "/state" });
            const rel = byName(rs, "hello-world-v1-0-0-promotion");
            rel.props.tag = "v1.2";
            rel.props.digest = `sha256:${rel.props.digest}`;
            const api = byName(rs, "giftfinder-api-container");
            api.props.image = String(api.props.image).replace(/@sha256:[0-9a-f]{64}$/, ":latest");
            byName(rs, "metrics-container").dependencies.push(web.urn);
        });
        expectExactly(await run(rs), [
            ...BASELINE,
            "proxima-class-isolation mandatory hello-world-container",
            "proxima-class-isolation mandatory metrics-container",
            "release-tag-policy mandatory hello-world-v1-0-0-promotion",
            "release-digest-format mandatory hello-world-v1-0-0-promotion",
            "proxima-container-pinned-by-digest mandatory giftfinder-api-container",
        ]);
    });
    it("a Lyra container made privileged with a bind outside the workspace → two Lyra violations", async () => {
        const rs = edit(lyra, (rs) => {
            const c = byName(rs, "api-container");
            c.props.privileged = true;
            (c.props.volumes as object[]).push({ hostPath: "/etc", containerPath: "/host-etc" });
        });
        expectExactly(await run(rs), ["lyra-container-unprivileged mandatory api-container", "lyra-host-binds-in-workspace mandatory api-container"]);
    });
    it("a Proxima app container on Lyra's endpoint → class isolation, once (not again as endpoint separation)", async () => {
        const lyraHost = CONFIG["stack-endpoint-separation"].lyraHosts[0];
        const rs = edit(proxima, (rs) => { byName(rs, "metrics-container").props.endpoint = lyraHost; });
        const vs = await run(rs);
        expectExactly(vs, [...BASELINE, "proxima-class-isolation mandatory metrics-container"]);
        assert.match(vs.find((v) => v.policy === "proxima-class-isolation")!.message, new RegExp(`endpoint ${lyraHost} is the Docker endpoint of no class in this stack\\. Set endpoint to ssh://`));
    });
    it("an app container on another class's endpoint → class isolation", async () => {
        const rs = edit(proxima, (rs) => { byName(rs, "metrics-container").props.endpoint = byName(rs, "core-docker").props.host; });
        const vs = await run(rs);
        expectExactly(vs, [...BASELINE, "proxima-class-isolation mandatory metrics-container"]);
        assert.match(vs.find((v) => v.policy === "proxima-class-isolation")!.message, /is the core class's Docker endpoint/);
    });
    it("an app container writing its record elsewhere than its label says → deploy record", async () => {
        const rs = edit(proxima, (rs) => { byName(rs, "hello-world-container").props.recordPath = "/tmp/deploy-info.yml"; });
        const vs = await run(rs);
        expectExactly(vs, [...BASELINE, "proxima-deploy-record mandatory hello-world-container"]);
        assert.match(vs.find((v) => v.policy === "proxima-deploy-record")!.message, /writes its deploy record to "\/tmp\/deploy-info.yml", not to \/opt\//);
    });
});
