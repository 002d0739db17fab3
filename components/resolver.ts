import { OCI } from "../lib/labels";
import { RegistryApi } from "../lib/registry/types";

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
}

/** Resolves a configured tag/digest to a digest, its labels and size. A configured digest wins over the tag. */
export type ImageResolver = (repository: string, choice: { tag?: string; digest?: string }) => Promise<ResolvedImage>;

/**
 * An ImageResolver over a registry client. Each distinct (repository, reference) is asked once per
 * run: many apps on one image cost one HEAD and one manifest + config read, not one per app.
 */
export function createResolver(api: RegistryApi): ImageResolver {
    const digests = new Map<string, Promise<string>>();
    const infos = new Map<string, Promise<{ labels: Record<string, string>; size: number }>>();
    const digestOf = (repository: string, tag: string): Promise<string> => {
        const key = `${repository}:${tag}`;
        let p = digests.get(key);
        if (!p) {
            p = api.resolve(repository, tag).then((d) => {
                if (!d) {
                    throw new Error(`Tag "${tag}" of ${api.registry}/${repository} was not found in the registry. Push it, or pick an existing tag from "image-lifecycle overview ${api.registry}/${repository}".`);
                }
                return d;
            });
            digests.set(key, p);
        }
        return p;
    };
    const infoOf = (repository: string, digest: string): Promise<{ labels: Record<string, string>; size: number }> => {
        const key = `${repository}@${digest}`;
        let p = infos.get(key);
        if (!p) {
            p = api.getImageInfo(repository, digest).then((info) => ({ labels: info.labels, size: info.size }), (e: Error) => {
                throw new Error(`Digest ${digest} of ${api.registry}/${repository} could not be read (${e.message}). Check the digest in the stack config, or push the image.`);
            });
            infos.set(key, p);
        }
        return p;
    };
    return async (repository, choice) => {
        if (!choice.digest && !choice.tag) throw new Error(`No tag or digest given for ${repository}. Set one in the stack config.`);
        const digest = choice.digest ?? (await digestOf(repository, choice.tag!));
        const { labels, size } = await infoOf(repository, digest);
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
        };
    };
}
