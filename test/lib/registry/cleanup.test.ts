import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { applyCleanup, planCleanup } from "../../../lib/registry/cleanup";
import { RegistryError } from "../../../lib/errors";
import { OCI } from "../../../lib/contract";
import { promote } from "../../../lib/release/promotion";
import { RegistryClient } from "../../../lib/registry/client";
import { sha256Digest } from "../../../lib/rules/digest";
import { MEDIA_TYPES } from "../../../lib/registry/types";
import { startFaultProxy } from "../../support/fault-proxy";
import { pushOciImage } from "../../../estate/oci";
import { RegistryService, requireBinary, startRegistry } from "../../../estate/services";

const run = promisify(execFile);
const DAY = 86400000;

/** Pushes one synthetic single-platform image under `tag`; `daysAgo` sets its created label. */
async function pushImage(client: RegistryClient, repository: string, tag: string, daysAgo: number, arch = "amd64"): Promise<{ digest: string; size: number }> {
    const { digest, manifest } = await pushOciImage(client, repository, tag, {
        layer: Buffer.from(`layer ${repository} ${tag} ${arch}`),
        config: {
            architecture: arch,
            os: "linux",
            config: { Labels: { [OCI.created]: new Date(Date.now() - daysAgo * DAY).toISOString(), [OCI.description]: `build ${tag}` } },
            rootfs: { type: "layers", diff_ids: [] },
        },
    });
    return { digest, size: manifest.length };
}

/** The `docker manifest create` flow: platform manifests tagged on their own, then an index over them under `tag`. */
async function pushTaggedIndex(client: RegistryClient, repository: string, tag: string, childTags: string[], daysAgo: number): Promise<{ index: string; children: string[] }> {
    const entries: object[] = [];
    const children: string[] = [];
    for (const [i, childTag] of childTags.entries()) {
        const arch = i === 0 ? "amd64" : "arm64";
        const { digest, size } = await pushImage(client, repository, childTag, daysAgo, arch);
        children.push(digest);
        entries.push({ mediaType: MEDIA_TYPES.ociManifest, digest, size, platform: { os: "linux", architecture: arch } });
    }
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: entries }));
    const index = await client.putManifest(repository, tag, { bytes, mediaType: MEDIA_TYPES.ociIndex });
    assert.equal(index, sha256Digest(bytes));
    return { index, children };
}

