import * as path from "node:path";
import { AppConfig } from "../lib/config";
import { DeployedApp, readDeployedApps } from "../lib/rules/deploy-record";
import { readDeployedText } from "./deployed";
import { shortDigest } from "../lib/rules/digest";
import { isNotFound, RegistryError, ValidationError } from "../lib/errors";
import { CLASSES, DeployHistoryEntry, LIFECYCLE, OCI } from "../lib/contract";
import { createdMs } from "../lib/rules/retention";
import { formatCreated, truncate } from "../lib/format/overview";
import type { TagInfo } from "../lib/registry/types";
import { gatherOverview } from "../lib/registry/overview";
import { printable } from "../lib/format/text";
import { clientFromEnv } from "../lib/registry/access";
import { mapLimit } from "../lib/registry/limit";
import { AppOnHost, Drift, FixStep, HostObservation, joinHosts } from "../lib/rules/drift";
import { gatherFacts } from "../lib/host/facts";
import { sshTarget } from "../lib/host/ssh";
import { shellLine } from "../lib/release/notes";
import { Command, EXIT, OUTPUT_OPTIONS, REGISTRY_OPTIONS } from "./io";
import { defineCommand } from "./run";
import { policyConfig } from "./pulumi";
import { LoadedStack, loadProximaStack } from "./stack";

const USAGE = `Usage: image-lifecycle status [options]

What runs where, read from the class hosts themselves: every app of the proxima stack, grouped by
class, with the tag and digest its container runs, its state and health, when and by whom it was
deployed (its deploy record and deploy history on the host), its description, the images of its
repository that are newer, and every drift between the stack and the hosts with the command that
fixes it.

  --check               exit 1 when anything drifts (for CI)
  --deployed <file>     offline: read what runs from a deploy record (/opt/<org>/<app>/deploy-info.yml)
                        or the deployments output (pulumi stack output --json deployments) instead of
                        asking the hosts; repeatable
  --stack <name>        stack whose file to read (default: proxima)
  --file <path>         the stack file (default: ./Pulumi.<stack>.yaml)
  --registry <host[:port]>  ask this registry instead of the stack's registry.host
  --insecure            plain HTTP to a registry that is not on loopback
  --json                print JSON for scripts (schema: docs/cli.md)
  --width <N>           cut descriptions to fit N columns (default: the terminal's width; never
                        cut when stdout is not a terminal)
  -h, --help            this help

Where each fact comes from:
  app, class, image, configured tag/digest   the stack file (a tag's digest: the registry)
  running digest, state, health, since       the app's container on its class host (one ssh
                                             connection per host, with the stack's host and sshOpts)
  deployed at / by, last deploy              the deploy record and deploy history on the host
  description                                the deploy record, else the image's description label
  created, newer images                      the registry: tags whose created label is later, newest first
Times are UTC.

Credentials: REGISTRY_USERNAME and REGISTRY_PASSWORD; ssh uses the stack's sshOpts, your agent and
known_hosts (host keys are always checked).
Exit codes: 0 ok, 1 the stack has no apps, or --check and something drifts, 2 bad usage, input or
stack file, 3 the registry or a class host unreachable or answering badly (the other hosts still show).
`;

/** Where the running tag and digest of an app came from. */
type RunningSource = "host" | "deploy record" | "deployments output" | "configured";

/** A newer image of the app's repository: one digest, its tags. */
interface Newer {
    digest: string;
    tags: string[];
    created?: string;
    description?: string;
}

/** A drift as `status --json` prints it: the fix rendered as command lines. */
interface DriftView {
    code: string;
    class: string;
    app: string | null;
    container: string | null;
    message: string;
    fix: string[];
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
    /** The app's container as its host reports it (null when offline, unreachable or absent). */
    container: { name: string; state: string; health: string | null; startedAt: string | null; restartCount: number } | null;
    deployed: { at: string; by: string; source: string } | null;
    /** The newest entry of the app's deploy history on the host. */
    lastDeploy: { at: string; by: string; digest: string; tag: string | null; outcome: string; detail: string | null } | null;
    /** Why the app's host could not be asked. */
    unreachable: string | null;
    /** True when the configuration differs from what runs: `pulumi up` is due. */
    pending: boolean;
    drift: DriftView[];
    newer: Newer[];
    /** Why the registry could not tell about this app (e.g. the repository is not there). */
    problem?: string;
}

