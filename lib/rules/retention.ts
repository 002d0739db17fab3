/**
 * The cleanup planner (seed 002: only images that are not deployed may go). Pure: it sees what the
 * registry holds and what is deployed, and partitions every digest into keep (with reasons) or delete.
 */
import { durationMs } from "./duration";
import { isChannelTag, isSemverReleaseTag } from "./tags";

/** A `created` date in ms since the epoch; undefined when missing or not a date. */
export function createdMs(created: string | undefined): number | undefined {
    if (!created) return undefined;
    const ms = Date.parse(created);
    return Number.isNaN(ms) ? undefined : ms;
}

/** One digest of a repository with the tags that point at it. */
export interface DigestFacts {
    /** `sha256:…`. */
    digest: string;
    tags: string[];
    /** ISO 8601 from the created label; undefined when the image carries none. */
    created?: string;
    /**
     * Digests this manifest needs to stay pullable: an index's platform manifests (and a manifest's
     * `subject`). Whatever a kept digest refers to is kept too.
     */
    refs?: string[];
}

/** Why a digest is kept. */
export type KeepReason =
    | "deployed"
    | "semver-tag"
    | "channel-tag"
    | "last-n"
    | "younger-than-min-age"
    | "no-created-date"
    | "future-created-date"
    | "referenced";

export interface RetentionRules {
    /** Keep the newest N builds by created date; default 10. */
    keepLast: number;
    /** Keep anything younger than this many ms; off when undefined. */
    minAgeMs?: number;
    /** "now" for the age rule. */
    now: Date;
}

export interface PlannedDigest extends DigestFacts {
    reasons: KeepReason[];
    /** With the `referenced` reason: the kept digests that refer to this one. */
    referencedBy?: string[];
}

/**
 * How far in the future a created date may lie and still count as a build time (clock skew between
 * CI and this machine). A date beyond it cannot be an honest build time.
 */
export const CREATED_SKEW_MS = 10 * 60 * 1000;

export interface RetentionPlan {
    keep: PlannedDigest[];
    /** Candidates for deletion (their `reasons` is empty). */
    delete: PlannedDigest[];
}

/** `keepLast` when none is given. */
export const DEFAULT_KEEP_LAST = 10;

/**
 * Partitions `digests` (duplicates merged) into keep and delete. Kept: every deployed digest, every
 * digest carrying a semver release tag or a channel tag (`stable`, `latest`), the newest `keepLast`
 * tagged builds by created date, and with `minAgeMs` everything younger, plus (then) anything whose
 * age is unknown. A created date more than {@link CREATED_SKEW_MS} in the future takes no keep-last
 * slot (it would push real recent builds out) and is kept as `future-created-date`. Finally every
 * digest a kept digest refers to (`refs`, transitively) is kept as `referenced`, so a kept index never
 * loses a platform manifest. Both lists are newest first; each digest's tags are sorted.
 */
