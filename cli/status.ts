import { spawnSync } from "node:child_process";
import { AppConfig } from "../lib/config";
import { DeployedApp, readDeployedApps, readDeployedFile } from "../lib/rules/deploy-record";
import { shortDigest } from "../lib/rules/digest";
import { RegistryError, ValidationError } from "../lib/errors";
import { CLASSES, OCI } from "../lib/contract";
import { createdMs } from "../lib/rules/retention";
import { formatCreated, TagInfo, truncate } from "../lib/format/overview";
import { gatherOverview } from "../lib/registry/overview";
import { printable } from "../lib/format/text";
import { clientFromEnv } from "../lib/registry/access";
import { mapLimit } from "../lib/registry/limit";
import { CliIO, Command, EXIT, OUTPUT_OPTIONS, REGISTRY_OPTIONS } from "./io";
import { defineCommand } from "./run";
import { findPulumi, pulumiSettings } from "./pulumi";
import { LoadedStack, loadProximaStack } from "./stack";

const USAGE = `Usage: image-lifecycle status [options]

What runs where: every app of the proxima stack, grouped by class, with the tag and digest it runs,
when and by whom it was deployed, its description, and the images of its repository that are newer
(tags created after it, newest first, with their descriptions).

  --deployed <file>     a deploy record (/opt/<org>/<app>/deploy-info.yml) or the deployments output
                        (pulumi stack output --json deployments); repeatable
  --stack <name>        stack whose file to read (default: proxima)
  --file <path>         the stack file (default: ./Pulumi.<stack>.yaml)
  --registry <host[:port]>  ask this registry instead of the stack's registry.host
  --insecure            plain HTTP to a registry that is not on loopback
  --json                print JSON for scripts
  --width <N>           cut descriptions to fit N columns (default: the terminal's width; never
                        cut when stdout is not a terminal)
  -h, --help            this help

Where each fact comes from:
  app, class, image, configured tag/digest   the stack file
  running tag and digest                     a deploy record, else the deployments output (a --deployed
                                             JSON file, or "pulumi stack output deployments" on npm
                                             start's state when the Pulumi CLI is on PATH), else the
                                             stack file's configuration (shown as "configured")
  deployed at / by                           deploy records only
  description                                the deploy record, else the image's description label
  created, newer images                      the registry: tags whose created label is later, newest first
Times are UTC.

Credentials: REGISTRY_USERNAME and REGISTRY_PASSWORD.
Exit codes: 0 ok, 1 the stack has no apps, 2 bad usage, input or stack file, 3 registry unreachable
or answering badly.
`;

/** Where the running tag and digest of an app came from. */
type RunningSource = "deploy record" | "deployments output" | "configured";

/** A newer image of the app's repository: one digest, its tags. */
interface Newer {
    digest: string;
    tags: string[];
    created?: string;
    description?: string;
}

/** One app's line in the status. */
interface AppStatus {
    app: string;
    class: string;
    /** `<registry>/<repository>`, as in the deploy record and the deployments output. */
    image: string;
    /** The path in the registry. */
    repository: string;
    configured: { tag: string | null; digest: string | null };
    running: { tag: string | null; digest: string | null; created: string | null; description: string | null; source: RunningSource };
    deployed: { at: string; by: string; source: string } | null;
    /** True when the configuration differs from what runs: `pulumi up` is due. */
    pending: boolean;
    newer: Newer[];
    /** Why the registry could not tell about this app (e.g. the repository is not there). */
    problem?: string;
}

/** Deploy records and deployments outputs by app; a record wins, the output fills what it lacks. */
function deployedByApp(files: readonly string[]): Map<string, { record?: DeployedApp; output?: DeployedApp }> {
    const out = new Map<string, { record?: DeployedApp; output?: DeployedApp }>();
    for (const file of files) {
        for (const d of readDeployedFile(file)) {
            const entry = out.get(d.app) ?? {};
            entry[d.kind === "record" ? "record" : "output"] = d;
            out.set(d.app, entry);
        }
    }
    return out;
}

/** With the Pulumi CLI on PATH and no --deployed file, the stack's own deployments output. */
function deploymentsFromPulumi(loaded: LoadedStack, io: CliIO): string | undefined {
    const pulumi = findPulumi(io.env);
    if (!pulumi) return undefined;
    const { env } = pulumiSettings(loaded.root, io.env);
    const r = spawnSync(pulumi, ["stack", "output", "--stack", loaded.stack, "--json", "deployments"], { cwd: loaded.root, env, encoding: "utf8" });
    if (r.status !== 0) {
        io.stderr(`note: "pulumi stack output --stack ${loaded.stack} --json deployments" failed (exit ${r.status ?? r.signal}); showing the configured images. ${(r.stderr || "").trim().split("\n")[0]}\n`);
        return undefined;
    }
    return r.stdout;
}

