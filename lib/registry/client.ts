import { isNotFound, ValidationError } from "../errors";
import { quoteValue } from "../format/text";
import { sha256Digest } from "../rules/digest";
import { isFullDigest, isLoopbackRegistry, isValidTag } from "../rules/reference";
import { ACCEPT, choosePlatform, imageInfoOf, imageParts, INDEX_TYPES, jsonObject, KNOWN_MEDIA_TYPES, manifestFromAnswer, parseCachedManifest } from "./manifests";
import { checkNames, RegistryTransport, Reply } from "./transport";
import { ContentCache, ImageInfo, LIST_LIMITS, ListTagsOptions, Manifest, RegistryApi, RegistryClientOptions } from "./types";

/** True for what the client takes as a registry: `host` or `host:port`, without scheme or path. */
export function isRegistryAddress(value: unknown): value is string {
    return typeof value === "string" && /^[A-Za-z0-9.\-[\]:]+$/.test(value);
}

/**
 * OCI distribution client: what the program, the CLI and the policy pack ask a registry. Its rooms:
 * ./transport.ts (requests, retries, status errors) with ./auth.ts (basic and bearer), ./manifests.ts
 * (reading answers), ./cache.ts (content by digest on disk). Every answer is read under a size cap
 * and every tag listing bounded.
 */
export class RegistryClient implements RegistryApi {
    readonly registry: string;
    private readonly base: string;
    private readonly transport: RegistryTransport;
    private readonly listLimits: { maxPages: number; maxTags: number; timeoutMs: number };
    /** Config blobs by digest: content-addressed, so caching them is always safe. */
    private readonly blobs = new Map<string, Promise<Buffer>>();
    /** The on-disk cache of manifests and blobs by digest, when one was given. */
    readonly cache?: ContentCache;

    constructor(options: RegistryClientOptions) {
        if (!options || !isRegistryAddress(options.registry)) {
            throw new ValidationError("registry", `Invalid registry "${options?.registry}": expected host or host:port without scheme or path, e.g. 127.0.0.1:5000.`);
        }
        this.registry = options.registry;
        const insecure = options.insecure === true;
        const plain = insecure || isLoopbackRegistry(options.registry);
        this.base = `${plain ? "http" : "https"}://${options.registry}`;
        this.transport = new RegistryTransport({
            registry: options.registry,
            base: this.base,
            insecure,
            ...(options.credentials ? { credentials: options.credentials } : {}),
            ...(options.credentialsFrom !== undefined ? { credentialsFrom: options.credentialsFrom } : {}),
            ...(options.onRequest ? { onRequest: options.onRequest } : {}),
            timeoutMs: options.timeoutMs ?? 30000,
            retries: options.retries ?? 3,
            backoffMs: options.backoffMs ?? 250,
            maxRetryAfterMs: options.maxRetryAfterMs ?? 30000,
        });
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
        const res = await this.transport.send({
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
                throw this.transport.error("BAD_RESPONSE", { repository, reference, status: res.status }, `The registry sent a malformed Docker-Content-Digest "${quoteValue(header, 80)}". Check the registry or a proxy in front of it`);
            }
            if (isFullDigest(reference) && header !== reference) {
                throw this.transport.error("DIGEST_MISMATCH", { repository, reference, status: res.status }, `The registry answered ${header} for digest ${reference}. Do not trust this registry's answer; check for a misbehaving proxy`);
            }
            return header;
        }
        // Some registries and proxies drop the header on HEAD: hash the body instead.
        try {
            return (await this.getManifest(repository, reference)).digest;
        } catch (e) {
            if (isNotFound(e)) return undefined;
            throw e;
        }
    }

