/**
 * Reading what a registry answers, without asking it anything: manifests and indexes (digest checked,
 * media type known), the image config's labels, the error codes of an error body. Pure: the client
 * (./client.ts) fetches the bytes and passes them here; a malformed answer becomes a RegistryError
 * through the `fail` the client gives, so every message names the registry it came from.
 */
import { RegistryError, RegistryErrorCode, RegistryErrorContext, RegistrySetting } from "../errors";
import { quoteValue } from "../format/text";
import { isFullDigest } from "../rules/reference";
import { sha256Digest } from "../rules/digest";
import { ImageInfo, Manifest, MEDIA_TYPES } from "./types";

/** Builds the RegistryError of one registry (its name added to `ctx`). */
export type Fail = (code: RegistryErrorCode, ctx: Omit<RegistryErrorContext, "registry">, message: string, setting?: RegistrySetting) => RegistryError;

export const KNOWN_MEDIA_TYPES: ReadonlySet<string> = new Set(Object.values(MEDIA_TYPES));
export const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]);
/** The `Accept` header of a manifest request: every type in {@link MEDIA_TYPES}. */
export const ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerList, MEDIA_TYPES.dockerManifest].join(", ");

/** One answer as the client read it: what parsing needs of it. */
export interface Answer {
    status: number;
    headers: Headers;
    body: Buffer;
}

/** A manifest from an answer: its bytes hashed (against the digest asked for and the header), its media type one we know. */
export function manifestFromAnswer(repository: string, reference: string, res: Answer, fail: Fail): Manifest {
    const ctx = { repository, reference, status: res.status };
    const digest = sha256Digest(res.body);
    const header = res.headers.get("docker-content-digest");
    if (isFullDigest(reference) && digest !== reference) {
        throw fail("DIGEST_MISMATCH", ctx, `The manifest's bytes hash to ${digest}, not the digest asked for. Do not use this answer; check for a misbehaving proxy or corrupt storage`);
    }
    if (header && header !== digest) {
        throw fail("DIGEST_MISMATCH", ctx, `The Docker-Content-Digest header says ${quoteValue(header, 80)} but the manifest's bytes hash to ${digest}. Do not use this answer; check for a misbehaving proxy`);
    }
    const json = jsonObject(res, { repository, reference }, fail);
    const headerType = (res.headers.get("content-type") ?? "").split(";")[0].trim();
    const bodyType = typeof json.mediaType === "string" ? json.mediaType : "";
    const mediaType = KNOWN_MEDIA_TYPES.has(headerType) ? headerType : bodyType;
    if (!KNOWN_MEDIA_TYPES.has(mediaType)) {
        throw fail("UNSUPPORTED_MEDIA_TYPE", ctx, `The manifest has media type "${quoteValue(headerType || bodyType || "none", 100)}", which this tool does not understand. Push the image as an OCI or Docker v2 manifest or index`);
    }
    return { digest, mediaType, bytes: res.body, json };
}

/** The answer's body as a JSON object, else a registry error that points at the registry address. */
export function jsonObject(res: Answer, ctx: Omit<RegistryErrorContext, "registry">, fail: Fail): Record<string, unknown> {
    let parsed: unknown;
    try {
        parsed = JSON.parse(res.body.toString("utf8"));
    } catch {
        throw fail("BAD_RESPONSE", { ...ctx, status: res.status }, `The registry answered with a body that is not JSON (${res.body.length} bytes). Check that the registry address points at an OCI registry and not at another web server`, "address");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw fail("BAD_RESPONSE", { ...ctx, status: res.status }, "The registry answered with JSON that is not an object. Check that the registry address points at an OCI registry", "address");
    }
    return parsed as Record<string, unknown>;
}

