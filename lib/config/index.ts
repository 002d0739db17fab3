import * as path from "node:path";
import { z } from "zod";
import { dockerCpus } from "../rules/docker-values";
import { ValidationError } from "../errors";
import { CLASSES, LxcClassName } from "../contract";
import { parseReference } from "../rules/reference";
import { normalisePem, PRIVATE_KEY_PEM, PUBLIC_KEY_PEM } from "../release/spec";
import { checkDigestInput, checkTagCharset, checkTagPolicy } from "../rules/tags";

/** The two stacks of the project. */
export const STACKS = ["lyra", "proxima"] as const;
export type StackName = (typeof STACKS)[number];

/** The Pulumi project name: the prefix of every key in `Pulumi.<stack>.yaml`. */
export const PROJECT = "image-lifecycle";

export interface RegistryConfig {
    /** `host[:port]`. */
    host: string;
    insecure: boolean;
    username?: string;
    /** From the `registryPassword` secret; never put it in outputs, labels or records. */
    password?: string;
}

export interface Limits {
    /** Hard memory limit in MiB (docker `memory`). */
    memoryMb: number;
    /** CPU quota in CPUs, e.g. 0.5 (docker `cpus`). */
    cpus: number;
}

export interface Healthcheck {
    /** Docker form: `["CMD", …]` or `["CMD-SHELL", "…"]`. */
    test: string[];
    interval: string;
    timeout: string;
    retries: number;
    startPeriod: string;
}

export interface Port {
    internal: number;
    external: number;
    protocol: "tcp" | "udp";
}

/** Which image to run: the tag humans chose, the digest machines run; a configured digest wins. */
export interface ImageChoice {
    /** Repository path in the registry, e.g. `rednaw/hello-world`. */
    image: string;
    tag?: string;
    /** `sha256:<64 hex>`. */
    digest?: string;
}

export interface ClassConfig {
    name: LxcClassName;
    /** Docker endpoint of the class's LXC container, `ssh://user@host[:port]`. */
    host: string;
    sshOpts: string[];
    budget: Limits;
}

export interface AppVolume {
    /** Volume name within the app; the Docker volume is `<class>-<app>-<name>`. */
    name: string;
    containerPath: string;
    readOnly: boolean;
}

export interface AppConfig extends ImageChoice {
    name: string;
    class: LxcClassName;
    env: Record<string, string>;
    ports: Port[];
    volumes: AppVolume[];
    restart: "unless-stopped" | "always" | "on-failure";
    limits: Limits;
    healthcheck?: Healthcheck;
    command?: string[];
}

export interface ReleaseConfig {
    name: string;
    /** Repository path in the registry. */
    image: string;
    /** 64 lowercase hex, no `sha256:` prefix (seed 004). */
    digest: string;
    tag: string;
    allowNonSemver?: boolean;
    justification?: string;
    smokeCommand?: string;
    deleteTagOnDestroy?: { reason: string };
    /** Sign with the stack's cosign key pair ({@link SigningConfig}) and verify tag and digest. */
    sign?: boolean;
}

/** The stack's cosign key pair, for releases with `sign: true`. */
export interface SigningConfig {
    /** PEM of `cosign.pub` (`cosignPublicKey`, plain config: it is public). */
    publicKey: string;
    /** Text of `cosign.key` (the `cosignKey` secret); absent only where secrets are not decrypted (offline parsing). */
    privateKey?: string;
    /** The `cosignPassword` secret. */
    password?: string;
}

export interface ReleaseGateConfig {
    /** `owner/name` on GitHub. */
    repository: string;
    environment: string;
    reviewers: { users: number[]; teams: number[] };
    deploymentBranchPolicy: { protectedBranches: boolean; customBranchPolicies: boolean };
    /** Publish each app's pinned digest as an Actions variable `DIGEST_<APP>`. */
    pinDigests: boolean;
}

export interface DevVolume {
    containerPath: string;
    /** A bind mount below the workspace; without it the volume is temporary (a labelled Docker volume). */
    hostPath?: string;
    readOnly: boolean;
}