/** Deploy records and deployments outputs by app; a record wins, the output fills what it lacks. */
function deployedByApp(files: readonly string[]): Map<string, { record?: DeployedApp; output?: DeployedApp }> {
    const out = new Map<string, { record?: DeployedApp; output?: DeployedApp }>();
    for (const file of files) {
        const { text } = readDeployedText(file);
        for (const d of readDeployedApps(text, file)) {
            const entry = out.get(d.app) ?? {};
            entry[d.kind === "record" ? "record" : "output"] = d;
            out.set(d.app, entry);
        }
    }
    return out;
}

/** What is known about an app's running image: from its host, or offline from deployed files. */
interface Known {
    record?: DeployedApp;
    output?: DeployedApp;
    host?: AppOnHost;
}

function labelOf(info: TagInfo["info"] | undefined, key: string): string | undefined {
    return info?.labels[key];
}

/** How each fix step reads as a command line the user can paste (from the project directory). */
function fixRenderer(loaded: LoadedStack, sshOptsOf: Map<string, readonly string[]>, env: NodeJS.ProcessEnv): (step: FixStep) => string {
    const policy = ["--policy-pack", "policy", "--policy-pack-config", policyConfig(env)];
    const fileArgs = loaded.file === path.resolve(`Pulumi.${loaded.stack}.yaml`) ? [] : ["--file", loaded.file];
    return (step) => {
        switch (step.kind) {
            // A plain up asks each host whether its container runs the stack's settings and its record
            // says so, and deploys (or rewrites the record) where not (ADR 0055).
            case "up":
                return shellLine(["pulumi", "up", "--stack", loaded.stack, ...policy]);
            case "roll-back":
                return `${shellLine(["image-lifecycle", "rollback", step.app, "--previous", "--yes", ...fileArgs])}, then ${shellLine(["pulumi", "up", "--stack", loaded.stack, ...policy])}`;
            case "on-host": {
                const { destination, port } = sshTarget(step.endpoint);
                return shellLine(["ssh", ...(sshOptsOf.get(step.endpoint) ?? []), "-p", String(port), destination, ...step.argv]);
            }
        }
    };
}

function driftView(d: Drift, render: (s: FixStep) => string): DriftView {
    return { code: d.code, class: d.class, app: d.app ?? null, container: d.container ?? null, message: d.message, fix: d.fix.map(render) };
}

