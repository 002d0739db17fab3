import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cosignSignArgs, cosignVerifyArgs } from "../../../lib/release/cosign";
import { formatSize, renderReleaseNotes, shellLine } from "../../../lib/release/notes";
import { RegistryClient } from "../../../lib/registry/client";
import { MEDIA_TYPES } from "../../../lib/registry/types";
import { goTool } from "../../../estate/go-tools";
import { pushOciImage } from "../../../estate/oci";
import { sharedTestRegistry } from "../../../estate/services";

const D = (c: string) => `sha256:${c.repeat(64)}`;

describe("lib/release-notes", () => {
    const index = {
        mediaType: MEDIA_TYPES.ociIndex,
        json: { manifests: [
            { mediaType: MEDIA_TYPES.ociManifest, digest: D("1"), platform: { os: "linux", architecture: "amd64" } },
            { mediaType: MEDIA_TYPES.ociManifest, digest: D("2"), platform: { os: "linux", architecture: "arm64", variant: "v8" } },
        ] },
    };

    it("keeps hostile registry-supplied platform fields inside code: no heading, link or fence of their own", () => {
        const evil = "v8\n```\n# Owned\n[click](https://evil.example/) <img src=x>\u001b[31m";
        const md = renderReleaseNotes({
            registry: "r:1", repository: "team/web", tag: "v1.0.0", digest: D("a"),
            manifest: { mediaType: MEDIA_TYPES.ociIndex, json: { manifests: [{ mediaType: "x````y", digest: "sha256:`oops`", platform: { os: "linux", architecture: "arm64", variant: evil } }] } },
            info: { platforms: [`linux/arm64/${evil}`, "linux/amd64"], layers: [], size: 1 },
        });
        const lines = md.split("\n");
        assert.deepEqual(lines.filter((l) => /^#/.test(l)), ["## Release Information", "### Manifest Details", "### Verification", "### Deployment"], "only our own headings");
        assert.ok(!md.includes("\u001b"), "no escape sequence");
        // Outside fenced blocks, the hostile text appears only inside an inline code span.
        let fence: string | undefined;
        for (const l of lines) {
            const f = /^(`{3,})/.exec(l)?.[1];
            if (f && (fence === undefined || f === fence)) { fence = fence === undefined ? f : undefined; continue; }
            if (fence === undefined && l.includes("[click]")) {
                const span = /(`+) .*\[click\].* \1|(`+)[^`].*\[click\].*[^`]\2/.exec(l);
                assert.ok(span, `"${l}" carries the link outside a code span`);
            }
        }
        assert.equal(fence, undefined, "every fence is closed");
        // A code span fenced with more backticks than the three inside it, so the value cannot close it.
        assert.ok(md.includes("**Platforms**: ````linux/arm64/v8 ``` # Owned [click](https://evil.example/) <img src=x>````, linux/amd64\n"), md);
        // The block's own fence is longer than the four backticks of the hostile media type.
        assert.ok(lines.includes("`````"), "a five-backtick fence around a block holding four");
    });

    it("renders seed 004's sections for a multi-arch release", () => {
        const md = renderReleaseNotes({
            registry: "registry.example.com:5000", repository: "team/web", tag: "v1.0.0", digest: D("a"), manifest: index,
            info: { platforms: ["linux/amd64", "linux/arm64/v8"], layers: [D("c"), D("d")], size: 3 * 1024 * 1024 },
            run: "https://github.com/o/r/actions/runs/123", cosign: {},
        });
        assert.match(md, /^## Release Information\n\n\*\*Image\*\*: `registry\.example\.com:5000\/team\/web:v1\.0\.0`\n\*\*Digest\*\*: `sha256:a{64}`/);
        assert.match(md, /\*\*Workflow Run\*\*: \[123\]\(https:\/\/github\.com\/o\/r\/actions\/runs\/123\)/);
        assert.match(md, /\*\*Platforms\*\*: linux\/amd64, linux\/arm64\/v8/);
        assert.match(md, /\*\*Total size\*\*: 3\.0 MiB \(3145728 bytes, config \+ layers of the first platform\)/);
        assert.match(md, /<details>\n<summary>Click to view the manifest<\/summary>/);
        assert.match(md, /MediaType: application\/vnd\.oci\.image\.index\.v1\+json/);
        assert.match(md, new RegExp(`Name:      registry\\.example\\.com:5000/team/web@${D("2")}\\n  MediaType: ${MEDIA_TYPES.ociManifest.replace(/[.+]/g, "\\$&")}\\n  Platform:  linux/arm64/v8`));
        assert.match(md, /Layers:\n  sha256:c{64}\n  sha256:d{64}/);
        assert.match(md, /cosign verify '--certificate-identity-regexp=\^https:\/\/github\.com\/\.\+\/\.\+@' --certificate-oidc-issuer=https:\/\/token\.actions\.githubusercontent\.com registry\.example\.com:5000\/team\/web:v1\.0\.0/);
        assert.match(md, /docker pull registry\.example\.com:5000\/team\/web@sha256:a{64}/);
        assert.match(md, /```yaml\nservices:\n  web:\n    image: registry\.example\.com:5000\/team\/web@sha256:a{64}\n/);
    });

    it("leaves out cosign when signing is off, and manifests for a single-platform image", () => {
        const md = renderReleaseNotes({ registry: "r:1", repository: "a", tag: "stable", digest: D("b"), manifest: { mediaType: MEDIA_TYPES.dockerManifest, json: {} }, info: { platforms: ["linux/amd64"], layers: [], size: 10 } });
        assert.ok(!md.includes("cosign"));
        assert.ok(!md.includes("Manifests:"));
        assert.match(md, /\*\*Total size\*\*: 10 B \(10 bytes, config \+ layers\)/);
    });

    it("formats sizes and shell lines", () => {
        assert.equal(formatSize(1023), "1023 B");
        assert.equal(formatSize(1536), "1.5 KiB");
        assert.equal(formatSize(200 * 1024 * 1024), "200.0 MiB");
        assert.equal(shellLine(["echo", "a b", "it's"]), `echo 'a b' 'it'\\''s'`);
        assert.deepEqual(cosignSignArgs("r/x@sha256:1", { key: "cosign.key" }), ["cosign", "sign", "--yes", "--key", "cosign.key", "--tlog-upload=false", "r/x@sha256:1"]);
        assert.deepEqual(cosignSignArgs("r/x@sha256:1", { key: "cosign.key", httpRegistry: true }), ["cosign", "sign", "--yes", "--key", "cosign.key", "--tlog-upload=false", "--allow-http-registry=true", "r/x@sha256:1"]);
        assert.deepEqual(cosignVerifyArgs("r/x:v1", { key: "cosign.pub" }), ["cosign", "verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "r/x:v1"]);
    });

    it("a key-pair release prints its public key, and an HTTPS registry's verify commands carry no HTTP flag", () => {
        const pub = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";
        const base = { repository: "team/web", tag: "v1.0.0", digest: D("a"), manifest: { mediaType: MEDIA_TYPES.ociManifest, json: {} }, info: { platforms: ["linux/amd64"], layers: [], size: 1 } };
        const https = renderReleaseNotes({ ...base, registry: "registry.example.org", cosign: { publicKey: pub, httpRegistry: false } });
        assert.ok(https.includes(`cosign verify --key cosign.pub --insecure-ignore-tlog=true registry.example.org/team/web:v1.0.0\ncosign verify --key cosign.pub --insecure-ignore-tlog=true registry.example.org/team/web@${D("a")}\n`), https);
        assert.ok(!https.includes("allow-http-registry"));
        assert.ok(https.includes("```\n-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n```"), "the key, fenced, as the commands need it");
        const http = renderReleaseNotes({ ...base, registry: "127.0.0.1:5000", cosign: { publicKey: pub, httpRegistry: true } });
        assert.ok(http.includes("cosign verify --key cosign.pub --insecure-ignore-tlog=true --allow-http-registry=true 127.0.0.1:5000/team/web:v1.0.0\n"), http);
        assert.match(http, /because this registry is plain HTTP/);
    });

    describe("the verify commands of the notes, run as a reader copies them, with real cosign against the real v3 registry", () => {
        let dir: string;
        let registry: string;
        let digest: string;
        let env: NodeJS.ProcessEnv;
        const repo = "notes/app";
        const cosign = (args: string[], cwd = dir) => spawnSync(goTool("cosign"), args, { cwd, env, encoding: "utf8", timeout: 120000 });
        /** The ```bash block of "### Verification", minus the docker lines, and the public key block after it. */
        const fromNotes = (md: string) => {
            const section = md.slice(md.indexOf("### Verification"), md.indexOf("### Deployment"));
            const commands = /```bash\n([\s\S]*?)\n```/.exec(section)![1].split("\n").filter((l) => l.startsWith("cosign "));
            const key = /\n```\n(-----BEGIN PUBLIC KEY-----\n[\s\S]*?\n-----END PUBLIC KEY-----)\n```/.exec(section)?.[1];
            return { commands, key };
        };
        /** Runs a copied line in a shell, with the reader's cosign first on PATH. */
        const sh = (line: string, cwd: string) => spawnSync("/bin/sh", ["-c", line], { cwd, env: { ...env, PATH: `${path.dirname(goTool("cosign"))}:${process.env.PATH}` }, encoding: "utf8", timeout: 120000 });

        before(async () => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-notes-cosign-"));
            env = { ...process.env, HOME: dir, TUF_ROOT: path.join(dir, "tuf"), COSIGN_PASSWORD: "notes-Passw0rd" };
            registry = (await sharedTestRegistry("v3")).registry;
            ({ digest } = await pushOciImage(new RegistryClient({ registry }), repo, "v1.0.0", { config: { architecture: "amd64", os: "linux", config: {} }, layer: Buffer.from("release notes") }));
            assert.equal(cosign(["generate-key-pair"]).status, 0);
            const sign = cosign(cosignSignArgs(`${registry}/${repo}@${digest}`, { key: "cosign.key", httpRegistry: true }).slice(1));
            assert.equal(sign.status, 0, sign.stderr);
        });
        after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

        const notes = (publicKey: string) => renderReleaseNotes({
            registry, repository: repo, tag: "v1.0.0", digest,
            manifest: { mediaType: MEDIA_TYPES.ociManifest, json: {} }, info: { platforms: ["linux/amd64"], layers: [], size: 1 },
            cosign: { publicKey, httpRegistry: true },
        });

        it("verify the tag and the digest with the public key printed in the notes", () => {
            const { commands, key } = fromNotes(notes(fs.readFileSync(path.join(dir, "cosign.pub"), "utf8")));
            assert.equal(commands.length, 2);
            assert.ok(key, "the notes print the public key");
            const reader = fs.mkdtempSync(path.join(dir, "reader-"));
            fs.writeFileSync(path.join(reader, "cosign.pub"), `${key}\n`);
            for (const line of commands) {
                const r = sh(line, reader);
                assert.equal(r.status, 0, `${line}: ${r.stderr}`);
                assert.deepEqual((JSON.parse(r.stdout) as { critical: { image: { "docker-manifest-digest": string } } }[]).map((p) => p.critical.image["docker-manifest-digest"]), [digest]);
            }
        });

        it("fail when the notes print another key than the one that signed", () => {
            const other = fs.mkdtempSync(path.join(dir, "other-"));
            assert.equal(cosign(["generate-key-pair"], other).status, 0);
            const { commands, key } = fromNotes(notes(fs.readFileSync(path.join(other, "cosign.pub"), "utf8")));
            fs.writeFileSync(path.join(other, "cosign.pub"), `${key}\n`);
            for (const line of commands) {
                const r = sh(line, other);
                assert.notEqual(r.status, 0, line);
                assert.match(r.stderr, /no matching signatures/);
            }
        });
    });
});
