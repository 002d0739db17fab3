/**
 * Runs the real program (program.ts) under Pulumi mocks against the shipped stack files, with image
 * resolution through the real registry client against a real test registry, and captures every
 * resource registration in the shape the engine hands CrossGuard policies.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { createResolver, ImageResolver } from "../components/resolver";
import { configFromStackFile, Estate, parseConfig } from "../lib/config";
import { LIFECYCLE, OCI, type StackName } from "../lib/contract";
import { RegistryClient } from "../lib/registry/client";
import { RegistryApi } from "../lib/registry/types";
import { buildStack } from "../program";
import { registryAccess } from "../lib/registry/access";
import { buildAndPush, dockerEngine, sharedTestRegistry } from "../estate/services";
import * as os from "node:os";

// Internal runtime modules: the mock monitor sees exactly the RegisterResourceRequest the engine would.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rpc = require("@pulumi/pulumi/runtime/rpc") as { deserializeProperties(struct: unknown): Record<string, unknown> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { settings: { rpcDone: Promise<unknown> } } };

/** One registered resource, as a CrossGuard stack policy sees it. */
export interface CapturedResource {
    type: string;
    urn: string;
    name: string;
    /** The inputs sent to the engine (for components: what the SDK sends, `{}`). */
    props: Record<string, any>;
    /** What stack policies see: a custom resource's state as the "engine" returned it, a component's registered outputs. */
    outputs: Record<string, any>;
    /** `<provider urn>::<provider id>` for an explicit provider; absent for the default provider. */
    provider?: string;
    /** URN of the parent; absent for top-level resources (whose parent is the stack). */
    parent?: string;
    /** URNs this resource depends on (dependsOn and property dependencies), as the SDK sends them. */
    dependencies: string[];
    /** Property name → URNs the property's value came from. */
    propertyDependencies: Record<string, string[]>;
    /** False for component resources. */
    custom: boolean;
}

export interface RunOptions {
    /** Resolve through this client instead of seeding the shared test registry (e.g. a registry with auth). */
    registry?: RegistryApi;
    /** Resolve through this function (takes precedence over `registry`). */
    resolver?: ImageResolver;
    /** Stack-file name to load instead of the shipped `Pulumi.<stack>.yaml` (absolute path). */
    stackFile?: string;
    /**
     * What the "engine" returns for a custom resource: its output state, or undefined to echo the
     * inputs (the default). E.g. run a dynamic provider's real `create` to get the outputs `pulumi up` would.
     */
    create?: (args: pulumi.runtime.MockResourceArgs) => Promise<Record<string, any> | undefined>;
}

export interface ProgramRun {
    resources: CapturedResource[];
    /** Stack outputs, resolved. */
    outputs: Record<string, any>;
    estate: Estate;
}

const ROOT = path.resolve(__dirname, "..");

/** The raw config of a stack file (keys without the project prefix). */
export function loadStackConfig(stack: StackName, file = path.join(ROOT, `Pulumi.${stack}.yaml`)): Record<string, any> {
    return configFromStackFile(parseYaml(fs.readFileSync(file, "utf8")));
}

/** Images (repository → tags) that a raw stack config refers to by tag. */
export function imagesOf(raw: Record<string, any>): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const section of [raw.apps, raw.devContainers]) {
        for (const item of Object.values((section ?? {}) as Record<string, any>)) {
            const repository = item?.repository ?? item?.image;
            if (typeof repository !== "string" || typeof item?.tag !== "string") continue;
            if (!out.has(repository)) out.set(repository, new Set());
            out.get(repository)!.add(item.tag);
        }
    }
    return out;
}

/** The OCI labels a test build of `repository:tag` carries (seed 002's four, from "git"). */
export function testLabels(repository: string, tag: string, description = `build ${tag} of ${repository}`): Record<string, string> {
    return {
        [OCI.description]: description,
        [OCI.created]: "2026-01-25T01:10:00Z",
        [OCI.revision]: createHash("sha1").update(`${repository}:${tag}`).digest("hex"),
        [OCI.source]: `https://github.com/${repository}`,
    };
}

const seeded = new Map<string, Promise<string>>();