export interface DevContainerConfig extends ImageChoice {
    name: string;
    env: Record<string, string>;
    ports: Port[];
    volumes: DevVolume[];
    limits: Limits;
    healthcheck?: Healthcheck;
    command?: string[];
    /** The class this would be promoted to; only a hint for "prepare for promotion". */
    suggestedClass?: LxcClassName;
}

interface CommonEstate {
    registry: RegistryConfig;
    /** Who the deploy records name; config.ts fills it from the environment when the stack does not. */
    deployedBy?: string;
}

export interface ProximaEstate extends CommonEstate {
    stack: "proxima";
    /** `<org>` of `/opt/<org>/<app>/deploy-info.yml`. */
    org: string;
    classes: Partial<Record<LxcClassName, ClassConfig>>;
    apps: AppConfig[];
    releases: ReleaseConfig[];
    /** Set when cosignPublicKey is. */
    signing?: SigningConfig;
    releaseGate?: ReleaseGateConfig;
}

export interface LyraEstate extends CommonEstate {
    stack: "lyra";
    lyra: { host: string; workspace: string; sshOpts: string[] };
    devContainers: DevContainerConfig[];
}

export type Estate = ProximaEstate | LyraEstate;

// ---- schemas ---------------------------------------------------------------------------------

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const nameMessage = "must be lowercase letters, digits and dashes (at most 63), starting with a letter or digit";
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DURATION = /^[0-9]+(ms|s|m|h)$/;

/** Docker refuses a memory limit under 6 MiB; a container that small cannot start anyway. */
export const MIN_MEMORY_MB = 6;
/** The smallest CPU quota Docker schedules meaningfully (`--cpus 0.01`). */
export const MIN_CPUS = 0.01;

/**
 * CPUs as a number. `pulumi config set --path … 0.5` stores a decimal as a string (only integers become
 * numbers), so a decimal string is read as the number it spells.
 */
const cpusSchema = z.preprocess(
    (v) => (typeof v === "string" && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v),
    z.number().min(MIN_CPUS, `at least ${MIN_CPUS} CPUs`).max(256).superRefine((n, ctx) => {
        try {
            dockerCpus(n);
        } catch (e) {
            ctx.addIssue({ code: "custom", message: (e as Error).message });
        }
    }),
);

const limitsSchema = z.strictObject({
    memoryMb: z.number().int().min(MIN_MEMORY_MB, `at least ${MIN_MEMORY_MB} MiB (Docker's minimum)`),
    cpus: cpusSchema,
});

/** `ssh://…:port` and `tcp://…:port` ports must be real ports. */
function portInRange(url: string): boolean {
    const m = /:([0-9]+)$/.exec(url);
    return m === null || (Number(m[1]) >= 1 && Number(m[1]) <= 65535);
}

const healthcheckSchema = z.strictObject({
    test: z.array(z.string().min(1)).min(1).refine((t) => ["CMD", "CMD-SHELL", "NONE"].includes(t[0]), 'must start with "CMD", "CMD-SHELL" or "NONE"'),
    interval: z.string().regex(DURATION, "expected a duration like 30s").default("30s"),
    timeout: z.string().regex(DURATION, "expected a duration like 5s").default("5s"),
    retries: z.number().int().min(1).max(100).default(3),
    startPeriod: z.string().regex(DURATION, "expected a duration like 10s").default("10s"),
});

const portSchema = z.strictObject({
    internal: z.number().int().min(1).max(65535),
    external: z.number().int().min(1).max(65535),
    protocol: z.enum(["tcp", "udp"]).default("tcp"),
});

const envSchema = z.record(z.string().regex(ENV_NAME, "environment variable names must match [A-Za-z_][A-Za-z0-9_]*"), z.string()).default({});
const absolutePath = z.string().refine((p) => path.posix.isAbsolute(p) && path.posix.normalize(p) === p && !p.split("/").includes(".."), "expected a normalised absolute path");
/** A mount point inside a container: an absolute path, never the container's root. */
const mountPath = absolutePath.refine((p) => p !== "/", "cannot be / (that would cover the whole container file system); mount a directory such as /data");

