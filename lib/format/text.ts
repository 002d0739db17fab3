/**
 * Registry content is data, never terminal control or markup. Everything the registry supplies
 * (labels, tag names, media types, header values, error bodies) goes through `printable` before a
 * terminal sees it, and through `mdCode` before it lands in generated Markdown.
 */

/** ESC-introduced sequences: CSI (`ESC [ … final`), OSC/DCS/APC/PM/SOS strings (to BEL or ST), and two-byte escapes. */
const ESCAPES = /\u001b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[ -~]?)/g;
/** C1 CSI/OSC written as single code points (U+009B, U+009D…): strip up to their end too. */
const C1_SEQUENCES = /\u009b[0-?]*[ -/]*[@-~]?|[\u0090\u0098\u009d\u009e\u009f][^\u0007\u009c]*[\u0007\u009c]?/g;
/**
 * C0 controls but tab and newline, DEL, C1 controls, line/paragraph separators, and the bidi
 * controls that reorder what a reader sees (embeddings, overrides, isolates, marks).
 */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** Longest registry-supplied value printed whole in a message; the rest is cut with a count. */
export const MESSAGE_VALUE_MAX = 200;

export interface PrintableOptions {
    /** Keep newlines and tabs (multi-line text such as an error body); default: each becomes a space. */
    multiline?: boolean;
    /** Cut after this many characters (code points), saying how many were cut; default: no cut. */
    max?: number;
}

/**
 * `text` made safe to print: escape sequences removed, other controls (C0 but tab/newline, DEL, C1,
 * line separators, bidi overrides and isolates) replaced by a space or removed, and optionally cut.
 * Never throws; `undefined`/non-strings become their `String()`.
 */
export function printable(text: unknown, opts: PrintableOptions = {}): string {
    let s = typeof text === "string" ? text : String(text);
    s = s.replace(ESCAPES, "").replace(C1_SEQUENCES, "");
    s = s.replace(/\r\n?/g, "\n");
    s = s.replace(CONTROLS, (c) => (/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/.test(c) ? "" : " "));
    if (!opts.multiline) s = s.replace(/[\n\t]/g, " ");
    if (opts.max !== undefined) s = cut(s, opts.max);
    return s;
}

/** A registry-supplied value for a one-line message: printable, on one line, at most {@link MESSAGE_VALUE_MAX} characters. */
export function quoteValue(text: unknown, max = MESSAGE_VALUE_MAX): string {
    return printable(text, { max });
}

function cut(s: string, max: number): string {
    const chars = Array.from(s);
    if (chars.length <= max) return s;
    return `${chars.slice(0, Math.max(0, max)).join("")}… (${chars.length - max} more characters)`;
}

/** True when `text` holds nothing `printable` would change (tab and newline allowed). */
export function isPrintable(text: string): boolean {
    return printable(text, { multiline: true }) === text.replace(/\r\n?/g, "\n");
}

/**
 * Inline Markdown code of `text`: one line, printable, fenced with more backticks than any run inside
 * it, so no value can close the span and inject headings, links or HTML.
 */
export function mdCode(text: unknown): string {
    const s = printable(text);
    const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));
    const fence = "`".repeat(longest + 1);
    const pad = s.startsWith("`") || s.endsWith("`") || s === "" ? " " : "";
    return `${fence}${pad}${s}${pad}${fence}`;
}

/** A fence for a fenced code block that no line of `body` can close. */
export function mdFence(body: string): string {
    const longest = Math.max(0, ...(body.match(/`{3,}/g) ?? []).map((r) => r.length));
    return "`".repeat(Math.max(3, longest + 1));
}

/** Characters JSON.stringify leaves raw that a terminal still acts on: DEL, C1, line separators, bidi controls. */
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/**
 * `JSON.stringify` whose text is also safe on a terminal: the characters it would leave raw are
 * written as `\uXXXX` escapes, so the data is unchanged for a JSON reader and inert for a terminal.
 */
export function safeJson(value: unknown, space: number | undefined = 2): string {
    return JSON.stringify(value, null, space).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Wraps a writer so nothing it prints can drive the terminal (newlines and tabs kept). */
export function safeWriter(write: (text: string) => void): (text: string) => void {
    return (text) => write(printable(text, { multiline: true }));
}

/**
 * A registry-supplied word for Markdown prose: as is when it holds only characters Markdown gives no
 * meaning to (letters, digits, `.`, `/`, `-`; `_` only inside), else an inline code span ({@link mdCode}).
 */
export function mdWord(text: unknown): string {
    const s = printable(text);
    return /^[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?$/.test(s) && !s.includes("__") ? s : mdCode(s);
}