/** Builds and pushes `repository:tag` to the shared test registry once per run; returns its digest. */
export async function seedImage(repository: string, tag: string, labels?: Record<string, string>): Promise<string> {
    const { registry } = await sharedTestRegistry();
    const key = `${registry}/${repository}:${tag}`;
    let p = seeded.get(key);
    if (!p) {
        p = buildAndPush({ repository: `${registry}/${repository}`, tags: [tag], labels: labels ?? testLabels(repository, tag), payload: key });
        seeded.set(key, p);
    }
    return p;
}

/**
 * Builds `repository:tag` FROM an image already pushed by seedImage, with `labels` given verbatim as
 * `--label` arguments (so a value may hold a real newline, which a Dockerfile LABEL cannot), pushes
 * it and returns its digest.
 */
export async function seedRelabelled(from: { repository: string; tag: string }, tag: string, labels: Record<string, string>): Promise<string> {
    await seedImage(from.repository, from.tag);
    const { registry } = await sharedTestRegistry();
    const { docker } = await dockerEngine();
    const ctx = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-relabel-"));
    try {
        fs.writeFileSync(path.join(ctx, "Dockerfile"), `FROM ${registry}/${from.repository}:${from.tag}\n`);
        const ref = `${registry}/${from.repository}:${tag}`;
        await docker(["build", "-q", "-t", ref, ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]), ctx]);
        const { stdout } = await docker(["push", ref]);
        const m = /digest: (sha256:[0-9a-f]{64})/.exec(stdout);
        if (!m) throw new Error(`docker push ${ref} printed no digest:\n${stdout}`);
        return m[1];
    } finally {
        fs.rmSync(ctx, { recursive: true, force: true });
    }
}

/**
 * Pushes every image the shipped stack file refers to by tag into the shared test registry and
 * returns the registry's `host:port`.
 */
export async function seedRegistryFor(stack: StackName): Promise<string> {
    const { registry } = await sharedTestRegistry();
    for (const [repository, tags] of imagesOf(loadStackConfig(stack))) {
        for (const tag of tags) await seedImage(repository, tag);
    }
    return registry;
}

let queue: Promise<unknown> = Promise.resolve();

/** Serialises runs: the Pulumi runtime's state is process-global. */
function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
}

/**
 * Loads the shipped `Pulumi.<stack>.yaml` (its registry switched to the test registry, then
 * `overrides` applied to the raw config), runs the program under mocks (preview=false) and returns
 * every registered resource. Config errors are thrown as parseConfig throws them.
 */
export async function runProgram(stack: StackName, overrides?: (raw: any) => any, opts: RunOptions = {}): Promise<CapturedResource[]> {
    return (await runProgramFull(stack, overrides, opts)).resources;
}

/** runProgram, plus the resolved stack outputs and the parsed estate. */
export async function runProgramFull(stack: StackName, overrides?: (raw: any) => any, opts: RunOptions = {}): Promise<ProgramRun> {
    let raw = structuredClone(loadStackConfig(stack, opts.stackFile));
    let api = opts.registry;
    if (!opts.resolver && !api) {
        const host = await seedRegistryFor(stack);
        raw.registry = { ...raw.registry, host };
        api = new RegistryClient({ registry: host });
    } else if (api) {
        raw.registry = { ...raw.registry, host: api.registry };
    }
    if (overrides) raw = overrides(raw) ?? raw;
    const estate = parseConfig(raw, stack);
    const resolver = opts.resolver ?? createResolver(api!);
    return exclusive(() => capture(stack, estate, resolver, opts.create));
}

/** Runs the program for an already parsed estate (e.g. a synthetic one in a benchmark). */
export function runEstate(estate: Estate, resolver: ImageResolver): Promise<ProgramRun> {
    return exclusive(() => capture(estate.stack, estate, resolver));
}

