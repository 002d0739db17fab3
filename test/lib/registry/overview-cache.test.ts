/**
 * The warm overview against the real registry: what the cache saves, and that it never shows what a
 * tag pointed at before or what a corrupted entry says.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { overview } from "../../../cli/overview";
import { CliIO } from "../../../cli/io";
import { OCI } from "../../../lib/contract";
import { buildOverview } from "../../../lib/format/overview";
import { gatherOverview } from "../../../lib/registry/overview";
import { RegistryCache } from "../../../lib/registry/cache";
import { RegistryClient } from "../../../lib/registry/client";
import { RequestEvent } from "../../../lib/registry/types";
import { pushOciImage } from "../../../estate/oci";
import { DISTRIBUTIONS, RegistryService, sharedTestRegistry } from "../../../estate/services";

/** Pushes one small image under `tag` whose description label is `description`; returns its digest. */
async function push(reg: RegistryService, repo: string, tag: string, description: string, created: string): Promise<string> {
    const client = new RegistryClient({ registry: reg.registry });
    const config = {
        architecture: "amd64",
        os: "linux",
        created,
        config: { Labels: { [OCI.created]: created, [OCI.description]: description } },
        rootfs: { type: "layers", diff_ids: [`sha256:${"0".repeat(64)}`] },
    };
    return (await pushOciImage(client, repo, tag, { config, layer: Buffer.from(`layer of ${repo}`) })).digest;
}

async function seed(reg: RegistryService, repo: string, count: number): Promise<string[]> {
    const tags: string[] = [];
    for (let i = 0; i < count; i++) {
        const tag = `t${i}`;
        await push(reg, repo, tag, `commit ${i}`, new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString());
        tags.push(tag);
    }
    return tags;
}

interface Run {
    rows: { tag: string; digest: string; description?: string }[];
    events: RequestEvent[];
    cache: RegistryCache;
}

async function overviewOnce(reg: RegistryService, repo: string, dir: string): Promise<Run> {
    const events: RequestEvent[] = [];
    const cache = new RegistryCache({ dir });
    const client = new RegistryClient({ registry: reg.registry, cache, onRequest: (e) => events.push(e) });
    const found = await gatherOverview(client, repo);
    const rows = buildOverview(reg.registry, repo, found, new Set()).rows.map((r) => ({ tag: r.tag, digest: r.digest, ...(r.description !== undefined ? { description: r.description } : {}) }));
    return { rows, events, cache };
}

const kinds = (events: RequestEvent[]) => events.map((e) => `${e.method} ${new URL(e.url).pathname.split("/").slice(-2, -1)[0]}`);
const count = (events: RequestEvent[], kind: string) => kinds(events).filter((k) => k === kind).length;