const imageChoice = {
    image: z.string().min(1),
    tag: z.string().optional(),
    digest: z.string().optional(),
};

const registrySchema = z.strictObject({
    host: z.string().min(1),
    insecure: z.boolean().default(false),
    username: z.string().min(1).optional(),
});

const classSchema = z.strictObject({
    host: z.string().regex(/^ssh:\/\/[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:[0-9]{1,5})?$/, "expected ssh://user@host[:port], the Docker endpoint of the class's LXC container").refine(portInRange, "the port must be 1 to 65535"),
    sshOpts: z.array(z.string()).default([]),
    budget: limitsSchema,
});

const appSchema = z.object({
    ...imageChoice,
    class: z.string(),
    env: envSchema,
    ports: z.array(portSchema).default([]),
    volumes: z.array(z.strictObject({
        name: z.string().regex(NAME, `volume names ${nameMessage}`),
        containerPath: mountPath,
        readOnly: z.boolean().default(false),
    })).default([]),
    restart: z.enum(["unless-stopped", "always", "on-failure"]).default("unless-stopped"),
    limits: limitsSchema,
    healthcheck: healthcheckSchema.optional(),
    command: z.array(z.string()).min(1).optional(),
});

const releaseSchema = z.object({
    image: z.string().min(1),
    digest: z.string(),
    tag: z.string(),
    allowNonSemver: z.boolean().optional(),
    justification: z.string().optional(),
    smokeCommand: z.string().min(1).optional(),
    deleteTagOnDestroy: z.strictObject({ reason: z.string().trim().min(1, "give the reason for deleting the tag on destroy") }).optional(),
    sign: z.boolean().optional(),
});

const releaseGateSchema = z.strictObject({
    repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "expected owner/name"),
    environment: z.string().min(1).default("production"),
    reviewers: z.strictObject({
        users: z.array(z.number().int().positive()).default([]),
        teams: z.array(z.number().int().positive()).default([]),
    }).refine((r) => r.users.length + r.teams.length > 0, "name at least one reviewer (GitHub user or team id)"),
    deploymentBranchPolicy: z.strictObject({
        protectedBranches: z.boolean(),
        customBranchPolicies: z.boolean(),
    }).refine((p) => p.protectedBranches !== p.customBranchPolicies, "set exactly one of protectedBranches and customBranchPolicies to true")
        .default({ protectedBranches: true, customBranchPolicies: false }),
    pinDigests: z.boolean().default(true),
});

const devContainerSchema = z.object({
    ...imageChoice,
    env: envSchema,
    ports: z.array(portSchema).default([]),
    volumes: z.array(z.strictObject({
        containerPath: mountPath,
        hostPath: absolutePath.optional(),
        readOnly: z.boolean().default(false),
    })).default([]),
    limits: limitsSchema,
    healthcheck: healthcheckSchema.optional(),
    command: z.array(z.string()).min(1).optional(),
    suggestedClass: z.enum(CLASSES).optional(),
});

const common = {
    registry: registrySchema,
    registryPassword: z.string().min(1).optional(),
    deployedBy: z.string().min(1).optional(),
};

/** Top-level keys of each stack, parsed one by one so one bad key does not hide the others' problems. */
const proximaFields = {
    ...common,
    // One path component of /opt/<org>/…: no "." runs, no separator at either end, so it is also a valid name part downstream.
    org: z.string().max(63).regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, "expected a lowercase directory name (letters and digits, single . _ or - between them), e.g. giftfinder"),
    classes: z.record(z.string(), z.unknown()),
    apps: z.record(z.string(), z.unknown()),
    releases: z.record(z.string(), z.unknown()).default({}),
    releaseGate: releaseGateSchema.optional(),
    // Never echo a key in a message: the checks say what the value should look like, not what it is.
    cosignPublicKey: z.string().refine((k) => PUBLIC_KEY_PEM.test(normalisePem(k)), "expected the text of cosign.pub (-----BEGIN PUBLIC KEY----- …) that cosign generate-key-pair wrote").optional(),
    cosignKey: z.string().refine((k) => PRIVATE_KEY_PEM.test(normalisePem(k)), "expected the whole text of cosign.key (-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY----- …) that cosign generate-key-pair wrote; set it with pulumi config set --secret cosignKey < cosign.key").optional(),
    cosignPassword: z.string().optional(),
};

