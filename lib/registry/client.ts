import { createHash } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import { RegistryError, RegistryErrorCode, RegistryErrorContext, RegistrySetting, ValidationError } from "../errors";
import { isFullDigest, isLoopbackRegistry, isValidRepository, isValidTag } from "../rules/reference";
import { quoteValue } from "../format/text";
import type { RegistryCache } from "./cache";
import { ImageInfo, ListTagsOptions, Manifest, MEDIA_TYPES, RegistryApi, RegistryClientOptions, RegistryCredentials } from "./types";

const KNOWN_MEDIA_TYPES: ReadonlySet<string> = new Set(Object.values(MEDIA_TYPES));
const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]);
const ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerList, MEDIA_TYPES.dockerManifest].join(", ");

/** Network failures that say nothing was listening: retrying only delays the clear error. */
const NOT_RETRIED_NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * The most bytes read from one answer, by kind (docs/registry-and-overview.md). A registry answering
 * more is refused while reading, so a hostile or broken one cannot exhaust memory.
 */
export const BODY_LIMITS = {
    /** The distribution spec lets registries refuse manifests over 4 MiB; we read at most that. */
    manifest: 4 * 1024 * 1024,
    /** An image config: labels, history, env; real ones are kilobytes. */
    config: 8 * 1024 * 1024,
    /** One page of the tag list (10,000 long tags fit many times over). */
    tagList: 8 * 1024 * 1024,
    /** A token service's JSON answer. */
    token: 256 * 1024,
    /** Error bodies and other answers read only for their error codes. */
    other: 64 * 1024,
} as const;

export type BodyKind = keyof typeof BODY_LIMITS;

/** Bounds of one tag listing: a registry whose pagination never ends fails instead of running on. */
export const LIST_LIMITS = { maxPages: 10000, maxTags: 200000, timeoutMs: 300000 } as const;

/** Redirects followed for a read (blob storage behind a redirect is common; loops are not). */
const MAX_REDIRECTS = 5;

/** True for what the client takes as a registry: `host` or `host:port`, without scheme or path. */
export function isRegistryAddress(value: unknown): value is string {
    return typeof value === "string" && /^[A-Za-z0-9.\-[\]:]+$/.test(value);
}