async function appStatus(app: AppConfig, tags: TagInfo[] | RegistryError, known: Known | undefined, client: ReturnType<typeof clientFromEnv>, render: (s: FixStep) => string): Promise<AppStatus> {
    const host = known?.host;
    const record = known?.record;
    const output = known?.output;
    // A host that answered is the truth, also when it says nothing of this app runs there.
    const onHost = host !== undefined && host.unreachable === undefined;
    const hostRecord = host?.record;
    const source: RunningSource = onHost ? "host" : record ? "deploy record" : output ? "deployments output" : "configured";
    const list = tags instanceof RegistryError ? [] : tags;
    const digestOf = (tag: string | undefined) => (tag === undefined ? undefined : list.find((t) => t.tag === tag)?.info.digest);
    const runningDigest = onHost ? host!.runningDigest : (record?.digest ?? output?.digest ?? app.digest ?? digestOf(app.tag));
    const tagOfDigest = (d: string | undefined) => (d === undefined ? undefined : list.filter((t) => t.info.digest === d).map((t) => t.tag).sort()[0]);
    const labels: Record<string, string> = host?.container?.labels ?? {};
    const runningTag = onHost
        ? (hostRecord?.digest === runningDigest ? hostRecord?.tag : undefined) ?? (labels[LIFECYCLE.digest] === runningDigest ? labels[LIFECYCLE.tag] : undefined) ?? tagOfDigest(runningDigest)
        : (record?.tag ?? output?.tag ?? (source === "configured" ? app.tag : undefined));
    let info = runningDigest ? list.find((t) => t.info.digest === runningDigest)?.info : undefined;
    if (!info && runningDigest && !(tags instanceof RegistryError)) {
        try {
            info = await client.getImageInfo(app.repository, runningDigest);
        } catch (e) {
            if (!isNotFound(e)) throw e;
        }
    }
    const created = info?.created;
    const recordDescription = onHost ? (hostRecord?.digest === runningDigest ? hostRecord?.description : undefined) : (record?.description ?? output?.description);
    const description = recordDescription ?? labelOf(info, OCI.description);
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
    const c = host?.container;
    const last: DeployHistoryEntry | undefined = host?.history.at(-1);
    const deployed = hostRecord
        ? { at: hostRecord.deployed_at, by: hostRecord.deployed_by, source: `${host!.endpoint}:${hostRecord.app}/deploy-info.yml` }
        : record ? { at: record.deployedAt!, by: record.deployedBy!, source: record.source } : null;
    const status: AppStatus = {
        app: app.name,
        class: app.class,
        image: `${client.registry}/${app.repository}`,
        repository: app.repository,
        configured: { tag: app.tag ?? null, digest: app.digest ?? null },
        running: { tag: runningTag ?? null, digest: runningDigest ?? null, created: created ?? null, description: description ?? null, source },
        container: c ? { name: c.name, state: c.state, health: c.health ?? null, startedAt: c.startedAt ?? null, restartCount: c.restartCount } : null,
        deployed,
        lastDeploy: last ? { at: last.at, by: last.by, digest: last.digest, tag: last.tag ?? null, outcome: last.outcome, detail: last.detail ?? null } : null,
        unreachable: host?.unreachable ?? null,
        pending: host !== undefined
            ? (host.drift.some((d) => d.code === "digest-differs"))
            : source !== "configured" && configuredDigest !== undefined && runningDigest !== undefined && configuredDigest !== runningDigest,
        drift: (host?.drift ?? []).map((d) => driftView(d, render)),
        newer: [...newer.values()].sort((a, b) => (createdMs(b.created) ?? 0) - (createdMs(a.created) ?? 0)).map((n) => ({ ...n, tags: n.tags.sort() })),
    };
    if (tags instanceof RegistryError) status.problem = tags.message;
    else if (since === undefined && runningDigest) {
        status.problem = info ? "the running image has no created label, so newer images cannot be told apart" : `the running image ${shortDigest(runningDigest)} is not in ${status.image}`;
    }
    return status;
}

function stateText(c: NonNullable<AppStatus["container"]>): string {
    const health = c.health ? `, ${c.health}` : "";
    const restarts = c.restartCount ? `, ${c.restartCount} restart(s)` : "";
    return c.state === "running" ? `running since ${formatCreated(c.startedAt ?? undefined)}${health}${restarts}` : `${c.state}${health}${restarts}`;
}

