import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cacheDirFromEnv, RegistryCache, registryCacheFromEnv } from "../../../lib/registry/cache";
import { BODY_LIMITS } from "../../../lib/registry/types";
import { sha256Digest } from "../../../lib/rules/digest";

function tempDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-cache-"));
}

const blob = (text: string) => {
    const bytes = Buffer.from(text);
    return { bytes, digest: sha256Digest(bytes) };
};

describe("lib/registry/cache", () => {
    const dirs: string[] = [];
    const dir = () => {
        const d = tempDir();
        dirs.push(d);
        return d;
    };
    after(() => {
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    it("names its folder from IMAGE_LIFECYCLE_CACHE, else XDG_CACHE_HOME, else HOME; none without any of them", () => {
        assert.equal(cacheDirFromEnv({ IMAGE_LIFECYCLE_CACHE: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" }), path.join("/c", "registry"));
        assert.equal(cacheDirFromEnv({ XDG_CACHE_HOME: "/x", HOME: "/h" }), path.join("/x", "image-lifecycle", "registry"));
        assert.equal(cacheDirFromEnv({ HOME: "/h" }), path.join("/h", ".cache", "image-lifecycle", "registry"));
        assert.equal(cacheDirFromEnv({}), undefined);
        assert.equal(registryCacheFromEnv({}), undefined);
        for (const off of ["1", "true", "yes"]) assert.equal(registryCacheFromEnv({ HOME: "/h", IMAGE_LIFECYCLE_NO_CACHE: off }), undefined, off);
        for (const on of ["", "0"]) assert.ok(registryCacheFromEnv({ HOME: "/h", IMAGE_LIFECYCLE_NO_CACHE: on }), JSON.stringify(on));
    });

    it("stores entries at a path made from the digest and gives back exactly the bytes", async () => {
        const cache = new RegistryCache({ dir: dir() });
        const b = blob('{"config":{}}');
        cache.writeBlob(b.digest, b.bytes);
        await cache.settle();
        const file = cache.entryPath("blobs", b.digest);
        assert.equal(path.basename(file), b.digest.slice(7));
        assert.deepEqual(fs.readFileSync(file), b.bytes);
        assert.equal((fs.statSync(file).mode & 0o777).toString(8), "600");
        assert.deepEqual(await new RegistryCache({ dir: cache.dir }).readBlob(b.digest), b.bytes);
        assert.equal(await cache.readManifest(b.digest), undefined, "a blob is not a manifest");
        assert.throws(() => cache.entryPath("blobs", "sha256:../../etc/passwd"), /not a sha256 digest/);
    });

    it("never stores bytes that do not hash to the digest given", async () => {
        const cache = new RegistryCache({ dir: dir() });
        const b = blob("right");
        cache.writeBlob(b.digest, Buffer.from("wrong"));
        await cache.settle();
        assert.equal(fs.existsSync(cache.entryPath("blobs", b.digest)), false);
        assert.equal(cache.stats.writes, 0);
    });

    it("detects a corrupted entry by its digest, drops it and reports a miss", async () => {
        const cache = new RegistryCache({ dir: dir() });
        const b = blob('{"config":{"Labels":{"a":"true"}}}');
        cache.writeBlob(b.digest, b.bytes);
        await cache.settle();
        const file = cache.entryPath("blobs", b.digest);
        fs.writeFileSync(file, '{"config":{"Labels":{"a":"fake"}}}');
        const reader = new RegistryCache({ dir: cache.dir });
        assert.equal(await reader.readBlob(b.digest), undefined);
        assert.equal(reader.stats.corrupt, 1);
        assert.equal(fs.existsSync(file), false, "the corrupt entry is removed");
        fs.writeFileSync(file, "");
        assert.equal(await reader.readBlob(b.digest), undefined, "a truncated entry is corrupt too");
        assert.equal(reader.stats.corrupt, 2);
        // An entry over the client's manifest cap is dropped without being read.
        const huge = cache.entryPath("manifests", b.digest);
        fs.mkdirSync(path.dirname(huge), { recursive: true });
        fs.writeFileSync(huge, Buffer.alloc(BODY_LIMITS.manifest + 1));
        assert.equal(await reader.readManifest(b.digest), undefined);
        assert.equal(reader.stats.corrupt, 3);
        assert.equal(fs.existsSync(huge), false);
    });

    it("stays within its size bound, evicting the least recently used entries first", async () => {
        const cache = new RegistryCache({ dir: dir(), maxBytes: 4000 });
        const entries = Array.from({ length: 6 }, (_, i) => blob(`${i}`.repeat(900)));
        for (const [i, e] of entries.entries()) {
            cache.writeBlob(e.digest, e.bytes);
            await cache.settle();
            // Distinct ages without sleeping: entry 0 is the oldest, each next one three days younger.
            const t = Date.now() / 1000 - (entries.length - i) * 3600 * 24 * 3;
            fs.utimesSync(cache.entryPath("blobs", e.digest), t, t);
        }
        const left = entries.filter((e) => fs.existsSync(cache.entryPath("blobs", e.digest)));
        assert.deepEqual(left.map((e) => e.bytes[0]), entries.slice(2).map((e) => e.bytes[0]), "the two oldest went");
        const total = fs.readdirSync(path.join(cache.dir, "blobs")).reduce((sum, n) => sum + fs.statSync(path.join(cache.dir, "blobs", n)).size, 0);
        assert.ok(total <= 4000, `${total} bytes`);
        // A hit refreshes an old entry, so the next eviction takes another one.
        const reader = new RegistryCache({ dir: cache.dir, maxBytes: 4000 });
        assert.ok(await reader.readBlob(entries[2].digest));
        const extra = blob("x".repeat(900));
        reader.writeBlob(extra.digest, extra.bytes);
        await reader.settle();
        assert.ok(fs.existsSync(cache.entryPath("blobs", entries[2].digest)), "the entry just read stays");
        assert.equal(fs.existsSync(cache.entryPath("blobs", entries[3].digest)), false, "the oldest unread one goes");
    });

    it("keeps a tag index per registry and repository, and treats a damaged one as empty", async () => {
        const cache = new RegistryCache({ dir: dir() });
        const d = `sha256:${"a".repeat(64)}`;
        cache.writeTags("127.0.0.1:5000", "x/y", new Map([["v1", d], ["bad tag", d], ["v2", "sha256:short"]]));
        await cache.settle();
        assert.deepEqual([...(await cache.readTags("127.0.0.1:5000", "x/y"))], [["v1", d]]);
        assert.equal((await cache.readTags("127.0.0.1:5000", "x/z")).size, 0);
        assert.equal((await cache.readTags("127.0.0.1:5001", "x/y")).size, 0);
        const [file] = fs.readdirSync(path.join(cache.dir, "tags"));
        fs.writeFileSync(path.join(cache.dir, "tags", file), '{"registry": "127.0.0.1:5000", "repository": "x/y", "tags": {"v1": ');
        assert.equal((await cache.readTags("127.0.0.1:5000", "x/y")).size, 0);
    });

    it("two writers of one folder at once leave only whole entries and no temp files", async () => {
        const folder = dir();
        const entries = Array.from({ length: 200 }, (_, i) => blob(`entry ${i} `.repeat(50)));
        const a = new RegistryCache({ dir: folder });
        const b = new RegistryCache({ dir: folder });
        for (const e of entries) {
            a.writeBlob(e.digest, e.bytes);
            b.writeBlob(e.digest, e.bytes);
        }
        await Promise.all([a.settle(), b.settle()]);
        const names = fs.readdirSync(path.join(folder, "blobs"));
        assert.equal(names.length, entries.length);
        assert.ok(names.every((n) => !n.endsWith(".tmp")));
        const reader = new RegistryCache({ dir: folder });
        for (const e of entries) assert.deepEqual(await reader.readBlob(e.digest), e.bytes);
        assert.equal(reader.stats.corrupt, 0);
    });

    it("warns once and acts as empty when its folder cannot be created", async () => {
        const parent = dir();
        const blocker = path.join(parent, "file");
        fs.writeFileSync(blocker, "not a folder");
        const warnings: string[] = [];
        const cache = new RegistryCache({ dir: path.join(blocker, "registry"), onWarning: (m) => warnings.push(m) });
        const b = blob("x");
        cache.writeBlob(b.digest, b.bytes);
        cache.writeBlob(blob("y").digest, Buffer.from("y"));
        await cache.settle();
        assert.equal(await cache.readBlob(b.digest), undefined);
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], /cannot be used \(ENOTDIR\)/);
        assert.doesNotMatch(warnings[0], /--/, "the library names no CLI flag");
    });
});