/** sha256 of bytes, as `sha256:<hex>`. */
export function sha256Digest(bytes: Buffer | Uint8Array): string {
    return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** One parsed `WWW-Authenticate` challenge. */
export interface AuthChallenge {
    scheme: string;
    params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (or `Basic realm="…"`). */
export function parseChallenge(header: string): AuthChallenge | undefined {
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
    if (!m) return undefined;
    const params: Record<string, string> = {};
    const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/g;
    let p: RegExpExecArray | null;
    while ((p = re.exec(m[2])) !== null) {
        params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3];
    }
    return { scheme: m[1].toLowerCase(), params };
}

interface Token {
    value: string;
    expiresAt: number;
}

interface SendOptions {
    method: "GET" | "HEAD" | "PUT" | "DELETE" | "POST" | "PATCH";
    /** Path (`/v2/…`) or absolute URL on the same registry (a `Link` or `Location`). */
    target: string;
    repository?: string;
    reference?: string;
    headers?: Record<string, string>;
    body?: Buffer;
    /** Statuses returned to the caller instead of thrown. */
    accept: number[];
    /** Which cap of {@link BODY_LIMITS} applies to the answer; default `other`. */
    kind?: BodyKind;
}

interface Reply {
    status: number;
    headers: Headers;
    body: Buffer;
    url: string;
}

/** Thrown by the transport when an answer is bigger than its cap; turned into a RegistryError by `send`. */
class BodyTooLarge extends Error {
    constructor(readonly kind: BodyKind, readonly limit: number) {
        super(`body over ${limit} bytes`);
    }
}

/** Our own per-request deadline, told apart from socket errors. */
class RequestTimeout extends Error {
    override readonly name = "TimeoutError";
}

/**
 * OCI distribution client on node:http/node:https (not fetch, which refuses the Fetch standard's "bad
 * ports" such as 5061 or 6666; docs/adr/0013-registry-transport-on-node-http.md). Anonymous, basic and
 * bearer-token auth; retries with backoff for idempotent requests only
 * (docs/adr/0010-registry-client-retries-and-writes.md); every answer read under a size cap and every
 * tag listing bounded.
 */
export class RegistryClient implements RegistryApi {
    readonly registry: string;
    private readonly base: string;
    private readonly credentials?: RegistryCredentials;
    /** Where the credentials came from, for the message when the registry refuses them. */
    private readonly credentialsFrom?: string;
    private readonly timeoutMs: number;
    private readonly retries: number;
    private readonly backoffMs: number;
    private readonly maxRetryAfterMs: number;
    private readonly onRequest?: RegistryClientOptions["onRequest"];
    private readonly insecure: boolean;
    private readonly listLimits: { maxPages: number; maxTags: number; timeoutMs: number };
    /** Keep-alive sockets shared by this client's requests; free sockets never hold the process open. */
    private readonly agents = {
        http: new http.Agent({ keepAlive: true, maxSockets: 32 }),
        https: new https.Agent({ keepAlive: true, maxSockets: 32 }),
    };
    /** Set once the registry asked for basic auth, so later requests skip the 401 round trip. */
    private basic = false;
    /** Bearer tokens by scope; content of a scope never changes, so one token serves every request in it. */
    private readonly tokens = new Map<string, Token>();
    /** Config blobs by digest: content-addressed, so caching them is always safe. */
    private readonly blobs = new Map<string, Promise<Buffer>>();
    /** The on-disk cache of manifests and blobs by digest, when one was given. */
    readonly cache?: RegistryCache;

    constructor(options: RegistryClientOptions) {
        if (!options || !isRegistryAddress(options.registry)) {
            throw new ValidationError("registry", `Invalid registry "${options?.registry}": expected host or host:port without scheme or path, e.g. 127.0.0.1:5000.`);
        }
        this.registry = options.registry;
        this.insecure = options.insecure === true;
        const plain = this.insecure || isLoopbackRegistry(options.registry);
        this.base = `${plain ? "http" : "https"}://${options.registry}`;
        this.credentials = options.credentials;
        this.credentialsFrom = options.credentialsFrom;
        this.timeoutMs = options.timeoutMs ?? 30000;
        this.retries = options.retries ?? 3;
        this.backoffMs = options.backoffMs ?? 250;
        this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30000;
        this.onRequest = options.onRequest;
        if (options.cache) this.cache = options.cache;
        this.listLimits = {
            maxPages: options.listLimits?.maxPages ?? LIST_LIMITS.maxPages,
            maxTags: options.listLimits?.maxTags ?? LIST_LIMITS.maxTags,
            timeoutMs: options.listLimits?.timeoutMs ?? LIST_LIMITS.timeoutMs,
        };
    }

    /** `http://` or `https://` + the registry. */
    get baseUrl(): string {
        return this.base;
    }

    async resolve(repository: string, reference: string): Promise<string | undefined> {
        const res = await this.send({
            method: "HEAD",
            target: `/v2/${repository}/manifests/${reference}`,
            repository,
            reference,
            headers: { accept: ACCEPT },
            accept: [200, 404],
        });
        if (res.status === 404) return undefined;
        const header = res.headers.get("docker-content-digest");
        if (header) {
            if (!isFullDigest(header)) {
                throw this.error("BAD_RESPONSE", { repository, reference, status: res.status }, `The registry sent a malformed Docker-Content-Digest "${quoteValue(header, 80)}". Check the registry or a proxy in front of it`);
            }
            if (isFullDigest(reference) && header !== reference) {
                throw this.error("DIGEST_MISMATCH", { repository, reference, status: res.status }, `The registry answered ${header} for digest ${reference}. Do not trust this registry's answer; check for a misbehaving proxy`);
            }
            return header;
        }
        // Some registries and proxies drop the header on HEAD: hash the body instead.
        try {
            return (await this.getManifest(repository, reference)).digest;
        } catch (e) {
            if (e instanceof RegistryError && (e.code === "MANIFEST_UNKNOWN" || e.code === "NAME_UNKNOWN")) return undefined;
            throw e;
        }
    }

    async getManifest(repository: string, reference: string): Promise<Manifest> {
        if (this.cache && isFullDigest(reference)) {
            this.checkNames(repository, reference);
            const cached = parseCachedManifest(reference, await this.cache.readManifest(reference));
            if (cached) return cached;
        }
        const res = await this.send({
            method: "GET",
            target: `/v2/${repository}/manifests/${reference}`,
            repository,
            reference,
            headers: { accept: ACCEPT },
            accept: [200],
            kind: "manifest",
        });
        const manifest = this.checkManifest(repository, reference, res);
        // Only a manifest whose body names its own media type can be served from bytes alone.
        if (this.cache && manifest.json.mediaType === manifest.mediaType) this.cache.writeManifest(manifest.digest, manifest.bytes);
        return manifest;
    }

    async getImageInfo(repository: string, reference: string): Promise<ImageInfo> {
        return this.imageInfoFromManifest(repository, await this.getManifest(repository, reference));
    }

    /**
     * ImageInfo from a manifest already fetched (saves one request per tag in the overview). For an
     * index, the linux/amd64 entry (else the first runnable one) is fetched; config blobs are cached.
     */
    async imageInfoFromManifest(repository: string, manifest: Manifest): Promise<ImageInfo> {
        let platforms: string[] = [];
        let image = manifest;
        const refs = manifestRefs(manifest.json);
        if (INDEX_TYPES.has(manifest.mediaType)) {
            const entries = indexEntries(manifest.json);
            const runnable = entries.filter((e) => e.platform !== "unknown/unknown");
            platforms = runnable.map((e) => e.platform).filter((p) => p !== "");
            const chosen = runnable.find((e) => e.platform === "linux/amd64") ?? runnable[0];
            if (!chosen) {
                throw this.error("BAD_RESPONSE", { repository, reference: manifest.digest }, "The image index lists no platform manifest. Push a complete multi-platform image");
            }
            image = await this.getManifest(repository, chosen.digest);
            if (INDEX_TYPES.has(image.mediaType)) {
                throw this.error("UNSUPPORTED_MEDIA_TYPE", { repository, reference: chosen.digest }, "An image index points at another index; nested indexes are not supported. Point the tag at a flat index");
            }
        }
        const config = descriptor(image.json.config);
        const layers = Array.isArray(image.json.layers) ? image.json.layers.map(descriptor) : undefined;
        if (!config || !layers || layers.some((l) => !l)) {
            throw this.error("BAD_RESPONSE", { repository, reference: image.digest }, "The manifest has no valid config or layers descriptors. Re-push the image");
        }
        const total = config.size + layers.reduce((sum, l) => sum + l!.size, 0);
        if (!Number.isSafeInteger(total)) {
            throw this.error("BAD_RESPONSE", { repository, reference: image.digest }, "The manifest's sizes add up to more bytes than can be counted exactly. Check the registry; re-push the image");
        }
        const configBytes = await this.getBlob(repository, config.digest);
        let parsed: Record<string, unknown>;
        try {
            parsed = asObject(JSON.parse(configBytes.toString("utf8")));
        } catch {
            throw this.error("BAD_RESPONSE", { repository, reference: config.digest }, "The image config blob is not JSON. Re-push the image");
        }
        const inner = asObject(parsed.config);
        const labels: Record<string, string> = {};
        for (const [k, v] of Object.entries(asObject(inner.Labels))) if (typeof v === "string") labels[k] = v;
        const created = labels["org.opencontainers.image.created"] ?? (typeof parsed.created === "string" ? parsed.created : undefined);
        const command = Array.isArray(inner.Cmd) && inner.Cmd.every((part) => typeof part === "string") ? (inner.Cmd as string[]) : undefined;
        if (platforms.length === 0 && typeof parsed.os === "string" && typeof parsed.architecture === "string") {
            platforms = [[parsed.os, parsed.architecture, typeof parsed.variant === "string" ? parsed.variant : ""].filter(Boolean).join("/")];
        }
        return {
            digest: manifest.digest,
            mediaType: manifest.mediaType,
            labels,
            ...(created !== undefined ? { created } : {}),
            platforms,
            layers: layers.map((l) => l!.digest),
            size: total,
            configDigest: config.digest,
            ...(command !== undefined ? { command } : {}),
            refs,
        };
    }

    /** GET a blob by digest, verified against the digest; cached, since a digest names fixed bytes. */
    getBlob(repository: string, digest: string): Promise<Buffer> {
        const key = `${repository}@${digest}`;
        let cached = this.blobs.get(key);
        if (!cached) {
            cached = this.fetchBlob(repository, digest);
            this.blobs.set(key, cached);
            cached.catch(() => this.blobs.delete(key));
        }
        return cached;
    }

    private async fetchBlob(repository: string, digest: string): Promise<Buffer> {
        if (!isFullDigest(digest)) throw new ValidationError("digest", `Invalid blob digest "${digest}": expected sha256: followed by 64 lowercase hex characters.`);
        if (this.cache) {
            this.checkNames(repository, digest);
            const cached = await this.cache.readBlob(digest);
            if (cached) return cached;
        }
        const res = await this.send({ method: "GET", target: `/v2/${repository}/blobs/${digest}`, repository, reference: digest, accept: [200], kind: "config" });
        const actual = sha256Digest(res.body);
        if (actual !== digest) {
            throw this.error("DIGEST_MISMATCH", { repository, reference: digest, status: res.status }, `The blob's bytes hash to ${actual}. The registry storage may be corrupt; re-push the image`);
        }
        this.cache?.writeBlob(digest, res.body);
        return res.body;
    }

    /**
     * All tags, following `Link: <…>; rel="next"` (relative targets resolved against the page's URL,
     * RFC 8288), deduplicated. Bounded: at most `listLimits.maxPages` pages, `maxTags` tags and
     * `timeoutMs` in total, else a registry error, so a pagination that never ends cannot run on.
     */
    async listTags(repository: string, opts: ListTagsOptions = {}): Promise<string[]> {
        if (opts.pageSize !== undefined && (!Number.isInteger(opts.pageSize) || opts.pageSize < 1)) {
            throw new ValidationError("pageSize", `Invalid page size ${opts.pageSize}: expected a positive integer.`);
        }
        const limits = this.listLimits;
        const deadline = Date.now() + limits.timeoutMs;
        const tags = new Set<string>();
        let target: string | undefined = `/v2/${repository}/tags/list${opts.pageSize ? `?n=${opts.pageSize}` : ""}`;
        const seen = new Set<string>();
        let pages = 0;
        while (target) {
            if (seen.has(target)) throw this.error("BAD_RESPONSE", { repository }, "The registry's tag pagination loops (the same Link twice). Check the registry version");
            seen.add(target);
            if (++pages > limits.maxPages) {
                throw this.error("BAD_RESPONSE", { repository }, `The tag list did not end after ${limits.maxPages} pages (${tags.size} tags so far); the registry's pagination never ends. Check the registry or a proxy in front of it`);
            }
            if (Date.now() > deadline) {
                throw this.error("TIMEOUT", { repository }, `Listing tags took longer than ${limits.timeoutMs} ms (${pages - 1} pages, ${tags.size} tags so far). Check the registry's load, or raise the listing timeout`);
            }
            const res = await this.send({ method: "GET", target, repository, accept: [200], kind: "tagList" });
            const json = this.parseJson(res, { repository });
            const page = json.tags;
            if (page !== null && page !== undefined && !(Array.isArray(page) && page.every((t) => typeof t === "string"))) {
                throw this.error("BAD_RESPONSE", { repository, status: res.status }, "The tag list has no array of strings in \"tags\". Check the registry");
            }
            for (const t of Array.isArray(page) ? (page as string[]) : []) {
                if (isValidTag(t)) tags.add(t);
                else if (opts.onInvalidTag) opts.onInvalidTag(t);
                else throw this.error("BAD_RESPONSE", { repository, status: res.status }, `The tag list holds "${quoteValue(t, 80)}", which is not a valid tag name. Check the registry`);
            }
            if (tags.size > limits.maxTags) {
                throw this.error("BAD_RESPONSE", { repository }, `The tag list passed ${limits.maxTags} tags after ${pages} pages; refusing to read further. Check the registry, or list a smaller repository`);
            }
            target = this.nextLink(res, repository);
        }
        return [...tags];
    }

    /** The `rel="next"` target of a page, resolved against the page's own URL (RFC 8288 §3.2). */
    private nextLink(res: Reply, repository: string): string | undefined {
        const raw = nextLink(res.headers.get("link"));
        if (raw === undefined) return undefined;
        let url: URL;
        try {
            url = new URL(raw, res.url);
        } catch {
            throw this.error("BAD_RESPONSE", { repository, status: res.status }, `The tag list's Link header names "${quoteValue(raw, 80)}", which is not a URL. Check the registry or a proxy in front of it`);
        }
        return url.toString();
    }

    async putManifest(repository: string, tag: string, manifest: Pick<Manifest, "bytes" | "mediaType">): Promise<string> {
        if (!KNOWN_MEDIA_TYPES.has(manifest.mediaType)) {
            throw this.error("UNSUPPORTED_MEDIA_TYPE", { repository, reference: tag }, `Refusing to PUT a manifest of media type "${quoteValue(manifest.mediaType, 100)}". Use one of ${[...KNOWN_MEDIA_TYPES].join(", ")}`);
        }
        const expected = sha256Digest(manifest.bytes);
        const res = await this.send({
            method: "PUT",
            target: `/v2/${repository}/manifests/${tag}`,
            repository,
            reference: tag,
            headers: { "content-type": manifest.mediaType },
            body: manifest.bytes,
            accept: [200, 201],
        });
        const reported = res.headers.get("docker-content-digest");
        if (reported && reported !== expected) {
            throw this.error("DIGEST_MISMATCH", { repository, reference: tag, status: res.status }, `The registry stored the manifest as ${quoteValue(reported, 80)}, but its bytes hash to ${expected}. Check the tag and the registry before using it`);
        }
        if (!reported) {
            // The header is required by the spec; without it, ask what the tag now points at.
            const now = await this.resolve(repository, tag);
            if (now !== expected) {
                throw this.error("DIGEST_MISMATCH", { repository, reference: tag, status: res.status }, `After the PUT the tag resolves to ${now ?? "nothing"}, expected ${expected}. Check the tag and the registry before using it`);
            }
        }
        return expected;
    }

    async deleteManifest(repository: string, digest: string): Promise<void> {
        if (!isFullDigest(digest)) {
            throw new ValidationError("digest", `Cannot delete ${this.registry}/${repository} by "${digest}": delete takes a digest, sha256: followed by 64 lowercase hex characters. Resolve the tag first.`);
        }
        const res = await this.send({ method: "DELETE", target: `/v2/${repository}/manifests/${digest}`, repository, reference: digest, accept: [200, 202, 405] });
        if (res.status === 405) {
            throw this.error("HTTP_ERROR", { repository, reference: digest, status: 405 }, "The registry does not allow deletes. Enable storage.delete.enabled in the registry config");
        }
    }

    /** Uploads a blob monolithically (POST, then PUT with the digest); returns its digest. No existence check first: the registry dedupes by digest. */
    async uploadBlob(repository: string, bytes: Buffer): Promise<string> {
        const digest = sha256Digest(bytes);
        const start = await this.send({ method: "POST", target: `/v2/${repository}/blobs/uploads/`, repository, reference: digest, accept: [202] });
        const location = start.headers.get("location");
        if (!location) throw this.error("BAD_RESPONSE", { repository, reference: digest, status: start.status }, "The blob upload answer has no Location. Check the registry");
        const url = new URL(location, this.base);
        url.searchParams.set("digest", digest);
        const res = await this.send({
            method: "PUT",
            target: url.toString(),
            repository,
            reference: digest,
            headers: { "content-type": "application/octet-stream" },
            body: bytes,
            accept: [201],
        });
        const reported = res.headers.get("docker-content-digest");
        if (reported && reported !== digest) {
            throw this.error("DIGEST_MISMATCH", { repository, reference: digest, status: res.status }, `The registry stored the blob as ${quoteValue(reported, 80)}. Check the registry`);
        }
        return digest;
    }

    private checkManifest(repository: string, reference: string, res: Reply): Manifest {
        const ctx = { repository, reference, status: res.status };
        const digest = sha256Digest(res.body);
        const header = res.headers.get("docker-content-digest");
        if (isFullDigest(reference) && digest !== reference) {
            throw this.error("DIGEST_MISMATCH", ctx, `The manifest's bytes hash to ${digest}, not the digest asked for. Do not use this answer; check for a misbehaving proxy or corrupt storage`);
        }
        if (header && header !== digest) {
            throw this.error("DIGEST_MISMATCH", ctx, `The Docker-Content-Digest header says ${quoteValue(header, 80)} but the manifest's bytes hash to ${digest}. Do not use this answer; check for a misbehaving proxy`);
        }
        const json = this.parseJson(res, { repository, reference });
        const headerType = (res.headers.get("content-type") ?? "").split(";")[0].trim();
        const bodyType = typeof json.mediaType === "string" ? json.mediaType : "";
        const mediaType = KNOWN_MEDIA_TYPES.has(headerType) ? headerType : bodyType;
        if (!KNOWN_MEDIA_TYPES.has(mediaType)) {
            throw this.error("UNSUPPORTED_MEDIA_TYPE", ctx, `The manifest has media type "${quoteValue(headerType || bodyType || "none", 100)}", which this tool does not understand. Push the image as an OCI or Docker v2 manifest or index`);
        }
        return { digest, mediaType, bytes: res.body, json };
    }

    private parseJson(res: Reply, ctx: Omit<RegistryErrorContext, "registry">): Record<string, unknown> {
        let parsed: unknown;
        try {
            parsed = JSON.parse(res.body.toString("utf8"));
        } catch {
            throw this.error("BAD_RESPONSE", { ...ctx, status: res.status }, `The registry answered with a body that is not JSON (${res.body.length} bytes). Check that the registry address points at an OCI registry and not at another web server`, "address");
        }
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
            throw this.error("BAD_RESPONSE", { ...ctx, status: res.status }, "The registry answered with JSON that is not an object. Check that the registry address points at an OCI registry", "address");
        }
        return parsed as Record<string, unknown>;
    }

    private error(code: RegistryErrorCode, ctx: Omit<RegistryErrorContext, "registry">, message: string, setting?: RegistrySetting): RegistryError {
        return new RegistryError(code, { registry: this.registry, ...ctx }, message, setting);
    }

    /** Names go into the URL path: anything outside the reference grammar is refused, not escaped (and refused from the cache alike). */
    private checkNames(repository: string | undefined, reference: string | undefined): void {
        if (repository !== undefined && !isValidRepository(repository)) {
            throw new ValidationError("repository", `Invalid repository "${quoteValue(repository, 100)}": use lowercase path components separated by "/", e.g. rednaw/hello-world.`);
        }
        if (reference !== undefined && !isValidTag(reference) && !isFullDigest(reference)) {
            throw new ValidationError("reference", `Invalid tag or digest "${quoteValue(reference, 100)}": a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, a digest is sha256: followed by 64 lowercase hex characters.`);
        }
    }

    /** One logical request: auth round trips and retries included. */
    private async send(opts: SendOptions): Promise<Reply> {
        const ctx = { repository: opts.repository, reference: opts.reference };
        this.checkNames(opts.repository, opts.reference);
        if (!opts.target.startsWith("/") && new URL(opts.target).origin !== new URL(this.base).origin) {
            // A Link or Location to another origin would carry our credentials elsewhere.
            throw this.error("BAD_RESPONSE", ctx, `The registry pointed to another origin (${quoteValue(new URL(opts.target).origin, 100)}); refusing to follow it with credentials. Check the registry's public URL setting`);
        }
        const idempotent = opts.method === "GET" || opts.method === "HEAD";
        const scope = opts.repository ? `repository:${opts.repository}:${idempotent ? "pull" : opts.method === "DELETE" ? "delete" : "pull,push"}` : "";
        let authRetried = false;
        for (let attempt = 0; ; attempt++) {
            let res: Reply;
            const authorization = await this.authorization(scope);
            try {
                res = await this.once(opts, authorization);
            } catch (e) {
                if (e instanceof BodyTooLarge) {
                    throw this.error("BAD_RESPONSE", ctx, `The registry's answer to ${opts.method} is larger than ${e.limit} bytes, the cap for a ${e.kind === "tagList" ? "tag list page" : e.kind === "other" ? "reply of this kind" : e.kind}; stopped reading it. Check the registry or a proxy in front of it`);
                }
                const code = networkCode(e);
                // Only failures with a socket error code (resets, closed sockets) are worth another try.
                const retriable = idempotent && /^[A-Z_]+$/.test(code) && code !== "TIMEOUT" && !NOT_RETRIED_NETWORK_CODES.has(code);
                if (retriable && attempt < this.retries) {
                    await sleep(this.backoff(attempt));
                    continue;
                }
                if (code === "TIMEOUT") {
                    throw this.error("TIMEOUT", ctx, `${opts.method} timed out after ${this.timeoutMs} ms. Check the registry's load and network, or raise the timeout`);
                }
                const tried = attempt > 0 ? ` after ${attempt + 1} attempts` : "";
                const advice = idempotent ? "Check that the registry runs and that the registry address is right" : "The write may or may not have happened: check the registry state before retrying";
                throw this.error("UNREACHABLE", ctx, `Cannot reach the registry at ${this.base} (${code})${tried}. ${advice}`);
            }
            if (res.status === 401 && !authRetried) {
                authRetried = true;
                if (await this.authenticate(res, scope, ctx, authorization)) {
                    attempt--; // an auth round trip is not a retry
                    continue;
                }
            }
            if (opts.accept.includes(res.status)) return res;
            const retriable = res.status === 429 || (res.status >= 500 && idempotent);
            if (retriable && attempt < this.retries) {
                const wait = retryAfter(res.headers.get("retry-after")) ?? this.backoff(attempt);
                if (wait <= this.maxRetryAfterMs) {
                    await sleep(wait);
                    continue;
                }
            }
            throw this.statusError(opts, res, attempt);
        }
    }

    private backoff(attempt: number): number {
        return this.backoffMs * 2 ** attempt;
    }

    private statusError(opts: SendOptions, res: Reply, attempt: number): RegistryError {
        const ctx = { repository: opts.repository, reference: opts.reference, status: res.status };
        const codes = registryErrorCodes(res.body);
        const tried = attempt > 0 ? ` after ${attempt + 1} attempts` : "";
        if (res.status === 401 || res.status === 403) {
            const how = this.credentials
                ? `The registry refused the credentials. Check ${this.credentialsFrom ?? "REGISTRY_USERNAME and REGISTRY_PASSWORD (or the credentials given)"} and the account's rights`
                : "The registry needs credentials. Set REGISTRY_USERNAME and REGISTRY_PASSWORD";
            return this.error("UNAUTHORIZED", ctx, `${opts.method} was refused. ${how}`);
        }
        if (res.status === 404) {
            if (codes.includes("NAME_UNKNOWN")) return this.error("NAME_UNKNOWN", ctx, "The repository does not exist in this registry. Check the repository name and the registry address", "address");
            if (codes.includes("MANIFEST_UNKNOWN")) return this.error("MANIFEST_UNKNOWN", ctx, "No manifest under this reference. Check the tag or digest (list tags with the overview)");
            return this.error("NOT_FOUND", ctx, "The registry answered 404. Check the repository, the reference and the registry address", "address");
        }
        if (res.status === 429 || res.status >= 500) {
            const write = opts.method === "GET" || opts.method === "HEAD" ? "" : " The write was not retried automatically: check the registry state, then run it again.";
            return this.error("HTTP_ERROR", ctx, `The registry answered ${res.status}${tried}.${write} Try again later or check the registry's logs`);
        }
        const detail = codes.length ? ` (${codes.slice(0, 5).map((c) => quoteValue(c, 60)).join(", ")}${codes.length > 5 ? ", …" : ""})` : "";
        return this.error("HTTP_ERROR", ctx, `${opts.method} got an unexpected answer ${res.status}${detail}. Check the registry's logs`);
    }

    /** Handles a 401: returns true when a retry with new credentials makes sense. */
    private async authenticate(res: Reply, scope: string, ctx: Omit<RegistryErrorContext, "registry">, sent: string | undefined): Promise<boolean> {
        const challenge = parseChallenge(res.headers.get("www-authenticate") ?? "");
        if (!challenge) return false;
        if (challenge.scheme === "basic") {
            // Retry unless this very request already carried the credentials: requests sent
            // concurrently before the first challenge was answered still deserve their retry.
            if (!this.credentials || sent?.startsWith("Basic ")) return false;
            this.basic = true;
            return true;
        }
        if (challenge.scheme !== "bearer" || !challenge.params.realm) return false;
        const realm = new URL(challenge.params.realm, this.base);
        if (realm.protocol !== "https:" && this.credentials && !this.insecure && !isLoopbackRegistry(realm.host)) {
            throw this.error("INSECURE_REFUSED", { ...ctx, status: 401 }, `The token service ${quoteValue(realm.origin, 100)} is plain HTTP; refusing to send credentials there. Use HTTPS, or allow plain HTTP to this registry explicitly`, "plain-http");
        }
        const wanted = challenge.params.scope ?? scope;
        if (challenge.params.service) realm.searchParams.set("service", challenge.params.service);
        if (wanted) for (const s of wanted.split(" ")) realm.searchParams.append("scope", s);
        const headers: Record<string, string> = {};
        if (this.credentials) headers.authorization = basicHeader(this.credentials);
        let reply: Reply;
        try {
            reply = await this.once({ method: "GET", target: realm.toString(), kind: "token" }, headers.authorization);
        } catch (e) {
            if (e instanceof BodyTooLarge) {
                throw this.error("BAD_RESPONSE", { ...ctx, status: 401 }, `The token service ${quoteValue(realm.origin, 100)} answered more than ${e.limit} bytes; stopped reading it. Check the registry's auth configuration`);
            }
            throw this.error("UNREACHABLE", { ...ctx, status: 401 }, `Cannot reach the token service ${quoteValue(realm.origin, 100)} (${networkCode(e)}). Check the registry's auth configuration`);
        }
        if (reply.status !== 200) {
            throw this.error("UNAUTHORIZED", { ...ctx, status: reply.status }, `The token service ${quoteValue(realm.origin, 100)} refused a token. ${this.credentials ? "Check REGISTRY_USERNAME and REGISTRY_PASSWORD" : "Set REGISTRY_USERNAME and REGISTRY_PASSWORD"}`);
        }
        let token: string | undefined;
        let expiresIn = 60;
        try {
            const json = asObject(JSON.parse(reply.body.toString("utf8")));
            token = typeof json.token === "string" ? json.token : typeof json.access_token === "string" ? json.access_token : undefined;
            if (typeof json.expires_in === "number" && json.expires_in > 0) expiresIn = json.expires_in;
        } catch {
            token = undefined;
        }
        if (!token) throw this.error("BAD_RESPONSE", { ...ctx, status: reply.status }, `The token service ${quoteValue(realm.origin, 100)} sent no token. Check the registry's auth configuration`);
        // Renew a little early so a token never expires between the check and the request.
        this.tokens.set(scope, { value: token, expiresAt: Date.now() + Math.max(0, expiresIn - 10) * 1000 });
        return true;
    }

    private async authorization(scope: string): Promise<string | undefined> {
        const token = this.tokens.get(scope);
        if (token) {
            if (token.expiresAt > Date.now()) return `Bearer ${token.value}`;
            this.tokens.delete(scope);
        }
        if (this.basic && this.credentials) return basicHeader(this.credentials);
        return undefined;
    }

    /**
     * One request and its redirects (reads only; authorization dropped when a redirect leaves the
     * origin). Each hop is reported to `onRequest`. The answer's body is read under its cap.
     */
    private async once(opts: Pick<SendOptions, "method" | "target" | "headers" | "body" | "kind">, authorization: string | undefined): Promise<Reply> {
        let url = new URL(opts.target.startsWith("/") ? `${this.base}${opts.target}` : opts.target);
        const origin = url.origin;
        const kind = opts.kind ?? "other";
        const deadline = Date.now() + this.timeoutMs;
        const readOnly = opts.method === "GET" || opts.method === "HEAD";
        for (let hop = 0; ; hop++) {
            const headers: Record<string, string> = { ...(opts.headers ?? {}) };
            if (authorization && url.origin === origin) headers.authorization = authorization;
            const reply = await this.hop(opts.method, url, headers, opts.body, kind, deadline);
            const location = reply.headers.get("location");
            if (!readOnly || ![301, 302, 303, 307, 308].includes(reply.status) || !location || hop >= MAX_REDIRECTS) return reply;
            url = new URL(location, url);
            if (url.protocol !== "http:" && url.protocol !== "https:") return reply;
        }
    }

    /** Exactly one HTTP exchange on node:http(s); reports it to `onRequest`. */
    private hop(method: string, url: URL, headers: Record<string, string>, body: Buffer | undefined, kind: BodyKind, deadline: number): Promise<Reply> {
        const limit = BODY_LIMITS[kind];
        const secure = url.protocol === "https:";
        const transport = secure ? https : http;
        let status: number | undefined;
        let bytesIn = 0;
        const report = () => this.onRequest?.({ method, url: url.toString(), status, bytesIn, bytesOut: body?.length ?? 0 });
        return new Promise<Reply>((resolve, reject) => {
            let settled = false;
            const finish = (err: Error | undefined, reply?: Reply) => {
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                report();
                if (err) reject(err);
                else resolve(reply!);
            };
            const req = transport.request(url, {
                method,
                headers: { ...headers, ...(body ? { "content-length": String(body.length) } : {}) },
                agent: secure ? this.agents.https : this.agents.http,
            });
            const timer = setTimeout(() => {
                const err = new RequestTimeout(`timed out after ${this.timeoutMs} ms`);
                finish(err);
                req.destroy(err);
            }, Math.max(0, deadline - Date.now()));
            req.on("error", (e) => finish(e));
            req.on("response", (res) => {
                status = res.statusCode ?? 0;
                const declared = Number(res.headers["content-length"]);
                if (method !== "HEAD" && Number.isFinite(declared) && declared > limit) {
                    // Settle first: destroying the socket emits its own errors, which must not win.
                    finish(new BodyTooLarge(kind, limit));
                    req.destroy();
                    return;
                }
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => {
                    bytesIn += c.length;
                    if (bytesIn > limit) {
                        finish(new BodyTooLarge(kind, limit));
                        req.destroy();
                        return;
                    }
                    chunks.push(c);
                });
                res.on("error", (e) => finish(e));
                res.on("aborted", () => finish(Object.assign(new Error("connection closed mid-answer"), { code: "ECONNRESET" })));
                res.on("end", () => {
                    const h = new Headers();
                    for (const [k, v] of Object.entries(res.headers)) {
                        if (v === undefined) continue;
                        try {
                            for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
                        } catch {
                            // A header value Headers cannot hold is not one we read.
                        }
                    }
                    finish(undefined, { status: status!, headers: h, body: Buffer.concat(chunks), url: url.toString() });
                });
            });
            req.end(body);
        });
    }
}