const lyraFields = {
    ...common,
    lyra: z.strictObject({
        host: z.string().regex(/^(unix|ssh|tcp):\/\/\S+$/, "expected unix://…, ssh://user@host or tcp://host:port").refine((h) => h.startsWith("unix:") || portInRange(h), "the port must be 1 to 65535"),
        workspace: absolutePath,
        sshOpts: z.array(z.string()).default([]),
    }),
    devContainers: z.record(z.string(), z.unknown()),
};

type Fields<T extends Record<string, z.ZodType>> = { [K in keyof T]?: z.infer<T[K]> };

// ---- parsing ---------------------------------------------------------------------------------

type Problem = { path: string; message: string };

function collect(problems: Problem[], prefix: string, error: z.ZodError): void {
    for (const issue of error.issues) {
        const keys = issue.code === "unrecognized_keys" ? issue.keys : [undefined];
        for (const key of keys) {
            const parts = [prefix, ...issue.path.map(String), ...(key !== undefined ? [key] : [])].filter((p) => p !== "");
            const message = key !== undefined ? "unknown key; remove it or check its spelling (see docs/program.md)" : issue.message;
            problems.push({ path: parts.join(".") || "(root)", message });
        }
    }
}

/**
 * Parses each named item on its own. Unknown keys are reported here rather than by the schema, so
 * an item with a typo still gets its other fields (and the cross-field rules) checked.
 */
function parseItems<S extends z.ZodObject>(problems: Problem[], prefix: string, raw: Record<string, unknown>, schema: S): [string, z.infer<S>][] {
    const out: [string, z.infer<S>][] = [];
    const known = new Set(Object.keys(schema.shape));
    for (const [name, value] of Object.entries(raw)) {
        if (!NAME.test(name)) problems.push({ path: `${prefix}.${name}`, message: `the name ${nameMessage}` });
        if (typeof value === "object" && value !== null && !Array.isArray(value)) {
            for (const key of Object.keys(value)) {
                if (!known.has(key)) problems.push({ path: `${prefix}.${name}.${key}`, message: "unknown key; remove it or check its spelling (see docs/program.md)" });
            }
        }
        const parsed = schema.safeParse(value);
        if (parsed.success) out.push([name, parsed.data]);
        else collect(problems, `${prefix}.${name}`, parsed.error);
    }
    return out;
}

/** The host rule of parseReference (a bare path takes the default registry, which it then checks). */
function isRegistryHost(host: string): boolean {
    try {
        parseReference("probe", host);
        return true;
    } catch {
        return false;
    }
}

function checkRepository(problems: Problem[], at: string, image: string): void {
    try {
        const ref = parseReference(image, "registry.invalid", at);
        if (ref.registry !== "registry.invalid") {
            problems.push({ path: at, message: `give the repository path only (e.g. ${ref.repository}); the registry comes from registry.host` });
        } else if (ref.tag !== undefined || ref.digest !== undefined) {
            problems.push({ path: at, message: `give the repository path only (e.g. ${ref.repository}); put the tag in "tag" and the digest in "digest"` });
        }
    } catch (e) {
        problems.push({ path: at, message: (e as Error).message });
    }
}

/** Digests in the stack file are `sha256:<64 hex>`; the bare 64 hex is accepted and completed. */
function normaliseDigest(problems: Problem[], at: string, digest: string | undefined): string | undefined {
    if (digest === undefined) return undefined;
    const hex = digest.startsWith("sha256:") ? digest.slice("sha256:".length) : digest;
    const rule = checkDigestInput(hex);
    if (!rule.ok) {
        problems.push({ path: at, message: `${rule.message}: expected sha256:<64 lowercase hex>, e.g. from "image-lifecycle overview --json"` });
        return undefined;
    }
    return `sha256:${hex}`;
}