describe("the warm overview (on-disk cache, real registry)", () => {
    const dirs: string[] = [];
    const tempDir = () => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-overview-cache-"));
        dirs.push(d);
        return d;
    };
    after(() => {
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    for (const distribution of DISTRIBUTIONS) describe(`Distribution ${distribution}`, () => {
        it("costs the same requests cold as without a cache, then one list and one HEAD per tag warm, with the same rows", async () => {
            const reg = await sharedTestRegistry(distribution);
            const repo = "cache/warm";
            const tags = await seed(reg, repo, 5);
            const dir = tempDir();
            const plain: RequestEvent[] = [];
            const uncached = await gatherOverview(new RegistryClient({ registry: reg.registry, onRequest: (e) => plain.push(e) }), repo);
            const cold = await overviewOnce(reg, repo, dir);
            assert.deepEqual(kinds(cold.events).sort(), kinds(plain).sort(), "a cold run asks exactly what a run without cache asks");
            assert.equal(cold.events.length, 1 + tags.length + tags.length);
            assert.equal(cold.cache.stats.hits, 0);
            const warm = await overviewOnce(reg, repo, dir);
            assert.deepEqual(warm.rows, cold.rows);
            assert.deepEqual(cold.rows.map((r) => r.description), buildOverview(reg.registry, repo, uncached, new Set()).rows.map((r) => r.description));
            assert.equal(warm.events.length, 1 + tags.length, kinds(warm.events).join(", "));
            assert.equal(count(warm.events, "GET tags"), 1);
            assert.equal(count(warm.events, "HEAD manifests"), tags.length);
            assert.equal(warm.cache.stats.corrupt, 0);
            assert.equal(warm.cache.stats.writes, 0, "a warm run with nothing new writes nothing, not even the tag index");
        });

        it("shows a tag moved between two runs at its new digest and labels", async () => {
            const reg = await sharedTestRegistry(distribution);
            const repo = "cache/moved";
            await seed(reg, repo, 3);
            const dir = tempDir();
            const first = await overviewOnce(reg, repo, dir);
            const before = first.rows.find((r) => r.tag === "t1")!;
            assert.equal(before.description, "commit 1");
            const moved = await push(reg, repo, "t1", "re-pushed with a fix", "2026-02-01T00:00:00Z");
            assert.notEqual(moved, before.digest);
            const second = await overviewOnce(reg, repo, dir);
            const after = second.rows.find((r) => r.tag === "t1")!;
            assert.deepEqual(after, { tag: "t1", digest: moved, description: "re-pushed with a fix" });
            assert.equal(second.rows[0].tag, "t1", "its new created date orders it first");
            // One HEAD per tag, plus the moved tag's new manifest and config.
            assert.equal(second.events.length, 1 + 3 + 2, kinds(second.events).join(", "));
            assert.equal(count(second.events, "GET manifests"), 1);
            assert.equal(count(second.events, "GET blobs"), 1);
            const third = await overviewOnce(reg, repo, dir);
            assert.deepEqual(third.rows, second.rows);
            assert.equal(third.events.length, 1 + 3);
        });

        it("never shows a corrupted entry: it is detected by its digest, dropped and fetched again", async () => {
            const reg = await sharedTestRegistry(distribution);
            const repo = "cache/corrupt";
            await seed(reg, repo, 3);
            const dir = tempDir();
            const cold = await overviewOnce(reg, repo, dir);
            const client = new RegistryClient({ registry: reg.registry });
            const target = cold.rows.find((r) => r.tag === "t2")!;
            const info = await client.getImageInfo(repo, target.digest);
            const cache = new RegistryCache({ dir });
            const configFile = cache.entryPath("blobs", info.configDigest!);
            const original = fs.readFileSync(configFile, "utf8");
            assert.match(original, /commit 2/);
            fs.writeFileSync(configFile, original.replace("commit 2", "forged text"));
            const otherManifest = cache.entryPath("manifests", cold.rows.find((r) => r.tag === "t0")!.digest);
            fs.writeFileSync(otherManifest, fs.readFileSync(otherManifest).subarray(0, 40));

            const warm = await overviewOnce(reg, repo, dir);
            assert.deepEqual(warm.rows, cold.rows);
            assert.ok(!JSON.stringify(warm.rows).includes("forged"));
            assert.equal(warm.cache.stats.corrupt, 2);
            assert.equal(count(warm.events, "GET blobs"), 1, "the corrupted config is fetched again");
            assert.equal(count(warm.events, "GET manifests"), 1, "the corrupted manifest is fetched again");
            assert.equal(fs.readFileSync(configFile, "utf8"), original, "and stored again whole");
            const again = await overviewOnce(reg, repo, dir);
            assert.equal(again.events.length, 1 + 3);
            assert.equal(again.cache.stats.corrupt, 0);
        });
    });

    describe("the CLI", () => {
        let reg: RegistryService;
        const repo = "cache/cli";
        before(async () => {
            reg = await sharedTestRegistry();
            await seed(reg, repo, 12);
        });

        function capture(env: NodeJS.ProcessEnv): { io: CliIO; out: () => string; err: () => string } {
            let out = "";
            let err = "";
            return { io: { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, isTTY: false, env }, out: () => out, err: () => err };
        }
        const files = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).length : 0);

        it("caches under IMAGE_LIFECYCLE_CACHE/registry by default; --no-cache and IMAGE_LIFECYCLE_NO_CACHE=1 leave it alone", async () => {
            for (const [how, argv, env] of [
                ["--no-cache", ["--no-cache"], {}],
                ["IMAGE_LIFECYCLE_NO_CACHE=1", [], { IMAGE_LIFECYCLE_NO_CACHE: "1" }],
            ] as const) {
                const root = tempDir();
                const c = capture({ IMAGE_LIFECYCLE_CACHE: root, ...env });
                assert.equal(await overview([repo, "--registry", reg.registry, "--json", ...argv], c.io), 0, c.err());
                assert.equal(files(path.join(root, "registry")), 0, how);
            }
            const root = tempDir();
            const c = capture({ IMAGE_LIFECYCLE_CACHE: root });
            assert.equal(await overview([repo, "--registry", reg.registry, "--json"], c.io), 0, c.err());
            // 12 manifests + 12 configs + one tag index, in three folders.
            assert.equal(fs.readdirSync(path.join(root, "registry", "manifests")).length, 12);
            assert.equal(fs.readdirSync(path.join(root, "registry", "blobs")).length, 12);
            assert.equal(fs.readdirSync(path.join(root, "registry", "tags")).length, 1);
        });

        it("two overviews run at once in two processes on one cold cache agree, and leave a cache a third run reads whole", async () => {
            const root = tempDir();
            const bin = path.join(__dirname, "..", "..", "..", "bin", "image-lifecycle.js");
            const runCli = () => new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
                const child = spawn(process.execPath, [bin, "overview", repo, "--registry", reg.registry, "--json"], { env: { ...process.env, IMAGE_LIFECYCLE_CACHE: root, IMAGE_LIFECYCLE_NO_CACHE: "" } });
                let out = "";
                let err = "";
                child.stdout.on("data", (d) => { out += d; });
                child.stderr.on("data", (d) => { err += d; });
                child.on("error", reject);
                child.on("close", (code) => resolve({ code, out, err }));
            });
            const [a, b] = await Promise.all([runCli(), runCli()]);
            assert.equal(a.code, 0, a.err);
            assert.equal(b.code, 0, b.err);
            assert.equal(a.err + b.err, "", "no cache warnings");
            assert.equal(a.out, b.out);
            const dir = path.join(root, "registry");
            assert.ok(fs.readdirSync(dir, { recursive: true }).every((n) => !String(n).endsWith(".tmp")), "no temp file left");
            const third = await overviewOnce(reg, repo, dir);
            assert.equal(third.cache.stats.corrupt, 0);
            assert.equal(third.events.length, 1 + 12, kinds(third.events).join(", "));
            const rows = (JSON.parse(a.out) as { tags: { tag: string; digest: string; description: string }[] }).tags;
            assert.deepEqual(third.rows, rows.map((r) => ({ tag: r.tag, digest: r.digest, description: r.description })));
        });
    });
});
