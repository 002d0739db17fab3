/**
 * The provider behind a Proxima app's container (components/appContainer.ts): plain functions over the
 * resource's inputs, compiled to dist/ like the release provider so the copy serialized into the state
 * never carries a checkout's path (ADR 0052). The host is the truth: diff asks it whether the container
 * still runs the spec, create and update run the deploy script there, read reports what it runs.
 * No @pulumi import: the component adapts these to `pulumi.dynamic.ResourceProvider`.
 */
import { LIFECYCLE, type KINDS } from "../contract";
import {
    type AppContainerSpec, canonicalJson, deployScript, deployTimeoutMs, inspectScript, parseDeployResult, removeScript,
    type RunningContainer, specHash,
} from "./app-container";
import { HostError, runOnHost } from "./ssh";

/** The resource's inputs: the container in the docker provider's field names (the policies read them), plus where and how. */
export interface AppContainerInputs {
    kind: typeof KINDS.appContainer;
    /** `ssh://user@host[:port]` of the class host. */
    endpoint: string;
    sshOpts: string[];
    name: string;
    image: string;
    labels: { label: string; value: string }[];
    envs: string[];
    command?: string[];
    ports: { internal: number; external: number; protocol: string }[];
    volumes: { volumeName: string; containerPath: string; readOnly: boolean }[];
    networksAdvanced: { name: string }[];
    /** MiB. */
    memory: number;
    memorySwap: number;
    /** As the docker provider spells it (`"1.0"`, `"0.5"`). */
    cpus: string;
    restart: string;
    healthcheck?: { tests: string[]; interval: string; timeout: string; retries: number; startPeriod: string };
    logDriver: string;
    logOpts: Record<string, string>;
    privileged: boolean;
    /** `/opt/<org>/<app>/deploy-info.yml`. */
    recordPath: string;
    /** The record as written (deploy time a placeholder the host fills). */
    record: string;
    /** History lines for a verified deploy, a failed one and the previous digest running again. */
    history: { verified: string; failed: string; restored: string };
    /** Seconds the verification waits. */
    waitSeconds: number;
    /** Hash of every setting (the container's `image-lifecycle.spec` label). */
    spec: string;
}

/** What the state holds: the inputs, and what the host said runs after the last operation. */
export interface AppContainerOutputs extends AppContainerInputs {
    /** The container that runs, read from the host; absent when none does. */
    running?: RunningContainer;
    /** The digest that runs (`running.digest`), for outputs; empty when nothing runs. */
    runningDigest: string;
    /** Why the last deploy of this spec failed; empty after a verified one. */
    failure: string;
}

/** The inputs that make the container: a change to any of them replaces it. */
export type ContainerFields = Pick<AppContainerInputs, "name" | "image" | "labels" | "envs" | "command" | "ports" | "volumes" | "networksAdvanced" | "memory" | "cpus" | "restart" | "healthcheck" | "logOpts">;

/** The spec the inputs describe (the docker provider's field names back into one record). */
export function specOf(inputs: ContainerFields): AppContainerSpec {
    const hc = inputs.healthcheck;
    return {
        name: inputs.name,
        image: inputs.image,
        labels: Object.fromEntries(inputs.labels.map((l) => [l.label, l.value])),
        env: inputs.envs,
        ...(inputs.command ? { command: inputs.command } : {}),
        ports: inputs.ports,
        volumes: inputs.volumes,
        network: inputs.networksAdvanced[0]?.name ?? "",
        memoryMb: inputs.memory,
        cpus: inputs.cpus,
        restart: inputs.restart,
        ...(hc ? { healthcheck: { test: hc.tests, interval: hc.interval, timeout: hc.timeout, retries: hc.retries, startPeriod: hc.startPeriod } } : {}),
        logOpts: inputs.logOpts,
    };
}

export interface DiffResult { changes: boolean; replaces?: string[]; deleteBeforeReplace?: boolean; stables?: string[] }

/**
 * Does the host run `spec` for this app, as a running container, with a record that names its digest?
 * Unreachable: undefined (no opinion; the state decides).
 */
async function hostRuns(inputs: AppContainerInputs): Promise<boolean | undefined> {
    let out: string;
    try {
        out = await runOnHost({ endpoint: inputs.endpoint, sshOpts: inputs.sshOpts, script: inspectScript(inputs.name, inputs.recordPath) }, 30000);
    } catch {
        return undefined;
    }
    const result = parseDeployResult(out);
    const c = result.running;
    return c !== undefined && c.spec === inputs.spec && c.status === "running" && c.health !== "unhealthy" && result.recordDigest === c.digest;
}

function outputsOf(inputs: AppContainerInputs, running: RunningContainer | undefined, failure: string): AppContainerOutputs {
    return { ...inputs, ...(running ? { running } : {}), runningDigest: running?.digest ?? "", failure };
}

/** The failure as one message: the app, the digest that failed, why, and what runs now. */
export function failureMessage(inputs: AppContainerInputs, why: string, restored: string | undefined, running: RunningContainer | undefined): string {
    const digest = inputs.labels.find((l) => l.label === LIFECYCLE.digest)?.value ?? inputs.image;
    const now = restored
        ? `The previous digest ${restored} runs again; its record is unchanged. Fix the stack (image, command, healthcheck) and run pulumi up again.`
        : running
            ? `Nothing was restored; ${running.digest || "a container"} is ${running.status}. Fix the stack and run pulumi up again.`
            : `No previous container existed, so nothing runs for ${inputs.name} now. Fix the stack and run pulumi up again.`;
    return `${inputs.name}: ${digest} failed verification on ${inputs.endpoint} (${why}). ${now}`;
}

