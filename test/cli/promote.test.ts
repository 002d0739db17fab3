import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { EXIT } from "../../cli/io";
import { promote } from "../../cli/promote";
import { addReleaseToStackFile, releaseName } from "../../cli/stack";
import { configFromStackFile, parseConfig, ProximaEstate } from "../../lib/config";
import { RegistryClient } from "../../lib/registry/client";
import { runProgramFull, seedImage, seedRegistryFor } from "../../harness/program";
import { realPulumi } from "../support/pulumi-cli";
import { capture, comments, freshStackFilePerTest, shippedWithHost } from "./stack-fixture";

describe("cli/promote (real registry, shipped stack file as the fixture)", function () {
    this.timeout(300000);
    let host: string;
    let digest: string;
    let hex: string;
    let dir: string;
    let file: string;
    const estate = () => parseConfig(configFromStackFile(parseYaml(fs.readFileSync(file, "utf8"))), "proxima") as ProximaEstate;

    before(async () => {
        host = await seedRegistryFor("proxima");
        digest = await seedImage("promote/web", "c0ffee1");
        hex = digest.slice("sha256:".length);
        await seedImage("promote/web", "v1.0.0");
    });
    const fixture = freshStackFilePerTest("promote", () => shippedWithHost(host));
    beforeEach(() => ({ dir, file } = fixture));

    it("dry run: runs the checks, shows the entry and both next steps, writes nothing", async () => {
        const before = fs.readFileSync(file, "utf8");
        const c = capture();
        assert.equal(await promote(["--image", "promote/web", "--digest", hex, "--tag", "v1.2.0", "--file", file], c.io), EXIT.ok, c.out() + c.err());
        assert.equal((c.out().match(/^✓ /gm) ?? []).length, 6, c.out());
        assert.ok(c.out().startsWith(`Preflight for ${host}/promote/web:v1.2.0 ← ${digest}\n`), c.out());
        assert.ok(c.out().includes(`Would add release web-v1-2-0 to Pulumi.proxima.yaml (re-run with --yes to write it):\n    web-v1-2-0:\n      repository: "promote/web"\n      digest: "${hex}"\n      tag: "v1.2.0"\n`), c.out());
        const urn = "urn:pulumi:proxima::image-lifecycle::image-lifecycle:release:Release::web-v1-2-0";
        assert.ok(c.out().includes(`  pulumi up --stack proxima --target ${urn} --target-dependents --policy-pack policy --policy-pack-config policy-pack-config.example.json\n`), c.out());
        assert.ok(c.out().includes(`  gh workflow run promote-release.yml --ref main -f image=${host}/promote/web -f digest=${hex} -f tag=v1.2.0\n`), c.out());
        assert.equal(fs.readFileSync(file, "utf8"), before);
    });

    it("--yes adds only the release's lines after the last release; the program then registers that release", async () => {
        const before = fs.readFileSync(file, "utf8");
        const c = capture();
        assert.equal(await promote(["--image", `${host}/promote/web`, "--digest", hex, "--tag", "v1.2.0", "--smoke-command", "true", "--file", file, "--yes"], c.io), EXIT.ok, c.out() + c.err());
        const after = fs.readFileSync(file, "utf8");
        assert.deepEqual(comments(after), comments(before));
        const added = after.split("\n").filter((l) => !before.split("\n").includes(l));
        assert.deepEqual(added, ["    web-v1-2-0:", '      repository: "promote/web"', `      digest: "${hex}"`, '      tag: "v1.2.0"', '      smokeCommand: "true"']);
        assert.ok(after.includes(`      smokeCommand: "nginx -v"\n    web-v1-2-0:\n`), "right after the last release");
        const release = estate().releases.find((r) => r.name === "web-v1-2-0");
        assert.deepEqual(release && { repository: release.repository, digest: release.digest, tag: release.tag }, { repository: "promote/web", digest: `sha256:${hex}`, tag: "v1.2.0" });

        const { resources } = await runProgramFull("proxima", undefined, { stackFile: file, registry: new RegistryClient({ registry: host }) });
        const promotion = resources.find((r) => r.custom && r.props.tag === "v1.2.0");
        assert.ok(promotion, "a release resource for the new tag");
        assert.equal(promotion!.props.digest, hex);
        assert.equal(promotion!.props.repository, "promote/web");
    });

    it("keeps the promotion contract: a sha256: digest fails with seed 004's message and the value to pass; no sha256:sha256:", async () => {
        const before = fs.readFileSync(file, "utf8");
        const c = capture();
        assert.equal(await promote(["--image", "promote/web", "--digest", digest, "--tag", "v1.2.0", "--file", file, "--yes"], c.io), EXIT.failed);
        assert.match(c.out(), new RegExp(`✗ Digest format: Digest must be 64 hex characters\n    Remove the sha256: prefix and pass the 64 hex digits: --digest ${hex}\n`));
        assert.ok(c.out().startsWith(`Preflight for ${host}/promote/web:v1.2.0 ← ${digest}\n`), c.out());
        assert.ok(!c.out().includes("sha256:sha256:"));
        assert.match(c.out(), /Nothing was written\./);
        assert.equal(fs.readFileSync(file, "utf8"), before);
    });

    it("stops on an existing tag, a tag already released in the stack, and another registry", async () => {
        const before = fs.readFileSync(file, "utf8");
        let c = capture();
        assert.equal(await promote(["--image", "promote/web", "--digest", hex, "--tag", "v1.0.0", "--file", file, "--yes"], c.io), EXIT.failed);
        assert.match(c.out(), /✗ Tag immutability: Tag already exists: .*promote\/web:v1\.0\.0/);
        assert.equal(await promote(["--image", "promote/web", "--digest", hex, "--tag", "v1.3.0", "--file", file, "--yes"], capture().io), EXIT.ok);
        c = capture();
        assert.equal(await promote(["--image", "promote/web", "--digest", hex, "--tag", "v1.3.0", "--name", "again", "--file", file, "--yes"], c.io), EXIT.failed);
        assert.match(c.err(), /already has release "web-v1-3-0" for .*promote\/web:v1\.3\.0/);
        c = capture();
        assert.equal(await promote(["--image", "other.example.com/promote/web", "--digest", hex, "--tag", "v1.4.0", "--file", file], c.io), EXIT.usage);
        assert.match(c.err(), /The image's registry other\.example\.com is not the proxima stack's registry/);
        assert.notEqual(fs.readFileSync(file, "utf8"), before, "only the v1.3.0 promotion wrote");
    });

    it("the real Pulumi CLI reads the added release on npm start's state (skipped without the engine from npm run engine)", function () {
        const pulumi = realPulumi();
        if (!pulumi) this.skip();
        fs.copyFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        return (async () => {
            const c = capture();
            assert.equal(await promote(["--image", "promote/web", "--digest", hex, "--tag", "v1.5.0", "--file", file, "--yes"], c.io), EXIT.ok, c.out() + c.err());
            const state = /export PULUMI_BACKEND_URL=(\S+) /.exec(c.out())![1];
            fs.mkdirSync(state.slice("file://".length), { recursive: true });
            const env = { PATH: "/usr/bin:/bin", HOME: dir, PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_BACKEND_URL: state, PULUMI_CONFIG_PASSPHRASE: "" };
            const run = (...args: string[]) => execFileSync(pulumi!, args, { cwd: dir, env, encoding: "utf8" });
            run("stack", "select", "--create", "--non-interactive", "proxima");
            assert.deepEqual(JSON.parse(run("config", "get", "--stack", "proxima", "--path", "releases.web-v1-5-0", "--json")).objectValue, { repository: "promote/web", digest: hex, tag: "v1.5.0" });
        })();
    });

    it("--json: the checks, the entry, the next steps", async () => {
        const c = capture();
        assert.equal(await promote(["--image", "promote/web", "--digest", hex, "--tag", "stable", "--file", file, "--json"], c.io), EXIT.ok, c.err());
        const json = JSON.parse(c.out());
        assert.equal(json.name, "web-stable");
        assert.equal(json.written, false);
        assert.deepEqual(json.entry, { repository: "promote/web", digest: hex, tag: "stable" });
        assert.ok(json.next.some((l: string) => l.startsWith("pulumi up --stack proxima") && l.includes("--policy-pack policy")));
    });

    it("adds the releases key when the stack has none, and names releases as the workflow does", () => {
        const text = "config:\n  # registry\n  image-lifecycle:registry:\n    host: r.example.com\n  image-lifecycle:org: o\n";
        const { text: out } = addReleaseToStackFile(text, "app-v1-0-0", { repository: "team/app", digest: "a".repeat(64), tag: "v1.0.0" });
        assert.equal(out, `${text.trimEnd()}\n  image-lifecycle:releases:\n    app-v1-0-0:\n      repository: "team/app"\n      digest: "${"a".repeat(64)}"\n      tag: "v1.0.0"\n`);
        assert.throws(() => addReleaseToStackFile("config:\n  image-lifecycle:releases: {}\n", "x", { repository: "a/b", digest: "a".repeat(64), tag: "v1.0.0" }), /not a block mapping/);
        assert.equal(releaseName("rednaw/hello-world", "v1.0.0"), "hello-world-v1-0-0");
        assert.equal(releaseName("team/API", "v2.0.0-rc.1"), "api-v2-0-0-rc-1");
    });
});
