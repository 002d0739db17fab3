import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { configFromStackFile, parseConfig, ProximaEstate } from "../lib/config";
import { addStackFileEntry, AppImageChange } from "../lib/config/stack-file";
import { ValidationError } from "../lib/errors";
import type { ReleaseStackEntry } from "../lib/release/spec";

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

/** The change to one app's stack config (kept under this name for the commands). */
export type Change = AppImageChange;

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

/** Replaces `file` with `text` in one rename, keeping its mode: a reader never sees half a file. */
export function writeAtomically(file: string, text: string): void {
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, text, { mode: fs.statSync(file).mode & 0o777 });
    fs.renameSync(tmp, file);
}

/** One entry of `image-lifecycle:releases`, as promote writes it: the stack file's release keys promote sets. */
export type ReleaseEntry = Pick<ReleaseStackEntry, "repository" | "digest" | "tag" | "allowNonSemver" | "justification" | "smokeCommand">;

/** The release name CI's promote-release workflow gives: `<last path component>-<tag>`, lowercase, `[a-z0-9-]`. */
export function releaseName(repository: string, tag: string): string {
    return `${repository.split("/").pop()}-${tag}`.replace(/[^A-Za-z0-9-]/g, "-").toLowerCase();
}

/**
 * Adds `releases.<name>` to the stack file's text (lib/config/stack-file.ts does the line-by-line
 * edit); the fields are written in ReleaseEntry's order. Returns the new text and the lines added.
 */
export function addReleaseToStackFile(text: string, name: string, entry: ReleaseEntry): { text: string; added: string } {
    const { repository, digest, tag, allowNonSemver, justification, smokeCommand } = entry;
    return addStackFileEntry(text, { key: "releases", noun: "release" }, name, { repository, digest, tag, allowNonSemver, justification, smokeCommand });
}