function labelOf(info: TagInfo["info"] | undefined, key: string): string | undefined {
    return info?.labels[key];
}

async function appStatus(app: AppConfig, tags: TagInfo[] | RegistryError, known: { record?: DeployedApp; output?: DeployedApp } | undefined, client: ReturnType<typeof clientFromEnv>): Promise<AppStatus> {
    const record = known?.record;
    const output = known?.output;
    const runningDigestKnown = record?.digest ?? output?.digest;
    const source: RunningSource = record ? "deploy record" : output ? "deployments output" : "configured";
    const list = tags instanceof RegistryError ? [] : tags;
    const digestOf = (tag: string | undefined) => (tag === undefined ? undefined : list.find((t) => t.tag === tag)?.info.digest);
    const runningTag = record?.tag ?? output?.tag ?? (source === "configured" ? app.tag : undefined);
    const runningDigest = runningDigestKnown ?? app.digest ?? digestOf(app.tag);
    let info = runningDigest ? list.find((t) => t.info.digest === runningDigest)?.info : undefined;
    if (!info && runningDigest && !(tags instanceof RegistryError)) {
        try {
            info = await client.getImageInfo(app.repository, runningDigest);
        } catch (e) {
            if (!(e instanceof RegistryError && (e.code === "MANIFEST_UNKNOWN" || e.code === "NOT_FOUND"))) throw e;
        }
    }
    const created = info?.created;
    const description = record?.description ?? output?.description ?? labelOf(info, OCI.description);
    const since = createdMs(created);
    const newer = new Map<string, Newer>();
    for (const t of list) {
        const ms = createdMs(t.info.created);
        if (since === undefined || ms === undefined || ms <= since || t.info.digest === runningDigest) continue;
        const n = newer.get(t.info.digest) ?? { digest: t.info.digest, tags: [], ...(t.info.created ? { created: t.info.created } : {}), ...(labelOf(t.info, OCI.description) !== undefined ? { description: labelOf(t.info, OCI.description)! } : {}) };
        n.tags.push(t.tag);
        newer.set(t.info.digest, n);
    }
    const configuredDigest = app.digest ?? digestOf(app.tag);
    const status: AppStatus = {
        app: app.name,
        class: app.class,
        image: `${client.registry}/${app.repository}`,
        repository: app.repository,
        configured: { tag: app.tag ?? null, digest: app.digest ?? null },
        running: { tag: runningTag ?? null, digest: runningDigest ?? null, created: created ?? null, description: description ?? null, source },
        deployed: record ? { at: record.deployedAt!, by: record.deployedBy!, source: record.source } : null,
        pending: source !== "configured" && configuredDigest !== undefined && configuredDigest !== runningDigest,
        newer: [...newer.values()].sort((a, b) => (createdMs(b.created) ?? 0) - (createdMs(a.created) ?? 0)).map((n) => ({ ...n, tags: n.tags.sort() })),
    };
    if (tags instanceof RegistryError) status.problem = tags.message;
    else if (since === undefined && runningDigest) status.problem = "the running image has no created label, so newer images cannot be told apart";
    return status;
}

