/**
 * Runs policies the way the policy SDK's analyzer server does, without the Pulumi CLI: resources in the
 * engine's shape (props behind the SDK's own unknown-checking proxy, provider as a provider resource,
 * parent and dependencies as resource objects), config per policy with `enforcementLevel` split off,
 * `disabled` policies skipped, unknown-value errors turned into advisories. What it returns is what
 * `pulumi preview` would print as policy violations.
 */
import type {
    EnforcementLevel,
    Policies,
    PolicyConfigSchema,
    PolicyPackConfig,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";

// The SDK's internal proxy module (not in its typings): using it keeps "unknown during preview" exact.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy<T>(v: T): T;
    UnknownValueError: new (...a: unknown[]) => Error;
    unknownStringValue: string;
    unknownArrayValue: string;
    unknownNumberValue: string;
    unknownBooleanValue: string;
};

/** The engine's unknown sentinels, for fixtures that model a preview. */
export const UNKNOWN_STRING = proxy.unknownStringValue;
export const UNKNOWN_ARRAY = proxy.unknownArrayValue;
export const UNKNOWN_NUMBER = proxy.unknownNumberValue;
export const UNKNOWN_BOOLEAN = proxy.unknownBooleanValue;

/** A registered resource as the program's mocks capture it (harness/program.ts uses the same shape). */
export interface CapturedResource {
    type: string;
    urn: string;
    name: string;
    props: Record<string, unknown>;
    /**
     * What stack policies see instead of `props`: a custom resource's outputs (after the provider filled
     * defaults), a component's registered outputs. Absent: the inputs stand in (fixtures that model inputs only).
     */
    outputs?: Record<string, unknown>;
    /** Provider reference `<provider urn>::<id>`, as the engine records it. */
    provider?: string;
    /** Parent URN. */
    parent?: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
}

export interface Violation {
    policy: string;
    level: EnforcementLevel;
    message: string;
    /** The resource reported on (for stack policies, the URN the policy passed, if any). */
    urn?: string;
}

export interface RunOptions {
    config?: PolicyPackConfig | Record<string, unknown>;
    /** Fallback level of the pack (index.ts uses `mandatory`). */
    packLevel?: EnforcementLevel;
}

function isStackPolicy(p: Policies[number]): p is StackValidationPolicy {
    return typeof (p as StackValidationPolicy).validateStack === "function";
}

/** `<urn>::<id>` → `<urn>`: the id never contains `::`, the URN does. */
export function providerUrn(ref: string): string {
    const i = ref.lastIndexOf("::");
    return i > 0 ? ref.slice(0, i) : ref;
}

function typeFromUrn(urn: string): string {
    const parts = urn.split("::");
    const qualified = parts.length >= 4 ? parts[parts.length - 2] : "";
    return qualified.split("$").pop() ?? "";
}

function options(r: CapturedResource): PolicyResourceOptions {
    return {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(r.parent ? { parent: r.parent } : {}),
    };
}

function providerOf(r: CapturedResource, byUrn: Map<string, CapturedResource>): PolicyProviderResource | undefined {
    if (!r.provider) return undefined;
    const urn = providerUrn(r.provider);
    const p = byUrn.get(urn);
    return { type: p?.type ?? typeFromUrn(urn), urn, name: p?.name ?? urn.slice(urn.lastIndexOf("::") + 2), props: proxy.unknownCheckingProxy(p?.props ?? {}) };
}

/** The level a policy runs at: config (`<policy>` or `all`) over the policy's own over the pack's. */
export function levelOf(p: Policies[number], config: Record<string, unknown>, packLevel: EnforcementLevel): EnforcementLevel {
    const own = config[p.name];
    const fromConfig = typeof own === "string" ? own : (own as { enforcementLevel?: EnforcementLevel } | undefined)?.enforcementLevel;
    const all = typeof config.all === "string" ? config.all : (config.all as { enforcementLevel?: EnforcementLevel } | undefined)?.enforcementLevel;
    const level = (fromConfig ?? all ?? p.enforcementLevel ?? packLevel) as EnforcementLevel;
    return level === "remediate" ? "mandatory" : level;
}

