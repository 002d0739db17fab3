/**
 * The zod schemas of each stack key, one item at a time: stage 1 of the pipeline (parse.ts) applies them,
 * and types.ts infers the estate's types from them, so a key's type is written here only.
 */
import * as path from "node:path";
import { z } from "zod";
import { CLASSES } from "../contract";
import { normalisePem, PRIVATE_KEY_PEM, PUBLIC_KEY_PEM } from "../release/spec";
import { dockerCpus } from "../rules/docker-values";

export const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const nameMessage = "must be lowercase letters, digits and dashes (at most 63), starting with a letter or digit";
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

export const limitsSchema = z.strictObject({
    /** Hard memory limit in MiB (docker `memory`). */
    memoryMb: z.number().int().min(MIN_MEMORY_MB, `at least ${MIN_MEMORY_MB} MiB (Docker's minimum)`),
    /** CPU quota in CPUs, e.g. 0.5 (docker `cpus`). */
    cpus: cpusSchema,
});

/** `ssh://…:port` and `tcp://…:port` ports must be real ports. */
function portInRange(url: string): boolean {
    const m = /:([0-9]+)$/.exec(url);
    return m === null || (Number(m[1]) >= 1 && Number(m[1]) <= 65535);
}

export const healthcheckSchema = z.strictObject({
    /** Docker form: `["CMD", …]` or `["CMD-SHELL", "…"]`. */
    test: z.array(z.string().min(1)).min(1).refine((t) => ["CMD", "CMD-SHELL", "NONE"].includes(t[0]), 'must start with "CMD", "CMD-SHELL" or "NONE"'),
    interval: z.string().regex(DURATION, "expected a duration like 30s").default("30s"),
    timeout: z.string().regex(DURATION, "expected a duration like 5s").default("5s"),
    retries: z.number().int().min(1).max(100).default(3),
    startPeriod: z.string().regex(DURATION, "expected a duration like 10s").default("10s"),
});

export const portSchema = z.strictObject({
    internal: z.number().int().min(1).max(65535),
    external: z.number().int().min(1).max(65535),
    protocol: z.enum(["tcp", "udp"]).default("tcp"),
});

const envSchema = z.record(z.string().regex(ENV_NAME, "environment variable names must match [A-Za-z_][A-Za-z0-9_]*"), z.string()).default({});
const absolutePath = z.string().refine((p) => path.posix.isAbsolute(p) && path.posix.normalize(p) === p && !p.split("/").includes(".."), "expected a normalised absolute path");
/** A mount point inside a container: an absolute path, never the container's root. */
const mountPath = absolutePath.refine((p) => p !== "/", "cannot be / (that would cover the whole container file system); mount a directory such as /data");

/**
 * Which image to run, as written: `repository` is the key, `image` its old name, still read (ADR 0054);
 * the tag humans chose, the digest machines run. Normalising (normalise.ts) turns it into an `ImageChoice`.
 */
const imageChoice = {
    repository: z.string().min(1).optional(),
    image: z.string().min(1).optional(),
    tag: z.string().optional(),
    digest: z.string().optional(),
};

export const registrySchema = z.strictObject({
    /** `host[:port]`. */
    host: z.string().min(1),
    insecure: z.boolean().default(false),
    username: z.string().min(1).optional(),
});

export const classSchema = z.strictObject({
    /** Docker endpoint of the class's LXC container, `ssh://user@host[:port]`. */
    host: z.string().regex(/^ssh:\/\/[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:[0-9]{1,5})?$/, "expected ssh://user@host[:port], the Docker endpoint of the class's LXC container").refine(portInRange, "the port must be 1 to 65535"),
    sshOpts: z.array(z.string()).default([]),
    budget: limitsSchema,
});

export const appVolumeSchema = z.strictObject({
    /** Volume name within the app; the Docker volume is `<class>-<app>-<name>`. */
    name: z.string().regex(NAME, `volume names ${nameMessage}`),
    containerPath: mountPath,
    readOnly: z.boolean().default(false),
});

export const appSchema = z.object({
    ...imageChoice,
    class: z.string(),
    env: envSchema,
    ports: z.array(portSchema).default([]),
    volumes: z.array(appVolumeSchema).default([]),
    restart: z.enum(["unless-stopped", "always", "on-failure"]).default("unless-stopped"),
    limits: limitsSchema,
    healthcheck: healthcheckSchema.optional(),
    command: z.array(z.string()).min(1).optional(),
});

export const releaseSchema = z.object({
    repository: z.string().min(1).optional(),
    image: z.string().min(1).optional(),
    digest: z.string(),
    tag: z.string(),
    allowNonSemver: z.boolean().optional(),
    justification: z.string().optional(),
    smokeCommand: z.string().min(1).optional(),
    deleteTagOnDestroy: z.strictObject({ reason: z.string().trim().min(1, "give the reason for deleting the tag on destroy") }).optional(),
    sign: z.boolean().optional(),
});

export const releaseGateSchema = z.strictObject({
    /** `owner/name` on GitHub. */
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
    /** Publish each app's pinned digest as an Actions variable `DIGEST_<APP>`. */
    pinDigests: z.boolean().default(true),
});

export const devVolumeSchema = z.strictObject({
    containerPath: mountPath,
    /** A bind mount below the workspace; without it the volume is temporary (a labelled Docker volume). */
    hostPath: absolutePath.optional(),
    readOnly: z.boolean().default(false),
});

export const devContainerSchema = z.object({
    ...imageChoice,
    env: envSchema,
    ports: z.array(portSchema).default([]),
    volumes: z.array(devVolumeSchema).default([]),
    limits: limitsSchema,
    healthcheck: healthcheckSchema.optional(),
    command: z.array(z.string()).min(1).optional(),
    /** The class this would be promoted to; only a hint for "prepare for promotion". */
    suggestedClass: z.enum(CLASSES).optional(),
});

const common = {
    registry: registrySchema,
    registryPassword: z.string().min(1).optional(),
    /** Who the deploy records name; pulumi-config.ts fills it from the environment when the stack does not. */
    deployedBy: z.string().min(1).optional(),
};

/** Top-level keys of each stack, parsed one by one so one bad key does not hide the others' problems. */
export const proximaFields = {
    ...common,
    // One path component of /opt/<org>/…: no "." runs, no separator at either end, so it is also a valid name part downstream.
    /** `<org>` of `/opt/<org>/<app>/deploy-info.yml`. */
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

export const lyraSchema = z.strictObject({
    host: z.string().regex(/^(unix|ssh|tcp):\/\/\S+$/, "expected unix://…, ssh://user@host or tcp://host:port").refine((h) => h.startsWith("unix:") || portInRange(h), "the port must be 1 to 65535"),
    workspace: absolutePath,
    sshOpts: z.array(z.string()).default([]),
});

export const lyraFields = {
    ...common,
    lyra: lyraSchema,
    devContainers: z.record(z.string(), z.unknown()),
};

export type Fields<T extends Record<string, z.ZodType>> = { [K in keyof T]?: z.infer<T[K]> };
