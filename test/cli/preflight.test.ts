import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { preflight } from "../../cli/preflight";
import { CliIO, EXIT } from "../../cli/io";
import { buildAndPush, freePort, RegistryService, sharedTestRegistry } from "../../estate/services";

const run = promisify(execFile);

function io(env: NodeJS.ProcessEnv = {}, isTTY = false): CliIO & { out: string; err: string } {
    const o = { out: "", err: "", isTTY, env, stdout: (t: string) => { o.out += t; }, stderr: (t: string) => { o.err += t; } };
    return o;
}

describe("cli/preflight", function () {
    this.timeout(120000);
    let reg: RegistryService;
    let hex: string;
    let image: string;
    before(async () => {
        reg = await sharedTestRegistry();
        image = `${reg.registry}/preflight/app`;
        hex = (await buildAndPush({ repository: image, tags: ["deadbee"] })).slice(7);
        // v1.0.0 names another build: the same tag on the same digest would be a promotion to finish, not a conflict.
        await buildAndPush({ repository: image, tags: ["v1.0.0"], payload: "an earlier release" });
    });

    it("exit 0 with a ✓ per check and no colour when stdout is not a terminal", async () => {
        const t = io();
        assert.equal(await preflight(["--image", image, "--digest", hex, "--tag", "v1.1.0"], t), EXIT.ok, t.out + t.err);
        assert.equal((t.out.match(/^✓ /gm) ?? []).length, 6, t.out);
        assert.ok(!t.out.includes("\x1b["), "no ANSI codes off a TTY");
        assert.match(t.out, /All checks passed/);
        const tty = io({}, true);
        await preflight(["--image", image, "--digest", hex, "--tag", "v1.1.0"], tty);
        assert.ok(tty.out.includes("\x1b[32m✓"), "colour on a TTY");
    });

    it("honours NO_COLOR on a terminal, and a sha256: digest gets the value to pass and a header without sha256:sha256:", async () => {
        const tty = io({ NO_COLOR: "1" }, true);
        assert.equal(await preflight(["--image", image, "--digest", hex, "--tag", "v1.1.0"], tty), EXIT.ok);
        assert.ok(!tty.out.includes("\x1b["), tty.out);
        const t = io();
        assert.equal(await preflight(["--image", image, "--digest", `sha256:${hex}`, "--tag", "v1.1.0"], t), EXIT.failed);
        assert.ok(t.out.startsWith(`Preflight for ${image}:v1.1.0 ← sha256:${hex}\n`), t.out);
        assert.ok(!t.out.includes("sha256:sha256:"));
        assert.ok(t.out.includes(`✗ Digest format: Digest must be 64 hex characters\n    Remove the sha256: prefix and pass the 64 hex digits: --digest ${hex}\n`), t.out);
        const upper = io();
        assert.equal(await preflight(["--image", image, "--digest", hex.toUpperCase(), "--tag", "v1.1.0"], upper), EXIT.failed);
        assert.ok(upper.out.includes(`Write the hex digits in lowercase: --digest ${hex}`), upper.out);
    });

    it("exit 1 with seed 004's messages", async () => {
        const cases: [string[], RegExp][] = [
            [["--tag", "v1.0.0"], new RegExp(`✗ Tag immutability: Tag already exists: ${image.replace(/\./g, "\\.")}:v1\\.0\\.0`)],
            [["--tag", "v1.2"], /✗ Tag policy: Tag does not match required patterns/],
            [["--tag", "bad/tag"], /✗ Tag characters: Tag contains invalid characters/],
            [["--tag", "hotfix", "--allow-non-semver"], /allowNonSemver needs a justification/],
            [["--tag", "v2.0.0", "--digest", "0".repeat(64)], /✗ Source digest exists: Source digest not found/],
            [["--tag", "v2.0.0", "--digest", `sha256:${"0".repeat(64)}`], /✗ Digest format: Digest must be 64 hex characters\n\s+Remove the sha256: prefix/],
            [["--tag", "v2.0.0", "--image", "no-registry"], /✗ Image reference: Image must be <registry>\/<repository>/],
        ];
        for (const [extra, re] of cases) {
            const args = ["--image", image, "--digest", hex, ...extra];
            const t = io();
            assert.equal(await preflight(args, t), EXIT.failed, `${extra.join(" ")}\n${t.out}${t.err}`);
            assert.match(t.out, re);
            assert.match(t.out, /Nothing was written/);
        }
    });

    it("a justified bypass passes and --json reports every check", async () => {
        const t = io();
        const code = await preflight(["--image", image, "--digest", hex, "--tag", "hotfix-1", "--allow-non-semver", "--justification", "INC-9", "--json"], t);
        assert.equal(code, EXIT.ok, t.out + t.err);
        const j = JSON.parse(t.out);
        assert.equal(j.ok, true);
        assert.deepEqual(j.checks.map((c: { id: string }) => c.id), ["digest-format", "image-reference", "tag-charset", "tag-policy", "tag-immutable", "digest-exists"]);
    });

    it("exit 2 on usage errors, 3 when the registry is unreachable", async () => {
        for (const args of [["--image", image, "--tag", "v1.0.0"], ["--bogus"], ["--image", image, "--digest", hex, "--tag", "v3.0.0", "--justification", "x"]]) {
            const t = io();
            assert.equal(await preflight(args, t), EXIT.usage, args.join(" "));
            assert.ok(t.err.length > 0);
        }
        const port = await freePort();
        const t = io();
        assert.equal(await preflight(["--image", `127.0.0.1:${port}/x/y`, "--digest", hex, "--tag", "v1.0.0"], t), EXIT.unavailable, t.err);
        assert.match(t.err, /could not ask the registry/);
    });

    it("appends a Markdown table to $GITHUB_STEP_SUMMARY", async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "preflight-")), "summary.md");
        const t = io({ GITHUB_STEP_SUMMARY: file });
        await preflight(["--image", image, "--digest", hex, "--tag", "v1.0.0"], t);
        const md = fs.readFileSync(file, "utf8");
        assert.match(md, /\| ❌ \| Tag immutability \| Tag already exists/);
        assert.match(md, /\| ✅ \| Digest format \|/);
    });

    it("runs through the real binary as npm run release:preflight does", async () => {
        const bin = path.resolve(__dirname, "../../bin/image-lifecycle.js");
        const ok = await run("node", [bin, "preflight", "--image", image, "--digest", hex, "--tag", "v1.5.0"]);
        assert.match(ok.stdout, /All checks passed/);
        await assert.rejects(run("node", [bin, "preflight", "--image", image, "--digest", hex, "--tag", "v1.0.0"]), (e: { code: number; stdout: string }) => {
            assert.equal(e.code, 1);
            assert.match(e.stdout, /Tag already exists/);
            return true;
        });
    });
});
