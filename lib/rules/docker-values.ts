/**
 * Values in the exact form the docker provider reads back from the engine. The provider compares what
 * it read with what the program sends; a different spelling of the same value is a diff, and for
 * `cpus` (a replace-on-change field) a replacement on every `pulumi up`.
 */
import { durationMs, DurationUnit, GO_UNIT_NS } from "./duration";

/**
 * CPUs as the provider prints the engine's NanoCPUs: nine decimals, then "N.0" when the nine-decimal
 * form has exactly nine zeros in all, else trailing zeros trimmed (so 1 → "1.0", 0.5 → "0.5", 0.25 → "0.25").
 */
export function dockerCpus(cpus: number): string {
    const nano = Math.round(cpus * 1e9);
    const whole = Math.trunc(nano / 1e9);
    const frac = String(nano % 1e9).padStart(9, "0");
    const nine = `${whole}.${frac}`;
    if ((nine.match(/0/g) ?? []).length === 9) {
        // One decimal, rounded as big.Rat's FloatString does: 0.05 would be read back as 0.1.
        const one = (Math.round(nano / 1e8) / 10).toFixed(1);
        if (Number(one) !== nano / 1e9) {
            throw new Error(`cpus ${cpus} cannot be set so that the docker provider reads it back unchanged (it reports ${one}). Use a multiple of 0.1, or a value with two or more significant decimals such as 0.25.`);
        }
        return one;
    }
    return nine.replace(/0+$/, "");
}


/** A duration as Go's time.Duration prints it (`90s` → `1m30s`, `1m` → `1m0s`, `500ms` → `500ms`). */
export function goDuration(text: string): string {
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
        throw new Error(`"${text}" is not a duration. Write it like 30s, 1m30s or 500ms.`);
    }
    let ns = parts.reduce((sum, p) => sum + Math.round(Number(p[1]) * GO_UNIT_NS[p[2]]), 0);
    if (ns === 0) return "0s";
    if (ns < 1e9) {
        if (ns < 1e3) return `${ns}ns`;
        if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
        return `${trim(ns / 1e6)}ms`;
    }
    const h = Math.floor(ns / 3600e9);
    ns -= h * 3600e9;
    const m = Math.floor(ns / 60e9);
    ns -= m * 60e9;
    const s = `${trim(ns / 1e9)}s`;
    return h > 0 ? `${h}h${m}m${s}` : m > 0 ? `${m}m${s}` : s;
}

function trim(n: number): string {
    return String(Number(n.toFixed(9)));
}

/** The units a stack duration may use (lib/config/schema.ts accepts these forms only). */
export const STACK_DURATION_UNITS: readonly DurationUnit[] = ["ms", "s", "m", "h"];

/** Seconds of a stack duration such as `30s`, `500ms`, `5m`. */
export function durationSeconds(text: string): number {
    const ms = durationMs(text, STACK_DURATION_UNITS);
    if (ms === undefined) throw new Error(`Refusing duration "${text}": expected a number and ms, s, m or h.`);
    return ms / 1000;
}
