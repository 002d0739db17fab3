import { strict as assert } from "node:assert";
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { RegistryClient } from "../../lib/registry/client";
import { goTool, goTools, goToolsCache } from "../../estate/go-tools";
import { pushOciImage } from "../../estate/oci";
import { sharedTestRegistry } from "../../estate/services";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");

describe("tools built from Go modules (scripts/go-tools.sh)", () => {
    it("the script and estate/go-tools.ts agree on every tool's folder, and a second run builds nothing", () => {
        const r = spawnSync("bash", [path.join(ROOT, "scripts/go-tools.sh")], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        const tools = goTools();
        assert.deepEqual(tools.map((t) => t.name), ["registry", "crane", "cosign", "actionlint", "task"]);
        assert.deepEqual(r.stdout.trim().split("\n"), tools.map((t) => path.join(goToolsCache(), `${t.name}-${t.version}`)));
        for (const t of tools) assert.match(r.stderr, new RegExp(`go-tools: ${t.name} ${t.version}: cached in `));
        assert.doesNotMatch(r.stderr, /building/);
        for (const t of tools) assert.equal(path.dirname(goTool(t.name)), path.join(goToolsCache(), `${t.name}-${t.version}`));
    });

    it("refuses an unknown tool, naming the ones it has", () => {
        const r = spawnSync("bash", [path.join(ROOT, "scripts/go-tools.sh"), "no-such-tool"], { encoding: "utf8" });
        assert.equal(r.status, 2);
        assert.match(r.stderr, /unknown tool in 'no-such-tool'.*lists: registry crane cosign actionlint task/);
        assert.throws(() => goTool("no-such-tool"), /not a tool of .*tools\.tsv/);
    });

    it("each binary reports the version the table names", async () => {
        for (const t of goTools()) {
            // `go version -m` reads the module version the go command stamped into the binary.
            const { stdout } = await run("go", ["version", "-m", goTool(t.name)]);
            assert.match(stdout, new RegExp(`\\n\\s+mod\\s+\\S+\\s+${t.version.replace(/\./g, "\\.")}\\s`), `${t.name}: ${stdout.split("\n").slice(0, 3).join(" | ")}`);
        }
    });

    describe("cosign key-pair signing against the real v3 registry (no transparency log, no keyless)", () => {
        let dir: string;
        let registry: string;
        const repo = "cosign/app";
        let digest: string;
        let env: NodeJS.ProcessEnv;
        const cosign = (args: string[], cwd = dir) => spawnSync(goTool("cosign"), args, { cwd, env, encoding: "utf8", timeout: 60000 });
        const verify = (ref: string, pub: string) =>
            cosign(["verify", "--key", pub, "--insecure-ignore-tlog=true", "--allow-http-registry=true", ref]);

        before(async () => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-cosign-"));
            // cosign keeps a TUF root and its settings under HOME; a temp HOME keeps the run self-contained.
            env = { ...process.env, HOME: dir, TUF_ROOT: path.join(dir, "tuf"), COSIGN_PASSWORD: "cosign-test-Passw0rd" };
            registry = (await sharedTestRegistry("v3")).registry;
            const client = new RegistryClient({ registry });
            ({ digest } = await pushOciImage(client, repo, "v1.0.0", { config: { architecture: "amd64", os: "linux", config: {} }, layer: Buffer.from("signed by cosign") }));
            await pushOciImage(client, repo, "unsigned", { config: { architecture: "amd64", os: "linux", config: { Labels: { unsigned: "yes" } } }, layer: Buffer.from("never signed") });
            const gen = cosign(["generate-key-pair"]);
            assert.equal(gen.status, 0, gen.stderr);
        });
        after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

        it("a password-protected key pair signs the digest and verifies both the tag and the digest", async () => {
            assert.match(fs.readFileSync(path.join(dir, "cosign.key"), "utf8"), /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----/);
            assert.match(fs.readFileSync(path.join(dir, "cosign.pub"), "utf8"), /^-----BEGIN PUBLIC KEY-----/);

            const sign = cosign(["sign", "--yes", "--key", "cosign.key", "--tlog-upload=false", "--allow-http-registry=true", `${registry}/${repo}@${digest}`]);
            assert.equal(sign.status, 0, sign.stderr);
            const tags = await new RegistryClient({ registry }).listTags(repo);
            assert.ok(tags.includes(`${digest.replace(":", "-")}.sig`), `the signature is stored beside the image: ${tags.join(",")}`);

            for (const ref of [`${registry}/${repo}:v1.0.0`, `${registry}/${repo}@${digest}`]) {
                const v = verify(ref, "cosign.pub");
                assert.equal(v.status, 0, `${ref}: ${v.stderr}`);
                const payloads = JSON.parse(v.stdout) as { critical: { image: { "docker-manifest-digest": string }; identity: { "docker-reference": string } } }[];
                assert.deepEqual(payloads.map((p) => p.critical.image["docker-manifest-digest"]), [digest]);
                assert.equal(payloads[0].critical.identity["docker-reference"], `${registry}/${repo}`);
            }
        });

        it("refuses another key's public key and an image nobody signed", () => {
            const other = fs.mkdtempSync(path.join(dir, "other-"));
            assert.equal(cosign(["generate-key-pair"], other).status, 0);
            const wrongKey = verify(`${registry}/${repo}:v1.0.0`, path.join(other, "cosign.pub"));
            assert.notEqual(wrongKey.status, 0);
            assert.match(wrongKey.stderr, /no matching signatures/);
            const unsigned = verify(`${registry}/${repo}:unsigned`, path.join(dir, "cosign.pub"));
            assert.notEqual(unsigned.status, 0);
            assert.match(unsigned.stderr, /no signatures found/);
        });

        it("refuses to sign with a wrong key password", () => {
            const r = spawnSync(goTool("cosign"), ["sign", "--yes", "--key", "cosign.key", "--tlog-upload=false", "--allow-http-registry=true", `${registry}/${repo}:unsigned`], {
                cwd: dir, env: { ...env, COSIGN_PASSWORD: "not-the-password" }, encoding: "utf8", timeout: 60000,
            });
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /reading key: decrypt: encrypted: decryption failed/);
        });
    });
});
