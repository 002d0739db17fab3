/**
 * What deploy and rollback share: the digests an app's image has (newest first, the current one
 * marked), picking one by tag or digest, and switching the app to it in the stack config.
 */
import * as path from "node:path";
import { AppConfig } from "../lib/config";
import { digestStartsWith, parseDigestQuery, tooShortMessage } from "../lib/rules/digest";
import { ValidationError } from "../lib/errors";
import { OCI } from "../lib/contract";
import { buildOverview } from "../lib/format/overview";
import { createdMs } from "../lib/rules/retention";
import { gatherOverview } from "../lib/registry/overview";
import { clientFromEnv } from "../lib/registry/access";
import { shellLine } from "../lib/release/notes";
import { CliIO, EXIT } from "./io";
import { formatNextSteps, nextSteps } from "./pulumi";
import { editStackFile } from "../lib/config/stack-file";
import { Change, LoadedStack, pulumiCommands, writeAtomically } from "./stack";

/** One distinct image of the app's repository. */
export interface Candidate {
    digest: string;
    tags: string[];
    created?: string;
    description?: string;
    revision?: string;
    current: boolean;
}

type Client = ReturnType<typeof clientFromEnv>;

/** The app's image as the registry has it: every digest with its tags, and the one the config runs. */
export interface AppImages {
    registry: string;
    /** `host[:port]/repository`. */
    image: string;
    client: Client;
    /** The configured digest, else the configured tag's digest (undefined when that tag is gone). */
    current?: string;
    candidates: Candidate[];
}

/** Reads every tag of the app's repository once (list + one manifest per tag + one config per image). */
export async function appImages(loaded: LoadedStack, app: AppConfig, io: CliIO, opts: { registry?: string | undefined; insecure?: boolean | undefined }): Promise<AppImages> {
    const registry = opts.registry ?? loaded.estate.registry.host;
    const image = `${registry}/${app.repository}`;
    const client = clientFromEnv(registry, io.env, { insecure: opts.insecure === true || loaded.estate.registry.insecure });
    const tags = await gatherOverview(client, app.repository);
    // The overview already read every tag's digest: a tag-configured app needs no HEAD of its own.
    const current = app.digest ?? tags.find((t) => t.tag === app.tag)?.info.digest;
    if (!current) io.stderr(`note: the configured tag ${app.tag} is not in ${image} any more; the current image cannot be marked.\n`);
    const overview = buildOverview(registry, app.repository, tags, new Set(current ? [current] : []));
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
        const info = await client.getImageInfo(app.repository, current);
        byDigest.set(current, { digest: current, tags: [], current: true, ...(info.created ? { created: info.created } : {}), ...(info.labels[OCI.description] !== undefined ? { description: info.labels[OCI.description] } : {}) });
    }
    return { registry, image, client, ...(current ? { current } : {}), candidates: [...byDigest.values()] };
}

/** A full digest no tag points at any more is still a valid target (seed 002: rollback by digest). */
async function findByDigest(client: Client, repository: string, digest: string): Promise<Candidate | undefined> {
    if (!(await client.resolve(repository, digest))) return undefined;
    const info = await client.getImageInfo(repository, digest);
    const description = info.labels[OCI.description];
    return { digest, tags: [], current: false, ...(info.created ? { created: info.created } : {}), ...(description !== undefined ? { description } : {}) };
}

/**
 * The image `to` names: a tag first (short-SHA tags look like hex), else a digest given as
 * `sha256:<hex>` or bare hex, whole or at least 12 digits of it. Undefined when the registry has none.
 */
export async function pickTarget(images: AppImages, repository: string, to: string): Promise<Candidate | undefined> {
    const q = parseDigestQuery(to);
    const byTag = images.candidates.find((c) => c.tags.includes(to));
    if (byTag && !(q.kind === "full" || (q.kind === "prefix" && to.startsWith("sha256:")))) return byTag;
    switch (q.kind) {
        case "full":
            return images.candidates.find((c) => c.digest === q.digest) ?? (await findByDigest(images.client, repository, q.digest));
        case "prefix": {
            const matches = images.candidates.filter((c) => digestStartsWith(c.digest, q.hex));
            if (matches.length > 1) throw new ValidationError("--to", `"${to}" matches ${matches.length} digests. Give more hex digits.`);
            return matches[0] ?? byTag;
        }
        case "short":
            if (byTag) return byTag;
            // Not a tag of this image, and too short to be read as a digest: say how much is needed.
            if (q.prefixed || images.candidates.some((c) => digestStartsWith(c.digest, q.hex))) {
                throw new ValidationError("--to", `${tooShortMessage(to, q.hex)} Give more hex digits, or a tag.`);
            }
            return undefined;
        case "none":
            return byTag;
    }
}

