/**
 * The cleanup planner (seed 002: only images that are not deployed may go). Pure: it sees what the
 * registry holds and what is deployed, and partitions every digest into keep (with reasons) or delete.
 */
import { createdMs } from "./overview";
import { isChannelTag, isSemverReleaseTag } from "./rules";

/** One digest of a repository with the tags that point at it. */
export interface DigestFacts {
    /** `sha256:…`. */
    digest: string;
    tags: string[];
    /** ISO 8601 from the created label; undefined when the image carries none. */
    created?: string;
}

/** Why a digest is kept. */
export type KeepReason = "deployed" | "semver-tag" | "channel-tag" | "last-n" | "younger-than-min-age" | "no-created-date";

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
}

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
 * by created date, and with `minAgeMs` everything younger, plus (then) anything whose age is unknown.
 * Both lists are newest first; each digest's tags are sorted.
 */
export function planRetention(digests: readonly DigestFacts[], deployed: ReadonlySet<string>, rules: Partial<RetentionRules> & { now: Date }): RetentionPlan {
    const keepLast = rules.keepLast ?? DEFAULT_KEEP_LAST;
    if (!Number.isInteger(keepLast) || keepLast < 0) throw new RangeError(`keepLast must be a whole number ≥ 0, got ${keepLast}.`);
    const merged = new Map<string, DigestFacts>();
    for (const d of digests) {
        const prev = merged.get(d.digest);
        if (!prev) merged.set(d.digest, { digest: d.digest, tags: [...new Set(d.tags)], ...(d.created !== undefined ? { created: d.created } : {}) });
        else {
            prev.tags = [...new Set([...prev.tags, ...d.tags])];
            if (prev.created === undefined && d.created !== undefined) prev.created = d.created;
        }
    }
    // Newest first; unknown dates last, then by digest so the plan is deterministic.
    const ordered = [...merged.values()].sort((a, b) => {
        const ta = createdMs(a.created);
        const tb = createdMs(b.created);
        if (ta !== tb) {
            if (ta === undefined) return 1;
            if (tb === undefined) return -1;
            return tb - ta;
        }
        return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
    });
    const now = rules.now.getTime();
    const plan: RetentionPlan = { keep: [], delete: [] };
    ordered.forEach((d, i) => {
        const reasons: KeepReason[] = [];
        if (deployed.has(d.digest)) reasons.push("deployed");
        if (d.tags.some(isSemverReleaseTag)) reasons.push("semver-tag");
        if (d.tags.some(isChannelTag)) reasons.push("channel-tag");
        const t = createdMs(d.created);
        if (i < keepLast && t !== undefined) reasons.push("last-n");
        if (rules.minAgeMs !== undefined) {
            if (t === undefined) reasons.push("no-created-date");
            else if (now - t < rules.minAgeMs) reasons.push("younger-than-min-age");
        }
        (reasons.length ? plan.keep : plan.delete).push({ ...d, tags: [...d.tags].sort(), reasons });
    });
    return plan;
}

/** Parses `7d`, `12h`, `30m`, `45s` or `2w` into ms. */
export function parseAge(text: string): number {
    const m = /^(\d+)([smhdw])$/.exec(text.trim());
    if (!m) throw new RangeError(`Invalid age "${text}": use a whole number and a unit s, m, h, d or w, e.g. 7d.`);
    const unit = { s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000 }[m[2] as "s" | "m" | "h" | "d" | "w"];
    return Number(m[1]) * unit;
}

/** Human text for a keep reason. */
export function describeReason(reason: KeepReason, rules: { keepLast: number; minAge?: string }): string {
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
    }
}