describe("lib/cleanup against a real registry", function () {
    this.timeout(180000);
    let reg: RegistryService;
    let client: RegistryClient;
    before(async () => {
        reg = await startRegistry();
        client = new RegistryClient({ registry: reg.registry });
    });

    it("keeps the tagged platform manifests of a kept index, says why, and v1.0.0 stays pullable after --apply", async () => {
        const repo = "cleanup/multi";
        const { index, children } = await pushTaggedIndex(client, repo, "v1.0.0", ["abc1234-amd64", "abc1234-arm64"], 40);
        const old = await pushImage(client, repo, "0000000", 50);
        const recent = await pushImage(client, repo, "fffffff", 1);
        const { plan, reader } = await planCleanup(client, repo, new Set(), { keepLast: 1 });
        assert.deepEqual(plan.delete.map((p) => p.digest), [old.digest]);
        for (const child of children) {
            const kept = plan.keep.find((p) => p.digest === child)!;
            assert.deepEqual(kept.reasons, ["referenced"]);
            assert.deepEqual(kept.referencedBy, [index]);
        }
        assert.deepEqual(plan.keep.find((p) => p.digest === recent.digest)!.reasons, ["last-n"]);
        const result = await applyCleanup(client, reader, repo, plan, { rules: { keepLast: 1 }, readDeployed: () => new Set() });
        assert.deepEqual(result.deleted.map((p) => p.digest), [old.digest]);
        requireBinary("skopeo", "skopeo");
        // What a pull through the index on each platform reads: the index, then each child manifest and its config.
        const raw = await run("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${reg.registry}/${repo}:v1.0.0`]);
        assert.equal(sha256Digest(Buffer.from(raw.stdout)), index);
        for (const child of children) {
            const { stdout } = await run("skopeo", ["inspect", "--tls-verify=false", `docker://${reg.registry}/${repo}@${child}`]);
            assert.equal(JSON.parse(stdout).Digest, child);
        }
    });

    it("protects the tagged children of a deployed index that no tag points at", async () => {
        const repo = "cleanup/deployed-index";
        const child = await pushImage(client, repo, "def5678-amd64", 60);
        const bytes = Buffer.from(JSON.stringify({
            schemaVersion: 2,
            mediaType: MEDIA_TYPES.ociIndex,
            manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: child.digest, size: child.size, platform: { os: "linux", architecture: "amd64" } }],
        }));
        // PUT by digest: the index exists but no tag lists it, as after its tag was moved away.
        const index = await client.putManifest(repo, sha256Digest(bytes), { bytes, mediaType: MEDIA_TYPES.ociIndex });
        const { plan } = await planCleanup(client, repo, new Set([index]), { keepLast: 0 });
        assert.deepEqual(plan.delete, []);
        assert.deepEqual(plan.keep.find((p) => p.digest === index)!.reasons, ["deployed"]);
        assert.deepEqual(plan.keep.find((p) => p.digest === child.digest)!.reasons, ["referenced"]);
        // Without the deployment the child is fair game: the reference is what kept it.
        assert.deepEqual((await planCleanup(client, repo, new Set(), { keepLast: 0 })).plan.delete.map((p) => p.digest), [child.digest]);
    });

    it("refuses to plan when a listed tag answers 404 (a flaky cache), and deletes nothing", async () => {
        const repo = "cleanup/flaky";
        const kept = await pushImage(client, repo, "protector", 90);
        // v2.0.0 is what keeps this old build: were its 404 taken as "gone", the digest would be planned for deletion.
        await client.putManifest(repo, "v2.0.0", await client.getManifest(repo, kept.digest));
        await pushImage(client, repo, "newest", 1);
        const proxy = await startFaultProxy(reg.url);
        try {
            // A stale cache: 404 for the tag's manifest on GET and HEAD alike, however often it is asked.
            proxy.setFault((r) => (r.method !== "PUT" && r.path === `/v2/${repo}/manifests/v2.0.0`
                ? { kind: "status", status: 404, headers: { "content-type": "application/json" }, body: JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }) }
                : undefined));
            const viaProxy = new RegistryClient({ registry: proxy.registry });
            await assert.rejects(planCleanup(viaProxy, repo, new Set(), { keepLast: 0 }), (e: unknown) => {
                assert.ok(e instanceof RegistryError && e.code === "BAD_RESPONSE", String(e));
                assert.match(e.message, /listed 1 tag\(s\) it then did not serve: "v2\.0\.0"/);
                assert.match(e.message, /nothing was deleted/);
                return true;
            });
            assert.ok(proxy.requests.every((r) => r.method !== "DELETE"));
        } finally {
            await proxy.close();
        }
        assert.equal(await client.resolve(repo, "protector"), kept.digest);
    });

    it("asks again when a listed tag answers 404 once (a half-written push), and plans with it", async () => {
        const repo = "cleanup/blip";
        const old = await pushImage(client, repo, "protector", 90);
        await client.putManifest(repo, "v2.0.0", await client.getManifest(repo, old.digest));
        const proxy = await startFaultProxy(reg.url);
        try {
            let blips = 0;
            proxy.setFault((r) => (r.path === `/v2/${repo}/manifests/v2.0.0` && blips++ === 0 ? { kind: "status", status: 404 } : undefined));
            const { plan } = await planCleanup(new RegistryClient({ registry: proxy.registry }), repo, new Set(), { keepLast: 0 });
            assert.deepEqual(plan.delete, [], "v2.0.0 was read on the second ask and protects its digest");
            assert.deepEqual(plan.keep.map((p) => [p.digest, p.tags, p.reasons]), [[old.digest, ["protector", "v2.0.0"], ["semver-tag"]]]);
        } finally {
            await proxy.close();
        }
    });

    it("stops the apply when a fresh read before a DELETE meets a 404 for a listed tag", async () => {
        const repo = "cleanup/flaky-apply";
        const a = await pushImage(client, repo, "aaaaaaa", 30);
        const b = await pushImage(client, repo, "bbbbbbb", 20);
        await pushImage(client, repo, "ccccccc", 1);
        const proxy = await startFaultProxy(reg.url);
        try {
            const viaProxy = new RegistryClient({ registry: proxy.registry });
            const { plan, reader } = await planCleanup(viaProxy, repo, new Set(), { keepLast: 1 });
            assert.deepEqual(plan.delete.map((p) => p.digest), [b.digest, a.digest]);
            proxy.setFault((r) => (r.method === "HEAD" && r.path === `/v2/${repo}/manifests/bbbbbbb` ? { kind: "status", status: 404 } : undefined));
            await assert.rejects(applyCleanup(viaProxy, reader, repo, plan, { rules: { keepLast: 1 }, readDeployed: () => new Set() }), /did not serve: "bbbbbbb"/);
            assert.ok(proxy.requests.every((r) => r.method !== "DELETE"));
        } finally {
            await proxy.close();
        }
        assert.equal(await client.resolve(repo, "aaaaaaa"), a.digest);
        assert.equal(await client.resolve(repo, "bbbbbbb"), b.digest);
    });

    it("keeps a planned digest that gained a release tag or became deployed between plan and apply", async () => {
        const repo = "cleanup/gained";
        const a = await pushImage(client, repo, "aaaaaaa", 30);
        const b = await pushImage(client, repo, "bbbbbbb", 20);
        const c = await pushImage(client, repo, "ccccccc", 10);
        await pushImage(client, repo, "ddddddd", 1);
        const { plan, reader } = await planCleanup(client, repo, new Set(), { keepLast: 1 });
        assert.deepEqual(plan.delete.map((p) => p.digest), [c.digest, b.digest, a.digest]);
        await promote(client, { registry: reg.registry, repository: repo, digest: b.digest.slice(7), tag: "v3.0.0" }, { settleMs: 0 });
        const deployed = new Set([c.digest]);
        const kept: string[] = [];
        const result = await applyCleanup(client, reader, repo, plan, { rules: { keepLast: 1 }, readDeployed: () => deployed, onKept: (k) => kept.push(k.digest) });
        assert.deepEqual(result.deleted.map((p) => p.digest), [a.digest]);
        assert.deepEqual(kept.sort(), [b.digest, c.digest].sort());
        const byDigest = Object.fromEntries(result.kept.map((k) => [k.digest, k]));
        assert.deepEqual(byDigest[b.digest].newTags, ["v3.0.0"]);
        assert.deepEqual(byDigest[b.digest].reasons, ["semver-tag"]);
        assert.deepEqual(byDigest[c.digest].reasons, ["deployed"]);
        assert.equal(await client.resolve(repo, "v3.0.0"), b.digest);
        assert.equal(await client.resolve(repo, "aaaaaaa"), undefined);
    });

    it("a tag that lands after the fresh read but before the DELETE still keeps the digest", async () => {
        const repo = "cleanup/last-moment";
        const a = await pushImage(client, repo, "aaaaaaa", 30);
        await pushImage(client, repo, "bbbbbbb", 1);
        const proxy = await startFaultProxy(reg.url);
        try {
            const viaProxy = new RegistryClient({ registry: proxy.registry });
            const { plan, reader } = await planCleanup(viaProxy, repo, new Set(), { keepLast: 1 });
            assert.deepEqual(plan.delete.map((p) => p.digest), [a.digest]);
            let lists = 0;
            proxy.setFault((r) => {
                if (r.method !== "GET" || !r.path.startsWith(`/v2/${repo}/tags/list`)) return undefined;
                // List 1 is the fresh read; list 2 is the last request before the DELETE: promote just before it is answered.
                if (++lists !== 2) return undefined;
                return { kind: "pass-after", before: async () => { await promote(client, { registry: reg.registry, repository: repo, digest: a.digest.slice(7), tag: "v4.0.0" }, { settleMs: 0 }); } };
            });
            const result = await applyCleanup(viaProxy, reader, repo, plan, { rules: { keepLast: 1 }, readDeployed: () => new Set() });
            assert.deepEqual(result.deleted, []);
            assert.deepEqual(result.kept.map((k) => [k.digest, k.newTags]), [[a.digest, ["v4.0.0"]]]);
            assert.ok(proxy.requests.every((r) => r.method !== "DELETE"));
        } finally {
            await proxy.close();
        }
        assert.equal(await client.resolve(repo, "v4.0.0"), a.digest);
    });

    it("racing cleanup and promotion: a promotion that reports success always keeps its tag", async () => {
        for (let round = 0; round < 4; round++) {
            const repo = `cleanup/race-${round}`;
            const doomed = await pushImage(client, repo, "aaaaaaa", 30);
            await pushImage(client, repo, "bbbbbbb", 1);
            const { plan, reader } = await planCleanup(client, repo, new Set(), { keepLast: 1 });
            assert.deepEqual(plan.delete.map((p) => p.digest), [doomed.digest]);
            // Start the promotion a little before, at, or after the apply; the settle read-back is the real one.
            const spec = { registry: reg.registry, repository: repo, digest: doomed.digest.slice(7), tag: "v1.0.0" };
            const delay = [0, 5, 20, 60][round];
            const [promotion, applied] = await Promise.allSettled([
                new Promise((r) => setTimeout(r, delay)).then(() => promote(new RegistryClient({ registry: reg.registry }), spec)),
                applyCleanup(client, reader, repo, plan, { rules: { keepLast: 1 }, readDeployed: () => new Set() }),
            ]);
            assert.equal(applied.status, "fulfilled", String((applied as PromiseRejectedResult).reason));
            const tagNow = await client.resolve(repo, "v1.0.0");
            if (promotion.status === "fulfilled") {
                assert.equal(tagNow, doomed.digest, `round ${round}: the promotion reported success, so its tag must still be there`);
                // ...and pullable: manifest and config still served (a DELETE before the PUT is undone by the PUT itself).
                assert.equal((await client.getImageInfo(repo, "v1.0.0")).digest, doomed.digest);
            } else {
                assert.match(String(promotion.reason), /Lost a race|not in the registry|Source digest not found/, `round ${round}`);
            }
        }
    });
});
