import { isScalar, parseDocument, stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import { FIELD, ValidationError } from "../errors";
import { isFullDigest, parseReference } from "./reference";
import { quoteValue } from "../format/text";

/** `/opt/<org>/<app>/deploy-info.yml` (seed 002): what runs on the host and why. */
export interface DeployRecord {
    app: string;
    /** `host[:port]/repository`, without tag or digest. */
    image: string;
    /** `sha256:<64 hex>`. */
    digest: string;
    tag?: string;
    description?: string;
    /** ISO 8601. */
    deployed_at: string;
    deployed_by: string;
}

const digest = z.string().refine(isFullDigest, "expected sha256: followed by 64 lowercase hex characters");

const recordSchema = z.object({
    app: z.string().min(1),
    image: z.string().min(1),
    digest,
    tag: z.string().optional(),
    description: z.string().optional(),
    deployed_at: z.string().min(1),
    deployed_by: z.string().min(1),
});

/** One entry of the program's `deployments` stack output (app → this). */
export interface DeploymentSummary {
    class: string;
    /** `host[:port]/repository`. */
    image: string;
    tag?: string;
    digest: string;
    description?: string;
    /** The Docker endpoint / host the container runs on. */
    host: string;
    /** As the host reported it after the last up: `running`, `running healthy`, … */
    state?: string;
    startedAt?: string;
    /** Why the last deploy of this app failed (the digest above is what runs instead). */
    failure?: string;
}

const summarySchema = z.object({
    class: z.string(),
    image: z.string().min(1),
    tag: z.string().optional(),
    digest,
    description: z.string().optional(),
    host: z.string(),
});

/**
 * Renders the record as YAML. Every string is emitted double-quoted by the YAML library, so a commit
 * subject with quotes, `$(…)`, backticks, colons or newlines stays data.
 */
export function renderDeployRecord(record: DeployRecord): string {
    const ordered: Record<string, string> = { app: record.app, image: record.image, digest: record.digest };
    if (record.tag !== undefined) ordered.tag = record.tag;
    if (record.description !== undefined) ordered.description = record.description;
    ordered.deployed_at = record.deployed_at;
    ordered.deployed_by = record.deployed_by;
    return stringifyYaml(ordered, { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN", lineWidth: 0 });
}

function issues(error: z.ZodError): string {
    return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/**
 * Parses a deploy record; throws a ValidationError naming `source` and each bad field. A YAML error
 * names its line and column. A hand-written `tag: 6350192` (a short SHA YAML reads as a number) is
 * taken as the tag exactly as written.
 */
export function parseDeployRecord(text: string, source = "deploy-info.yml"): DeployRecord {
    const doc = parseDocument(text);
    if (doc.errors.length) {
        const e = doc.errors[0];
        const at = e.linePos?.[0];
        const where = at ? ` at line ${at.line}, column ${at.col}` : "";
        const what = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
        throw new ValidationError(source, `${source} is not valid YAML${where}: ${what}. Quote a value that contains ": " or starts with a special character (e.g. description: "fix: proxy header"), then try again.`);
    }
    const raw = doc.toJS() as unknown;
    const tag = doc.get("tag", true);
    if (raw && typeof raw === "object" && isScalar(tag) && typeof tag.value === "number" && tag.range) {
        (raw as Record<string, unknown>).tag = text.slice(tag.range[0], tag.range[1]);
    }
    const parsed = recordSchema.safeParse(raw);
    if (!parsed.success) throw new ValidationError(source, `${source} is not a deploy record: ${issues(parsed.error)}.`);
    return parsed.data;
}

/**
 * Reads what is deployed from either a deploy record (YAML) or the program's `deployments` output
 * (JSON: app → DeploymentSummary, optionally wrapped as `{ "deployments": … }` or as
 * `pulumi stack output --json`'s `{ "deployments": { … } }`). Returns image → set of digests.
 */
export function readDeployed(text: string, source: string): Map<string, Set<string>> {
    return byImage(readDeployedApps(text, source));
}

function byImage(apps: readonly DeployedApp[]): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const d of apps) {
        if (!out.has(d.image)) out.set(d.image, new Set());
        out.get(d.image)!.add(d.digest);
    }
    return out;
}

/** One deployed-records file (a deploy record or a `deployments` output) as its caller read it. */
export interface DeployedFile {
    file: string;
    text: string;
}

/** Which image's deployed digests to collect from deployed files. */
export interface DeployedTarget {
    registry: string;
    repository: string;
    /**
     * Count a file that names the repository under another registry host too. Cleanup sets it: a
     * record that spells the registry differently must still protect its digest from deletion.
     */
    anyRegistry?: boolean;
    /**
     * Refuse an entry whose image cannot be parsed instead of skipping it. Cleanup sets it: an entry it
     * cannot read protects nothing, so deleting on top of it would be guessing.
     */
    strict?: boolean;
}

/**
 * The digests deployed-records files (deploy records or `deployments` outputs) record for the target
 * repository. A file that records nothing for it is reported through `note`.
 */
export function readDeployedFiles(files: readonly DeployedFile[], target: DeployedTarget, note: (message: string) => void): Set<string> {
    const digests = new Set<string>();
    const wanted = target.anyRegistry ? target.repository : `${target.registry}/${target.repository}`;
    for (const { file, text } of files) {
        let matched = false;
        for (const [image, set] of byImage(readDeployedApps(text, file))) {
            let ref;
            try {
                ref = parseReference(image, target.registry, `${file}: image`);
            } catch (e) {
                if (target.strict) {
                    throw new ValidationError(FIELD.deployedFile, `${file} records a deployment of "${quoteValue(image, 100)}", which is not an image reference (${(e as Error).message}), so it would protect nothing. Fix the entry (host[:port]/repository) or leave the file out.`);
                }
                continue;
            }
            if (ref.repository === target.repository && (target.anyRegistry || ref.registry === target.registry)) {
                matched = true;
                for (const d of set) digests.add(d);
            }
        }
        if (!matched) note(`${file} records nothing deployed from ${wanted}.`);
    }
    return digests;
}

/** What one deployed file says about one app: a deploy record, or one entry of the `deployments` output. */
export interface DeployedApp {
    app: string;
    /** `host[:port]/repository`. */
    image: string;
    digest: string;
    tag?: string;
    description?: string;
    /** Only deploy records know when and by whom. */
    deployedAt?: string;
    deployedBy?: string;
    /** Only the deployments output knows the Docker endpoint. */
    host?: string;
    kind: "record" | "output";
    /** The file it was read from. */
    source: string;
}

/** Reads a deploy record or a `deployments` output (the forms `readDeployed` accepts), app by app. */
export function readDeployedApps(text: string, source: string): DeployedApp[] {
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch {
        json = undefined;
    }
    if (json !== undefined && typeof json === "object" && json !== null) {
        const obj = json as Record<string, unknown>;
        const map = (typeof obj.deployments === "object" && obj.deployments !== null ? obj.deployments : obj) as Record<string, unknown>;
        const out: DeployedApp[] = [];
        const bad: string[] = [];
        for (const [app, value] of Object.entries(map)) {
            const s = summarySchema.safeParse(value);
            if (!s.success) {
                bad.push(`${app}: ${issues(s.error)}`);
                continue;
            }
            const d = s.data;
            out.push({ app, image: d.image, digest: d.digest, ...(d.tag !== undefined ? { tag: d.tag } : {}), ...(d.description !== undefined ? { description: d.description } : {}), host: d.host, kind: "output", source });
        }
        if (bad.length) throw new ValidationError(source, `${source} is not a deployments output: ${bad.join("; ")}.`);
        return out;
    }
    const r = parseDeployRecord(text, source);
    return [{
        app: r.app, image: r.image, digest: r.digest,
        ...(r.tag !== undefined ? { tag: r.tag } : {}),
        ...(r.description !== undefined ? { description: r.description } : {}),
        deployedAt: r.deployed_at, deployedBy: r.deployed_by, kind: "record", source,
    }];
}
