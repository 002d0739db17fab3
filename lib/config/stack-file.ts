/**
 * Stack files (`Pulumi.<stack>.yaml`) read offline, without the Pulumi CLI (what the CLI and policy
 * tests parse), and edited line by line, so a review diff shows only the lines that changed.
 */
import { isDeepStrictEqual } from "node:util";
import { Document, isMap, isScalar, parseDocument, Scalar, visit } from "yaml";
import { PROJECT } from "../contract";
import { FIELD, StackEditRefused, ValidationError } from "../errors";

/**
 * The `config:` block of a `Pulumi.<stack>.yaml` (already parsed from YAML) with the project prefix
 * stripped: the raw input of parseConfig. Keys of other namespaces (provider config such as
 * `github:token`) are left out, as the program leaves them out of the estate.
 */
export function configFromStackFile(stackFile: unknown): Record<string, unknown> {
    const config = (stackFile as { config?: unknown } | null)?.config ?? {};
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
        throw new ValidationError("config", "The stack file's config: is not a mapping. Fix Pulumi.<stack>.yaml.");
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
        // defineProperty: a key such as "__proto__" must stay a key, so parseConfig can report it.
        if (key.startsWith(`${PROJECT}:`)) Object.defineProperty(out, key.slice(PROJECT.length + 1), { value: unwrapSecure(value), enumerable: true, configurable: true, writable: true });
    }
    return out;
}

/** `{ secure: "…" }` is an encrypted value only the Pulumi CLI can read; leave it out of offline parsing. */
function unwrapSecure(value: unknown): unknown {
    if (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value) return undefined;
    return value;
}

/** The change to one app's stack config: the digest always, the tag set or removed. */
export interface AppImageChange {
    digest: string;
    tag: string | null;
}

/** A stack file that is not YAML cannot be edited line by line. */
function parseForEdit(text: string): Document {
    const doc = parseDocument(text);
    if (doc.errors.length) throw new ValidationError(FIELD.stackFile, `The stack file is not valid YAML (${doc.errors[0].message}). Fix it first.`);
    return doc;
}

/**
 * Sets `apps.<app>.digest` (and the tag, or removes it) in the stack file's text by editing only
 * those lines, so comments and layout stay exactly as they were; values are double-quoted so a
 * tag like 6350192 stays a string, and a CRLF file keeps CRLF. The result is re-parsed and compared
 * with the intended change; a file with YAML anchors is refused ({@link StackEditRefused}).
 */
export function editStackFile(text: string, app: string, change: AppImageChange): string {
    const doc = parseForEdit(text);
    if (usesAnchors(doc)) {
        throw new StackEditRefused(`The stack file uses YAML anchors or aliases, so changing ${app}'s digest could change other entries too. Nothing was written; remove the anchors, or make the change by hand.`);
    }
    // Keep the file's own line ending: a CRLF file gets CRLF lines.
    const eol = text.includes("\r\n") ? "\r\n" : "\n";
    const base = ["config", `${PROJECT}:apps`, app];
    const node = doc.getIn(base, true);
    if (!isMap(node)) throw new ValidationError("app", `App "${app}" is not a mapping under ${PROJECT}:apps in the stack file.`);
    if (node.flow) throw new ValidationError("app", `App "${app}" is written in flow style ({ … }); write it as a block mapping so it can be edited line by line.`);
    const pairOf = (key: string) => node.items.find((p) => isScalar(p.key) && p.key.value === key);
    const lineStart = (offset: number) => text.lastIndexOf("\n", offset - 1) + 1;
    /** Where the line holding `offset` ends, before its CR LF or LF. */
    const lineEnd = (offset: number) => {
        const i = text.indexOf("\n", offset);
        if (i < 0) return text.length;
        return text[i - 1] === "\r" ? i - 1 : i;
    };
    /** Just past the line's end of line (or the end of the text). */
    const nextLine = (offset: number) => {
        const i = text.indexOf("\n", offset);
        return i < 0 ? text.length : i + 1;
    };
    const edits: { from: number; to: number; insert: string }[] = [];
    const valueRange = (key: string) => {
        const pair = pairOf(key);
        const value = pair?.value as { range?: [number, number, number] } | undefined;
        return pair && value?.range ? { key: (pair.key as Scalar).range!, value: value.range } : undefined;
    };
    const set = (key: string, value: string, after: string[]) => {
        const quoted = JSON.stringify(value);
        const existing = valueRange(key);
        if (existing) {
            edits.push({ from: existing.value[0], to: existing.value[1], insert: quoted });
            return;
        }
        const anchor = after.map(valueRange).find((r) => r !== undefined);
        if (!anchor) throw new ValidationError("app", `App "${app}" has no image: line to add ${key} after.`);
        const indent = text.slice(lineStart(anchor.key[0]), anchor.key[0]);
        const at = lineEnd(anchor.value[1]);
        edits.push({ from: at, to: at, insert: `${eol}${indent}${key}: ${quoted}` });
    };
    set("digest", change.digest, ["tag", "image"]);
    if (change.tag !== null) set("tag", change.tag, ["image"]);
    else {
        const tag = valueRange("tag");
        if (tag) {
            // The line goes; a comment written on it stays, as a comment line in its place.
            const rest = text.slice(tag.value[1], lineEnd(tag.value[1]));
            const comment = /#.*$/.exec(rest)?.[0];
            const indent = text.slice(lineStart(tag.key[0]), tag.key[0]);
            edits.push({ from: lineStart(tag.key[0]), to: nextLine(tag.value[1]), insert: comment ? `${indent}${comment.trimEnd()}${eol}` : "" });
        }
    }
    let out = text;
    for (const e of edits.sort((x, y) => y.from - x.from)) out = out.slice(0, e.from) + e.insert + out.slice(e.to);

    const expected = doc.toJS();
    const target = expected.config[`${PROJECT}:apps`][app];
    target.digest = change.digest;
    if (change.tag !== null) target.tag = change.tag;
    else delete target.tag;
    assertOnlyIntended(out, expected, `Editing ${app} in the stack file would change more than its digest and tag`);
    return out;
}

