/** Gathering seed 002's overview from the registry: every tag of a repository, read within bounds. */
import { isNotFound } from "../errors";
import { mapLimit } from "./limit";
import { ContentCache, ImageInfo, ListTagsOptions, Manifest, TagInfo } from "./types";

/** The client calls the overview needs (RegistryClient has them all). */
export interface OverviewSource {
    readonly registry: string;
    listTags(repository: string, opts?: ListTagsOptions): Promise<string[]>;
    getManifest(repository: string, reference: string): Promise<Manifest>;
    imageInfoFromManifest(repository: string, manifest: Manifest): Promise<ImageInfo>;
    /** Tag → digest by HEAD (undefined on 404); used only with a cache. */
    resolve?(repository: string, reference: string): Promise<string | undefined>;
    /** The on-disk cache `getManifest` and `imageInfoFromManifest` read digests from, when there is one. */
    readonly cache?: Pick<ContentCache, "hasManifest" | "readTags" | "writeTags" | "settle">;
}

export interface GatherOptions {
    /** Requests in flight at once; default 16. */
    concurrency?: number;
    /** Tag list page size (`n`); default: the registry's own (usually all in one page). */
    pageSize?: number;
    /** Called after each tag is done. */
    onProgress?: (done: number, total: number) => void;
    /** Called for each listed tag that could not be read (the overview leaves it out). */
    onUnreadable?: (tag: UnreadableTag) => void;
}

/** A tag the registry listed but did not serve: its name is not a valid tag, or its manifest answered 404. */
export interface UnreadableTag {
    /** As the registry sent it: print it only through `printable`. */
    tag: string;
    reason: string;
    /** False when asking again cannot help (the name itself is invalid). */
    retriable?: boolean;
}

/** Everything the registry told us about a repository's tags, including what it could not tell. */
export interface RepositoryPicture {
    tags: TagInfo[];
    unreadable: UnreadableTag[];
}

/**
 * Lists the tags, then GETs each tag's manifest once (its digest is the hash of the body, so no HEAD
 * is needed) and reads each distinct image's config once. Requests: list pages + one manifest per
 * tag + one config per distinct config (+ one platform manifest per distinct index). A listed tag
 * that is not a valid name, or whose manifest answers 404 (deleted while we look, or a flaky cache),
 * is returned in `unreadable`, never silently dropped: a caller that deletes must refuse to act on it.
 *
 * With a cache (docs/adr/0015-registry-cache-immutable-content-on-disk.md), a tag whose last seen
 * digest is cached is asked for its current digest by HEAD instead, and that digest's manifest and
 * config come from the cache when they are there: list pages + one HEAD per tag on a warm run. A tag
 * with no cached hint is read as without a cache, so a cold run costs exactly the same requests.
 */
export async function gatherRepository(source: OverviewSource, repository: string, opts: Omit<GatherOptions, "onUnreadable"> = {}): Promise<RepositoryPicture> {
    const unreadable: UnreadableTag[] = [];
    const tags = await source.listTags(repository, {
        ...(opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {}),
        onInvalidTag: (tag) => unreadable.push({ tag, reason: "the registry listed a name that is not a valid tag", retriable: false }),
    });
    const cache = source.resolve ? source.cache : undefined;
    const hints = cache ? await cache.readTags(source.registry, repository) : new Map<string, string>();
    const seen = new Map<string, string>();
    const infos = new Map<string, Promise<ImageInfo>>();
    let done = 0;
    const manifestOf = async (tag: string): Promise<Manifest | undefined> => {
        const hinted = hints.get(tag);
        if (!cache || !hinted || !(await cache.hasManifest(hinted))) return source.getManifest(repository, tag);
        // Tags move: the hint only says a HEAD is likely to be all this tag costs.
        const digest = await source.resolve!(repository, tag);
        return digest === undefined ? undefined : source.getManifest(repository, digest);
    };
    try {
        const found = await mapLimit(tags, opts.concurrency ?? 16, async (tag): Promise<TagInfo | undefined> => {
            let manifest: Manifest | undefined;
            let status = 404;
            try {
                manifest = await manifestOf(tag);
            } catch (e) {
                if (!isNotFound(e)) throw e;
                status = e.context.status ?? 404;
            }
            if (!manifest) {
                unreadable.push({ tag, reason: `listed, but its manifest answered HTTP ${status}` });
                opts.onProgress?.(++done, tags.length);
                return undefined;
            }
            seen.set(tag, manifest.digest);
            let info = infos.get(manifest.digest);
            if (!info) {
                info = source.imageInfoFromManifest(repository, manifest);
                infos.set(manifest.digest, info);
            }
            const result = { tag, info: await info };
            opts.onProgress?.(++done, tags.length);
            return result;
        });
        // Rewritten only when it changed, so a warm run with nothing new writes nothing.
        if (cache && (seen.size !== hints.size || [...seen].some(([tag, digest]) => hints.get(tag) !== digest))) cache.writeTags(source.registry, repository, seen);
        return { tags: found.filter((t): t is TagInfo => t !== undefined), unreadable };
    } finally {
        await cache?.settle();
    }
}

/**
 * The overview's read of a repository ({@link gatherRepository}); tags it could not read are left out
 * and reported through `onUnreadable`. Read-only callers only: a caller that deletes uses
 * `gatherRepository` and refuses when anything is unreadable.
 */
export async function gatherOverview(source: OverviewSource, repository: string, opts: GatherOptions = {}): Promise<TagInfo[]> {
    const { onUnreadable, ...rest } = opts;
    const picture = await gatherRepository(source, repository, rest);
    for (const u of picture.unreadable) onUnreadable?.(u);
    return picture.tags;
}
