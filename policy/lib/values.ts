/**
 * Reading resource inputs the way the engine hands them to policies: maybe wrapped in the policy SDK's
 * unknown-checking proxy, maybe holding "unknown during preview" sentinels, maybe malformed. Every reader
 * here returns a value, the UNKNOWN marker, or undefined; none throws, so a policy can say what it could
 * not check instead of failing the preview.
 */

/** A value the engine cannot know until `pulumi up` (an output of a resource not yet created). */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;

// The engine's wire sentinels for unknown values (the same UUIDs @pulumi/pulumi and @pulumi/policy use).
// They are protocol constants, so matching them by value is stable across SDK versions.
const SENTINELS = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

// The policy SDK's proxy throws on reading an unknown; its raw target lets us inspect without throwing.
const PROXY_TARGET = "__getSpecialProxyTarget";

/** Removes the SDK's unknown-checking proxy, if any, so reads cannot throw. */
export function raw(value: unknown): unknown {
    if (typeof value !== "object" || value === null) return value;
    try {
        const target = (value as Record<string, unknown>)[PROXY_TARGET];
        return target !== undefined && typeof target === "object" ? target : value;
    } catch {
        return value;
    }
}

/** True for an engine sentinel (or an already converted UNKNOWN). */
export function isUnknown(value: unknown): value is Unknown | string {
    return value === UNKNOWN || (typeof value === "string" && SENTINELS.has(value));
}

/** Reads `obj[key]` without the proxy; sentinels become UNKNOWN. */
export function field(obj: unknown, key: string): unknown {
    const o = raw(obj);
    if (typeof o !== "object" || o === null || Array.isArray(o)) return isUnknown(o) ? UNKNOWN : undefined;
    const v = raw((o as Record<string, unknown>)[key]);
    return isUnknown(v) ? UNKNOWN : v;
}

/** `obj.a.b.c`, stopping at the first missing or unknown step. */
export function path(obj: unknown, ...keys: string[]): unknown {
    let cur: unknown = obj;
    for (const k of keys) {
        if (cur === UNKNOWN || cur === undefined) return cur;
        cur = field(cur, k);
    }
    return cur;
}

/** The elements of an array input; UNKNOWN for an unknown array, undefined when absent or not an array. */
export function list(value: unknown): unknown[] | Unknown | undefined {
    const v = raw(value);
    if (isUnknown(v)) return UNKNOWN;
    if (!Array.isArray(v)) return undefined;
    return v.map((e) => {
        const r = raw(e);
        return isUnknown(r) ? UNKNOWN : r;
    });
}

/** Describes a value for a message: `"x"`, `unknown during preview`, `missing`, `a number (3)`. */
export function describe(value: unknown): string {
    if (value === UNKNOWN) return "unknown during preview";
    if (value === undefined || value === null) return "missing";
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
    if (Array.isArray(value)) return "an array";
    return `a ${typeof value}`;
}

/** A Docker label list (`[{label, value}]`) or map as a Map. Unknown entries are kept as UNKNOWN values. */
export interface Labels {
    /** The labels that could be read. */
    values: Map<string, string | Unknown>;
    /** True when the whole label list is unknown during preview. */
    unknown: boolean;
    /** Entries that were not `{label: string, value: string}`. */
    malformed: number;
}

export function labelsOf(value: unknown): Labels {
    const out: Labels = { values: new Map(), unknown: false, malformed: 0 };
    const items = list(value);
    if (items === UNKNOWN) {
        out.unknown = true;
        return out;
    }
    if (items === undefined) {
        // A plain map (some providers, and hand-written fixtures) is read too.
        const o = raw(value);
        if (typeof o === "object" && o !== null && !Array.isArray(o)) {
            for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
                const r = raw(v);
                if (isUnknown(r)) out.values.set(k, UNKNOWN);
                else if (typeof r === "string") out.values.set(k, r);
                else out.malformed++;
            }
        }
        return out;
    }
    for (const item of items) {
        const key = field(item, "label");
        const val = field(item, "value");
        if (typeof key !== "string") {
            out.malformed++;
            continue;
        }
        if (val === UNKNOWN) out.values.set(key, UNKNOWN);
        else if (typeof val === "string") out.values.set(key, val);
        else out.malformed++;
    }
    return out;
}

/** A label's text; UNKNOWN when unknown, undefined when absent. */
export function label(labels: Labels, key: string): string | Unknown | undefined {
    if (labels.values.has(key)) return labels.values.get(key);
    return labels.unknown ? UNKNOWN : undefined;
}

/** A positive finite number from a number or numeric string (Docker's `cpus` is a string). */
export function positiveNumber(value: unknown): number | Unknown | undefined {
    if (value === UNKNOWN || isUnknown(value)) return UNKNOWN;
    const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
    return Number.isFinite(n) && n > 0 ? n : undefined;
}