export function planRetention(digests: readonly DigestFacts[], deployed: ReadonlySet<string>, rules: Partial<RetentionRules> & { now: Date }): RetentionPlan {
    const keepLast = rules.keepLast ?? DEFAULT_KEEP_LAST;
    if (!Number.isInteger(keepLast) || keepLast < 0) throw new RangeError(`keepLast must be a whole number ≥ 0, got ${keepLast}.`);
    const merged = new Map<string, DigestFacts>();
    for (const d of digests) {
        const prev = merged.get(d.digest);
        if (!prev) {
            merged.set(d.digest, {
                digest: d.digest,
                tags: [...new Set(d.tags)],
                ...(d.created !== undefined ? { created: d.created } : {}),
                ...(d.refs !== undefined ? { refs: [...new Set(d.refs)] } : {}),
            });
        } else {
            prev.tags = [...new Set([...prev.tags, ...d.tags])];
            if (prev.created === undefined && d.created !== undefined) prev.created = d.created;
            if (d.refs !== undefined) prev.refs = [...new Set([...(prev.refs ?? []), ...d.refs])];
        }
    }
    const now = rules.now.getTime();
    const future = (t: number | undefined) => t !== undefined && t > now + CREATED_SKEW_MS;
    // Newest first; unknown and future dates last, then by digest so the plan is deterministic.
    const rank = (d: DigestFacts) => {
        const t = createdMs(d.created);
        return future(t) ? undefined : t;
    };
    const ordered = [...merged.values()].sort((a, b) => {
        const ta = rank(a);
        const tb = rank(b);
        if (ta !== tb) {
            if (ta === undefined) return 1;
            if (tb === undefined) return -1;
            return tb - ta;
        }
        return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
    });
    const planned = new Map<string, PlannedDigest>();
    let builds = 0;
    for (const d of ordered) {
        const reasons: KeepReason[] = [];
        if (deployed.has(d.digest)) reasons.push("deployed");
        if (d.tags.some(isSemverReleaseTag)) reasons.push("semver-tag");
        if (d.tags.some(isChannelTag)) reasons.push("channel-tag");
        const t = createdMs(d.created);
        if (future(t)) reasons.push("future-created-date");
        else if (t !== undefined && d.tags.length > 0) {
            // Only tagged builds compete for the last-N slots; an untagged digest is here only because something refers to it.
            if (builds < keepLast) reasons.push("last-n");
            builds++;
        }
        if (rules.minAgeMs !== undefined && !future(t)) {
            if (t === undefined) reasons.push("no-created-date");
            else if (now - t < rules.minAgeMs) reasons.push("younger-than-min-age");
        }
        planned.set(d.digest, { ...d, tags: [...d.tags].sort(), reasons });
    }
    // Whatever a kept digest refers to stays, transitively (an index of indexes keeps the leaves too).
    const queue = [...planned.values()].filter((p) => p.reasons.length > 0);
    while (queue.length) {
        const parent = queue.shift()!;
        for (const ref of parent.refs ?? []) {
            const child = planned.get(ref);
            if (!child || ref === parent.digest) continue;
            const by = child.referencedBy ?? [];
            if (!by.includes(parent.digest)) child.referencedBy = [...by, parent.digest].sort();
            if (!child.reasons.includes("referenced")) {
                const wasKept = child.reasons.length > 0;
                child.reasons.push("referenced");
                if (!wasKept) queue.push(child);
            }
        }
    }
    const plan: RetentionPlan = { keep: [], delete: [] };
    for (const d of ordered) {
        const p = planned.get(d.digest)!;
        (p.reasons.length ? plan.keep : plan.delete).push(p);
    }
    return plan;
}

/**
 * The order to delete `doomed` in: a digest goes only after every doomed digest that refers to it, so
 * a stop half-way (an error, a digest kept at the last moment) never leaves an index without its
 * platform manifests.
 */
export function deletionOrder(doomed: readonly PlannedDigest[]): PlannedDigest[] {
    const left = new Map(doomed.map((d) => [d.digest, d]));
    const out: PlannedDigest[] = [];
    while (left.size) {
        const referenced = new Set<string>();
        for (const d of left.values()) for (const r of d.refs ?? []) if (r !== d.digest) referenced.add(r);
        let free = [...left.values()].filter((d) => !referenced.has(d.digest));
        // A reference cycle cannot come from content addressing; break it rather than loop.
        if (free.length === 0) free = [left.values().next().value!];
        for (const d of free) {
            out.push(d);
            left.delete(d.digest);
        }
    }
    return out;
}

/** Parses `7d`, `12h`, `30m`, `45s` or `2w` into ms. */
export function parseAge(text: string): number {
    const ms = durationMs(text.trim(), ["s", "m", "h", "d", "w"]);
    if (ms === undefined) throw new RangeError(`Invalid age "${text}": use a whole number and a unit s, m, h, d or w, e.g. 7d.`);
    return ms;
}

/** Human text for a keep reason; `referencedBy` names the referring digests (e.g. with their tags). */
export function describeReason(reason: KeepReason, rules: { keepLast: number; minAge?: string }, referencedBy: readonly string[] = []): string {
    switch (reason) {
        case "deployed":
            return "deployed";
        case "semver-tag":
            return "has a semver release tag";
        case "channel-tag":
            return "has a channel tag (stable/latest)";
        case "last-n":
            return `one of the last ${rules.keepLast} builds`;
        case "younger-than-min-age":
            return `younger than ${rules.minAge}`;
        case "no-created-date":
            return "no created label, so its age is unknown";
        case "future-created-date":
            return "created label lies in the future, so its age is unknown";
        case "referenced":
            return referencedBy.length ? `referenced by kept ${referencedBy.join(", ")}` : "referenced by a kept image";
    }
}