function checkChoice(problems: Problem[], at: string, choice: { image: string; tag?: string; digest?: string }): ImageChoice {
    checkRepository(problems, `${at}.image`, choice.image);
    if (choice.tag === undefined && choice.digest === undefined) {
        problems.push({ path: at, message: "neither tag nor digest given; set tag (resolved at preview) or digest (wins over the tag)" });
    }
    if (choice.tag !== undefined) {
        const rule = checkTagCharset(choice.tag);
        if (!rule.ok) problems.push({ path: `${at}.tag`, message: `${rule.message}. ${rule.fix}` });
    }
    const digest = normaliseDigest(problems, `${at}.digest`, choice.digest);
    return { image: choice.image, ...(choice.tag !== undefined ? { tag: choice.tag } : {}), ...(digest ? { digest } : {}) };
}

function checkPorts(problems: Problem[], group: string, items: { at: string; ports: Port[] }[]): void {
    const seen = new Map<string, string>();
    for (const { at, ports } of items) {
        ports.forEach((p, i) => {
            const key = `${p.external}/${p.protocol}`;
            const other = seen.get(key);
            if (other) problems.push({ path: `${at}.ports.${i}.external`, message: `port ${key} is already published by ${other} in ${group}; choose another external port` });
            else seen.set(key, at);
        });
    }
}

/**
 * Releases with `sign: true` need the key pair. A secret read offline from a stack file is present but
 * encrypted (configFromStackFile keeps its key with no value): it counts as set.
 */
function checkSigning(problems: Problem[], input: Record<string, unknown>, signed: string[]): void {
    if (signed.length === 0) return;
    const by = `${signed.join(", ")} ${signed.length === 1 ? "has" : "have"} sign: true`;
    const set = (key: string) => Object.prototype.hasOwnProperty.call(input, key);
    if (!set("cosignPublicKey")) problems.push({ path: "cosignPublicKey", message: `required because ${by}; set it to the text of cosign.pub (cosign generate-key-pair; docs/promotion.md)` });
    if (!set("cosignKey")) problems.push({ path: "cosignKey", message: `required because ${by}; pulumi config set --secret cosignKey < cosign.key` });
    if (!set("cosignPassword")) problems.push({ path: "cosignPassword", message: `required because ${by}; pulumi config set --secret cosignPassword (the password cosign.key was generated with)` });
}

function fail(problems: Problem[]): never {
    const lines = problems.map((p) => `  ${p.path}: ${p.message}`);
    throw new ValidationError("config", `The stack configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was deployed. Fix each:\n${lines.join("\n")}`);
}

/**
 * Turns the stack's raw config (keys without the `image-lifecycle:` prefix) into the typed estate of
 * `stack`, or throws one ValidationError listing every problem as `path: message`.
 */
/**
 * Keys that JavaScript objects treat specially: parsed into a plain object they vanish or change its
 * prototype instead of holding data. Reported wherever they appear, never dropped silently.
 */
const RESERVED_KEYS = new Set(["__proto__", "constructor", "prototype"]);

function reservedKeys(problems: Problem[], value: unknown, at: string): void {
    if (typeof value !== "object" || value === null) return;
    if (Array.isArray(value)) {
        value.forEach((v, i) => reservedKeys(problems, v, `${at}.${i}`));
        return;
    }
    for (const key of Object.keys(value)) {
        const here = at ? `${at}.${key}` : key;
        if (RESERVED_KEYS.has(key)) problems.push({ path: here, message: `"${key}" cannot be used as a name or key (JavaScript reserves it); rename it` });
        else reservedKeys(problems, (value as Record<string, unknown>)[key], here);
    }
}