/** True when the document uses anchors, aliases or merge keys: an edit of one node may then change others. */
function usesAnchors(doc: Document): boolean {
    let found = false;
    visit(doc, {
        Alias() {
            found = true;
            return visit.BREAK;
        },
        Node(_, node) {
            if ((node as { anchor?: string }).anchor) {
                found = true;
                return visit.BREAK;
            }
            return undefined;
        },
    });
    return found;
}

/** Re-parses an edited stack file and refuses the edit ({@link StackEditRefused}) unless it means exactly `expected`. */
export function assertOnlyIntended(out: string, expected: unknown, what: string): void {
    const again = parseDocument(out);
    if (again.errors.length || !isDeepStrictEqual(again.toJS(), expected)) {
        throw new StackEditRefused(`${what}. Nothing was written; make the change by hand.`);
    }
}

/** The scalar fields of one entry, written in this order; undefined fields are left out. */
export type EntryFields = Readonly<Record<string, string | boolean | undefined>>;

function entryLines(name: string, fields: EntryFields, indent: string, step: string): string[] {
    return [
        `${indent}${name}:`,
        ...Object.entries(fields).flatMap(([k, v]) => (v === undefined ? [] : [`${indent}${step}${k}: ${typeof v === "boolean" ? String(v) : JSON.stringify(v)}`])),
    ];
}

/** Where an entry goes: the config key (without the project prefix) and what one entry is called. */
export interface EntryPlace {
    /** e.g. `releases`. */
    key: string;
    /** e.g. `release`, for the messages. */
    noun: string;
}

/**
 * Adds `<PROJECT>:<key>.<name>` (e.g. a release under `image-lifecycle:releases`) to the stack file's
 * text after the key's last entry (or adds the key at the end of config), indented like its
 * neighbours; nothing else changes. The result is re-parsed and compared with the intended change.
 * Returns the new text and the lines added.
 */
export function addStackFileEntry(text: string, place: EntryPlace, name: string, fields: EntryFields): { text: string; added: string } {
    const { key, noun } = place;
    const doc = parseForEdit(text);
    const config = doc.get("config", true);
    if (!isMap(config) || config.flow || config.items.length === 0) throw new ValidationError(FIELD.stackFile, `The stack file has no block mapping under config: to add the ${noun} to.`);
    const full = `${PROJECT}:${key}`;
    const entries = config.get(full, true);
    const column = (offset: number) => offset - (text.lastIndexOf("\n", offset - 1) + 1);
    const lineEnd = (offset: number) => { const i = text.indexOf("\n", offset); return i < 0 ? text.length : i; };
    const lastEnd = (items: { value: unknown }[]) => {
        const value = items[items.length - 1].value as { range?: [number, number, number] } | null;
        if (!value?.range) throw new ValidationError(FIELD.stackFile, `The last entry of the stack file has no value to add the ${noun} after.`);
        return lineEnd(value.range[1] - 1);
    };
    const configIndent = " ".repeat(column((config.items[0].key as Scalar).range![0]));
    let at: number;
    let insert: string[];
    if (entries === undefined) {
        at = lastEnd(config.items);
        insert = [`${configIndent}${full}:`, ...entryLines(name, fields, `${configIndent}  `, "  ")];
    } else {
        if (!isMap(entries) || entries.flow || entries.items.length === 0) {
            throw new ValidationError(FIELD.stackFile, `${full} is not a block mapping of ${noun}s; write it as one (or remove the empty value) so a ${noun} can be added line by line.`);
        }
        if (entries.items.some((p) => isScalar(p.key) && p.key.value === name)) {
            throw new ValidationError(FIELD.entryName, `${noun[0].toUpperCase()}${noun.slice(1)} "${name}" is already in the stack file.`);
        }
        const first = entries.items[0];
        const indent = " ".repeat(column((first.key as Scalar).range![0]));
        const child = isMap(first.value) && !first.value.flow && first.value.items.length ? column((first.value.items[0].key as Scalar).range![0]) - indent.length : 2;
        at = lastEnd(entries.items);
        insert = entryLines(name, fields, indent, " ".repeat(child));
    }
    const out = `${text.slice(0, at)}\n${insert.join("\n")}${text.slice(at)}`;
    const expected = doc.toJS();
    const written = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    expected.config[full] = { ...(expected.config[full] ?? {}), [name]: written };
    assertOnlyIntended(out, expected, `Adding ${noun} ${name} to the stack file would change more than that entry`);
    return { text: out, added: insert.join("\n") };
}
