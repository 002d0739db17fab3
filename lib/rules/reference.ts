import { ValidationError } from "../errors";

/** A parsed image reference `host[:port]/path[:tag][@sha256:<hex>]`. */
export interface ImageReference {
    /** `host` or `host:port`. */
    registry: string;
    /** Repository path inside the registry, e.g. `rednaw/hello-world`. */
    repository: string;
    tag?: string;
    /** Full digest with algorithm, `sha256:<64 hex>`. */
    digest?: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]{1,5})?$|^\[[0-9a-fA-F:]+\](?::[0-9]{1,5})?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const FULL_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** True when the first path component names a registry rather than a repository part. */
function looksLikeHost(component: string): boolean {
    return component.includes(".") || component.includes(":") || component === "localhost" || component.startsWith("[");
}

/**
 * Parses an image reference. Without a registry host in `text`, `defaultRegistry` is used; without
 * either, it is an error, because this product never guesses Docker Hub.
 */
export function parseReference(text: string, defaultRegistry?: string, field = "image"): ImageReference {
    const fail = (why: string): never => {
        throw new ValidationError(field, `Invalid image reference "${text}": ${why}. Use host[:port]/path[:tag][@sha256:<64 hex>].`);
    };
    if (typeof text !== "string" || text.trim() === "") fail("it is empty");
    if (text !== text.trim() || /\s/.test(text)) fail("it contains white space");

    let rest = text;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        if (!FULL_DIGEST.test(digest)) fail(`digest "${digest}" is not sha256: followed by 64 lowercase hex characters`);
    }

    let tag: string | undefined;
    const lastSlash = rest.lastIndexOf("/");
    const colon = rest.lastIndexOf(":");
    if (colon > lastSlash) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
        if (!TAG.test(tag)) fail(`tag "${tag}" has characters outside [A-Za-z0-9_.-] or is longer than 128`);
    }

    const parts = rest.split("/");
    let registry: string;
    if (parts.length > 1 && looksLikeHost(parts[0])) {
        registry = parts.shift()!;
    } else if (defaultRegistry) {
        registry = defaultRegistry;
    } else {
        return fail("it names no registry host");
    }
    if (!HOST.test(registry)) fail(`registry "${registry}" is not a host name with an optional port`);
    const port = /:([0-9]+)$/.exec(registry)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) fail(`registry "${registry}" has port ${port}; a port is 1 to 65535`);
    if (parts.length === 0 || parts.some((p) => !PATH_COMPONENT.test(p))) {
        fail(`repository "${parts.join("/")}" must be lowercase path components separated by "/"`);
    }
    const repository = parts.join("/");
    if (repository.length > 255) fail("the repository name is longer than 255 characters");
    return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Formats a reference back to text; the digest wins over the tag only if `pinned` is set. */
export function formatReference(ref: ImageReference, opts: { pinned?: boolean } = {}): string {
    const base = `${ref.registry}/${ref.repository}`;
    if (opts.pinned) {
        if (!ref.digest) throw new ValidationError("digest", `Cannot pin ${base}: it has no digest. Resolve the tag first.`);
        return `${base}@${ref.digest}`;
    }
    return `${base}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** `repo@sha256:…`: the only form a Proxima container may run. */
export function pinnedReference(registry: string, repository: string, digest: string): string {
    return formatReference({ registry, repository, digest }, { pinned: true });
}

/** True for `sha256:<64 lowercase hex>`. */
export function isFullDigest(value: unknown): value is string {
    return typeof value === "string" && FULL_DIGEST.test(value);
}

/**
 * True for a repository path: lowercase components separated by "/" (the grammar `parseReference`
 * checks; its 255-character limit is not applied here).
 */
export function isValidRepository(value: unknown): value is string {
    return typeof value === "string" && value.split("/").every((c) => PATH_COMPONENT.test(c));
}

/** True for a tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. */
export function isValidTag(value: unknown): value is string {
    return typeof value === "string" && TAG.test(value);
}

/** True for a host that is loopback, where plain HTTP is allowed without `insecure`. */
export function isLoopbackRegistry(registry: string): boolean {
    const host = registry.startsWith("[") ? registry.slice(0, registry.indexOf("]") + 1) : registry.split(":")[0];
    return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
