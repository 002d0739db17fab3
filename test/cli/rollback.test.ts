import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { EXIT } from "../../cli/io";
import { StackEditRefused } from "../../lib/errors";
import { configPath, pulumiCommands, rollback } from "../../cli/rollback";
import { editStackFile } from "../../lib/config/stack-file";
import { realPulumi } from "../support/pulumi-cli";
import { capture, comments, freshStackFilePerTest, NO_PULUMI, shippedWithHost } from "./stack-fixture";
import { configFromStackFile, parseConfig, ProximaEstate } from "../../lib/config";
import { OCI } from "../../lib/contract";
import { RegistryClient } from "../../lib/registry/client";
import { byName, runProgramFull, seedImage, seedRegistryFor, testLabels } from "../../harness/program";

describe("cli/rollback (real registry, shipped stack file as the fixture)", function () {
    this.timeout(300000);
    let host: string;
    let newer: string;
    let older: string;
    let dir: string;
    let file: string;

    before(async () => {
        host = await seedRegistryFor("proxima");
        newer = await seedImage("rollback/web", "6350192", { ...testLabels("rollback/web", "6350192", "add healthcheck + fix nginx proxy header"), [OCI.created]: "2026-01-25T01:10:00Z" });
        older = await seedImage("rollback/web", "eb53023", { ...testLabels("rollback/web", "eb53023", "initial deploy"), [OCI.created]: "2026-01-25T01:01:00Z" });
    });
    const fixture = freshStackFilePerTest("rollback", () => shippedWithHost(host).replace("repository: rednaw/hello-world\n      tag:", "repository: rollback/web\n      tag:"));
    beforeEach(() => ({ dir, file } = fixture));

    it("lists the app's digests newest first with their labels and marks the current one", async () => {
        const before = fs.readFileSync(file, "utf8");
        const c = capture(NO_PULUMI);
        assert.equal(await rollback(["hello-world", "--file", file], c.io), EXIT.ok, c.err());
        const lines = c.out().split("\n");
        assert.equal(lines[0], "IMAGE: rollback/web", "the same IMAGE: line as overview and cleanup");
        assert.equal(lines[1], `APP: hello-world (class core), registry ${host}`);
        const rows = lines.filter((l) => l.includes("sha256:"));
        assert.equal(rows.length, 2);
        assert.match(rows[0], new RegExp(`^→ ${newer.slice(0, 19)}\\s+6350192\\s+2026-01-25 01:10\\s+add healthcheck \\+ fix nginx proxy header$`));
        assert.match(rows[1], new RegExp(`^  ${older.slice(0, 19)}\\s+eb53023\\s+2026-01-25 01:01\\s+initial deploy$`));
        assert.equal(fs.readFileSync(file, "utf8"), before, "listing must not change the stack file");
    });

    it("lists as JSON for scripts", async () => {
        const c = capture(NO_PULUMI);
        assert.equal(await rollback(["hello-world", "--file", file, "--json"], c.io), EXIT.ok, c.err());
        const json = JSON.parse(c.out());
        assert.equal(json.current, newer);
        assert.deepEqual(json.candidates.map((x: any) => [x.digest, x.tags, x.current, x.description]), [
            [newer, ["6350192"], true, "add healthcheck + fix nginx proxy header"],
            [older, ["eb53023"], false, "initial deploy"],
        ]);
    });

    it("without --yes shows the change and the exact commands, and writes nothing", async () => {
        const before = fs.readFileSync(file, "utf8");
        const c = capture(NO_PULUMI);
        assert.equal(await rollback(["hello-world", "--file", file, "--to", "eb53023"], c.io), EXIT.ok, c.err());
        assert.match(c.out(), new RegExp(`Would switch hello-world from ${newer} to ${older} \\(tag eb53023\\): initial deploy`));
        assert.ok(c.out().includes(`pulumi config set --stack proxima --path --type string 'apps["hello-world"].digest' ${older}`), c.out());
        assert.ok(c.out().includes(`pulumi config set --stack proxima --path --type string 'apps["hello-world"].tag' eb53023`), c.out());
        assert.equal(fs.readFileSync(file, "utf8"), before);
    });

    it("--yes edits only the app's two lines, keeps the comments, and the program then deploys the earlier digest", async () => {
        const before = fs.readFileSync(file, "utf8");
        const c = capture(NO_PULUMI);
        assert.equal(await rollback(["hello-world", "--file", file, "--to", "eb53023", "--yes"], c.io), EXIT.ok, c.err());
        assert.match(c.out(), /The same change with the Pulumi CLI would be \(it also reformats the file\):/);
        const after = fs.readFileSync(file, "utf8");
        assert.deepEqual(comments(after), comments(before));
        const app = parseYaml(after).config["image-lifecycle:apps"]["hello-world"];
        assert.equal(app.digest, older);
        assert.equal(app.tag, "eb53023");
        assert.ok(after.includes(`tag: "eb53023"`) && after.includes(`digest: "${older}"`));
        // Only the two values changed.
        const changed = after.split("\n").filter((l) => !before.split("\n").includes(l));
        assert.deepEqual(changed.map((l) => l.trim()), [`tag: "eb53023"`, `digest: "${older}"`]);

        const { resources } = await runProgramFull("proxima", undefined, { stackFile: file, registry: new RegistryClient({ registry: host }) });
        assert.equal(byName(resources, "hello-world-container").props.image, `${host}/rollback/web@${older}`);
        assert.match(byName(resources, "hello-world-container").props.record, new RegExp(`digest: "${older}"`));
    });

    it("accepts a digest prefix and sets the tag of that digest", async () => {
        const c = capture(NO_PULUMI);
        assert.equal(await rollback(["hello-world", "--file", file, "--to", older.slice(7, 7 + 12), "--yes", "--json"], c.io), EXIT.ok, c.err());
        assert.equal(JSON.parse(c.out()).applied, "file");
        const estate = parseConfig(configFromStackFile(parseYaml(fs.readFileSync(file, "utf8"))), "proxima") as ProximaEstate;
        const app = estate.apps.find((a) => a.name === "hello-world")!;
        assert.equal(app.digest, older);
        assert.equal(app.tag, "eb53023");
    });

    it("the real Pulumi CLI reads the edited file on npm start's state, where its own config set would reformat the file (skipped without the engine from npm run engine)", function () {
        const pulumi = realPulumi();
        if (!pulumi) this.skip();
        fs.copyFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        const before = fs.readFileSync(file, "utf8");
        return (async () => {
            const c = capture({ PATH: `${path.dirname(pulumi!)}:${NO_PULUMI.PATH}` });
            assert.equal(await rollback(["hello-world", "--file", file, "--to", "eb53023", "--yes"], c.io), EXIT.ok, c.err());
            const changed = fs.readFileSync(file, "utf8").split("\n").filter((l) => !before.split("\n").includes(l));
            assert.equal(changed.length, 2, "the Pulumi CLI on PATH changes nothing about the edit");
            // The printed next step's exports, as a user would paste them.
            const exports = /\n {2}export (PULUMI_BACKEND_URL=\S+) PULUMI_CONFIG_PASSPHRASE=''\n/.exec(c.out());
            assert.ok(exports, c.out());
            const env = { PATH: NO_PULUMI.PATH, HOME: dir, PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_BACKEND_URL: exports![1].slice("PULUMI_BACKEND_URL=".length), PULUMI_CONFIG_PASSPHRASE: "" };
            fs.mkdirSync(env.PULUMI_BACKEND_URL.slice("file://".length), { recursive: true });
            const run = (...args: string[]) => execFileSync(pulumi!, args, { cwd: dir, env, encoding: "utf8" });
            run("stack", "select", "--create", "--non-interactive", "proxima");
            assert.equal(run("config", "get", "--stack", "proxima", "--path", 'apps["hello-world"].digest').trim(), older);
            assert.equal(run("config", "get", "--stack", "proxima", "--path", 'apps["hello-world"].tag').trim(), "eb53023");
            // Why the CLI does not hand the change to `pulumi config set`: on the file as shipped, adding the
            // digest that way rewrites lines far from it (every flow mapping is reformatted).
            fs.writeFileSync(file, before);
            run("config", "set", "--stack", "proxima", "--path", "--type", "string", 'apps["hello-world"].digest', older);
            const rewritten = fs.readFileSync(file, "utf8").split("\n").filter((l) => !before.split("\n").includes(l));
            assert.ok(rewritten.length > 2, `pulumi config set changed only: ${rewritten.join(" | ")}`);
        })();
    });

    it("says nothing changes when the app is already pinned to that digest", async () => {
        fs.writeFileSync(file, editStackFile(fs.readFileSync(file, "utf8"), "hello-world", { digest: older, tag: "eb53023" }));
        const c = capture(NO_PULUMI);
        assert.equal(await rollback(["hello-world", "--file", file, "--to", "eb53023", "--yes"], c.io), EXIT.ok, c.err());
        assert.match(c.out(), /already runs sha256:[0-9a-f]{64} \(pinned by digest in Pulumi\.proxima\.yaml\)\. Nothing to change\./);
    });

    it("--previous reads the host's history: with --to it is a usage error, with the host unreachable exit 3 and why", async () => {
        let c = capture(NO_PULUMI);
        assert.equal(await rollback(["hello-world", "--file", file, "--previous", "--to", "eb53023"], c.io), EXIT.usage);
        assert.match(c.err(), /--to and --previous both say which image: give one\./);
        c = capture(NO_PULUMI);
        // The shipped stack's hosts (proxima-*.lan) do not resolve here.
        assert.equal(await rollback(["hello-world", "--file", file, "--previous", "--yes"], c.io), EXIT.unavailable);
        assert.match(c.err(), /Cannot read hello-world's deploy history from its core host: ssh:\/\/deploy@proxima-core\.lan did not answer/);
        c = capture(NO_PULUMI);
        assert.equal(await rollback(["hello-world", "--file", file], c.io), EXIT.ok);
        assert.match(c.err(), /note: the deploy history of hello-world could not be read from its core host/);
    });

    it("fails clearly on an unknown target, an unknown app, a missing file and bad usage", async () => {
        let c = capture(NO_PULUMI);
        assert.equal(await rollback(["hello-world", "--file", file, "--to", "v9.9.9", "--yes"], c.io), EXIT.failed);
        assert.match(c.err(), /"v9\.9\.9" is neither a tag nor a digest of .*rollback\/web\. Run "image-lifecycle rollback hello-world" to list them\./);
        c = capture(NO_PULUMI);
        assert.equal(await rollback(["nope", "--file", file], c.io), EXIT.usage);
        assert.match(c.err(), /App "nope" is not in .*Apps there: hello-world, giftfinder-api/);
        c = capture(NO_PULUMI);
        assert.equal(await rollback(["hello-world", "--file", path.join(dir, "missing.yaml")], c.io), EXIT.usage);
        assert.match(c.err(), /Cannot read the stack file .*missing\.yaml \(ENOENT\)\. Run from the project directory or pass --file\./);
        c = capture(NO_PULUMI);
        assert.equal(await rollback(["hello-world", "--yes", "--file", file], c.io), EXIT.usage);
        assert.match(c.err(), /--yes needs --to/);
        c = capture(NO_PULUMI);
        assert.equal(await rollback(["hello-world", "--stack", "lyra"], c.io), EXIT.usage);
    });

    it("refuses a stack file with YAML anchors with exit 4 and leaves it untouched (no stack trace)", async () => {
        const anchored = fs.readFileSync(file, "utf8").replace("repository: rollback/web\n", "repository: &img rollback/web\n") + "# an alias elsewhere\nx-copy: *img\n";
        fs.writeFileSync(file, anchored);
        const c = capture(NO_PULUMI);
        assert.equal(await rollback(["hello-world", "--file", file, "--to", "eb53023", "--yes"], c.io), 4, c.err());
        assert.match(c.err(), /uses YAML anchors or aliases.*Nothing was written/s);
        assert.equal(fs.readFileSync(file, "utf8"), anchored);
    });

    it("edits only the app's lines: inserts after the image, removes a tag, refuses flow style", () => {
        const text = "config:\n  # keep me\n  image-lifecycle:apps:\n    web:\n      class: core\n      image: team/web # the image\n      limits: {memoryMb: 1, cpus: 1}\n    api:\n      image: team/api\n      tag: \"v1\"\n";
        const d = `sha256:${"e".repeat(64)}`;
        assert.equal(editStackFile(text, "web", { digest: d, tag: "0123456" }), text.replace("# the image\n", `# the image\n      tag: "0123456"\n      digest: "${d}"\n`));
        assert.equal(editStackFile(text, "api", { digest: d, tag: null }), text.replace('      tag: "v1"\n', `      digest: "${d}"\n`));
        assert.throws(() => editStackFile("config:\n  image-lifecycle:apps:\n    web: {image: x}\n", "web", { digest: d, tag: null }), /flow style/);
        assert.throws(() => editStackFile(text, "nope", { digest: d, tag: null }), /App "nope" is not a mapping/);
    });

    it("keeps a CRLF file CRLF, keeps a removed tag line's comment, and refuses anchors (StackEditRefused)", () => {
        const d = `sha256:${"e".repeat(64)}`;
        const crlf = "config:\r\n  image-lifecycle:apps:\r\n    web:\r\n      image: team/web\r\n      tag: \"v1\" # the tag\r\n";
        const edited = editStackFile(crlf, "web", { digest: d, tag: "v2" });
        assert.equal(edited, `config:\r\n  image-lifecycle:apps:\r\n    web:\r\n      image: team/web\r\n      tag: "v2" # the tag\r\n      digest: "${d}"\r\n`);
        assert.ok(!/[^\r]\n/.test(edited), "no bare LF in a CRLF file");
        const removed = editStackFile(crlf, "web", { digest: d, tag: null });
        assert.equal(removed, `config:\r\n  image-lifecycle:apps:\r\n    web:\r\n      image: team/web\r\n      # the tag\r\n      digest: "${d}"\r\n`);
        const anchored = "x-base: &base\n  class: core\nconfig:\n  image-lifecycle:apps:\n    web:\n      <<: *base\n      image: team/web\n      digest: &pin \"sha256:" + "a".repeat(64) + "\"\n    api:\n      image: team/api\n      digest: *pin\n";
        assert.throws(() => editStackFile(anchored, "web", { digest: d, tag: null }), (e: Error) => e instanceof StackEditRefused && /uses YAML anchors or aliases.*Nothing was written/.test(e.message));
    });

    it("builds Pulumi config paths and commands", () => {
        assert.equal(configPath("web", "digest"), "apps.web.digest");
        assert.equal(configPath("hello-world", "tag"), 'apps["hello-world"].tag');
        assert.deepEqual(pulumiCommands("proxima", "web", { digest: "sha256:x", tag: null })[1], ["pulumi", "config", "rm", "--stack", "proxima", "--path", "apps.web.tag"]);
    });
});
