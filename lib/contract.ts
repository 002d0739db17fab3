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
} as const;

/** Proxima's LXC responsibility classes (seed 000). */
export const CLASSES = ["core", "monitoring", "experimental"] as const;
export type LxcClassName = (typeof CLASSES)[number];