export function parseConfig(raw: unknown, stack: StackName): Estate {
    const problems: Problem[] = [];
    if (!(STACKS as readonly string[]).includes(stack)) fail([{ path: "(stack)", message: `unknown stack "${stack}"; expected lyra or proxima` }]);
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail([{ path: "(root)", message: "the stack config is not a mapping; check Pulumi.<stack>.yaml" }]);
    const input = raw as Record<string, unknown>;
    reservedKeys(problems, input, "");
    const fields: Record<string, z.ZodType> = stack === "proxima" ? proximaFields : lyraFields;
    for (const key of Object.keys(input)) {
        if (!(key in fields)) problems.push({ path: key, message: `unknown key for the ${stack} stack; remove it or check its spelling (see docs/program.md)` });
    }
    const parsed: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(fields)) {
        const r = schema.safeParse(input[key]);
        if (r.success) parsed[key] = r.data;
        else if (input[key] === undefined) problems.push({ path: key, message: "required; see docs/program.md" });
        else collect(problems, key, r.error);
    }
    const common = parsed as Fields<typeof proximaFields>;
    const registry: RegistryConfig = {
        host: common.registry?.host ?? "",
        insecure: common.registry?.insecure ?? false,
        ...(common.registry?.username !== undefined ? { username: common.registry.username } : {}),
        ...(common.registryPassword !== undefined ? { password: common.registryPassword } : {}),
    };
    if (common.registry && !isRegistryHost(registry.host)) {
        problems.push({ path: "registry.host", message: "expected host or host:port without scheme or path, e.g. registry.example.org:5000" });
    }
    if (registry.password !== undefined && common.registry && registry.username === undefined) {
        problems.push({ path: "registry.username", message: "registryPassword is set but registry.username is not; set both or neither" });
    }
    const deployedBy = common.deployedBy !== undefined ? { deployedBy: common.deployedBy } : {};

    if (stack === "lyra") {
        const data = parsed as Fields<typeof lyraFields>;
        const workspace = data.lyra?.workspace;
        const devs = parseItems(problems, "devContainers", data.devContainers ?? {}, devContainerSchema).map(([name, d]): DevContainerConfig => {
            const at = `devContainers.${name}`;
            d.volumes.forEach((v, i) => {
                if (v.hostPath !== undefined && workspace !== undefined && v.hostPath !== workspace && !v.hostPath.startsWith(`${workspace}/`)) {
                    problems.push({ path: `${at}.volumes.${i}.hostPath`, message: `bind mount outside the workspace ${workspace}; mount a path below it or drop hostPath for a temporary volume` });
                }
            });
            return { name, ...d, ...checkChoice(problems, at, d) };
        });
        checkPorts(problems, "lyra", devs.map((d) => ({ at: `devContainers.${d.name}`, ports: d.ports })));
        if (problems.length) fail(problems);
        return { stack: "lyra", registry, ...deployedBy, lyra: data.lyra!, devContainers: devs };
    }

    const data = parsed as Fields<typeof proximaFields>;
    const rawClasses = data.classes ?? {};
    const classes: Partial<Record<LxcClassName, ClassConfig>> = {};
    for (const [name, value] of Object.entries(rawClasses)) {
        if (!(CLASSES as readonly string[]).includes(name)) {
            problems.push({ path: `classes.${name}`, message: `unknown class; expected one of ${CLASSES.join(", ")}` });
            continue;
        }
        const parsed = classSchema.safeParse(value);
        if (parsed.success) classes[name as LxcClassName] = { name: name as LxcClassName, ...parsed.data };
        else collect(problems, `classes.${name}`, parsed.error);
    }
    const apps = parseItems(problems, "apps", data.apps ?? {}, appSchema).map(([name, a]): AppConfig | undefined => {
        const at = `apps.${name}`;
        const choice = checkChoice(problems, at, a);
        if (!(CLASSES as readonly string[]).includes(a.class)) {
            problems.push({ path: `${at}.class`, message: `expected one of ${CLASSES.join(", ")}` });
            return undefined;
        }
        if (data.classes !== undefined && !(a.class in rawClasses)) {
            problems.push({ path: `${at}.class`, message: `class "${a.class}" is not configured under classes; add it or choose another class` });
        }
        return { name, ...a, ...choice, class: a.class as LxcClassName };
    }).filter((a): a is AppConfig => a !== undefined);

    for (const klass of CLASSES) {
        const members = apps.filter((a) => a.class === klass);
        checkPorts(problems, `class ${klass}`, members.map((a) => ({ at: `apps.${a.name}`, ports: a.ports })));
        const budget = classes[klass]?.budget;
        if (!budget || members.length === 0) continue;
        const memory = members.reduce((s, a) => s + a.limits.memoryMb, 0);
        // Sum in hundredths so 0.1 + 0.2 does not exceed a 0.3 budget.
        const cpus = members.reduce((s, a) => s + Math.round(a.limits.cpus * 100), 0) / 100;
        if (memory > budget.memoryMb) {
            problems.push({ path: `classes.${klass}.budget.memoryMb`, message: `apps of class ${klass} need ${memory} MiB in total, over the budget of ${budget.memoryMb}; lower their limits.memoryMb or raise the budget` });
        }
        if (cpus > budget.cpus) {
            problems.push({ path: `classes.${klass}.budget.cpus`, message: `apps of class ${klass} need ${cpus} CPUs in total, over the budget of ${budget.cpus}; lower their limits.cpus or raise the budget` });
        }
    }

    const releases = parseItems(problems, "releases", data.releases ?? {}, releaseSchema).map(([name, r]): ReleaseConfig => {
        const at = `releases.${name}`;
        checkRepository(problems, `${at}.image`, r.image);
        const digest = checkDigestInput(r.digest);
        if (!digest.ok) problems.push({ path: `${at}.digest`, message: `${digest.message}. ${digest.fix}` });
        const charset = checkTagCharset(r.tag);
        if (!charset.ok) problems.push({ path: `${at}.tag`, message: `${charset.message}. ${charset.fix}` });
        else {
            const policy = checkTagPolicy(r.tag, { allowNonSemver: r.allowNonSemver, justification: r.justification });
            if (!policy.ok) problems.push({ path: `${at}.tag`, message: `${policy.message}. ${policy.fix}` });
        }
        return { name, ...r };
    });
    checkSigning(problems, input, releases.filter((r) => r.sign === true).map((r) => `releases.${r.name}`));

    if (problems.length) fail(problems);
    const signing = data.cosignPublicKey !== undefined
        ? {
            publicKey: normalisePem(data.cosignPublicKey),
            ...(data.cosignKey !== undefined ? { privateKey: normalisePem(data.cosignKey) } : {}),
            ...(data.cosignPassword !== undefined ? { password: data.cosignPassword } : {}),
        }
        : undefined;
    return {
        stack: "proxima",
        registry,
        ...deployedBy,
        org: data.org!,
        classes,
        apps,
        releases,
        ...(signing ? { signing } : {}),
        ...(data.releaseGate ? { releaseGate: data.releaseGate } : {}),
    };
}

/**
 * The `config:` block of a `Pulumi.<stack>.yaml` (already parsed from YAML) with the project prefix
 * stripped: the raw input of parseConfig. Keys of other namespaces (provider config such as
 * `github:token`) are left out, as the program leaves them out of the estate.
 */
export function configFromStackFile(stackFile: unknown): Record<string, unknown> {
    const config = (stackFile as { config?: unknown } | null)?.config ?? {};
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
        throw new ValidationError("config", "The stack file's config: is not a mapping. Fix Pulumi.<stack>.yaml.");
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
        // defineProperty: a key such as "__proto__" must stay a key, so parseConfig can report it.
        if (key.startsWith(`${PROJECT}:`)) Object.defineProperty(out, key.slice(PROJECT.length + 1), { value: unwrapSecure(value), enumerable: true, configurable: true, writable: true });
    }
    return out;
}

/** `{ secure: "…" }` is an encrypted value only the Pulumi CLI can read; leave it out of offline parsing. */
function unwrapSecure(value: unknown): unknown {
    if (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value) return undefined;
    return value;
}