    async getManifest(repository: string, reference: string): Promise<Manifest> {
        if (this.cache && isFullDigest(reference)) {
            checkNames(repository, reference);
            const cached = parseCachedManifest(reference, await this.cache.readManifest(reference));
            if (cached) return cached;
        }
        const res = await this.transport.send({
            method: "GET",
            target: `/v2/${repository}/manifests/${reference}`,
            repository,
            reference,
            headers: { accept: ACCEPT },
            accept: [200],
            kind: "manifest",
        });
        const manifest = manifestFromAnswer(repository, reference, res, this.transport.error);
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
        const fail = this.transport.error;
        let platforms: string[] = [];
        let image = manifest;
        if (INDEX_TYPES.has(manifest.mediaType)) {
            const index = choosePlatform(manifest, repository, fail);
            platforms = index.platforms;
            image = await this.getManifest(repository, index.chosen);
            if (INDEX_TYPES.has(image.mediaType)) {
                throw fail("UNSUPPORTED_MEDIA_TYPE", { repository, reference: index.chosen }, "An image index points at another index; nested indexes are not supported. Point the tag at a flat index");
            }
        }
        const parts = imageParts(image, repository, fail);
        const configBytes = await this.getBlob(repository, parts.config.digest);
        return imageInfoOf(manifest, parts, configBytes, platforms, repository, fail);
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

    async missingBlobs(repository: string, digests: string[]): Promise<{ digest: string; status: number }[]> {
        const answers = await Promise.all(digests.map(async (digest) => {
            if (!isFullDigest(digest)) throw new ValidationError("digest", `Invalid blob digest "${digest}": expected sha256: followed by 64 lowercase hex characters.`);
            const res = await this.transport.send({ method: "HEAD", target: `/v2/${repository}/blobs/${digest}`, repository, reference: digest, accept: [200, 404] });
            return { digest, status: res.status };
        }));
        return answers.filter((a) => a.status !== 200);
    }

    private async fetchBlob(repository: string, digest: string): Promise<Buffer> {
        if (!isFullDigest(digest)) throw new ValidationError("digest", `Invalid blob digest "${digest}": expected sha256: followed by 64 lowercase hex characters.`);
        if (this.cache) {
            checkNames(repository, digest);
            const cached = await this.cache.readBlob(digest);
            if (cached) return cached;
        }
        const res = await this.transport.send({ method: "GET", target: `/v2/${repository}/blobs/${digest}`, repository, reference: digest, accept: [200], kind: "config" });
        const actual = sha256Digest(res.body);
        if (actual !== digest) {
            throw this.transport.error("DIGEST_MISMATCH", { repository, reference: digest, status: res.status }, `The blob's bytes hash to ${actual}. The registry storage may be corrupt; re-push the image`);
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
            if (seen.has(target)) throw this.transport.error("BAD_RESPONSE", { repository }, "The registry's tag pagination loops (the same Link twice). Check the registry version");
            seen.add(target);
            if (++pages > limits.maxPages) {
                throw this.transport.error("BAD_RESPONSE", { repository }, `The tag list did not end after ${limits.maxPages} pages (${tags.size} tags so far); the registry's pagination never ends. Check the registry or a proxy in front of it`);
            }
            if (Date.now() > deadline) {
                throw this.transport.error("TIMEOUT", { repository }, `Listing tags took longer than ${limits.timeoutMs} ms (${pages - 1} pages, ${tags.size} tags so far). Check the registry's load, or raise the listing timeout`);
            }
            const res = await this.transport.send({ method: "GET", target, repository, accept: [200], kind: "tagList" });
            const json = jsonObject(res, { repository }, this.transport.error);
            const page = json.tags;
            if (page !== null && page !== undefined && !(Array.isArray(page) && page.every((t) => typeof t === "string"))) {
                throw this.transport.error("BAD_RESPONSE", { repository, status: res.status }, "The tag list has no array of strings in \"tags\". Check the registry");
            }
            for (const t of Array.isArray(page) ? (page as string[]) : []) {
                if (isValidTag(t)) tags.add(t);
                else if (opts.onInvalidTag) opts.onInvalidTag(t);
                else throw this.transport.error("BAD_RESPONSE", { repository, status: res.status }, `The tag list holds "${quoteValue(t, 80)}", which is not a valid tag name. Check the registry`);
            }
            if (tags.size > limits.maxTags) {
                throw this.transport.error("BAD_RESPONSE", { repository }, `The tag list passed ${limits.maxTags} tags after ${pages} pages; refusing to read further. Check the registry, or list a smaller repository`);
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
            throw this.transport.error("BAD_RESPONSE", { repository, status: res.status }, `The tag list's Link header names "${quoteValue(raw, 80)}", which is not a URL. Check the registry or a proxy in front of it`);
        }
        return url.toString();
    }

    async putManifest(repository: string, tag: string, manifest: Pick<Manifest, "bytes" | "mediaType">): Promise<string> {
        if (!KNOWN_MEDIA_TYPES.has(manifest.mediaType)) {
            throw this.transport.error("UNSUPPORTED_MEDIA_TYPE", { repository, reference: tag }, `Refusing to PUT a manifest of media type "${quoteValue(manifest.mediaType, 100)}". Use one of ${[...KNOWN_MEDIA_TYPES].join(", ")}`);
        }
        const expected = sha256Digest(manifest.bytes);
        const res = await this.transport.send({
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
            throw this.transport.error("DIGEST_MISMATCH", { repository, reference: tag, status: res.status }, `The registry stored the manifest as ${quoteValue(reported, 80)}, but its bytes hash to ${expected}. Check the tag and the registry before using it`);
        }
        if (!reported) {
            // The header is required by the spec; without it, ask what the tag now points at.
            const now = await this.resolve(repository, tag);
            if (now !== expected) {
                throw this.transport.error("DIGEST_MISMATCH", { repository, reference: tag, status: res.status }, `After the PUT the tag resolves to ${now ?? "nothing"}, expected ${expected}. Check the tag and the registry before using it`);
            }
        }
        return expected;
    }

    async deleteManifest(repository: string, digest: string): Promise<void> {
        if (!isFullDigest(digest)) {
            throw new ValidationError("digest", `Cannot delete ${this.registry}/${repository} by "${digest}": delete takes a digest, sha256: followed by 64 lowercase hex characters. Resolve the tag first.`);
        }
        const res = await this.transport.send({ method: "DELETE", target: `/v2/${repository}/manifests/${digest}`, repository, reference: digest, accept: [200, 202, 405] });
        if (res.status === 405) {
            throw this.transport.error("HTTP_ERROR", { repository, reference: digest, status: 405 }, "The registry does not allow deletes. Enable storage.delete.enabled in the registry config");
        }
    }

    /** Uploads a blob monolithically (POST, then PUT with the digest); returns its digest. No existence check first: the registry dedupes by digest. */
    async uploadBlob(repository: string, bytes: Buffer): Promise<string> {
        const digest = sha256Digest(bytes);
        const start = await this.transport.send({ method: "POST", target: `/v2/${repository}/blobs/uploads/`, repository, reference: digest, accept: [202] });
        const location = start.headers.get("location");
        if (!location) throw this.transport.error("BAD_RESPONSE", { repository, reference: digest, status: start.status }, "The blob upload answer has no Location. Check the registry");
        const url = new URL(location, this.baseUrl);
        url.searchParams.set("digest", digest);
        const res = await this.transport.send({
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
            throw this.transport.error("DIGEST_MISMATCH", { repository, reference: digest, status: res.status }, `The registry stored the blob as ${quoteValue(reported, 80)}. Check the registry`);
        }
        return digest;
    }
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
