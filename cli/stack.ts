import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { Document, isMap, isScalar, parseDocument, Scalar, visit } from "yaml";
import { configFromStackFile, parseConfig, PROJECT, ProximaEstate } from "../lib/config";
import { ValidationError } from "../lib/errors";
import { StackEditRefused } from "./io";

/** The proxima stack file, read and parsed once for a command. */
export interface LoadedStack {
    stack: string;
    /** Absolute path of the stack file. */
    file: string;
    /** The project directory: where the stack file is, where `npm start` keeps its state. */
    root: string;
    text: string;
    estate: ProximaEstate;
}

/** Stacks that have a `Pulumi.<stack>.yaml` in `dir`. */
function stacksIn(dir: string): string[] {
    try {
        return fs.readdirSync(dir).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => s !== undefined).sort();
    } catch {
        return [];
    }
}

/**
 * Reads and parses the stack file of `stack` (default proxima): `file`, else `./Pulumi.<stack>.yaml`.
 * A missing file is named as such (an unknown stack is a missing stack file); only proxima deploys apps.
 */
export function loadProximaStack(opts: { stack?: string | undefined; file?: string | undefined }, cwd = process.cwd()): LoadedStack {
    const stack = opts.stack ?? "proxima";
    const file = path.resolve(cwd, opts.file ?? `Pulumi.${stack}.yaml`);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        if (code === "ENOENT" && opts.file === undefined) {
            const known = stacksIn(path.dirname(file));
            throw new ValidationError("--stack", `The stack file ${file} is missing, so there is no stack "${stack}" here${known.length ? ` (stack files here: ${known.join(", ")})` : ""}. Run from the project directory, pick one with --stack, or pass --file.`);
        }
        throw new ValidationError("--file", `Cannot read the stack file ${file} (${code}). Run from the project directory or pass --file.`);
    }
    if (stack !== "proxima") {
        throw new ValidationError("--stack", `Stack "${stack}" deploys no apps: apps, releases and rollbacks live in the proxima stack. Use --stack proxima.`);
    }
    const doc = parseDocument(text, { prettyErrors: true });
    if (doc.errors.length) throw new ValidationError("--file", `${file} is not valid YAML: ${doc.errors[0].message}`);
    const estate = parseConfig(configFromStackFile(doc.toJS()), "proxima") as ProximaEstate;
    return { stack, file, root: path.dirname(file), text, estate };
}

/** The change to one app's stack config: the digest always, the tag set or removed. */
export interface Change {
    digest: string;
    tag: string | null;
}

/** `apps.<app>.<key>` as a Pulumi config path; bracket form when the name is not a plain identifier. */
export function configPath(app: string, key: "digest" | "tag"): string {
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(app) ? `apps.${app}.${key}` : `apps["${app}"].${key}`;
}

/** The exact Pulumi CLI commands that make `change` (single-quoted for a POSIX shell). */
export function pulumiCommands(stack: string, app: string, change: Change): string[][] {
    const digest = ["pulumi", "config", "set", "--stack", stack, "--path", "--type", "string", configPath(app, "digest"), change.digest];
    const tag = change.tag !== null
        ? ["pulumi", "config", "set", "--stack", stack, "--path", "--type", "string", configPath(app, "tag"), change.tag]
        : ["pulumi", "config", "rm", "--stack", stack, "--path", configPath(app, "tag")];
    return [digest, tag];
}

/**
 * Sets `apps.<app>.digest` (and the tag, or removes it) in the stack file's text by editing only
 * those lines, so comments and layout stay exactly as they were; values are double-quoted so a
 * tag like 6350192 stays a string. The result is re-parsed and compared with the intended change.
 */
export function editStackFile(text: string, app: string, change: Change): string {
    const doc = parseDocument(text);
    if (doc.errors.length) throw new ValidationError("stack file", `The stack file is not valid YAML (${doc.errors[0].message}). Fix it first.`);
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

/** Re-parses an edited stack file and refuses the edit unless it means exactly `expected`. */
export function assertOnlyIntended(out: string, expected: unknown, what: string): void {
    const again = parseDocument(out);
    if (again.errors.length || !isDeepStrictEqual(again.toJS(), expected)) {
        throw new StackEditRefused(`${what}. Nothing was written; make the change by hand.`);
    }
}

/** Replaces `file` with `text` in one rename, keeping its mode: a reader never sees half a file. */
export function writeAtomically(file: string, text: string): void {
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, text, { mode: fs.statSync(file).mode & 0o777 });
    fs.renameSync(tmp, file);
}