/** The human view: one block per class, one line per app, then state, when/by, drift and what is newer. */
function formatStatus(stack: string, registry: string, apps: AppStatus[], hostDrift: DriftView[], offline: boolean, width: number | undefined): string {
    const nameWidth = Math.max(4, ...apps.map((a) => a.app.length));
    const tagWidth = Math.max(3, ...apps.map((a) => (a.running.tag ?? "-").length), ...apps.flatMap((a) => a.newer.map((n) => n.tags.join(",").length)));
    const indent = 2 + nameWidth + 2;
    const fixed = indent + 7 + tagWidth + 2 + 19 + 2 + 16 + 2;
    const room = width === undefined ? Infinity : Math.max(10, width - fixed);
    const desc = (d: string | null | undefined) => truncate(printable(d ?? "") || "-", room);
    const lines = [`STACK: ${stack} (registry ${registry}${offline ? "; offline: what runs is read from the deployed files given" : "; what runs is read from the class hosts"})`];
    const driftLines = (d: DriftView, pad: string) => {
        lines.push(`${pad}drift: ${d.message}`);
        d.fix.forEach((f, i) => lines.push(`${pad}${i === 0 ? "  fix: " : "       "}${f}`));
    };
    for (const cls of CLASSES) {
        const inClass = apps.filter((a) => a.class === cls);
        if (inClass.length === 0) continue;
        lines.push("", `${cls.toUpperCase()}`);
        for (const a of inClass) {
            const r = a.running;
            const head = `  ${a.app.padEnd(nameWidth)}  ${(r.tag ?? "-").padEnd(tagWidth)}  ${(r.digest ? shortDigest(r.digest) : "-").padEnd(19)}  ${formatCreated(r.created ?? undefined).padEnd(16)}  ${desc(r.description)}`;
            lines.push(head.trimEnd());
            const sub = (text: string) => lines.push(`${" ".repeat(indent)}${text}`);
            if (a.unreachable) sub(`host unreachable: ${a.unreachable}`);
            if (a.container) sub(stateText(a.container));
            if (a.deployed) sub(`deployed ${formatCreated(a.deployed.at)} by ${a.deployed.by} (deploy record)`);
            else if (r.source === "deployments output") sub("deployed (deployments output; no deploy record given for when and by whom)");
            else if (offline) sub("configured in the stack file (no deploy record or deployments output given)");
            else if (a.unreachable) sub("configured in the stack file (its host could not be read)");
            if (a.lastDeploy) sub(`last deploy: ${formatCreated(a.lastDeploy.at)} by ${a.lastDeploy.by}, ${a.lastDeploy.outcome}${a.lastDeploy.tag ? ` ${a.lastDeploy.tag}` : ""} ${shortDigest(a.lastDeploy.digest)}${a.lastDeploy.detail ? ` (${a.lastDeploy.detail})` : ""}`);
            if (a.pending && !a.drift.some((d) => d.code === "digest-differs")) sub(`pending: the stack file now says ${a.configured.tag ?? a.configured.digest}; run pulumi up`);
            for (const d of a.drift) driftLines(d, " ".repeat(indent));
            if (a.problem) sub(`registry: ${a.problem}`);
            if (a.newer.length === 0 && !a.problem) sub("newer: none");
            a.newer.forEach((n, i) => {
                lines.push(`${" ".repeat(indent)}${i === 0 ? "newer: " : "       "}${n.tags.join(",").padEnd(tagWidth)}  ${shortDigest(n.digest).padEnd(19)}  ${formatCreated(n.created).padEnd(16)}  ${desc(n.description)}`.trimEnd());
            });
        }
    }
    if (hostDrift.length) {
        lines.push("", "HOSTS");
        for (const d of hostDrift) driftLines(d, `  ${d.class}: `);
    }
    const newerCount = apps.filter((a) => a.newer.length > 0).length;
    lines.push("", newerCount ? `${newerCount} app(s) have newer images: image-lifecycle deploy <app> --to <tag>` : "Every app runs its repository's newest image.");
    if (!offline) {
        const driftCount = apps.reduce((n, a) => n + a.drift.length, 0) + hostDrift.length;
        const unreachable = apps.filter((a) => a.unreachable).length;
        lines.push(driftCount ? `${driftCount} drift(s) between the stack and its hosts: each says its fix above.` : "No drift: every app runs what the stack says, as its record says, and nothing else runs on the class hosts.");
        if (unreachable) lines.push(`${unreachable} app(s) could not be checked: their host did not answer.`);
    }
    return `${lines.join("\n")}\n`;
}

/** The options of `status` (also what shell completion offers). */
export const STATUS_OPTIONS = {
    check: { type: "boolean" },
    deployed: { type: "string", multiple: true },
    stack: { type: "string" },
    file: { type: "string" },
    ...REGISTRY_OPTIONS,
    width: { type: "string" },
    ...OUTPUT_OPTIONS,
} as const;

/**
 * One observation per distinct host (endpoint and ssh options): classes that share a host share its
 * one connection. Every host is asked at once.
 */
