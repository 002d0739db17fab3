import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { Document, isMap, isScalar, parseDocument, Scalar, visit } from "yaml";
import { AppConfig, configFromStackFile, parseConfig, PROJECT, ProximaEstate } from "../lib/config";
import { RegistryError, ValidationError } from "../lib/errors";
import { OCI } from "../lib/labels";
import { buildOverview, formatCreated, gatherOverview, truncate } from "../lib/overview";
import { isFullDigest } from "../lib/reference";
import { clientFromEnv } from "../lib/registry/client";
import { shellLine } from "../lib/release-notes";
import { printable, quoteValue, safeJson, safeWriter } from "../lib/text";
import { CliIO, Command, EXIT, parseCommandArgs } from "./io";

/** The stack file could not be changed safely; nothing was written (exit 4, "the config change failed"). */
export class StackEditRefused extends Error {
    override readonly name = "StackEditRefused";
}

/** Exit code when the config change fails or is refused (the Pulumi CLI failing, or an unsafe file edit). */
const EXIT_CHANGE_FAILED = 4;

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

const USAGE = `Usage: image-lifecycle rollback <app> [options]

Lists the digests of an app's image (newest first, → on the one the stack config runs now) and,
with --to, switches the app in the stack config to an earlier one. Rolling back is deploying an
earlier digest: run "pulumi preview --policy-pack policy" and "pulumi up" afterwards.

  <app>                 an app under image-lifecycle:apps in the stack file
  --stack <name>        stack whose file to read and change (default: proxima)
  --file <path>         the stack file (default: ./Pulumi.<stack>.yaml)
  --to <tag|digest>     the image to roll back to: a tag, sha256:<64 hex>, or at least 12 hex of one
  --yes                 make the change; without it, show what would change and the commands
  --registry <host[:port]>  ask this registry instead of the stack's registry.host
  --insecure            plain HTTP to a registry that is not on loopback
  --json                print JSON for scripts instead of the table
  -h, --help            this help

Making the change: when the Pulumi CLI is on PATH it runs
  pulumi config set --stack <stack> --path --type string 'apps.<app>.digest' <digest>
(and the same for the tag, or "pulumi config rm" when the digest has no tag); otherwise it edits
the stack file itself, keeping its comments, and prints those commands for the record.

Credentials: REGISTRY_USERNAME and REGISTRY_PASSWORD.
Exit codes: 0 ok (or already on that image), 1 the --to image is not in the registry, 2 bad usage
or stack config, 3 registry unreachable or answering badly, 4 the config change failed or was
refused (nothing written: e.g. a stack file with YAML anchors).
`;

/** One distinct image of the app's repository. */
interface Candidate {
    digest: string;
    tags: string[];
    created?: string;
    description?: string;
    revision?: string;
    current: boolean;
}

/** The change to the stack config: the digest always, the tag set or removed. */
interface Change {
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

/** Finds an executable `pulumi` on `env.PATH`. */
export function findPulumi(env: NodeJS.ProcessEnv): string | undefined {
    for (const dir of (env.PATH ?? "").split(path.delimiter)) {
        if (!dir) continue;
        const candidate = path.join(dir, "pulumi");
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            if (fs.statSync(candidate).isFile()) return candidate;
        } catch {
            // not here
        }
    }
    return undefined;
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
        throw new StackEditRefused(`The stack file uses YAML anchors or aliases, so changing ${app}'s digest could change other entries too. Nothing was written; make the change with the pulumi config commands below after removing the anchors, or edit the file by hand.`);
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
    const again = parseDocument(out);
    if (again.errors.length || !isDeepStrictEqual(again.toJS(), expected)) {
        throw new StackEditRefused(`Editing ${app} in the stack file would change more than its digest and tag. Nothing was written; make the change with the pulumi config commands below, or by hand.`);
    }
    return out;
}

function writeAtomically(file: string, text: string): void {
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, text, { mode: fs.statSync(file).mode & 0o777 });
    fs.renameSync(tmp, file);
}

function shortDigest(digest: string): string {
    return `${digest.slice(0, "sha256:".length + 12)}`;
}

function formatTable(app: AppConfig, image: string, candidates: Candidate[]): string {
    const rows = candidates.map((c) => ({
        mark: c.current ? "→" : " ",
        digest: shortDigest(c.digest),
        tags: c.tags.join(",") || "-",
        created: formatCreated(c.created),
        description: printable(c.description ?? ""),
    }));
    const w = {
        digest: Math.max(6, ...rows.map((r) => r.digest.length)),
        tags: Math.max(4, ...rows.map((r) => r.tags.length)),
        created: Math.max(7, ...rows.map((r) => r.created.length)),
    };
    const line = (mark: string, d: string, t: string, c: string, desc: string) => `${mark} ${d.padEnd(w.digest)}  ${t.padEnd(w.tags)}  ${c.padEnd(w.created)}  ${desc}`.trimEnd();
    return [
        `APP: ${app.name} (class ${app.class})`,
        `IMAGE: ${image}`,
        "",
        line(" ", "DIGEST", "TAGS", "CREATED", "DESCRIPTION"),
        line(" ", "------", "----", "-------", "-----------"),
        ...rows.map((r) => line(r.mark, r.digest, r.tags, r.created, truncate(r.description, 60))),
        "",
    ].join("\n");
}