/** The properties a policy's `getConfig()` returns: the schema's defaults overlaid by the config file's. */
export function configOf(p: Policies[number], config: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const schema: PolicyConfigSchema | undefined = p.configSchema;
    for (const [k, s] of Object.entries(schema?.properties ?? {})) if (s.default !== undefined) out[k] = structuredClone(s.default);
    const own = config[p.name];
    if (own && typeof own === "object") {
        for (const [k, v] of Object.entries(own)) if (k !== "enforcementLevel") out[k] = v;
    }
    return out;
}

function notApplicable(): never {
    throw new NotApplicable();
}
class NotApplicable extends Error {}

/** Runs every policy over `resources` and returns the violations, resource policies first, in order. */
export async function runPolicies(policies: Policies, resources: CapturedResource[], opts: RunOptions = {}): Promise<Violation[]> {
    const config = (opts.config ?? {}) as Record<string, unknown>;
    const packLevel = opts.packLevel ?? "mandatory";
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const out: Violation[] = [];

    const guard = async (p: Policies[number], level: EnforcementLevel, fn: () => unknown) => {
        try {
            await fn();
        } catch (e) {
            if (e instanceof NotApplicable) return;
            if (e instanceof proxy.UnknownValueError) {
                out.push({ policy: p.name, level: "advisory", message: `can't run policy '${p.name}' during preview: ${e.message}` });
                return;
            }
            // The engine fails the whole preview here; tests want to see which policy threw.
            throw new Error(`policy ${p.name} threw (${level}): ${(e as Error).stack}`);
        }
    };

    for (const p of policies) {
        const level = levelOf(p, config, packLevel);
        if (level === "disabled" || isStackPolicy(p)) continue;
        const rp = p as ResourceValidationPolicy;
        const validations = rp.validateResource ? (Array.isArray(rp.validateResource) ? rp.validateResource : [rp.validateResource]) : [];
        const cfg = configOf(p, config);
        for (const r of resources) {
            for (const v of validations) {
                const props = proxy.unknownCheckingProxy(r.props);
                const provider = providerOf(r, byUrn);
                const args: ResourceValidationArgs = {
                    type: r.type,
                    props,
                    urn: r.urn,
                    name: r.name,
                    opts: options(r),
                    stackTags: new Map(),
                    isType: () => false,
                    asType: () => undefined,
                    getConfig: <T extends object>() => structuredClone(cfg) as T,
                    notApplicable,
                    ...(provider ? { provider } : {}),
                };
                await guard(p, level, () => v(args, (message) => out.push({ policy: p.name, level, message, urn: r.urn })));
            }
        }
    }

    for (const p of policies) {
        const level = levelOf(p, config, packLevel);
        if (level === "disabled" || !isStackPolicy(p)) continue;
        const cfg = configOf(p, config);
        // A fresh resource graph per stack policy, as the analyzer server builds one per policy.
        const views = new Map<string, PolicyResource>();
        for (const r of resources) {
            const provider = providerOf(r, byUrn);
            views.set(r.urn, {
                type: r.type,
                // The engine hands stack policies outputs, not inputs.
                props: proxy.unknownCheckingProxy(r.outputs ?? r.props),
                urn: r.urn,
                name: r.name,
                opts: options(r),
                dependencies: [],
                propertyDependencies: {},
                isType: () => false,
                asType: () => undefined,
                ...(provider ? { provider } : {}),
            });
        }
        for (const r of resources) {
            const v = views.get(r.urn)!;
            if (r.parent && views.has(r.parent)) v.parent = views.get(r.parent);
            v.dependencies = r.dependencies.map((d) => views.get(d)).filter((d): d is PolicyResource => d !== undefined);
            for (const [k, list] of Object.entries(r.propertyDependencies)) {
                v.propertyDependencies[k] = list.map((d) => views.get(d)).filter((d): d is PolicyResource => d !== undefined);
            }
        }
        const args = { resources: [...views.values()], stackTags: new Map<string, string>(), getConfig: <T extends object>() => structuredClone(cfg) as T, notApplicable };
        await guard(p, level, () => p.validateStack(args, (message, urn) => out.push({ policy: p.name, level, message, ...(urn ? { urn } : {}) })));
    }
    return out;
}

/** Runs one policy by name from `policies`. */
export async function runPolicy(policies: Policies, name: string, resources: CapturedResource[], opts: RunOptions = {}): Promise<Violation[]> {
    const p = policies.find((x) => x.name === name);
    if (!p) throw new Error(`no policy named ${name}`);
    return runPolicies([p], resources, opts);
}
