/**
 * The contract of the OCI distribution client (implemented in ./client.ts). The program, the CLI and
 * the policy pack all talk to the registry through this one client. This file imports nothing, so
 * every room of the client (auth, transport, manifests, cache) can read it without a circle.
 */

/** Media types the client asks for and understands. */
export const MEDIA_TYPES = {
    ociIndex: "application/vnd.oci.image.index.v1+json",
    ociManifest: "application/vnd.oci.image.manifest.v1+json",
    dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
    dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
} as const;

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

export interface RegistryCredentials {
    username: string;
    password: string;
}

export interface RegistryClientOptions {
    /** `host` or `host:port`. */
    registry: string;
    /** Allow plain HTTP (and so no TLS) for a non-loopback registry. Loopback always uses HTTP. */
    insecure?: boolean;
    credentials?: RegistryCredentials;
    /** Where `credentials` came from (e.g. "the stack's registryPassword"): named when the registry refuses them. */
    credentialsFrom?: string;
    /** Per request; default 30 s. */
    timeoutMs?: number;
    /** Retries of idempotent requests on 5xx, 429 and connection resets; default 3. */
    retries?: number;
    /** Called once per HTTP request sent (including retries and auth round trips), for benchmarks and tests. */
    onRequest?: (event: RequestEvent) => void;
    /** First retry delay in ms, doubled per attempt (a `Retry-After` header wins); default 250. */
    backoffMs?: number;
    /** Longest wait a `Retry-After` may impose before the client gives up instead; default 30 s. */
    maxRetryAfterMs?: number;
    /** Bounds of one tag listing (pages, tags, total time); defaults in {@link LIST_LIMITS}. */
    listLimits?: { maxPages?: number; maxTags?: number; timeoutMs?: number };
    /**
     * Manifests fetched by digest and config blobs are read from and written to this on-disk cache
     * (./cache.ts); every entry is verified against its digest on read. Default: none.
     */
    cache?: ContentCache;
}

/**
 * What the client and the overview ask of an on-disk cache of content by digest (RegistryCache of
 * ./cache.ts is the one implementation): entries verified on read, writes in the background.
 */
export interface ContentCache {
    readManifest(digest: string): Promise<Buffer | undefined>;
    readBlob(digest: string): Promise<Buffer | undefined>;
    hasManifest(digest: string): Promise<boolean>;
    writeManifest(digest: string, bytes: Buffer): void;
    writeBlob(digest: string, bytes: Buffer): void;
    /** The tag → digest index last written for a repository: a hint, never an answer. */
    readTags(registry: string, repository: string): Promise<Map<string, string>>;
    writeTags(registry: string, repository: string, tags: ReadonlyMap<string, string>): void;
    /** Waits for the background writes (and bounds the folder). */
    settle(): Promise<void>;
}

export interface RequestEvent {
    method: string;
    url: string;
    status?: number;
    /** Body bytes received. */
    bytesIn: number;
    /** Body bytes sent. */
    bytesOut: number;
}

/** A manifest or index exactly as the registry stored it. */
export interface Manifest {
    /** `sha256:…` of `bytes`, checked against `Docker-Content-Digest`. */
    digest: string;
    mediaType: string;
    /** The exact bytes: re-PUT these under a new tag and the digest stays the same. */
    bytes: Buffer;
    /** Parsed JSON of `bytes`. */
    json: Record<string, unknown>;
}

/** What the overview, records and policies need to know about one digest. */
export interface ImageInfo {
    digest: string;
    mediaType: string;
    /** Config labels (OCI annotations from git). Empty object when none. */
    labels: Record<string, string>;
    /** `org.opencontainers.image.created` label, else the config's `created`. ISO 8601. */
    created?: string;
    /** `os/arch[/variant]` of each platform; one entry for a single-platform image. */
    platforms: string[];
    /** Layer digests of the (first) platform manifest. */
    layers: string[];
    /** Sum of config + layer sizes of the (first) platform manifest, in bytes. */
    size: number;
    /** Digest of the config blob the labels came from. */
    configDigest?: string;
    /** The config's `Cmd`, the command a container of the image runs when none is given; absent when the image sets none. */
    command?: string[];
    /**
     * Manifests this one needs to stay pullable: every entry of an index (attestations too) and a
     * manifest's `subject`. Empty for a plain image. Cleanup keeps whatever a kept image refers to.
     */
    refs?: string[];
}

/** What gathering an overview learned about one tag: its name and the image it points at. */
export interface TagInfo {
    tag: string;
    info: ImageInfo;
}

export interface ListTagsOptions {
    /** The `n` parameter: tags per page. */
    pageSize?: number;
    /** Receives each listed name that is not a valid tag (raw: sanitise before printing). */
    onInvalidTag?: (name: string) => void;
}

export interface RegistryApi {
    readonly registry: string;
    /** Tag or digest → digest by HEAD; `undefined` when the registry says it is unknown (404). */
    resolve(repository: string, reference: string): Promise<string | undefined>;
    /** GET a manifest by tag or digest; the body's digest is verified (against the digest asked for, and the header). */
    getManifest(repository: string, reference: string): Promise<Manifest>;
    /** Manifest + config blob → labels, created, platforms, layers, size. For an index, the first platform's config. */
    getImageInfo(repository: string, reference: string): Promise<ImageInfo>;
    /**
     * All tags, following `Link` pagination within the client's bounds. A listed name that is not a
     * valid tag is passed to `onInvalidTag` and left out; without that callback it is a registry error.
     */
    listTags(repository: string, opts?: ListTagsOptions): Promise<string[]>;
    /** PUT the exact bytes under `tag`; returns the digest the registry reports, verified equal to the bytes' digest. */
    putManifest(repository: string, tag: string, manifest: Pick<Manifest, "bytes" | "mediaType">): Promise<string>;
    /** DELETE a manifest by digest (removes every tag that points at it). */
    deleteManifest(repository: string, digest: string): Promise<void>;
    /** HEAD each blob: the ones the registry does not serve, with the status it answered. */
    missingBlobs(repository: string, digests: string[]): Promise<{ digest: string; status: number }[]>;
}