/** Which way a switch goes, by the images' created labels. */
function direction(from: Candidate | undefined, to: Candidate): "forward" | "back" | undefined {
    const a = createdMs(from?.created);
    const b = createdMs(to.created);
    if (a === undefined || b === undefined || a === b) return undefined;
    return b > a ? "forward" : "back";
}

export interface SwitchOptions {
    command: "deploy" | "rollback";
    loaded: LoadedStack;
    app: AppConfig;
    images: AppImages;
    to: string;
    yes: boolean;
    json: boolean;
}

/**
 * Switches the app to the image `to` names: without `yes` shows the change and the equivalent
 * Pulumi CLI commands; with it edits the stack file's two lines. Prints the next step (preview and
 * up with the policy pack, on npm start's state).
 */
export async function switchApp(o: SwitchOptions, io: CliIO): Promise<number> {
    const { loaded, app, images } = o;
    const { stack, file } = loaded;
    const target = await pickTarget(images, app.repository, o.to);
    if (!target) {
        const q = parseDigestQuery(o.to);
        const hint = q.kind === "short" ? ` (Read as a digest it is too short: ${tooShortMessage(o.to, q.hex)})` : "";
        io.stderr(`${o.command}: "${o.to}" is neither a tag nor a digest of ${images.image}.${hint} Run "image-lifecycle rollback ${app.name}" to list them.\n`);
        return EXIT.failed;
    }
    const tag = target.tags.includes(o.to) ? o.to : (target.tags[0] ?? null);
    const change: Change = { digest: target.digest, tag };
    const commands = pulumiCommands(stack, app.name, change);
    const printable = commands.map(shellLine);
    const from = images.candidates.find((c) => c.current);
    const way = direction(from, target);
    // Only a digest pin counts: a tag-configured app is re-pinned even when the tag already names the target.
    const already = app.digest === target.digest;
    const result: Record<string, unknown> = { app: app.name, stack, image: images.image, current: images.current ?? null, target, direction: way ?? null, change, commands: printable };
    const next = formatNextSteps(stack, loaded.root, io.env);

    if (already) {
        result.applied = false;
        if (o.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
        else io.stdout(`${app.name} already runs ${target.digest} (pinned by digest in ${path.basename(file)}). Nothing to change.\n`);
        return EXIT.ok;
    }
    if (!o.yes) {
        result.applied = false;
        if (o.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
        else {
            io.stdout(`Would switch ${app.name} from ${images.current ?? "(unknown)"} to ${target.digest}${tag ? ` (tag ${tag})` : ""}: ${target.description ?? ""}\n`);
            if (way) io.stdout(`That is ${way === "forward" ? "a newer" : "an earlier"} image than the one configured now.\n`);
            io.stdout(`Re-run with --yes to change ${path.basename(file)} (only those two lines). The same change with the Pulumi CLI:\n${printable.map((c) => `  ${c}`).join("\n")}\n`);
        }
        return EXIT.ok;
    }

    // Always the two-line edit: `pulumi config set` would rewrite the whole file (it reformats every
    // flow mapping), and the Pulumi CLI reads the edited file as it is (docs/adr/0051).
    writeAtomically(file, editStackFile(loaded.text, app.name, change));
    result.applied = "file";
    if (o.json) io.stdout(`${JSON.stringify({ ...result, next: nextSteps(stack, loaded.root, io.env) }, null, 2)}\n`);
    else {
        io.stdout(`Switched ${app.name} to ${target.digest}${tag ? ` (tag ${tag})` : ""} in ${path.basename(file)} (only its digest and tag lines).\n`);
        io.stdout(`The same change with the Pulumi CLI would be (it also reformats the file):\n${printable.map((c) => `  ${c}`).join("\n")}\n`);
        io.stdout(next);
    }
    return EXIT.ok;
}

/** Finds the app in the stack, or says which apps there are. */
export function findApp(loaded: LoadedStack, name: string): AppConfig {
    const app = loaded.estate.apps.find((a) => a.name === name);
    if (!app) throw new ValidationError("app", `App "${name}" is not in ${loaded.file}. Apps there: ${loaded.estate.apps.map((a) => a.name).join(", ") || "none"}.`);
    return app;
}
