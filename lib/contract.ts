/**
 * The names both sides of the program/policy boundary agree on: the project and its stacks, the
 * classes, resource type tokens, labels, and how networks, volumes, providers and records are named.
 * Program, components, CLI and policy pack import them from here; none spells them out itself.
 */

/** The Pulumi project name: the prefix of every key in `Pulumi.<stack>.yaml`. */
export const PROJECT = "image-lifecycle";

/** The two stacks of the project. */
export const STACKS = ["lyra", "proxima"] as const;
export type StackName = (typeof STACKS)[number];

/** OCI annotation keys CI fills from git (seed 002). */
export const OCI = {
    description: "org.opencontainers.image.description",
    created: "org.opencontainers.image.created",
    revision: "org.opencontainers.image.revision",
    source: "org.opencontainers.image.source",
} as const;

/** The OCI labels every deployed image must carry. `source` is optional in seed 002. */
export const REQUIRED_OCI_LABELS = [OCI.description, OCI.created, OCI.revision] as const;

/**
 * Labels this product puts on the containers it creates. Policies read them, because CrossGuard
 * cannot see the arguments of local ComponentResources.
 */
export const LIFECYCLE = {
    /** `core` | `monitoring` | `experimental` on Proxima; `lyra` on the dev box. */
    class: "image-lifecycle.class",
    stack: "image-lifecycle.stack",
    app: "image-lifecycle.app",
    tag: "image-lifecycle.tag",
    digest: "image-lifecycle.digest",
    /** Path of the deploy record written for a Proxima container. */
    record: "image-lifecycle.deploy-record",
    /** `true` on Lyra containers and temporary volumes. */
    ephemeral: "image-lifecycle.ephemeral",
    /** On a Proxima class's network: the class's memory budget in MiB (the stack's `budget.memoryMb`). */
    budgetMemory: "image-lifecycle.budget.memory",
    /** On a Proxima class's network: the class's CPU budget (the stack's `budget.cpus`). */
    budgetCpus: "image-lifecycle.budget.cpus",
    /** On a Proxima container: the image's size in bytes as the registry reports it (config + layers). */
    size: "image-lifecycle.size",
    /**
     * On a Proxima container: the hash of every setting it was created with (image, command, env, ports,
     * volumes, healthcheck, limits, ...). A container whose label differs from the stack's is replaced.
     */
    spec: "image-lifecycle.spec",
} as const;

/** Proxima's LXC responsibility classes (seed 000). */
export const CLASSES = ["core", "monitoring", "experimental"] as const;
export type LxcClassName = (typeof CLASSES)[number];

/** Lyra's pseudo-class on container labels: the dev box is not a Proxima class. */
export const LYRA = "lyra";

/**
 * Type tokens as the engine reports them. The components register theirs with these, and the
 * policies recognise resources by them.
 */
export const TYPES = {
    container: "docker:index/container:Container",
    network: "docker:index/network:Network",
    volume: "docker:index/volume:Volume",
    dockerProvider: "pulumi:providers:docker",
    lxcClass: "image-lifecycle:proxima:LxcClass",
    deployment: "image-lifecycle:proxima:Deployment",
    devContainer: "image-lifecycle:lyra:DevContainer",
    pinnedImage: "image-lifecycle:registry:PinnedImage",
    release: "image-lifecycle:release:Release",
    releaseGate: "image-lifecycle:github:ReleaseGate",
    /** Dynamic resources: `pulumi-nodejs:dynamic:Resource`, or `pulumi-nodejs:dynamic/<module>:<Type>` when named. */
    dynamic: "pulumi-nodejs:dynamic",
    repositoryEnvironment: "github:index/repositoryEnvironment:RepositoryEnvironment",
} as const;

/**
 * The `kind` input that marks this product's dynamic resources, so policies find them among all
 * dynamic resources: the release (a digest promoted to a tag) and the Proxima app containers.
 */
export const KINDS = {
    release: "image-lifecycle:release",
    /** A Proxima app's container, which the product runs on its class host (components/appContainer.ts). */
    appContainer: "image-lifecycle:app-container",
} as const;

/** How the program names what it creates; the policies read the same names back. */
export const NAMES = {
    /** The Docker provider of Lyra's engine. */
    lyraProvider: `${LYRA}-docker`,
    /** The Docker provider of a Proxima class's engine: `<class>-docker`. */
    classProvider: (cls: string): string => `${cls}-docker`,
    /** The class a `<class>-docker` provider name names, if it is one. */
    classOfProvider: (provider: string): string | undefined => /^(.+)-docker$/.exec(provider)?.[1],
    /** The only network containers of a class join: `proxima-<class>`. */
    classNetwork: (cls: string): string => `proxima-${cls}`,
    /** The class a `proxima-<class>` network name names, if it is one. */
    classOfNetwork: (network: string): string | undefined => /^proxima-(.+)$/.exec(network)?.[1],
    /** A class-owned volume of an app: `<class>-<app>-<volume>`. */
    classVolume: (cls: string, app: string, volume: string): string => `${cls}-${app}-${volume}`,
    /** The folder of an org's apps on a class host: `/opt/<org>`. */
    orgDir: (org: string): string => `/opt/${org}`,
    /** The deploy record on the class host (seed 002): `/opt/<org>/<app>/deploy-info.yml`. */
    deployRecord: (org: string, app: string): string => `${NAMES.orgDir(org)}/${app}/${NAMES.deployRecordFile}`,
    /** The record's file name, in its app's folder. */
    deployRecordFile: "deploy-info.yml",
    /**
     * The app's deploy history beside its record: one JSON object per line, oldest first, appended by
     * every deploy that changed what runs ({@link DeployHistoryEntry}).
     */
    deployHistory: (org: string, app: string): string => `${NAMES.orgDir(org)}/${app}/${NAMES.deployHistoryFile}`,
    /** The history's file name, in the folder of the record it sits beside. */
    deployHistoryFile: "deploy-history.jsonl",
    /** The name a running container is given while its successor is verified; removed once it is. */
    previousContainer: (app: string): string => `${app}.previous`,
} as const;

/** What a deploy came to, as the deploy history records it. */
export type DeployOutcome = "verified" | "failed" | "rolled-back";

/**
 * One line of `deploy-history.jsonl`. `failed`: this digest was started and did not pass verification
 * (`detail` says why). `rolled-back`: after a failure, this (the previous) digest was started again.
 */
export interface DeployHistoryEntry {
    app: string;
    /** `host[:port]/repository`. */
    image: string;
    /** `sha256:<64 hex>`. */
    digest: string;
    tag?: string;
    description?: string;
    /** ISO 8601, UTC, the host's clock. */
    at: string;
    by: string;
    outcome: DeployOutcome;
    detail?: string;
}
