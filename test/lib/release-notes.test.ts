import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cosignScript, cosignSignArgs, cosignVerifyArgs, formatSize, renderReleaseNotes, shellLine } from "../../lib/release-notes";
import { MEDIA_TYPES } from "../../lib/registry/types";

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
        assert.deepEqual(cosignSignArgs("r/x@sha256:1", { key: "cosign.key" }), ["cosign", "sign", "--yes", "--key", "cosign.key", "r/x@sha256:1"]);
        assert.deepEqual(cosignVerifyArgs("r/x:v1", { key: "cosign.pub" }), ["cosign", "verify", "--key", "cosign.pub", "r/x:v1"]);
    });

    describe("cosign script", () => {
        const sh = (script: string, PATH: string) => spawnSync("/bin/sh", ["-c", script], { encoding: "utf8", env: { PATH } });

        it("skips visibly when cosign is not on PATH", () => {
            const empty = fs.mkdtempSync(path.join(os.tmpdir(), "nocosign-"));
            const r = sh(cosignScript("r/x@sha256:1", "r/x:v1"), empty);
            assert.equal(r.status, 0);
            assert.equal(r.stdout.trim(), "skipped: cosign not installed");
            assert.match(r.stderr, /cosign skipped: cosign is not on PATH, so r\/x@sha256:1 was not signed\. Install cosign/);
        });

        it("signs the digest, then verifies the tag and the digest, and fails when a step fails", () => {
            const bin = fs.mkdtempSync(path.join(os.tmpdir(), "cosign-"));
            const log = path.join(bin, "calls");
            // A recording stand-in for the cosign binary: it checks what the script runs, not what cosign does.
            fs.writeFileSync(path.join(bin, "cosign"), `#!/bin/sh\necho "$*" >> ${log}\n[ "$1" != "$COSIGN_FAIL" ]\n`, { mode: 0o755 });
            const PATH = `${bin}:/usr/bin:/bin`;
            const r = sh(cosignScript("r/x@sha256:1", "r/x:v1", { key: "k.pub" }), PATH);
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout.trim(), "signed and verified: r/x@sha256:1");
            assert.deepEqual(fs.readFileSync(log, "utf8").trim().split("\n"), ["sign --yes --key k.pub r/x@sha256:1", "verify --key k.pub r/x:v1", "verify --key k.pub r/x@sha256:1"]);
            const failing = spawnSync("sh", ["-c", cosignScript("r/x@sha256:1", "r/x:v1")], { encoding: "utf8", env: { PATH, COSIGN_FAIL: "verify" } });
            assert.notEqual(failing.status, 0, "a failed verification fails the command");
        });

        it("real cosign, when installed", function () {
            const found = spawnSync("sh", ["-c", "command -v cosign"], { encoding: "utf8" });
            if (found.status !== 0) {
                console.log("      (skipped: cosign is not on PATH here; signing needs a registry reachable by Sigstore or a key — see docs/promotion.md)");
                this.skip();
            }
            const r = spawnSync("cosign", ["version"], { encoding: "utf8" });
            assert.equal(r.status, 0);
        });
    });
});