/** A manifest from cached bytes (already verified against `digest`); undefined when they are not one we understand. */
export function parseCachedManifest(digest: string, bytes: Buffer | undefined): Manifest | undefined {
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

/** The platforms an index lists and the entry to read the image from: linux/amd64, else the first runnable one. */
export function choosePlatform(index: Manifest, repository: string, fail: Fail): { platforms: string[]; chosen: string } {
    const entries = indexEntries(index.json);
    const runnable = entries.filter((e) => e.platform !== "unknown/unknown");
    const platforms = runnable.map((e) => e.platform).filter((p) => p !== "");
    const chosen = runnable.find((e) => e.platform === "linux/amd64") ?? runnable[0];
    if (!chosen) {
        throw fail("BAD_RESPONSE", { repository, reference: index.digest }, "The image index lists no platform manifest. Push a complete multi-platform image");
    }
    return { platforms, chosen: chosen.digest };
}

/** An image manifest's config and layer descriptors, and their total size. */
export interface ImageParts {
    config: Descriptor;
    layers: Descriptor[];
    size: number;
}

interface Descriptor {
    digest: string;
    size: number;
}

/** The config and layers of an image manifest; a registry error when they are missing or their sizes cannot be added exactly. */
export function imageParts(image: Manifest, repository: string, fail: Fail): ImageParts {
    const config = descriptor(image.json.config);
    const layers = Array.isArray(image.json.layers) ? image.json.layers.map(descriptor) : undefined;
    if (!config || !layers || layers.some((l) => !l)) {
        throw fail("BAD_RESPONSE", { repository, reference: image.digest }, "The manifest has no valid config or layers descriptors. Re-push the image");
    }
    const size = config.size + layers.reduce((sum, l) => sum + l!.size, 0);
    if (!Number.isSafeInteger(size)) {
        throw fail("BAD_RESPONSE", { repository, reference: image.digest }, "The manifest's sizes add up to more bytes than can be counted exactly. Check the registry; re-push the image");
    }
    return { config, layers: layers as Descriptor[], size };
}

/**
 * ImageInfo of `manifest` (a plain image or an index) from the parts of its image manifest and the
 * config blob's bytes; `platforms` is what the index listed (empty for a plain image: read from the config).
 */
export function imageInfoOf(manifest: Manifest, parts: ImageParts, configBytes: Buffer, indexPlatforms: string[], repository: string, fail: Fail): ImageInfo {
    let parsed: Record<string, unknown>;
    try {
        parsed = asObject(JSON.parse(configBytes.toString("utf8")));
    } catch {
        throw fail("BAD_RESPONSE", { repository, reference: parts.config.digest }, "The image config blob is not JSON. Re-push the image");
    }
    const inner = asObject(parsed.config);
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(asObject(inner.Labels))) if (typeof v === "string") labels[k] = v;
    const created = labels["org.opencontainers.image.created"] ?? (typeof parsed.created === "string" ? parsed.created : undefined);
    const command = Array.isArray(inner.Cmd) && inner.Cmd.every((part) => typeof part === "string") ? (inner.Cmd as string[]) : undefined;
    let platforms = indexPlatforms;
    if (platforms.length === 0 && typeof parsed.os === "string" && typeof parsed.architecture === "string") {
        platforms = [[parsed.os, parsed.architecture, typeof parsed.variant === "string" ? parsed.variant : ""].filter(Boolean).join("/")];
    }
    return {
        digest: manifest.digest,
        mediaType: manifest.mediaType,
        labels,
        ...(created !== undefined ? { created } : {}),
        platforms,
        layers: parts.layers.map((l) => l.digest),
        size: parts.size,
        configDigest: parts.config.digest,
        ...(command !== undefined ? { command } : {}),
        refs: manifestRefs(manifest.json),
    };
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

/** The `code`s of a distribution-spec error body (`{"errors":[{"code":…}]}`); empty when it is not one. */
export function registryErrorCodes(body: Buffer): string[] {
    try {
        const errors = asObject(JSON.parse(body.toString("utf8"))).errors;
        return Array.isArray(errors) ? errors.map((e) => String(asObject(e).code ?? "")).filter(Boolean) : [];
    } catch {
        return [];
    }
}

/** `value` when it is a JSON object, else an empty one. */
export function asObject(value: unknown): Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function descriptor(value: unknown): Descriptor | undefined {
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
