/**
 * An on-disk cache of what a digest names: manifests fetched from the registry and image config blobs
 * (docs/adr/0015-registry-cache-immutable-content-on-disk.md). Content-addressed, so an entry can never
 * be stale, only corrupt: every read is hashed against its digest and a mismatch is dropped and reads
 * as a miss. Writes go to a temp file renamed into place, so two processes sharing the folder only ever
 * see whole entries. The tag index (tag → digest last seen) is a hint that saves a GET per tag on the
 * next run; the overview re-asks the registry for every tag's digest whatever it says.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { sha256Digest } from "../rules/digest";
import { isFullDigest, isValidTag } from "../rules/reference";
import { BODY_LIMITS, ContentCache } from "./types";

/** Default bound of the whole cache folder; a config is kilobytes, so this holds tens of thousands of images. */
export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/** An entry is refreshed (its mtime set to now) on a hit when it is older than this, so eviction is least recently used to the day. */
const TOUCH_AFTER_MS = 24 * 60 * 60 * 1000;

/** Temp files older than this are left over from a killed run and are removed by the sweep. */
const STALE_TEMP_MS = 10 * 60 * 1000;

type Kind = "manifests" | "blobs" | "tags";
const KINDS: readonly Kind[] = ["manifests", "blobs", "tags"];

export interface RegistryCacheOptions {
    /** The cache folder (created with mode 0700 when missing). */
    dir: string;
    /** Bound of the folder's total size in bytes; least recently used entries go beyond it. Default {@link DEFAULT_CACHE_BYTES}. */
    maxBytes?: number;
    /** Told once when the folder cannot be read or written; the cache then acts as empty. */
    onWarning?: (message: string) => void;
}

/** What this cache instance did, for tests and benchmarks. */
export interface CacheStats {
    hits: number;
    misses: number;
    /** Entries whose bytes did not hash to their digest: dropped, then fetched again. */
    corrupt: number;
    writes: number;
    evicted: number;
}

/** The cache folder for an environment: `IMAGE_LIFECYCLE_CACHE`, else `XDG_CACHE_HOME/image-lifecycle`, else `HOME/.cache/image-lifecycle`; then `registry`. */
export function cacheDirFromEnv(env: NodeJS.ProcessEnv): string | undefined {
    const root = env.IMAGE_LIFECYCLE_CACHE || (env.XDG_CACHE_HOME ? path.join(env.XDG_CACHE_HOME, "image-lifecycle") : env.HOME ? path.join(env.HOME, ".cache", "image-lifecycle") : undefined);
    return root ? path.join(root, "registry") : undefined;
}

/** True when `IMAGE_LIFECYCLE_NO_CACHE` asks for no cache (any value but empty or `0`). */
export function cacheDisabledByEnv(env: NodeJS.ProcessEnv): boolean {
    const v = env.IMAGE_LIFECYCLE_NO_CACHE;
    return v !== undefined && v !== "" && v !== "0";
}

/**
 * The cache an environment asks for, or undefined when `IMAGE_LIFECYCLE_NO_CACHE` is set or no
 * folder can be named (none of `IMAGE_LIFECYCLE_CACHE`, `XDG_CACHE_HOME`, `HOME` is set).
 */
export function registryCacheFromEnv(env: NodeJS.ProcessEnv, opts: Omit<RegistryCacheOptions, "dir"> = {}): RegistryCache | undefined {
    if (cacheDisabledByEnv(env)) return undefined;
    const dir = cacheDirFromEnv(env);
    return dir ? new RegistryCache({ ...opts, dir }) : undefined;
}

/**
 * Manifests and blobs by digest in one folder, shared by every process that names it; see the file's
 * comment for the guarantees. Background writes must be awaited with {@link settle} before exit.
 */
export class RegistryCache implements ContentCache {
    readonly dir: string;
    readonly maxBytes: number;
    readonly stats: CacheStats = { hits: 0, misses: 0, corrupt: 0, writes: 0, evicted: 0 };
    private readonly onWarning?: (message: string) => void;
    private warned = false;
    private ready?: Promise<boolean>;
    private readonly pending = new Set<Promise<void>>();

