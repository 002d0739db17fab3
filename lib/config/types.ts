/**
 * The typed estate a stack's configuration parses into (docs/program.md lists every key). A key's type
 * is inferred from its schema (schema.ts), so it is written once; only what normalising changes is
 * written here: the image choice (one `repository` key, the digest as `sha256:<hex>`), the names taken
 * from the mapping keys, the registry with its password, and the estates that hold them.
 */
import type { z } from "zod";
import type { LxcClassName } from "../contract";
import type { ReleaseSigning, ReleaseSpec } from "../release/spec";
import type {
    appSchema, appVolumeSchema, classSchema, devContainerSchema, devVolumeSchema, healthcheckSchema, limitsSchema, lyraSchema, portSchema,
    registrySchema, releaseGateSchema,
} from "./schema";

export type Limits = z.output<typeof limitsSchema>;
export type Healthcheck = z.output<typeof healthcheckSchema>;
export type Port = z.output<typeof portSchema>;
export type AppVolume = z.output<typeof appVolumeSchema>;
export type DevVolume = z.output<typeof devVolumeSchema>;
export type ReleaseGateConfig = z.output<typeof releaseGateSchema>;
/** Lyra's Docker endpoint, its workspace and the ssh options for it. */
export type LyraHost = z.output<typeof lyraSchema>;

export type RegistryConfig = z.output<typeof registrySchema> & {
    /** From the `registryPassword` secret; never put it in outputs, labels or records. */
    password?: string;
};

/** Which image to run, normalised: the tag humans chose, the digest machines run; a configured digest wins. */
export interface ImageChoice {
    /** Repository path in the registry, e.g. `rednaw/hello-world` (stack key `repository`, formerly `image`). */
    repository: string;
    tag?: string;
    /** `sha256:<64 hex>`. */
    digest?: string;
}

/** The keys of the image choice as the stack file writes them; normalising replaces them with an {@link ImageChoice}. */
type WrittenChoice = "repository" | "image" | "tag" | "digest";

export type ClassConfig = { name: LxcClassName } & z.output<typeof classSchema>;

export type AppConfig = { name: string; class: LxcClassName } & ImageChoice & Omit<z.output<typeof appSchema>, WrittenChoice | "class">;

export type DevContainerConfig = { name: string } & ImageChoice & Omit<z.output<typeof devContainerSchema>, WrittenChoice>;

/**
 * A release the stack declares (`releases.<name>`), parsed: the {@link ReleaseSpec} without what the
 * stack gives once for all releases (registry, insecure, the key pair). The digest is `sha256:<hex>`
 * here, though the stack file holds seed 004's 64 hex; `sign: true` selects the stack's key pair.
 */
export type ReleaseConfig = { name: string } & Omit<ReleaseSpec, "registry" | "insecure" | "sign"> & {
    /** Sign with the stack's cosign key pair ({@link ReleaseSigning}) and verify tag and digest. */
    sign?: boolean;
};

interface CommonEstate {
    registry: RegistryConfig;
    /** Who the deploy records name; pulumi-config.ts fills it from the environment when the stack does not. */
    deployedBy?: string;
}

export interface ProximaEstate extends CommonEstate {
    stack: "proxima";
    /** `<org>` of `/opt/<org>/<app>/deploy-info.yml`. */
    org: string;
    classes: Partial<Record<LxcClassName, ClassConfig>>;
    apps: AppConfig[];
    releases: ReleaseConfig[];
    /** The stack's cosign key pair, for releases with `sign: true` (set when cosignPublicKey is): exactly a release's `sign` input. */
    signing?: ReleaseSigning;
    releaseGate?: ReleaseGateConfig;
}

export interface LyraEstate extends CommonEstate {
    stack: "lyra";
    lyra: LyraHost;
    devContainers: DevContainerConfig[];
}

export type Estate = ProximaEstate | LyraEstate;
