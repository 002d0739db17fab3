/**
 * Seed 002's overview: the rows of one repository (one per tag, newest first), the table and the
 * `--json` form. Gathering the tags from the registry is lib/registry/overview.ts.
 */
import { OCI } from "../contract";
import type { TagInfo } from "../registry/types";
import { createdMs } from "../rules/retention";
import { printable } from "./text";
import { truncateToWidth } from "./text-width";

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