/** A manifest from cached bytes (already verified against `digest`); undefined when they are not one we understand. */
function parseCachedManifest(digest: string, bytes: Buffer | undefined): Manifest | undefined {
    if (!bytes) return undefined;
    let json: unknown;
    try {
        json = JSON.parse(bytes.toString("utf8"));
    } catch {
        return undefined;
    }
    const o = asObject(json);
    if (o !== json || typeof o.mediaType !== "string" || !KNOWN_MEDIA_TYPES.has(o.mediaType)) return undefined;
    return { digest, mediaType: o.mediaType, bytes, json: o };
}

function basicHeader(c: RegistryCredentials): string {
    return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

function asObject(value: unknown): Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function descriptor(value: unknown): { digest: string; size: number } | undefined {
    const d = asObject(value);
    // A size must be a whole byte count JSON can carry exactly (1e308 would print as null).
    if (!isFullDigest(d.digest) || typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) return undefined;
    return { digest: d.digest, size: d.size };
}

function indexEntries(json: Record<string, unknown>): { digest: string; platform: string }[] {
    const list = Array.isArray(json.manifests) ? json.manifests : [];
    const out: { digest: string; platform: string }[] = [];
    for (const m of list) {
        const o = asObject(m);
        if (!isFullDigest(o.digest)) continue;
        const p = asObject(o.platform);
        const platform = [p.os, p.architecture, p.variant].filter((x) => typeof x === "string" && x !== "").join("/");
        out.push({ digest: o.digest, platform });
    }
    return out;
}

/** Every digest a manifest or index refers to by manifest descriptor: index entries and `subject`. */
export function manifestRefs(json: Record<string, unknown>): string[] {
    const out = new Set<string>();
    if (Array.isArray(json.manifests)) {
        for (const m of json.manifests) {
            const d = asObject(m).digest;
            if (isFullDigest(d)) out.add(d);
        }
    }
    const subject = asObject(json.subject).digest;
    if (isFullDigest(subject)) out.add(subject);
    return [...out];
}

/** The `rel="next"` target of a `Link` header. */
function nextLink(header: string | null): string | undefined {
    if (!header) return undefined;
    for (const part of header.split(",")) {
        const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
        if (m) return m[1];
    }
    return undefined;
}

/** `Retry-After` in ms: delta-seconds or an HTTP date. */
export function retryAfter(header: string | null): number | undefined {
    if (!header) return undefined;
    if (/^\s*\d+\s*$/.test(header)) return Number(header) * 1000;
    const when = Date.parse(header);
    return Number.isNaN(when) ? undefined : Math.max(0, when - Date.now());
}

function registryErrorCodes(body: Buffer): string[] {
    try {
        const errors = asObject(JSON.parse(body.toString("utf8"))).errors;
        return Array.isArray(errors) ? errors.map((e) => String(asObject(e).code ?? "")).filter(Boolean) : [];
    } catch {
        return [];
    }
}

function networkCode(e: unknown): string {
    const err = e as { name?: string; code?: string; cause?: { code?: string; name?: string } };
    if (e instanceof RequestTimeout || err?.name === "TimeoutError" || err?.cause?.name === "TimeoutError" || err?.name === "AbortError") return "TIMEOUT";
    return err?.code ?? err?.cause?.code ?? quoteValue((e as Error)?.message ?? "network error", 100);
}

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}
