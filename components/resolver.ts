import * as pulumi from "@pulumi/pulumi";
import { isNotFound, RegistryError } from "../lib/errors";
import { OCI } from "../lib/contract";
import { ImageInfo, RegistryApi } from "../lib/registry/types";

/** What the program knows about the image it deploys, fixed at preview time. */
export interface ResolvedImage {
    /** `host[:port]`. */
    registry: string;
    repository: string;
    /** `sha256:<64 hex>`. */
    digest: string;
    /** The human tag, when one was configured. */
    tag?: string;
    /** OCI labels of the image config (description, created, revision, source, …). */
    labels: Record<string, string>;
    description?: string;
    created?: string;
    revision?: string;
    source?: string;
    /** Bytes the registry reports for the image: config + layers of the (first) platform manifest, compressed. */
    size?: number;
    /** The image's own command (its config's `Cmd`), when it sets one. */
    command?: string[];
    /** Layer digests of the (first) platform manifest: what a pull fetches. */
    layers: string[];
}

/** Resolves a configured tag/digest to a digest, its labels and size. A configured digest wins over the tag. */
export type ImageResolver = (repository: string, choice: { tag?: string; digest?: string }) => Promise<ResolvedImage>;

/** Answers about the registry or the login rather than one image: the same for every app that meets them. */
const REGISTRY_WIDE: ReadonlySet<RegistryError["code"]> = new Set(["UNAUTHORIZED", "UNREACHABLE", "TIMEOUT"]);

/**
 * An ImageResolver over a registry client. Each distinct (repository, reference) is asked once per
 * run: many apps on one image cost one manifest + config read, not one per app. A tag is read with
 * one GET of its manifest, whose verified digest is the answer, rather than a HEAD and then a GET by digest.
 */
export function createResolver(api: RegistryApi): ImageResolver {
    const infos = new Map<string, Promise<ImageInfo>>();
    const once = (key: string, read: () => Promise<ImageInfo>): Promise<ImageInfo> => {
        let p = infos.get(key);
        if (!p) {
            p = read();
            infos.set(key, p);
        }
        return p;
    };
    const byTag = (repository: string, tag: string): Promise<ImageInfo> => once(`${repository}:${tag}`, () =>
        api.getImageInfo(repository, tag).catch((e: unknown) => {
            if (!isNotFound(e)) throw e;
            throw new Error(`Tag "${tag}" of ${api.registry}/${repository} was not found in the registry. Push it, or pick an existing tag from "image-lifecycle overview ${api.registry}/${repository}".`);
        }));
    const byDigest = (repository: string, digest: string): Promise<ImageInfo> => once(`${repository}@${digest}`, () =>
        api.getImageInfo(repository, digest).catch((e: Error) => {
            if (e instanceof RegistryError && REGISTRY_WIDE.has(e.code)) throw e;
            throw new Error(`Digest ${digest} of ${api.registry}/${repository} could not be read (${e.message}). Check the digest in the stack config, or push the image.`);
        }));
    return async (repository, choice) => {
        if (!choice.digest && !choice.tag) throw new Error(`No tag or digest given for ${repository}. Set one in the stack config.`);
        const { digest, labels, size, command, layers } = await (choice.digest ? byDigest(repository, choice.digest) : byTag(repository, choice.tag!));
        return {
            registry: api.registry,
            repository,
            digest,
            ...(choice.tag !== undefined ? { tag: choice.tag } : {}),
            labels: { ...labels },
            ...(labels[OCI.description] !== undefined ? { description: labels[OCI.description] } : {}),
            ...(labels[OCI.created] !== undefined ? { created: labels[OCI.created] } : {}),
            ...(labels[OCI.revision] !== undefined ? { revision: labels[OCI.revision] } : {}),
            ...(labels[OCI.source] !== undefined ? { source: labels[OCI.source] } : {}),
            ...(Number.isFinite(size) && size > 0 ? { size } : {}),
            ...(command !== undefined ? { command: [...command] } : {}),
            layers: [...layers],
        };
    };
}

/**
 * Resolves every image of the estate at once, before any resource is registered, so that a registry that
 * refuses the login (or a missing tag) is reported once per distinct problem, as one error without a stack
 * trace, instead of once per app as an unhandled exception. The resolver's cache serves the program after.
 */
export async function resolveUpFront(resolver: ImageResolver, images: { repository: string; tag?: string; digest?: string }[]): Promise<void> {
    const results = await Promise.allSettled(images.map((i) => resolver(i.repository, i)));
    // A refused login or an unreachable registry is one problem however many apps meet it: one line, naming them.
    const problems = new Map<string, { line: (met: string[]) => string; met: string[] }>();
    for (const [i, r] of results.entries()) {
        if (r.status === "fulfilled") continue;
        const e = r.reason as Error;
        if (e instanceof RegistryError && REGISTRY_WIDE.has(e.code)) {
            const { registry, status } = e.context;
            const key = `${e.code} ${registry} ${status ?? ""} ${e.problem}`;
            const entry = problems.get(key) ?? { line: (met) => `${e.problem} (registry ${registry}${status !== undefined ? `, HTTP ${status}` : ""}; met by ${met.join(", ")})`, met: [] };
            entry.met.push(`${images[i].repository}:${images[i].digest ?? images[i].tag}`);
            problems.set(key, entry);
        } else {
            const message = String(e?.message ?? e);
            problems.set(message, { line: () => message, met: [] });
        }
    }
    if (problems.size === 0) return;
    const lines = [...problems.values()].map((p) => p.line(p.met));
    throw new pulumi.RunError(lines.join("\n"));
}

/**
 * The images a class host could not pull: a layer the registry no longer serves (deleted by a garbage
 * collection, lost from its storage). Asked at every run, after the images resolved, one HEAD per layer;
 * one message per image, naming the layer and the registry's status, so that the pull's failure on the
 * host ("unable to find or pull image") is not all the user reads.
 */
export async function unpullableImages(api: RegistryApi, resolved: ResolvedImage[]): Promise<string[]> {
    const seen = new Map<string, ResolvedImage>();
    for (const r of resolved) seen.set(`${r.repository}@${r.digest}`, r);
    const messages = await Promise.all([...seen.values()].map(async (r) => {
        const missing = await api.missingBlobs(r.repository, r.layers);
        if (missing.length === 0) return undefined;
        const which = missing.map((m) => `${m.digest} (HEAD /v2/${r.repository}/blobs/${m.digest}: HTTP ${m.status})`).join(", ");
        return `${r.registry}/${r.repository}@${r.digest} cannot be pulled: the registry does not serve its layer ${which}. ` +
            "The containers that would run it are not changed and keep running what they run. Push the build again, or choose another tag or digest, then run pulumi up.";
    }));
    return messages.filter((m): m is string => m !== undefined);
}
