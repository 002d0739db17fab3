import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { cleanup } from "../../cli/cleanup";
import { CliIO, EXIT } from "../../cli/io";
import { renderDeployRecord } from "../../lib/rules/deploy-record";
import { OCI } from "../../lib/contract";
import { RegistryClient } from "../../lib/registry/client";
import { sha256Digest } from "../../lib/rules/digest";
import { MEDIA_TYPES } from "../../lib/registry/types";
import { startFaultProxy } from "../support/fault-proxy";
import { pushOciImage } from "../../estate/oci";
import { buildAndPush, freePort, RegistryService, startRegistry } from "../../estate/services";

const run = promisify(execFile);
const DAY = 86400000;

function io(): CliIO & { out: string; err: string } {
    const o = { out: "", err: "", isTTY: false, env: {}, stdout: (t: string) => { o.out += t; }, stderr: (t: string) => { o.err += t; } };
    return o;
}

describe("cli/cleanup against a real registry", function () {
    this.timeout(180000);
    let reg: RegistryService;
    let repo: string;
    let deployedFile: string;
    const digests: Record<string, string> = {};
    before(async () => {
        reg = await startRegistry();
        repo = `${reg.registry}/cleanup/app`;
        const images: [string, string[], number][] = [
            ["a", ["aaaaaaa"], 60],
            ["b", ["bbbbbbb", "v1.0.0"], 50],
            ["c", ["ccccccc"], 40],
            ["d", ["ddddddd", "main"], 30],
            ["e", ["eeeeeee"], 2],
        ];
        for (const [name, tags, days] of images) {
            digests[name] = await buildAndPush({
                repository: repo,
                tags,
                payload: `cleanup ${name}`,
                labels: { [OCI.created]: new Date(Date.now() - days * DAY).toISOString(), [OCI.description]: `build ${name}` },
            });
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cleanup-"));
        deployedFile = path.join(dir, "deploy-info.yml");
        // The record names the registry by another host name: the digest must still be protected.
        fs.writeFileSync(deployedFile, renderDeployRecord({ app: "app", image: "registry.internal:5000/cleanup/app", digest: digests.a, deployed_at: "2026-01-01T00:00:00Z", deployed_by: "ada" }));
    });

    const client = () => new RegistryClient({ registry: reg.registry });
    const present = async (tag: string) => (await client().resolve("cleanup/app", tag)) !== undefined;

    it("prints the plan (what goes, why each digest stays) and deletes nothing without --apply", async () => {
        const t = io();
        assert.equal(await cleanup([repo, "--deployed", deployedFile, "--keep-last", "1"], t), EXIT.ok, t.err);
        assert.match(t.out, /DELETE \(2\) — dry run/);
        assert.match(t.out, /KEEP \(3\)/);
        assert.match(t.out, /aaaaaaa\n\s+kept: deployed/);
        assert.match(t.out, /bbbbbbb, v1\.0\.0\n\s+kept: has a semver release tag/);
        assert.match(t.out, /eeeeeee\n\s+kept: one of the last 1 builds/);
        for (const tag of ["aaaaaaa", "bbbbbbb", "ccccccc", "ddddddd", "eeeeeee"]) assert.ok(await present(tag), tag);
    });

    it("--json gives the same partition", async () => {
        const t = io();
        assert.equal(await cleanup([repo, "--deployed", deployedFile, "--keep-last", "1", "--min-age", "35d", "--json"], t), EXIT.ok, t.err);
        const j = JSON.parse(t.out);
        assert.equal(j.applied, false);
        assert.deepEqual(j.delete.map((x: { digest: string }) => x.digest), [digests.c]);
        assert.deepEqual(new Set(j.keep.map((x: { digest: string }) => x.digest)), new Set([digests.a, digests.b, digests.d, digests.e]));
        assert.deepEqual(j.keep.find((x: { digest: string }) => x.digest === digests.d).reasons, ["younger-than-min-age"]);
    });

    it("refuses bad usage, and --apply without a deployed file", async () => {
        for (const args of [[repo, "--apply"], [], [repo, "--keep-last", "-1"], [repo, "--min-age", "soon"], [`${repo}:v1`]]) {
            const t = io();
            assert.equal(await cleanup(args, t), EXIT.usage, args.join(" "));
        }
        assert.ok(await present("ccccccc"));
    });

    it("exit 1 for an unknown repository, 3 for an unreachable registry", async () => {
        const unknown = io();
        assert.equal(await cleanup([`${reg.registry}/cleanup/nothing-here`], unknown), EXIT.failed, unknown.err);
        const port = await freePort();
        const down = io();
        assert.equal(await cleanup([`127.0.0.1:${port}/cleanup/app`], down), EXIT.unavailable, down.err);
    });

    it("--apply deletes only the planned digests; skopeo confirms", async () => {
        const t = io();
        assert.equal(await cleanup([repo, "--deployed", deployedFile, "--keep-last", "1", "--apply"], t), EXIT.ok, t.err);
        assert.match(t.out, /Deleted 2 of 2/);
        for (const tag of ["ccccccc", "ddddddd", "main"]) assert.equal(await present(tag), false, tag);
        for (const tag of ["aaaaaaa", "bbbbbbb", "v1.0.0", "eeeeeee"]) assert.ok(await present(tag), tag);
        const { stdout } = await run("skopeo", ["list-tags", "--tls-verify=false", `docker://${repo}`]);
        assert.deepEqual(JSON.parse(stdout).Tags.sort(), ["aaaaaaa", "bbbbbbb", "eeeeeee", "v1.0.0"]);
    });
});

describe("cli/cleanup: kept images' references, incomplete reads and unreadable deploy records", function () {
    this.timeout(180000);
    let reg: RegistryService;
    before(async () => {
        reg = await startRegistry();
    });

    it("shows a tagged platform manifest of a kept index as kept, with the index named", async () => {
        const client = new RegistryClient({ registry: reg.registry });
        const repository = "cleanup/multi";
        const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Labels: { [OCI.created]: new Date(Date.now() - 40 * DAY).toISOString() } }, rootfs: { type: "layers", diff_ids: [] } }));
        const { digest: child, manifest } = await pushOciImage(client, repository, "abc1234-amd64", { config: JSON.parse(config.toString()), layer: Buffer.from("child layer") });
        const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: child, size: manifest.length, platform: { os: "linux", architecture: "amd64" } }] }));
        await client.putManifest(repository, "v1.0.0", { bytes: index, mediaType: MEDIA_TYPES.ociIndex });
        const t = io();
        assert.equal(await cleanup([`${reg.registry}/${repository}`, "--keep-last", "0"], t), EXIT.ok, t.err);
        assert.match(t.out, /DELETE \(0\)/);
        assert.match(t.out, new RegExp(`abc1234-amd64\\n\\s+kept: referenced by kept ${sha256Digest(index).slice(0, 19)} \\(v1\\.0\\.0\\)`));
        const applied = io();
        assert.equal(await cleanup([`${reg.registry}/${repository}`, "--keep-last", "0", "--deployed", emptyDeployed(), "--apply"], applied), EXIT.ok, applied.err);
        assert.equal(await client.resolve(repository, "abc1234-amd64"), child);
    });

    it("exit 3 and nothing deleted when a listed tag answers 404", async () => {
        const repository = "cleanup/flaky";
        const repo = `${reg.registry}/${repository}`;
        await buildAndPush({ repository: repo, tags: ["aaaaaaa"], payload: "flaky a", labels: { [OCI.created]: new Date(Date.now() - 30 * DAY).toISOString() } });
        await buildAndPush({ repository: repo, tags: ["bbbbbbb"], payload: "flaky b", labels: { [OCI.created]: new Date(Date.now() - 20 * DAY).toISOString() } });
        const proxy = await startFaultProxy(reg.url);
        try {
            proxy.setFault((r) => (r.method !== "PUT" && r.path === `/v2/${repository}/manifests/bbbbbbb` ? { kind: "status", status: 404 } : undefined));
            const t = io();
            assert.equal(await cleanup([`${proxy.registry}/${repository}`, "--keep-last", "0", "--deployed", emptyDeployed(), "--apply"], t), EXIT.unavailable, t.err);
            assert.match(t.err, /did not serve: "bbbbbbb".*nothing was deleted/);
            assert.ok(proxy.requests.every((r) => r.method !== "DELETE"));
        } finally {
            await proxy.close();
        }
        const client = new RegistryClient({ registry: reg.registry });
        assert.ok(await client.resolve(repository, "aaaaaaa"));
        assert.ok(await client.resolve(repository, "bbbbbbb"));
    });

    it("refuses (exit 2) a --deployed entry it cannot parse instead of letting it protect nothing", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cleanup-bad-"));
        const file = path.join(dir, "deployed.json");
        fs.writeFileSync(file, JSON.stringify({ app: { class: "core", image: "Not A Reference!", digest: `sha256:${"a".repeat(64)}`, host: "h" } }));
        const t = io();
        assert.equal(await cleanup([`${reg.registry}/cleanup/flaky`, "--deployed", file, "--apply"], t), EXIT.usage, t.err);
        assert.match(t.err, /records a deployment of "Not A Reference!", which is not an image reference.*Fix the entry/);
    });
});

function emptyDeployed(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cleanup-none-"));
    const file = path.join(dir, "deployed.json");
    fs.writeFileSync(file, "{}");
    return file;
}
