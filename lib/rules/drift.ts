/**
 * What runs, joined with what the stack says, and every difference named with its fix: the pure half
 * of `status`. The facts come from the class hosts (lib/host/facts.ts gathers them over SSH); this
 * module only compares. Truth is read: the digest an app runs is the one its container runs, never
 * the one the stack or a record asked for.
 */
import { DeployHistoryEntry, LIFECYCLE, NAMES } from "../contract";
import { DeployRecord } from "./deploy-record";

/** One container as its host's engine reports it. */
export interface ContainerFact {
    id: string;
    /** Without Docker's leading `/`. */
    name: string;
    /** The image as the container was created with it (`Config.Image`). */
    image: string;
    /** The digest the container really runs: from a pinned `Config.Image`, else the image's repo digests. */
    digest?: string;
    labels: Record<string, string>;
    /** Docker's state: `running`, `exited`, `restarting`, `paused`, `created`, `dead`, `removing`. */
    state: string;
    /** `healthy`, `unhealthy`, `starting` when the container has a healthcheck. */
    health?: string;
    /** ISO 8601. */
    startedAt?: string;
    restartCount: number;
}

/** What one host said: its containers, and each app's record and history found under `/opt/<org>/`. */
export interface HostFacts {
    containers: ContainerFact[];
    /** App → its deploy record, or why it could not be read. */
    records: Record<string, { record: DeployRecord } | { error: string }>;
    /** App → its history entries (oldest first) and how many lines were not entries. */
    histories: Record<string, { entries: DeployHistoryEntry[]; skipped: number }>;
    /** The host's clock (ISO 8601), when it said. */
    now?: string;
}

/** One host of the stack (several classes may share one) and what it said, or why it said nothing. */
export interface HostObservation {
    endpoint: string;
    /** The stack's classes whose endpoint this is. */
    classes: string[];
    facts: HostFacts | { unreachable: string };
}

/** An app as the stack file (and the registry, for a tag) configures it. */
export interface DesiredApp {
    name: string;
    class: string;
    /** The digest the stack asks for: its configured digest, else what the registry says its tag is. */
    configuredDigest?: string;
}

/**
 * How to fix a drift, in steps; the CLI renders each as a command line (the library names no CLI flag):
 * `up` pulumi up; `refresh-up` pulumi up after a refresh (Pulumi's state no longer matches the host);
 * `replace-record` pulumi up replacing only the app's deploy record; `on-host` a docker command on the
 * host over the stack's SSH endpoint; `roll-back` back to the last verified digest of the history.
 */
export type FixStep =
    | { kind: "up" }
    | { kind: "on-host"; endpoint: string; argv: string[] }
    | { kind: "roll-back"; app: string };

/** Every kind of drift, as `status --json` names it. */
export const DRIFT_CODES = [
    "digest-differs",
    "record-differs",
    "record-missing",
    "not-running",
    "restarting",
    "unhealthy",
    "absent",
    "replaced-by-hand",
    "interrupted-deploy",
    "not-in-stack",
    "unmanaged-container",
    "other-class",
] as const;
export type DriftCode = (typeof DRIFT_CODES)[number];

/** One difference between the stack and a host, with the steps that remove it. */
export interface Drift {
    code: DriftCode;
    /** The class whose host it was found on. */
    class: string;
    endpoint: string;
    /** The stack's app it concerns, when it concerns one. */
    app?: string;
    /** The container it concerns, when it concerns one. */
    container?: string;
    message: string;
    fix: FixStep[];
}

/** What the hosts say about one app of the stack. */
export interface AppOnHost {
    app: string;
    class: string;
    endpoint?: string;
    /** Why the app's host could not be asked (no other field is then known). */
    unreachable?: string;
    container?: ContainerFact;
    /** The digest the app's container runs. */
    runningDigest?: string;
    record?: DeployRecord;
    recordError?: string;
    history: DeployHistoryEntry[];
    /** History lines that were not entries. */
    historySkipped: number;
    drift: Drift[];
}

/** The join: each app of the stack, and the drift of each host that is not about one app of it. */
export interface Joined {
    apps: AppOnHost[];
    /** Drift not about an app of the stack (containers the stack does not name). */
    hostDrift: Drift[];
    /** Every drift, apps' first in stack order, then each host's. */
    drift: Drift[];
}

const short = (digest: string | undefined) => (digest ? digest.replace(/^sha256:/, "").slice(0, 12) : "none");

/** A container this product created: it carries the stack label (lib/contract.ts LIFECYCLE). */
export function isProductContainer(c: ContainerFact): boolean {
    return c.labels[LIFECYCLE.stack] === "proxima";
}

function removeStep(endpoint: string, name: string): FixStep {
    return { kind: "on-host", endpoint, argv: ["docker", "rm", "-f", name] };
}

