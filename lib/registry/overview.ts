import { OCI } from "../contract";
import { printable } from "../format/text";

// The one sanitiser, also for callers that already import the overview.
export { printable };
import { RegistryError } from "../errors";
import { mapLimit } from "./limit";
import type { RegistryCache } from "./cache";
import { ImageInfo, ListTagsOptions, Manifest } from "./types";
import { truncateToWidth } from "../format/text-width";

/** One row of the overview: one tag (several tags on one digest give several rows). */
export interface OverviewRow {
    tag: string;
    digest: string;
    /** `org.opencontainers.image.created` (else the config's `created`), as the registry holds it. */
    created?: string;
    description?: string;
    revision?: string;
    source?: string;
    /** Bytes of config + layers as stored (compressed) in the registry; of the first platform for an index. */
    size: number;
    /** True when `digest` is in the deployed set. */
    deployed: boolean;
}

/** The overview of one repository, rows newest first. */
export interface Overview {
    registry: string;
    repository: string;
    rows: OverviewRow[];
    /** Deployed digests no tag points at any more (still runnable by digest). */
    deployedWithoutTag: string[];
}

/** What the gathering step learned about one tag. */
export interface TagInfo {
    tag: string;
    info: ImageInfo;
}

/** A `created` date in ms since the epoch; undefined when missing or not a date. */
export function createdMs(created: string | undefined): number | undefined {
    if (!created) return undefined;
    const ms = Date.parse(created);
    return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Orders the rows: newest `created` first; unknown or unparsable dates last; then by digest (so the
 * tags of one image stay together), then by tag, so the order never depends on the registry's.
 */
export function buildOverview(registry: string, repository: string, tags: readonly TagInfo[], deployed: ReadonlySet<string>): Overview {
    const rows: OverviewRow[] = tags.map(({ tag, info }) => {
        const row: OverviewRow = { tag, digest: info.digest, size: info.size, deployed: deployed.has(info.digest) };
        if (info.created !== undefined) row.created = info.created;
        const description = info.labels[OCI.description];
        if (description !== undefined) row.description = description;
        if (info.labels[OCI.revision] !== undefined) row.revision = info.labels[OCI.revision];
        if (info.labels[OCI.source] !== undefined) row.source = info.labels[OCI.source];
        return row;
    });
    const keyed = rows.map((row) => ({ row, ms: createdMs(row.created) }));
    keyed.sort((a, b) => {
        if (a.ms !== b.ms) {
            if (a.ms === undefined) return 1;
            if (b.ms === undefined) return -1;
            return b.ms - a.ms;
        }
        if (a.row.digest !== b.row.digest) return a.row.digest < b.row.digest ? -1 : 1;
        return a.row.tag < b.row.tag ? -1 : a.row.tag > b.row.tag ? 1 : 0;
    });
    const tagged = new Set(rows.map((r) => r.digest));
    return {
        registry,
        repository,
        rows: keyed.map((k) => k.row),
        deployedWithoutTag: [...deployed].filter((d) => !tagged.has(d)).sort(),
    };
}

/** `YYYY-MM-DD HH:MM` in UTC, or `-` when the date is missing or not a date. */
export function formatCreated(created: string | undefined): string {
    const ms = createdMs(created);
    if (ms === undefined) return "-";
    return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}


/** Cuts `text` to `max` terminal columns (CJK and emoji count two), ending in `…` when cut. */
export function truncate(text: string, max: number): string {
    return truncateToWidth(text, max);
}

const CREATED_WIDTH = 21;
const MIN_DESCRIPTION = 10;

/** `IMAGE: <repository>`: the first line of every table that is about one image. */
export function imageLine(repository: string): string {
    return `IMAGE: ${repository}`;
}

/** Width of the DIGEST column: the 64 hex digits, which deploy, rollback and promote all accept. */
const DIGEST_WIDTH = 66;

/**
 * Seed 002's table: `IMAGE:` line, blank line, header, dashes, one row per tag with `→` on deployed
 * digests. The tag column grows with the longest tag; descriptions are cut so a row fits `width`
 * (but keep at least 10 characters). With `digests`, a DIGEST column (64 hex) follows TAG.
 */
export function formatOverview(overview: Overview, opts: { width?: number; digests?: boolean } = {}): string {
    const longestTag = Math.max(3, ...overview.rows.map((r) => Array.from(r.tag).length));
    const tagWidth = Math.max(9, 2 + longestTag) + 2;
    const digestWidth = opts.digests ? DIGEST_WIDTH : 0;
    const room = opts.width === undefined ? Infinity : Math.max(MIN_DESCRIPTION, opts.width - tagWidth - digestWidth - CREATED_WIDTH);
    const digestCol = (text: string) => (opts.digests ? text.padEnd(DIGEST_WIDTH) : "");
    const lines = [
        imageLine(overview.repository),
        "",
        `${"TAG".padEnd(tagWidth)}${digestCol("DIGEST")}${"CREATED".padEnd(CREATED_WIDTH)}DESCRIPTION`,
        `${"---".padEnd(tagWidth)}${digestCol("------")}${"-------".padEnd(CREATED_WIDTH)}-----------`,
    ];
    for (const row of overview.rows) {
        const tag = `${row.deployed ? "→" : " "} ${row.tag}`;
        const description = truncate(printable(row.description ?? "").replace(/ {2,}/g, " ").trim() || "-", room);
        lines.push(`${tag.padEnd(tagWidth)}${digestCol(row.digest.replace(/^sha256:/, ""))}${formatCreated(row.created).padEnd(CREATED_WIDTH)}${description}`);
    }
    return `${lines.join("\n")}\n`;
}

/** A registry-supplied string for the JSON form: newlines and tabs kept, nothing that drives a terminal. */
function jsonText(value: string | undefined): string | null {
    return value === undefined ? null : printable(value, { multiline: true });
}

/** The `--json` form: stable keys for scripts. Label values pass the sanitiser (they are printed). */
export function overviewJson(overview: Overview): object {
    return {
        image: `${overview.registry}/${overview.repository}`,
        registry: overview.registry,
        repository: overview.repository,
        tags: overview.rows.map((r) => ({
            tag: r.tag,
            digest: r.digest,
            created: jsonText(r.created),
            description: jsonText(r.description),
            revision: jsonText(r.revision),
            source: jsonText(r.source),
            size: r.size,
            deployed: r.deployed,
        })),
        deployedWithoutTag: overview.deployedWithoutTag,
    };
}

/** The client calls the overview needs (RegistryClient has them all). */
export interface OverviewSource {
    readonly registry: string;
    listTags(repository: string, opts?: ListTagsOptions): Promise<string[]>;
    getManifest(repository: string, reference: string): Promise<Manifest>;
    imageInfoFromManifest(repository: string, manifest: Manifest): Promise<ImageInfo>;
    /** Tag → digest by HEAD (undefined on 404); used only with a cache. */
    resolve?(repository: string, reference: string): Promise<string | undefined>;
    /** The on-disk cache `getManifest` and `imageInfoFromManifest` read digests from, when there is one. */
    readonly cache?: Pick<RegistryCache, "hasManifest" | "readTags" | "writeTags" | "settle">;
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
                if (!(e instanceof RegistryError && (e.code === "MANIFEST_UNKNOWN" || e.code === "NOT_FOUND"))) throw e;
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
