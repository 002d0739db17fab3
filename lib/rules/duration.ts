/**
 * The one reader of the durations this product writes: a whole number and a unit (`500ms`, `30s`,
 * `5m`, `12h`, `7d`, `2w`). Each caller says which units its format allows and words its own refusal.
 */

/** Milliseconds in one of each unit. */
const UNIT_MS = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000 } as const;

export type DurationUnit = keyof typeof UNIT_MS;

/** Nanoseconds in one of each unit of Go's time.Duration syntax (what Docker prints durations as). */
export const GO_UNIT_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** The milliseconds of `text`, a whole number and one of `units`; undefined when it is not one. */
export function durationMs(text: string, units: readonly DurationUnit[]): number | undefined {
    const m = /^([0-9]+)([a-z]+)$/.exec(text);
    if (!m || !(units as readonly string[]).includes(m[2])) return undefined;
    return Number(m[1]) * UNIT_MS[m[2] as DurationUnit];
}