/**
 * Runs the deploy script; returns the state to keep. A failed verification, or a host that cannot be
 * reached, is state too, not an exception: the state keeps naming what runs (the last container the
 * host reported), the failure makes the next diff retry, and the component fails the `up` with it.
 */
async function deploy(inputs: AppContainerInputs, last?: AppContainerOutputs): Promise<AppContainerOutputs> {
    const spec = specOf(inputs);
    if (specHash(spec) !== inputs.spec) throw new Error(`${inputs.name}: the spec hash does not match its settings; this is a bug in image-lifecycle.`);
    const script = deployScript({ spec, recordPath: inputs.recordPath, waitSeconds: inputs.waitSeconds });
    const stdin = [inputs.history.verified, inputs.history.failed, inputs.history.restored].join("\n") + "\n" + inputs.record;
    let out: string;
    try {
        out = await runOnHost({ endpoint: inputs.endpoint, sshOpts: inputs.sshOpts, script, stdin }, deployTimeoutMs(inputs.waitSeconds));
    } catch (e) {
        const err = e as Error;
        const unreachable = err instanceof HostError && err.unreachable;
        const then = unreachable
            ? "Nothing was changed on it by this run."
            : "A deploy cut short is finished by the next one: run pulumi up again once the cause is fixed.";
        const was = last?.running ? ` Last seen running there: ${last.running.digest}.` : "";
        return outputsOf(inputs, last?.running, `${inputs.name}: cannot deploy on its class host. ${err.message}\n${then}${was}`);
    }
    const result = parseDeployResult(out);
    if (result.outcome === "failed") {
        return outputsOf(inputs, result.running, failureMessage(inputs, result.why ?? "no reason given", result.restored, result.running));
    }
    return outputsOf(inputs, result.running, "");
}

/** The provider's functions. */
export interface AppContainerProvider {
    diff(id: string, olds: AppContainerOutputs, news: AppContainerInputs): Promise<DiffResult>;
    create(inputs: AppContainerInputs): Promise<{ id: string; outs: AppContainerOutputs }>;
    read(id: string, props: AppContainerOutputs): Promise<{ id: string; props: AppContainerOutputs }>;
    update(id: string, olds: AppContainerOutputs, news: AppContainerInputs): Promise<{ outs: AppContainerOutputs }>;
    delete(id: string, props: AppContainerOutputs): Promise<void>;
}

/**
 * Whether any input is the engine's "unknown during preview" value. Values only: the serialized provider
 * (`__provider`) holds that sentinel in its own source text, so a search of the whole text always matches.
 */
function hasUnknown(value: unknown, unknown: string): boolean {
    if (value === unknown) return true;
    if (Array.isArray(value)) return value.some((v) => hasUnknown(v, unknown));
    if (value !== null && typeof value === "object") {
        return Object.entries(value as Record<string, unknown>).some(([k, v]) => k !== "__provider" && hasUnknown(v, unknown));
    }
    return false;
}

/** Inputs that only change how the host is reached or what a future record says: no new container for them. */
const QUIET: (keyof AppContainerInputs)[] = ["sshOpts", "record", "history", "waitSeconds"];

export function createAppContainerProvider(opts: { unknown: string }): AppContainerProvider {
    return {
        async diff(_id, olds, news) {
            // Key order is not a difference: the state and the program hand objects over in different orders.
            const differs = (Object.keys(news) as (keyof AppContainerInputs)[]).filter((k) => canonicalJson(olds[k]) !== canonicalJson(news[k]));
            // The spec is unknown during preview when an input is (a digest not yet resolved): a change.
            if (hasUnknown(news, opts.unknown)) return { changes: true };
            if (olds.spec !== news.spec || olds.endpoint !== news.endpoint || olds.failure || olds.running?.spec !== news.spec) return { changes: true };
            // Same spec in the state: ask the host whether it still runs it (an engine restart, a hand-made change).
            const runs = await hostRuns(news);
            if (runs === false) return { changes: true };
            return { changes: differs.some((k) => QUIET.includes(k)) };
        },
        async create(inputs) {
            return { id: inputs.name, outs: await deploy(inputs) };
        },
        async update(_id, olds, news) {
            const quietOnly = olds.spec === news.spec && olds.endpoint === news.endpoint && !olds.failure && olds.running?.spec === news.spec;
            if (quietOnly && (await hostRuns(news)) === true) {
                return { outs: { ...olds, ...news, runningDigest: olds.runningDigest, failure: "" } };
            }
            return { outs: await deploy(news, olds) };
        },
        async read(id, props) {
            const out = await runOnHost({ endpoint: props.endpoint, sshOpts: props.sshOpts, script: inspectScript(props.name) }, 30000);
            const running = parseDeployResult(out).running;
            return { id, props: outputsOf(props, running, running?.spec === props.spec ? props.failure : props.failure || "the container on the host does not run the stack's settings") };
        },
        async delete(_id, props) {
            await runOnHost({ endpoint: props.endpoint, sshOpts: props.sshOpts, script: removeScript(props.name, "proxima") }, 120000);
        },
    };
}