async function capture(stack: StackName, estate: Estate, resolver: ImageResolver, create?: RunOptions["create"]): Promise<ProgramRun> {
    const resources: CapturedResource[] = [];
    let pending = 0;
    const states = new Map<string, Record<string, any>>();
    const mocks: pulumi.runtime.Mocks = {
        newResource: async (args) => {
            const created = args.custom && create ? await create(args) : undefined;
            // Only a real create gives outputs of their own; an echo is the inputs themselves.
            if (created) states.set(`${args.type}::${args.name}`, created);
            return { id: args.custom ? `${args.name}-id` : undefined, state: created ?? args.inputs };
        },
        call: (args) => args.inputs,
    };
    await pulumi.runtime.setMocks(mocks, "image-lifecycle", stack, false);
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    const componentOutputs = new Map<string, Record<string, any>>();
    monitor.registerResourceOutputs = (req: any, callback: (err: any, res: any) => void) => {
        componentOutputs.set(req.getUrn(), rpc.deserializeProperties(req.getOutputs()));
        return registerOutputs(req, callback);
    };
    monitor.registerResource = (req: any, callback: (err: any, res: any) => void) => {
        pending++;
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps: any, key: string) => { propertyDependencies[key] = deps.getUrnsList(); });
        const entry = {
            type: req.getType() as string,
            name: req.getName() as string,
            props: rpc.deserializeProperties(req.getObject()),
            provider: (req.getProvider() as string) || undefined,
            parent: (req.getParent() as string) || undefined,
            dependencies: req.getDependenciesList() as string[],
            propertyDependencies,
            custom: req.getCustom() as boolean,
        };
        return register(req, (err: any, res: any) => {
            if (!err && res) {
                const captured: CapturedResource = { type: entry.type, urn: res.getUrn(), name: entry.name, props: entry.props, outputs: {}, dependencies: entry.dependencies, propertyDependencies: entry.propertyDependencies, custom: entry.custom };
                if (entry.provider) captured.provider = entry.provider;
                if (entry.parent) captured.parent = entry.parent;
                resources.push(captured);
            }
            pending--;
            callback(err, res);
        });
    };
    const outputs = buildStack(estate, { resolver, access: registryAccess(estate.registry) });
    const resolved = await new Promise<Record<string, any>>((resolve, reject) => {
        pulumi.output(outputs as unknown as Record<string, pulumi.Output<unknown>>).apply((o) => { resolve(o as Record<string, any>); return o; });
        // A failed resolution rejects an output; surface it instead of waiting forever.
        Object.values(outputs).forEach((o: pulumi.Output<unknown>) => (o as any).promise().catch(reject));
    });
    // Wait until every registration the program started has reached the monitor and returned.
    for (;;) {
        const done = state.getStore().settings.rpcDone;
        await done;
        await new Promise((r) => setImmediate(r));
        if (pending === 0 && state.getStore().settings.rpcDone === done) break;
    }
    // A custom resource whose "engine" echoed its inputs shares one object for both views, so a test
    // that edits what the program registered edits what every policy sees.
    for (const r of resources) {
        r.outputs = r.custom ? (states.get(`${r.type}::${r.name}`) ?? r.props) : (componentOutputs.get(r.urn) ?? {});
    }
    return { resources, outputs: resolved, estate };
}

/** Resources of `type`, in registration order. */
export function ofType(resources: CapturedResource[], type: string): CapturedResource[] {
    return resources.filter((r) => r.type === type);
}

/** The resource named `name` (and of `type`, when given); throws naming what exists when absent. */
export function byName(resources: CapturedResource[], name: string, type?: string): CapturedResource {
    const found = resources.find((r) => r.name === name && (type === undefined || r.type === type));
    if (!found) throw new Error(`No resource named ${name}${type ? ` of type ${type}` : ""}; registered: ${resources.map((r) => `${r.type}/${r.name}`).join(", ")}`);
    return found;
}

/** The type token of a Proxima app container. */
export const APP_CONTAINER = "pulumi-nodejs:dynamic/image-lifecycle:AppContainer";

/**
 * What the app container's provider reports after a verified deploy: the container runs the spec it was
 * given. Mocks echo inputs; outputs read from the host exist only under this stand-in (and the real engine).
 */
export async function verifiedDeploy(args: { type: string; inputs: any }): Promise<Record<string, any> | undefined> {
    if (args.type !== APP_CONTAINER) return undefined;
    const labels = Object.fromEntries((args.inputs.labels as { label: string; value: string }[]).map((l) => [l.label, l.value]));
    const running = { id: "c0", digest: labels[LIFECYCLE.digest], spec: args.inputs.spec, tag: labels[LIFECYCLE.tag] ?? "", status: "running", health: "", startedAt: "2026-12-01T10:00:00Z" };
    return { ...args.inputs, running, runningDigest: running.digest, failure: "" };
}