/** One entry of `image-lifecycle:releases`, as promote writes it. */
export interface ReleaseEntry {
    /** Repository inside the stack's registry, e.g. `rednaw/hello-world`. */
    image: string;
    /** 64 hex, no `sha256:` prefix (the promotion contract). */
    digest: string;
    tag: string;
    allowNonSemver?: boolean;
    justification?: string;
    smokeCommand?: string;
}

/** The release name CI's promote-release workflow gives: `<last path component>-<tag>`, lowercase, `[a-z0-9-]`. */
export function releaseName(repository: string, tag: string): string {
    return `${repository.split("/").pop()}-${tag}`.replace(/[^A-Za-z0-9-]/g, "-").toLowerCase();
}

function entryLines(name: string, entry: ReleaseEntry, indent: string, step: string): string[] {
    const q = JSON.stringify;
    return [
        `${indent}${name}:`,
        `${indent}${step}image: ${q(entry.image)}`,
        `${indent}${step}digest: ${q(entry.digest)}`,
        `${indent}${step}tag: ${q(entry.tag)}`,
        ...(entry.allowNonSemver ? [`${indent}${step}allowNonSemver: true`] : []),
        ...(entry.justification !== undefined ? [`${indent}${step}justification: ${q(entry.justification)}`] : []),
        ...(entry.smokeCommand !== undefined ? [`${indent}${step}smokeCommand: ${q(entry.smokeCommand)}`] : []),
    ];
}

/**
 * Adds `releases.<name>` to the stack file's text after the last release (or adds the releases key
 * at the end of config), indented like its neighbours; nothing else changes. The result is re-parsed
 * and compared with the intended change. Returns the new text and the lines added.
 */
export function addReleaseToStackFile(text: string, name: string, entry: ReleaseEntry): { text: string; added: string } {
    const doc = parseDocument(text);
    if (doc.errors.length) throw new ValidationError("stack file", `The stack file is not valid YAML (${doc.errors[0].message}). Fix it first.`);
    const config = doc.get("config", true);
    if (!isMap(config) || config.flow || config.items.length === 0) throw new ValidationError("stack file", "The stack file has no block mapping under config: to add the release to.");
    const key = `${PROJECT}:releases`;
    const releases = config.get(key, true);
    const column = (offset: number) => offset - (text.lastIndexOf("\n", offset - 1) + 1);
    const lineEnd = (offset: number) => { const i = text.indexOf("\n", offset); return i < 0 ? text.length : i; };
    const lastEnd = (items: { value: unknown }[]) => {
        const value = items[items.length - 1].value as { range?: [number, number, number] } | null;
        if (!value?.range) throw new ValidationError("stack file", "The last entry of the stack file has no value to add the release after.");
        return lineEnd(value.range[1] - 1);
    };
    const configIndent = " ".repeat(column((config.items[0].key as Scalar).range![0]));
    let at: number;
    let insert: string[];
    if (releases === undefined) {
        at = lastEnd(config.items);
        insert = [`${configIndent}${key}:`, ...entryLines(name, entry, `${configIndent}  `, "  ")];
    } else {
        if (!isMap(releases) || releases.flow || releases.items.length === 0) {
            throw new ValidationError("stack file", `${key} is not a block mapping of releases; write it as one (or remove the empty value) so a release can be added line by line.`);
        }
        if (releases.items.some((p) => isScalar(p.key) && p.key.value === name)) {
            throw new ValidationError("--name", `Release "${name}" is already in the stack file. Give another --name.`);
        }
        const first = releases.items[0];
        const indent = " ".repeat(column((first.key as Scalar).range![0]));
        const child = isMap(first.value) && !first.value.flow && first.value.items.length ? column((first.value.items[0].key as Scalar).range![0]) - indent.length : 2;
        at = lastEnd(releases.items);
        insert = entryLines(name, entry, indent, " ".repeat(child));
    }
    const out = `${text.slice(0, at)}\n${insert.join("\n")}${text.slice(at)}`;
    const expected = doc.toJS();
    expected.config[key] = { ...(expected.config[key] ?? {}), [name]: { ...entry } };
    assertOnlyIntended(out, expected, `Adding release ${name} to the stack file would change more than that entry`);
    return { text: out, added: insert.join("\n") };
}
