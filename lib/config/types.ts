/**
 * The typed estate a stack's configuration parses into (docs/program.md lists every key). Types only:
 * the schemas are in schema.ts, the rules across fields in rules.ts, the parser in parse.ts.
 */
import type { LxcClassName } from "../contract";
import type { ReleaseSigning, ReleaseSpec } from "../release/spec";

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
    /** Repository path in the registry, e.g. `rednaw/hello-world` (stack key `repository`, formerly `image`). */
    repository: string;
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

/**
 * A release the stack declares (`releases.<name>`), parsed: the {@link ReleaseSpec} without what the
 * stack gives once for all releases (registry, insecure, the key pair). The digest is `sha256:<hex>`
 * here, though the stack file holds seed 004's 64 hex; `sign: true` selects the stack's key pair.
 */
export type ReleaseConfig = { name: string } & Omit<ReleaseSpec, "registry" | "insecure" | "sign"> & {
    /** Sign with the stack's cosign key pair ({@link ReleaseSigning}) and verify tag and digest. */
    sign?: boolean;
};

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
    /** The stack's cosign key pair, for releases with `sign: true`: exactly a release's `sign` input. */
    signing?: ReleaseSigning;
    releaseGate?: ReleaseGateConfig;
}

export interface LyraEstate extends CommonEstate {
    stack: "lyra";
    lyra: { host: string; workspace: string; sshOpts: string[] };
    devContainers: DevContainerConfig[];
}

export type Estate = ProximaEstate | LyraEstate;