/** The drift of the app's own container: its state, its digest, its record. */
function appDrift(want: DesiredApp, seen: AppOnHost, endpoint: string): Drift[] {
    const out: Drift[] = [];
    const at = { class: want.class, endpoint, app: want.name };
    const c = seen.container;
    if (!c) {
        out.push({ ...at, code: "absent", message: `${want.name} is configured for ${want.class} but no container ${want.name} is there.`, fix: [{ kind: "up" }] });
        return out;
    }
    const where = { ...at, container: c.name };
    if (!isProductContainer(c)) {
        out.push({ ...where, code: "replaced-by-hand", message: `${want.name}'s container was not created by image-lifecycle (no ${LIFECYCLE.stack} label): it runs ${c.image}, started by hand.`, fix: [{ kind: "up" }] });
        return out;
    }
    if (c.state === "restarting") {
        out.push({ ...where, code: "restarting", message: `${want.name} is restarting (${c.restartCount} restarts): it keeps failing. Read why with docker logs ${c.name} on the host.`, fix: [{ kind: "roll-back", app: want.name }] });
    } else if (c.state !== "running") {
        out.push({ ...where, code: "not-running", message: `${want.name} is ${c.state}, not running.`, fix: [{ kind: "on-host", endpoint, argv: ["docker", "start", c.name] }] });
    } else if (c.health === "unhealthy") {
        out.push({ ...where, code: "unhealthy", message: `${want.name} runs but its healthcheck fails. Read why with docker inspect ${c.name} on the host.`, fix: [{ kind: "roll-back", app: want.name }] });
    }
    const running = seen.runningDigest;
    if (want.configuredDigest && running && running !== want.configuredDigest) {
        out.push({ ...where, code: "digest-differs", message: `the stack asks for ${short(want.configuredDigest)}, ${want.name} runs ${short(running)}.`, fix: [{ kind: "up" }] });
    }
    if (seen.recordError !== undefined) {
        out.push({ ...where, code: "record-differs", message: `${want.name}'s deploy record cannot be read: ${seen.recordError}`, fix: [{ kind: "up" }] });
    } else if (!seen.record) {
        out.push({ ...where, code: "record-missing", message: `${want.name} runs without a deploy record (${c.labels[LIFECYCLE.record] ?? "none"}).`, fix: [{ kind: "up" }] });
    } else if (running && seen.record.digest !== running) {
        out.push({ ...where, code: "record-differs", message: `${want.name}'s deploy record says ${short(seen.record.digest)}, its container runs ${short(running)}.`, fix: [{ kind: "up" }] });
    }
    return out;
}

/**
 * Joins the stack's apps with what their hosts said, and names every drift. An app is the container
 * named after it (the product names each container after its app) on its class's host.
 */
export function joinHosts(apps: readonly DesiredApp[], hosts: readonly HostObservation[]): Joined {
    const hostOf = new Map<string, HostObservation>();
    for (const h of hosts) for (const cls of h.classes) hostOf.set(cls, h);
    const stackApps = new Set(apps.map((a) => a.name));
    const classOf = new Map(apps.map((a) => [a.name, a.class]));
    const joined: AppOnHost[] = apps.map((want) => {
        const h = hostOf.get(want.class);
        const base: AppOnHost = { app: want.name, class: want.class, history: [], historySkipped: 0, drift: [] };
        if (!h) return { ...base, unreachable: `class ${want.class} has no host in the stack` };
        if ("unreachable" in h.facts) return { ...base, endpoint: h.endpoint, unreachable: h.facts.unreachable };
        const f = h.facts;
        const container = f.containers.find((c) => c.name === want.name);
        const rec = f.records[want.name];
        const hist = f.histories[want.name];
        const seen: AppOnHost = {
            ...base,
            endpoint: h.endpoint,
            ...(container ? { container } : {}),
            ...(container?.digest ? { runningDigest: container.digest } : {}),
            ...(rec && "record" in rec ? { record: rec.record } : {}),
            ...(rec && "error" in rec ? { recordError: rec.error } : {}),
            history: hist?.entries ?? [],
            historySkipped: hist?.skipped ?? 0,
        };
        seen.drift = appDrift(want, seen, h.endpoint);
        return seen;
    });

    const hostDrift: Drift[] = [];
    for (const h of hosts) {
        if ("unreachable" in h.facts) continue;
        const cls = h.classes.join("+");
        const appHere = (name: string) => classOf.has(name) && h.classes.includes(classOf.get(name)!);
        for (const c of h.facts.containers) {
            const at = { class: cls, endpoint: h.endpoint, container: c.name };
            const labelled = c.labels[LIFECYCLE.class];
            const app = c.labels[LIFECYCLE.app];
            const previous = app !== undefined && c.name === NAMES.previousContainer(app);
            if (previous && stackApps.has(app)) {
                hostDrift.push({ ...at, app, code: "interrupted-deploy", message: `${c.name} is left from an interrupted deploy of ${app}.`, fix: [{ kind: "up" }] });
            } else if (labelled !== undefined && !h.classes.includes(labelled)) {
                hostDrift.push({ ...at, code: "other-class", message: `${c.name} carries class ${labelled} on ${cls}'s host: nothing may cross classes.`, fix: [removeStep(h.endpoint, c.name)] });
            } else if (isProductContainer(c)) {
                // The stack's own apps are judged above, by name; a labelled container of another name or class is not one of them.
                if (!(appHere(c.name) && labelled === classOf.get(c.name))) {
                    hostDrift.push({ ...at, code: "not-in-stack", message: `${c.name} (app ${app ?? "?"}) runs here but the stack has no such app in ${labelled ?? cls}.`, fix: [removeStep(h.endpoint, c.name)] });
                }
            } else if (!appHere(c.name)) {
                // A hand-made container named after one of this host's apps is reported with that app (replaced-by-hand).
                hostDrift.push({ ...at, code: "unmanaged-container", message: `${c.name} (${c.image}) was not created by image-lifecycle.`, fix: [removeStep(h.endpoint, c.name)] });
            }
        }
    }
    return { apps: joined, hostDrift, drift: [...joined.flatMap((a) => a.drift), ...hostDrift] };
}
