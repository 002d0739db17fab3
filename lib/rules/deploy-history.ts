/**
 * Reading an app's deploy history (`/opt/<org>/<app>/deploy-history.jsonl`, one
 * {@link DeployHistoryEntry} per line, oldest first). The host's deploy script writes it; everything
 * here only reads, and tolerates what a reader meets on a real host: no file yet, a half-written last
 * line, a line some other tool added.
 */
import { DeployHistoryEntry, DeployOutcome } from "../contract";
import { isFullDigest } from "./reference";

const OUTCOMES: readonly DeployOutcome[] = ["verified", "failed", "rolled-back"];

/** The history, oldest first, and the lines that were not entries (1-based line numbers, why). */
export interface ParsedHistory {
    entries: DeployHistoryEntry[];
    skipped: { line: number; why: string }[];
}

function entryOf(value: unknown): DeployHistoryEntry | string {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return "not a JSON object";
    const v = value as Record<string, unknown>;
    for (const key of ["app", "image", "digest", "at", "by", "outcome"] as const) {
        if (typeof v[key] !== "string" || v[key] === "") return `${key} is missing`;
    }
    if (!isFullDigest(v.digest as string)) return "digest is not sha256:<64 hex>";
    if (!OUTCOMES.includes(v.outcome as DeployOutcome)) return `outcome "${String(v.outcome).slice(0, 40)}" is not one of ${OUTCOMES.join(", ")}`;
    if (Number.isNaN(Date.parse(v.at as string))) return "at is not a date";
    const out: DeployHistoryEntry = { app: v.app as string, image: v.image as string, digest: v.digest as string, at: v.at as string, by: v.by as string, outcome: v.outcome as DeployOutcome };
    for (const key of ["tag", "description", "detail"] as const) if (typeof v[key] === "string") out[key] = v[key] as string;
    return out;
}

/** Parses the history file's text; a bad line is skipped and named, never fatal. */
export function parseDeployHistory(text: string): ParsedHistory {
    const entries: DeployHistoryEntry[] = [];
    const skipped: ParsedHistory["skipped"] = [];
    text.split("\n").forEach((raw, i) => {
        const line = raw.trim();
        if (line === "") return;
        let json: unknown;
        try {
            json = JSON.parse(line);
        } catch {
            skipped.push({ line: i + 1, why: "not JSON" });
            return;
        }
        const e = entryOf(json);
        if (typeof e === "string") skipped.push({ line: i + 1, why: e });
        else entries.push(e);
    });
    return { entries, skipped };
}

/** One digest the app ran, with its latest entry: what `rollback` lists above the registry's other builds. */
export interface RanDigest {
    digest: string;
    /** The newest entry for this digest. */
    last: DeployHistoryEntry;
    /** How many times it was deployed (entries for it). */
    times: number;
}

/** The distinct digests of a history, newest first by their latest entry. */
export function digestsRan(entries: readonly DeployHistoryEntry[]): RanDigest[] {
    const byDigest = new Map<string, RanDigest>();
    // The file is oldest first: a later line is a later deploy, whatever the clocks say.
    for (const e of entries) {
        const seen = byDigest.get(e.digest);
        byDigest.set(e.digest, { digest: e.digest, last: e, times: (seen?.times ?? 0) + 1 });
    }
    const order = new Map(entries.map((e, i) => [e, i]));
    return [...byDigest.values()].sort((a, b) => order.get(b.last)! - order.get(a.last)!);
}

/**
 * The digest to go back to: the newest `verified` entry whose digest is not `current` (what runs now).
 * Undefined when the history has none.
 */
export function previousVerified(entries: readonly DeployHistoryEntry[], current: string | undefined): DeployHistoryEntry | undefined {
    for (let i = entries.length - 1; i >= 0; i--) {
        const e = entries[i];
        if (e.digest !== current && e.outcome === "verified") return e;
    }
    return undefined;
}
