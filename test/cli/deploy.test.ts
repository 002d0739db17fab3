import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { deploy } from "../../cli/deploy";
import { EXIT } from "../../cli/io";
import { main } from "../../cli/main";
import { OCI } from "../../lib/contract";
import { RegistryClient } from "../../lib/registry/client";
import { MEDIA_TYPES } from "../../lib/registry/types";
import { byName, runProgramFull, seedImage, seedRegistryFor, testLabels } from "../../harness/program";
import { capture, freshStackFilePerTest, NO_PULUMI, shippedWithHost } from "./stack-fixture";


describe("cli/deploy (real registry, shipped stack file as the fixture)", function () {
    this.timeout(300000);
    let host: string;
    let older: string;
    let newer: string;
    let dir: string;
    let file: string;
    const app = () => parseYaml(fs.readFileSync(file, "utf8")).config["image-lifecycle:apps"]["hello-world"];

    before(async () => {
        host = await seedRegistryFor("proxima");
        older = await seedImage("deploy/web", "eb53023", { ...testLabels("deploy/web", "eb53023", "initial deploy"), [OCI.created]: "2026-01-25T01:01:00Z" });
        newer = await seedImage("deploy/web", "6350192", { ...testLabels("deploy/web", "6350192", "add healthcheck + fix nginx proxy header"), [OCI.created]: "2026-01-25T01:10:00Z" });
    });
    // The app runs the older build; deploy moves it forward.
    const fixture = freshStackFilePerTest("deploy", () => shippedWithHost(host).replace('repository: rednaw/hello-world\n      tag: "6350192"', 'repository: deploy/web\n      tag: "eb53023"'));
    beforeEach(() => ({ dir, file } = fixture));

    it("dry run by default: shows the forward switch and the commands, writes nothing", async () => {
        const before = fs.readFileSync(file, "utf8");
        const c = capture(NO_PULUMI);
        assert.equal(await deploy(["hello-world", "--file", file, "--to", "6350192"], c.io), EXIT.ok, c.err());
        assert.match(c.out(), new RegExp(`^Would switch hello-world from ${older} to ${newer} \\(tag 6350192\\): add healthcheck \\+ fix nginx proxy header\n`));
        assert.match(c.out(), /That is a newer image than the one configured now\./);
        assert.ok(c.out().includes(`'apps["hello-world"].digest' ${newer}`), c.out());
        assert.equal(fs.readFileSync(file, "utf8"), before);
    });

    it("--yes edits only the app's two lines, prints the next step with the policy pack and npm start's state, and the program then runs the newer digest", async () => {
        const before = fs.readFileSync(file, "utf8").split("\n");
        const c = capture(NO_PULUMI);
        assert.equal(await deploy(["hello-world", "--file", file, "--to", "6350192", "--yes"], c.io), EXIT.ok, c.err());
        const after = fs.readFileSync(file, "utf8");
        assert.deepEqual(after.split("\n").filter((l) => !before.includes(l)).map((l) => l.trim()), [`tag: "6350192"`, `digest: "${newer}"`]);
        assert.equal(app().digest, newer);
        assert.ok(c.out().includes(`export PULUMI_BACKEND_URL=file://${path.join(dir, ".pulumi-state")} PULUMI_CONFIG_PASSPHRASE=''`), c.out());
        assert.ok(c.out().includes("  pulumi preview --stack proxima --policy-pack policy --policy-pack-config policy-pack-config.example.json\n"), c.out());
        assert.ok(c.out().includes("  pulumi up --stack proxima --policy-pack policy --policy-pack-config policy-pack-config.example.json\n"), c.out());

        const { resources } = await runProgramFull("proxima", undefined, { stackFile: file, registry: new RegistryClient({ registry: host }) });
        assert.equal(byName(resources, "hello-world-container").props.image, `${host}/deploy/web@${newer}`);
    });

    it("does not repeat exports the environment already sets", async () => {
        const c = capture({ ...NO_PULUMI, PULUMI_BACKEND_URL: "file:///srv/state", PULUMI_CONFIG_PASSPHRASE: "s3cret" });
        assert.equal(await deploy(["hello-world", "--file", file, "--to", "6350192", "--yes"], c.io), EXIT.ok, c.err());
        assert.ok(!c.out().includes("export "), c.out());
        assert.match(c.out(), /state: file:\/\/\/srv\/state/);
        assert.ok(!c.out().includes("s3cret"));
    });

    it("takes the digest as sha256:<hex> or bare hex, whole or at least 12 digits, and never prints sha256:sha256:", async () => {
        const hex = newer.slice("sha256:".length);
        for (const to of [newer, hex, hex.slice(0, 12), `sha256:${hex.slice(0, 12)}`, hex.toUpperCase()]) {
            const c = capture(NO_PULUMI);
            assert.equal(await deploy(["hello-world", "--file", file, "--to", to, "--json"], c.io), EXIT.ok, `${to}: ${c.err()}`);
            const json = JSON.parse(c.out());
            assert.equal(json.change.digest, newer, to);
            assert.equal(json.change.tag, "6350192", to);
            assert.equal(json.direction, "forward");
            assert.ok(!c.out().includes("sha256:sha256:"));
        }
    });

    it("says how many hex digits a digest needs when too few are given", async () => {
        const c = capture(NO_PULUMI);
        const short = newer.slice(7, 7 + 8);
        assert.equal(await deploy(["hello-world", "--file", file, "--to", short], c.io), EXIT.usage);
        assert.equal(c.err(), `deploy: "${short}" has 8 hex digits; a digest needs at least 12 (or all 64) to pick one image. Give more hex digits, or a tag.\n`);
        const p = capture(NO_PULUMI);
        assert.equal(await deploy(["hello-world", "--file", file, "--to", "sha256:abc"], p.io), EXIT.usage);
        assert.match(p.err(), /"sha256:abc" has 3 hex digits; a digest needs at least 12/);
    });

    it("deploys a digest that no tag names any more (seed 002: digests stay valid), given as bare hex", async () => {
        // Pushed by digest only: an image the registry holds under no tag.
        const client = new RegistryClient({ registry: host });
        const created = "2026-01-24T00:00:00Z";
        const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", created, config: { Labels: { [OCI.created]: created, [OCI.description]: "a build whose tag was pruned" } }, rootfs: { type: "layers", diff_ids: [] } }));
        const configDigest = await client.uploadBlob("deploy/web", config);
        const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length }, layers: [] }));
        const untagged = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
        assert.equal(await client.putManifest("deploy/web", untagged, { bytes, mediaType: MEDIA_TYPES.ociManifest }), untagged);
        assert.ok(!(await client.listTags("deploy/web")).some((t) => t === untagged));
        const c = capture(NO_PULUMI);
        assert.equal(await deploy(["hello-world", "--file", file, "--to", untagged.slice(7), "--json"], c.io), EXIT.ok, c.err());
        assert.equal(JSON.parse(c.out()).change.digest, untagged);
    });

    it("fails clearly: no --to, unknown app, unknown stack (its file is missing), an image that is not there", async () => {
        let c = capture(NO_PULUMI);
        assert.equal(await deploy(["hello-world", "--file", file], c.io), EXIT.usage);
        assert.match(c.err(), /^deploy: --to <tag\|digest> is required/);
        c = capture(NO_PULUMI);
        assert.equal(await deploy(["nope", "--file", file, "--to", "6350192"], c.io), EXIT.usage);
        assert.match(c.err(), /App "nope" is not in .*Apps there: hello-world, giftfinder-api/);
        const cwd = process.cwd();
        try {
            process.chdir(dir);
            c = capture(NO_PULUMI);
            assert.equal(await deploy(["hello-world", "--stack", "staging", "--to", "6350192"], c.io), EXIT.usage);
            assert.match(c.err(), /The stack file .*Pulumi\.staging\.yaml is missing, so there is no stack "staging" here \(stack files here: proxima\)/);
        } finally {
            process.chdir(cwd);
        }
        c = capture(NO_PULUMI);
        assert.equal(await deploy(["hello-world", "--file", file, "--to", "v9.9.9"], c.io), EXIT.failed);
        assert.match(c.err(), /"v9\.9\.9" is neither a tag nor a digest of /);
    });

    it("reports errors under --json as JSON on stderr with the exit code's meaning (through main)", async () => {
        const c = capture(NO_PULUMI);
        assert.equal(await main(["deploy", "nope", "--file", file, "--to", "6350192", "--json"], c.io), EXIT.usage);
        assert.equal(c.out(), "");
        const err = JSON.parse(c.err());
        assert.equal(err.error.command, "deploy");
        assert.equal(err.error.exitCode, 2);
        assert.equal(err.error.meaning, "bad usage or input");
        assert.match(err.error.message, /^App "nope" is not in /);
    });
});