async function observeHosts(loaded: LoadedStack): Promise<{ observations: HostObservation[]; sshOptsOf: Map<string, readonly string[]> }> {
    const groups = new Map<string, { endpoint: string; sshOpts: string[]; classes: string[] }>();
    for (const cls of CLASSES) {
        const c = loaded.estate.classes[cls];
        if (!c) continue;
        const key = JSON.stringify([c.host, c.sshOpts]);
        const g = groups.get(key) ?? { endpoint: c.host, sshOpts: c.sshOpts, classes: [] };
        g.classes.push(cls);
        groups.set(key, g);
    }
    const observations = await Promise.all([...groups.values()].map(async (g) => ({ endpoint: g.endpoint, classes: g.classes, facts: await gatherFacts(g, loaded.estate.org) })));
    return { observations, sshOptsOf: new Map([...groups.values()].map((g) => [g.endpoint, g.sshOpts])) };
}

/** `image-lifecycle status`: what runs where, read from the class hosts, what drifted, and what is newer. */
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
    const offline = files.length > 0;
    const known = new Map<string, Known>(deployedByApp(files));
    const registry = values.registry ?? estate.registry.host;
    const client = clientFromEnv(registry, io.env, { insecure: values.insecure === true || estate.registry.insecure });
    // The hosts are asked while the registry is read: neither waits for the other.
    const hostsAsked = offline ? undefined : observeHosts(loaded);
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
    let hostDrift: Drift[] = [];
    let observations: HostObservation[] = [];
    let sshOptsOf = new Map<string, readonly string[]>();
    if (hostsAsked) {
        const asked = await hostsAsked;
        sshOptsOf = asked.sshOptsOf;
        observations = asked.observations;
        const digestOf = (app: AppConfig) => {
            const tags = byRepo.get(app.repository);
            return app.digest ?? (tags instanceof RegistryError ? undefined : tags?.find((t) => t.tag === app.tag)?.info.digest);
        };
        const joined = joinHosts(estate.apps.map((a) => ({ name: a.name, class: a.class, ...(digestOf(a) ? { configuredDigest: digestOf(a)! } : {}) })), asked.observations);
        for (const a of joined.apps) known.set(a.app, { host: a });
        hostDrift = joined.hostDrift;
    }
    const render = fixRenderer(loaded, sshOptsOf, io.env);
    const apps = await mapLimit(estate.apps, 4, (app) => appStatus(app, byRepo.get(app.repository)!, known.get(app.name), client, render));
    for (const name of known.keys()) {
        if (!estate.apps.some((a) => a.name === name)) io.stderr(`note: a deployed file names app "${name}", which is not in ${loaded.file}.\n`);
    }
    const hostViews = hostDrift.map((d) => driftView(d, render));
    if (values.json) {
        const classes: Record<string, AppStatus[]> = {};
        for (const cls of CLASSES) {
            const list = apps.filter((a) => a.class === cls);
            if (list.length) classes[cls] = list;
        }
        const drift = [...apps.flatMap((a) => a.drift), ...hostViews];
        const hosts = observations.map((o) => ({ classes: o.classes, endpoint: o.endpoint, reachable: !("unreachable" in o.facts), error: "unreachable" in o.facts ? o.facts.unreachable : null }));
        io.stdout(`${JSON.stringify({ stack: loaded.stack, registry, source: offline ? "deployed files" : "hosts", hosts, classes, drift }, null, 2)}\n`);
    } else {
        io.stdout(formatStatus(loaded.stack, registry, apps, hostViews, offline, width));
    }
    const silent = observations.flatMap((o) => ("unreachable" in o.facts ? [`${o.classes.join(", ")}: ${o.facts.unreachable}`] : []));
    if (silent.length) {
        io.stderr(`status: could not read ${silent.length === 1 ? "a class host" : `${silent.length} class hosts`}: ${silent.join("; ")}\n`);
        return EXIT.unavailable;
    }
    if (values.check && (apps.some((a) => a.drift.length > 0 || (offline && a.pending)) || hostViews.length > 0)) return EXIT.failed;
    return EXIT.ok;
});