/** The human view: one block per class, one line per app, then when/by and what is newer. */
function formatStatus(stack: string, registry: string, apps: AppStatus[], width: number | undefined): string {
    const nameWidth = Math.max(4, ...apps.map((a) => a.app.length));
    const tagWidth = Math.max(3, ...apps.map((a) => (a.running.tag ?? "-").length), ...apps.flatMap((a) => a.newer.map((n) => n.tags.join(",").length)));
    const indent = 2 + nameWidth + 2;
    const fixed = indent + 7 + tagWidth + 2 + 19 + 2 + 16 + 2;
    const room = width === undefined ? Infinity : Math.max(10, width - fixed);
    const desc = (d: string | null | undefined) => truncate(printable(d ?? "") || "-", room);
    const lines = [`STACK: ${stack} (registry ${registry})`];
    for (const cls of CLASSES) {
        const inClass = apps.filter((a) => a.class === cls);
        if (inClass.length === 0) continue;
        lines.push("", `${cls.toUpperCase()}`);
        for (const a of inClass) {
            const r = a.running;
            const head = `  ${a.app.padEnd(nameWidth)}  ${(r.tag ?? "-").padEnd(tagWidth)}  ${(r.digest ? shortDigest(r.digest) : "-").padEnd(19)}  ${formatCreated(r.created ?? undefined).padEnd(16)}  ${desc(r.description)}`;
            lines.push(head.trimEnd());
            const sub = (text: string) => lines.push(`${" ".repeat(indent)}${text}`);
            if (a.deployed) sub(`deployed ${formatCreated(a.deployed.at)} by ${a.deployed.by} (deploy record)`);
            else if (r.source === "deployments output") sub("deployed (deployments output; no deploy record given for when and by whom)");
            else sub("configured in the stack file (no deploy record or deployments output given)");
            if (a.pending) sub(`pending: the stack file now says ${a.configured.tag ?? a.configured.digest}; run pulumi up`);
            if (a.problem) sub(`registry: ${a.problem}`);
            if (a.newer.length === 0 && !a.problem) sub("newer: none");
            a.newer.forEach((n, i) => {
                lines.push(`${" ".repeat(indent)}${i === 0 ? "newer: " : "       "}${n.tags.join(",").padEnd(tagWidth)}  ${shortDigest(n.digest).padEnd(19)}  ${formatCreated(n.created).padEnd(16)}  ${desc(n.description)}`.trimEnd());
            });
        }
    }
    const newerCount = apps.filter((a) => a.newer.length > 0).length;
    lines.push("", newerCount ? `${newerCount} app(s) have newer images: image-lifecycle deploy <app> --to <tag>` : "Every app runs its repository's newest image.");
    return `${lines.join("\n")}\n`;
}

/** The options of `status` (also what shell completion offers). */
export const STATUS_OPTIONS = {
    deployed: { type: "string", multiple: true },
    stack: { type: "string" },
    file: { type: "string" },
    ...REGISTRY_OPTIONS,
    width: { type: "string" },
    ...OUTPUT_OPTIONS,
} as const;

/** `image-lifecycle status`: what runs where, and what is newer. */
export const status: Command = defineCommand({ name: "status", options: STATUS_OPTIONS, usage: USAGE, sanitise: true }, async ({ values }, io) => {
    let width: number | undefined;
    if (values.width !== undefined) {
        width = Number(values.width);
        if (!Number.isInteger(width) || width < 40) throw new ValidationError("--width", `--width must be a whole number of columns, at least 40; got "${values.width}".`);
    } else if (io.isTTY && io.columns) {
        width = io.columns;
    }
    const loaded = loadProximaStack({ stack: values.stack, file: values.file });
    const { estate } = loaded;
    if (estate.apps.length === 0) {
        io.stderr(`status: ${loaded.file} has no apps under image-lifecycle:apps. Add one, then deploy it.\n`);
        return EXIT.failed;
    }
    const files = values.deployed ?? [];
    const known = deployedByApp(files);
    if (files.length === 0) {
        const output = deploymentsFromPulumi(loaded, io);
        if (output !== undefined) for (const d of readDeployedApps(output, "pulumi stack output deployments")) known.set(d.app, { output: d });
    }
    const registry = values.registry ?? estate.registry.host;
    const client = clientFromEnv(registry, io.env, { insecure: values.insecure === true || estate.registry.insecure });
    // One overview per repository, even when several apps share it.
    const repos = [...new Set(estate.apps.map((a) => a.repository))];
    const byRepo = new Map<string, TagInfo[] | RegistryError>();
    await mapLimit(repos, 4, async (repo) => {
        try {
            byRepo.set(repo, await gatherOverview(client, repo));
        } catch (e) {
            if (e instanceof RegistryError && e.code === "NAME_UNKNOWN") byRepo.set(repo, e);
            else throw e;
        }
    });
    const apps = await mapLimit(estate.apps, 4, (app) => appStatus(app, byRepo.get(app.repository)!, known.get(app.name), client));
    for (const name of known.keys()) {
        if (!estate.apps.some((a) => a.name === name)) io.stderr(`note: a deployed file names app "${name}", which is not in ${loaded.file}.\n`);
    }
    if (values.json) {
        const classes: Record<string, AppStatus[]> = {};
        for (const cls of CLASSES) {
            const list = apps.filter((a) => a.class === cls);
            if (list.length) classes[cls] = list;
        }
        io.stdout(`${JSON.stringify({ stack: loaded.stack, registry, classes }, null, 2)}\n`);
    } else {
        io.stdout(formatStatus(loaded.stack, registry, apps, width));
    }
    return EXIT.ok;
});