function pickTarget(candidates: Candidate[], to: string): Candidate | undefined {
    const hex = to.startsWith("sha256:") ? to.slice(7) : to;
    if (/^[0-9a-f]{12,64}$/.test(hex)) {
        const matches = candidates.filter((c) => c.digest.slice(7).startsWith(hex));
        if (matches.length > 1) throw new ValidationError("--to", `"${to}" matches ${matches.length} digests. Give more hex characters.`);
        if (matches.length === 1) return matches[0];
    }
    return candidates.find((c) => c.tags.includes(to));
}

export const rollback: Command = async (argv, rawIO) => {
    // Everything rollback prints passes the one sanitiser: labels and tags from the registry are data.
    const io: CliIO = { ...rawIO, stdout: safeWriter(rawIO.stdout), stderr: safeWriter(rawIO.stderr) };
    const parsed = parseCommandArgs("rollback", {
        args: argv,
        allowPositionals: true,
        options: {
            stack: { type: "string", default: "proxima" },
            file: { type: "string" },
            to: { type: "string" },
            yes: { type: "boolean" },
            registry: { type: "string" },
            insecure: { type: "boolean" },
            json: { type: "boolean" },
            help: { type: "boolean", short: "h" },
        },
    }, USAGE, io, "app");
    if (typeof parsed === "number") return parsed;
    const { values, positionals } = parsed;
    const appName = positionals[0];
    const stack = values.stack!;
    if (stack !== "proxima") {
        io.stderr(`rollback: stack "${stack}" has no deployed apps; only the proxima stack can be rolled back.\n`);
        return EXIT.usage;
    }
    if (values.yes && !values.to) {
        io.stderr("rollback: --yes needs --to <tag|digest>: say which image to roll back to.\n");
        return EXIT.usage;
    }
    const file = path.resolve(values.file ?? `Pulumi.${stack}.yaml`);

    try {
        let text: string;
        try {
            text = fs.readFileSync(file, "utf8");
        } catch (e) {
            throw new ValidationError("--file", `Cannot read the stack file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Run from the project directory or pass --file.`);
        }
        const doc = parseDocument(text);
        if (doc.errors.length) throw new ValidationError("--file", `${file} is not valid YAML: ${doc.errors[0].message}`);
        const estate = parseConfig(configFromStackFile(doc.toJS()), "proxima") as ProximaEstate;
        const app = estate.apps.find((a) => a.name === appName);
        if (!app) {
            throw new ValidationError("app", `App "${appName}" is not in ${file}. Apps there: ${estate.apps.map((a) => a.name).join(", ") || "none"}.`);
        }
        const registry = values.registry ?? estate.registry.host;
        const image = `${registry}/${app.image}`;
        const client = clientFromEnv(registry, io.env, { insecure: values.insecure === true || estate.registry.insecure });

        const tags = await gatherOverview(client, app.image, {
            onUnreadable: (u) => io.stderr(`note: skipped tag "${quoteValue(u.tag, 80)}" of ${image}: ${u.reason}.\n`),
        });
        // The overview already read every tag's digest: a tag-configured app needs no HEAD of its own.
        const current = app.digest ?? tags.find((t) => t.tag === app.tag)?.info.digest;
        if (!current) io.stderr(`note: the configured tag ${app.tag} is not in ${image} any more; the current image cannot be marked.\n`);
        const overview = buildOverview(registry, app.image, tags, new Set(current ? [current] : []));
        const byDigest = new Map<string, Candidate>();
        for (const row of overview.rows) {
            let c = byDigest.get(row.digest);
            if (!c) {
                c = { digest: row.digest, tags: [], current: row.deployed };
                if (row.created !== undefined) c.created = row.created;
                if (row.description !== undefined) c.description = row.description;
                if (row.revision !== undefined) c.revision = row.revision;
                byDigest.set(row.digest, c);
            }
            c.tags.push(row.tag);
        }
        if (current && !byDigest.has(current)) {
            const info = await client.getImageInfo(app.image, current);
            byDigest.set(current, { digest: current, tags: [], current: true, ...(info.created ? { created: info.created } : {}), ...(info.labels[OCI.description] !== undefined ? { description: info.labels[OCI.description] } : {}) });
        }
        const candidates = [...byDigest.values()];

        if (!values.to) {
            if (values.json) io.stdout(`${safeJson({ app: app.name, stack, image, current: current ?? null, candidates })}\n`);
            else io.stdout(`${formatTable(app, image, candidates)}\nRoll back with: image-lifecycle rollback ${app.name} --to <tag|digest> --yes\n`);
            return EXIT.ok;
        }

        const target = pickTarget(candidates, values.to) ?? (await findByDigest(client, app.image, values.to));
        if (!target) {
            io.stderr(`rollback: "${values.to}" is neither a tag nor a digest of ${image}. Run "image-lifecycle rollback ${app.name}" to list them.\n`);
            return EXIT.failed;
        }
        const tag = target.tags.includes(values.to) ? values.to : (target.tags[0] ?? null);
        const change: Change = { digest: target.digest, tag };
        const commands = pulumiCommands(stack, app.name, change);
        const shown = commands.map(shellLine);
        // Only a digest pin counts: a tag-configured app is re-pinned even when the tag already names the target.
        const already = app.digest === target.digest;
        const result: Record<string, unknown> = { app: app.name, stack, image, current: current ?? null, target, change, commands: shown };

        if (already) {
            result.applied = false;
            if (values.json) io.stdout(`${safeJson(result)}\n`);
            else io.stdout(`${app.name} already runs ${target.digest} (pinned by digest in ${path.basename(file)}). Nothing to change.\n`);
            return EXIT.ok;
        }
        if (!values.yes) {
            result.applied = false;
            if (values.json) io.stdout(`${safeJson(result)}\n`);
            else {
                io.stdout(`Would switch ${app.name} from ${current ?? "(unknown)"} to ${target.digest}${tag ? ` (tag ${tag})` : ""}: ${quoteValue(target.description ?? "")}\n`);
                io.stdout(`Re-run with --yes to change ${path.basename(file)}, or run:\n${shown.map((c) => `  ${c}`).join("\n")}\n`);
            }
            return EXIT.ok;
        }

        const pulumi = findPulumi(io.env);
        if (pulumi && usesAnchors(parseDocument(text))) {
            // pulumi config set rewrites the file; with anchors it may change other entries or drop the anchors.
            io.stderr(`rollback: ${path.basename(file)} uses YAML anchors or aliases, so changing ${app.name}'s digest could change other entries too. Nothing was written; remove the anchors, then run:\n${shown.map((c) => `  ${c}`).join("\n")}\n`);
            return EXIT_CHANGE_FAILED;
        }
        if (pulumi) {
            for (const cmd of commands) {
                const r = spawnSync(pulumi, cmd.slice(1), { cwd: path.dirname(file), env: io.env, encoding: "utf8" });
                if (r.status !== 0) {
                    io.stderr(`rollback: "${shellLine(cmd)}" failed (exit ${r.status ?? r.signal}):\n${r.stderr || r.stdout}Fix the Pulumi CLI error and re-run, or edit ${path.basename(file)} by hand.\n`);
                    return EXIT_CHANGE_FAILED;
                }
            }
            result.applied = "pulumi";
        } else {
            try {
                writeAtomically(file, editStackFile(text, app.name, change));
            } catch (e) {
                if (!(e instanceof StackEditRefused)) throw e;
                io.stderr(`rollback: ${e.message}\n${shown.map((c) => `  ${c}`).join("\n")}\n`);
                return EXIT_CHANGE_FAILED;
            }
            result.applied = "file";
        }
        if (values.json) io.stdout(`${safeJson(result)}\n`);
        else {
            io.stdout(`Switched ${app.name} to ${target.digest}${tag ? ` (tag ${tag})` : ""} in ${path.basename(file)}${pulumi ? " with the Pulumi CLI" : ""}.\n`);
            if (!pulumi) io.stdout(`The Pulumi CLI is not on PATH; the equivalent commands are:\n${shown.map((c) => `  ${c}`).join("\n")}\n`);
            io.stdout(`Next: pulumi preview --stack ${stack} --policy-pack policy && pulumi up --stack ${stack}\n`);
        }
        return EXIT.ok;
    } catch (e) {
        if (e instanceof ValidationError) {
            io.stderr(`rollback: ${e.message}\n`);
            return EXIT.usage;
        }
        if (e instanceof RegistryError) {
            io.stderr(`rollback: ${e.message}\n`);
            return e.code === "NAME_UNKNOWN" || e.code === "MANIFEST_UNKNOWN" ? EXIT.failed : EXIT.unavailable;
        }
        throw e;
    }
};

/** A full digest that no tag points at any more is still a valid rollback target (seed 002). */
async function findByDigest(client: ReturnType<typeof clientFromEnv>, repository: string, to: string): Promise<Candidate | undefined> {
    const digest = isFullDigest(to) ? to : `sha256:${to}`;
    if (!isFullDigest(digest)) return undefined;
    if (!(await client.resolve(repository, digest))) return undefined;
    const info = await client.getImageInfo(repository, digest);
    const description = info.labels[OCI.description];
    return { digest, tags: [], current: false, ...(info.created ? { created: info.created } : {}), ...(description !== undefined ? { description } : {}) };
}
