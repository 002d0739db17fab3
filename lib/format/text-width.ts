/**
 * Terminal display width: CJK and most emoji take two columns, combining marks and joiners none.
 * Cutting a description to `--width` counts columns, not code points, so a row of wide characters
 * still fits the terminal.
 */

// [first, last] code points that a terminal draws two columns wide (East Asian Wide/Fullwidth, emoji).
const WIDE: ReadonlyArray<readonly [number, number]> = [
    [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x23f0, 0x23f0], [0x23f3, 0x23f3],
    [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2648, 0x2653], [0x267f, 0x267f], [0x2693, 0x2693], [0x26a1, 0x26a1],
    [0x26aa, 0x26ab], [0x26bd, 0x26be], [0x26c4, 0x26c5], [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea],
    [0x26f2, 0x26f3], [0x26f5, 0x26f5], [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b],
    [0x2728, 0x2728], [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
    [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55],
    [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xa960, 0xa97f],
    [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f], [0xff00, 0xff60], [0xffe0, 0xffe6],
    [0x1f004, 0x1f004], [0x1f0cf, 0x1f0cf], [0x1f18e, 0x1f18e], [0x1f191, 0x1f19a], [0x1f200, 0x1f251],
    [0x1f300, 0x1f64f], [0x1f680, 0x1f6ff], [0x1f7e0, 0x1f7eb], [0x1f900, 0x1f9ff], [0x1fa70, 0x1faff],
    [0x20000, 0x3fffd],
];

function isWide(cp: number): boolean {
    if (cp < 0x1100) return false;
    let lo = 0;
    let hi = WIDE.length - 1;
    while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const [a, b] = WIDE[mid];
        if (cp < a) hi = mid - 1;
        else if (cp > b) lo = mid + 1;
        else return true;
    }
    return false;
}

/** Combining marks, zero-width spaces and joiners, variation selectors: drawn on the previous cell. */
function isZeroWidth(cp: number): boolean {
    return (cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x1dc0 && cp <= 0x1dff) ||
        (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe00 && cp <= 0xfe0f) ||
        (cp >= 0xfe20 && cp <= 0xfe2f) || (cp >= 0x1f3fb && cp <= 0x1f3ff) || (cp >= 0xe0100 && cp <= 0xe01ef);
}

/** Columns one code point takes. */
export function charWidth(char: string): number {
    const cp = char.codePointAt(0) ?? 0;
    if (isZeroWidth(cp)) return 0;
    return isWide(cp) ? 2 : 1;
}

/** Columns `text` takes on a terminal. */
export function displayWidth(text: string): number {
    let w = 0;
    for (const c of text) w += charWidth(c);
    return w;
}

/** Cuts `text` to at most `max` columns, ending in `…` when cut; never splits a wide character. */
export function truncateToWidth(text: string, max: number): string {
    if (displayWidth(text) <= max) return text;
    if (max <= 0) return "";
    let out = "";
    let w = 0;
    for (const c of text) {
        const cw = charWidth(c);
        if (w + cw > max - 1) break;
        out += c;
        w += cw;
    }
    return `${out}…`;
}

/** Pads `text` with spaces to `width` columns. */
export function padEndToWidth(text: string, width: number): string {
    return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}