    constructor(options: RegistryCacheOptions) {
        this.dir = path.resolve(options.dir);
        this.maxBytes = options.maxBytes ?? DEFAULT_CACHE_BYTES;
        if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < 1) throw new RangeError(`RegistryCache: maxBytes must be a positive whole number of bytes, got ${options.maxBytes}.`);
        this.onWarning = options.onWarning;
    }

    /** The file an entry lives in; only for a full sha256 digest, so no name from a registry reaches a path unchecked. */
    entryPath(kind: "manifests" | "blobs", digest: string): string {
        if (!isFullDigest(digest)) throw new RangeError(`RegistryCache: not a sha256 digest: ${JSON.stringify(digest).slice(0, 100)}`);
        return path.join(this.dir, kind, digest.slice("sha256:".length));
    }

    /** A manifest's exact bytes, verified against `digest`; undefined on a miss or a corrupt entry. */
    readManifest(digest: string): Promise<Buffer | undefined> {
        return this.read("manifests", digest);
    }

    /** A blob's exact bytes, verified against `digest`; undefined on a miss or a corrupt entry. */
    readBlob(digest: string): Promise<Buffer | undefined> {
        return this.read("blobs", digest);
    }

    /** True when an entry for the manifest exists (not yet verified: reading it does that). */
    async hasManifest(digest: string): Promise<boolean> {
        if (!isFullDigest(digest)) return false;
        try {
            await fs.promises.access(this.entryPath("manifests", digest));
            return true;
        } catch {
            return false;
        }
    }

    /** Stores a manifest in the background (see {@link settle}); bytes that do not hash to `digest` are never stored. */
    writeManifest(digest: string, bytes: Buffer): void {
        this.background(this.write("manifests", digest, bytes));
    }

    /** Stores a blob in the background (see {@link settle}); bytes that do not hash to `digest` are never stored. */
    writeBlob(digest: string, bytes: Buffer): void {
        this.background(this.write("blobs", digest, bytes));
    }

    /** The tag → digest index last written for a repository: a hint, never an answer. Empty when missing or unreadable. */
    async readTags(registry: string, repository: string): Promise<Map<string, string>> {
        const out = new Map<string, string>();
        let text: string;
        try {
            const file = this.tagsPath(registry, repository);
            const st = await fs.promises.stat(file);
            if (st.size > this.maxBytes / 4) return out;
            text = await fs.promises.readFile(file, "utf8");
            const now = Date.now();
            if (now - st.mtimeMs > TOUCH_AFTER_MS) await fs.promises.utimes(file, now / 1000, now / 1000).catch(() => undefined);
        } catch (e) {
            if (!isMissing(e)) this.warn(e);
            return out;
        }
        try {
            const json = JSON.parse(text) as { registry?: unknown; repository?: unknown; tags?: unknown };
            if (json.registry !== registry || json.repository !== repository || typeof json.tags !== "object" || json.tags === null) return out;
            for (const [tag, digest] of Object.entries(json.tags as Record<string, unknown>)) {
                if (isValidTag(tag) && isFullDigest(digest)) out.set(tag, digest);
            }
        } catch {
            // A torn or hand-edited index is only a lost hint.
        }
        return out;
    }

    /** Replaces a repository's tag index (in the background, see {@link settle}). */
    writeTags(registry: string, repository: string, tags: ReadonlyMap<string, string>): void {
        const body = Buffer.from(JSON.stringify({ registry, repository, tags: Object.fromEntries(tags) }));
        if (body.length > this.maxBytes / 4) return;
        this.background(this.put(this.tagsPath(registry, repository), body));
    }

    /**
     * Waits for the background writes, then, when this instance wrote anything, evicts least recently
     * used entries until the folder is within `maxBytes` (and removes temp files left by killed runs).
     */
    async settle(): Promise<void> {
        while (this.pending.size > 0) await Promise.all([...this.pending]);
        if (this.stats.writes === 0) return;
        try {
            await this.sweep();
        } catch (e) {
            this.warn(e);
        }
    }

    private tagsPath(registry: string, repository: string): string {
        const key = createHash("sha256").update(`${registry}/${repository}`).digest("hex");
        return path.join(this.dir, "tags", `${key}.json`);
    }

    private background(p: Promise<void>): void {
        const tracked = p.catch((e) => this.warn(e)).finally(() => this.pending.delete(tracked));
        this.pending.add(tracked);
    }

    /** The most bytes one entry may hold: the client's cap for that answer, and a quarter of the folder's bound. */
    private entryLimit(kind: "manifests" | "blobs"): number {
        return Math.min(this.maxBytes / 4, kind === "manifests" ? BODY_LIMITS.manifest : BODY_LIMITS.config);
    }

    private async read(kind: "manifests" | "blobs", digest: string): Promise<Buffer | undefined> {
        if (!isFullDigest(digest)) return undefined;
        const file = this.entryPath(kind, digest);
        let fh: fs.promises.FileHandle;
        try {
            fh = await fs.promises.open(file, "r");
        } catch (e) {
            if (!isMissing(e)) this.warn(e);
            this.stats.misses++;
            return undefined;
        }
        let bytes: Buffer;
        let mtimeMs: number;
        try {
            const st = await fh.stat();
            mtimeMs = st.mtimeMs;
            // An entry over its cap was not written by us: read none of it, and drop it as corrupt.
            bytes = st.size <= this.entryLimit(kind) ? await fh.readFile() : Buffer.alloc(0);
        } catch (e) {
            this.warn(e);
            this.stats.misses++;
            return undefined;
        } finally {
            await fh.close().catch(() => undefined);
        }
        if (sha256Digest(bytes) !== digest) {
            this.stats.corrupt++;
            this.stats.misses++;
            await fs.promises.unlink(file).catch(() => undefined);
            return undefined;
        }
        this.stats.hits++;
        const now = Date.now();
        if (now - mtimeMs > TOUCH_AFTER_MS) await fs.promises.utimes(file, now / 1000, now / 1000).catch(() => undefined);
        return bytes;
    }

    private async write(kind: "manifests" | "blobs", digest: string, bytes: Buffer): Promise<void> {
        if (!isFullDigest(digest) || bytes.length > this.entryLimit(kind) || sha256Digest(bytes) !== digest) return;
        await this.put(this.entryPath(kind, digest), bytes);
    }

    /** Temp file in the same folder, then rename: readers see the old entry, no entry, or the whole new one. */
    private async put(file: string, bytes: Buffer): Promise<void> {
        if (!(await this.prepare())) return;
        const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
        try {
            await fs.promises.writeFile(tmp, bytes, { mode: 0o600, flag: "wx" });
            await fs.promises.rename(tmp, file);
            this.stats.writes++;
        } catch (e) {
            await fs.promises.unlink(tmp).catch(() => undefined);
            throw e;
        }
    }

    private prepare(): Promise<boolean> {
        this.ready ??= (async () => {
            try {
                await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
                await Promise.all(KINDS.map((k) => fs.promises.mkdir(path.join(this.dir, k), { recursive: true, mode: 0o700 })));
                return true;
            } catch (e) {
                this.warn(e);
                return false;
            }
        })();
        return this.ready;
    }

    private async sweep(): Promise<void> {
        const now = Date.now();
        const entries: { file: string; size: number; mtimeMs: number }[] = [];
        for (const kind of KINDS) {
            const dir = path.join(this.dir, kind);
            let names: string[];
            try {
                names = await fs.promises.readdir(dir);
            } catch (e) {
                if (isMissing(e)) continue;
                throw e;
            }
            await Promise.all(names.map(async (name) => {
                const file = path.join(dir, name);
                const st = await fs.promises.stat(file).catch(() => undefined);
                if (!st?.isFile()) return;
                if (name.endsWith(".tmp")) {
                    if (now - st.mtimeMs > STALE_TEMP_MS) await fs.promises.unlink(file).catch(() => undefined);
                    return;
                }
                entries.push({ file, size: st.size, mtimeMs: st.mtimeMs });
            }));
        }
        let total = entries.reduce((sum, e) => sum + e.size, 0);
        if (total <= this.maxBytes) return;
        entries.sort((a, b) => a.mtimeMs - b.mtimeMs);
        for (const e of entries) {
            if (total <= this.maxBytes) break;
            await fs.promises.unlink(e.file).catch(() => undefined);
            total -= e.size;
            this.stats.evicted++;
        }
    }

    private warn(e: unknown): void {
        if (this.warned) return;
        this.warned = true;
        const code = (e as { code?: string })?.code ?? (e as Error)?.message ?? String(e);
        this.onWarning?.(`The registry cache at ${this.dir} cannot be used (${code}); what it cannot give is read from the registry.`);
    }
}

function isMissing(e: unknown): boolean {
    return (e as { code?: string })?.code === "ENOENT";
}
