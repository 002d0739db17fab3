import * as pulumi from "@pulumi/pulumi";
import type { RegistryCredentials } from "../lib/registry/types";
import type { ReleaseRecord } from "../lib/release/record";
import { MUTABLE, type ReleaseProvider } from "../lib/release/provider";
import { ReleaseSigning, ReleaseSpec } from "../lib/release/spec";
import { digestHex } from "../lib/rules/digest";
import { KINDS, PROJECT, TYPES } from "../lib/contract";

/** `T`'s fields as Pulumi inputs. */
type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/**
 * Arguments of a release: promote `digest` of `registry/repository` to `tag` (seed 004). The fields
 * of {@link ReleaseSpec} as inputs, plus the registry login.
 */
export interface ReleaseArgs extends Inputs<Omit<ReleaseSpec, "sign">> {
    /** Registry login; stored only as a secret. Without it the provider uses REGISTRY_USERNAME / REGISTRY_PASSWORD. */
    credentials?: pulumi.Input<RegistryCredentials>;
    /**
     * Sign the promoted digest with this cosign key pair (the stack's `cosignPublicKey`, `cosignKey`,
     * `cosignPassword`), then verify the signature on the tag and on the digest, inside the release
     * itself (a failure fails it); unsigned when absent. The private key and its password enter the
     * state only as secrets; a key or password left out fails the release before promoting.
     */
    sign?: Inputs<ReleaseSigning>;
}

/**
 * What a preview sends for an input computed from another resource: judged at update time instead.
 * Read into a string here so the serialized provider captures the value, not the SDK module.
 */
const UNKNOWN: string = pulumi.runtime.unknownValue;

/**
 * The provider's implementation, lib/release/provider.ts compiled to dist/ by `npm run build:cli`
 * (which `npm ci` runs). This provider is serialized into the state and later runs from whatever
 * checkout runs `pulumi destroy` or `refresh`, so it never carries this checkout's path: it requires
 * the module from the folder the engine runs it in, the project's (where Pulumi.yaml is), at call time.
 */
function implementation(): ReleaseProvider {
    const file = `${process.cwd()}/dist/lib/release/provider.js`;
    let mod: { createReleaseProvider(opts: { unknown: string }): ReleaseProvider };
    try {
        mod = require(file);
    } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === "MODULE_NOT_FOUND" && String(err.message).includes(file)) {
            throw new Error(`The release provider's compiled module ${file} is missing. Run npm run build:cli in ${process.cwd()} (npm ci runs it), then run pulumi again.`);
        }
        throw e;
    }
    return mod.createReleaseProvider({ unknown: UNKNOWN });
}

/** The serialized release provider: each method delegates to {@link implementation}. */
export const releaseProvider: pulumi.dynamic.ResourceProvider = {
    check: async (olds, news) => implementation().check(olds, news),
    diff: async (id, olds, news) => implementation().diff(id, olds, news),
    create: async (inputs) => implementation().create(inputs),
    update: async (id, olds, news) => implementation().update(id, olds, news),
    delete: async (id, props) => implementation().delete(id, props),
};

/** The dynamic resource; its inputs are exactly `ReleaseProps` (+ the secret credentials and signing key). */
class Promotion extends pulumi.dynamic.Resource {
    declare readonly promotedDigest: pulumi.Output<string>;
    declare readonly record: pulumi.Output<ReleaseRecord>;
    declare readonly releaseNotes: pulumi.Output<string>;
    declare readonly recordPath: pulumi.Output<string>;

    constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
        super(releaseProvider, name, { ...props, promotedDigest: undefined, record: undefined, releaseNotes: undefined, recordPath: undefined }, opts, PROJECT, "Release");
    }
}

/** Throws when args cannot describe a release; the registry-facing checks run in the provider. */
export function validateReleaseArgs(args: ReleaseArgs): void {
    for (const field of ["registry", "repository", "digest", "tag"] as const) {
        if (args[field] === undefined || args[field] === null || args[field] === "") {
            throw new Error(`Release is missing "${field}". Set registry, repository, digest (sha256:<64 hex>) and tag for every release.`);
        }
    }
    if (args.sign !== undefined && (typeof args.sign !== "object" || args.sign === null || args.sign.publicKey === undefined)) {
        throw new Error(`Release "sign" must be { publicKey, privateKey, password } (the cosign key pair); leave it out to release unsigned.`);
    }
}

/**
 * A release: a verified digest promoted to an immutable tag (seed 004), with its sanity check, record,
 * release notes and optional cosign key-pair signature, verified on tag and digest. Type `image-lifecycle:release:Release`.
 */
export class Release extends pulumi.ComponentResource {
    /** `sha256:…` the tag points at. */
    public readonly digest: pulumi.Output<string>;
    /** `host/repo:tag`. */
    public readonly reference: pulumi.Output<string>;
    /** The pinned reference `host/repo@sha256:…`. */
    public readonly pinned: pulumi.Output<string>;
    /** The release record (who, when, checks, sanity, bypass, break-glass, signature). */
    public readonly record: pulumi.Output<ReleaseRecord>;
    /** Markdown release notes. */
    public readonly releaseNotes: pulumi.Output<string>;
    /** Path of the record file. */
    public readonly recordPath: pulumi.Output<string>;
    constructor(name: string, args: ReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.release, name, {}, opts);
        validateReleaseArgs(args);
        const props: Record<string, pulumi.Input<unknown>> = {
            kind: KINDS.release,
            registry: args.registry,
            repository: args.repository,
            // The resource keeps seed 004's 64 hex: what policies check and what every saved state holds.
            digest: typeof args.digest === "string" ? digestHex(args.digest) : pulumi.output(args.digest).apply(digestHex),
            tag: args.tag,
        };
        for (const k of MUTABLE) {
            // sign's plain input is the public key alone; its private half is added below as a secret.
            if (args[k] !== undefined && k !== "sign") props[k] = args[k];
        }
        if (args.credentials !== undefined) props.credentials = pulumi.secret(args.credentials);
        if (args.sign !== undefined) {
            props.sign = { publicKey: args.sign.publicKey };
            props.signingKey = pulumi.secret({
                ...(args.sign.privateKey !== undefined ? { privateKey: args.sign.privateKey } : {}),
                ...(args.sign.password !== undefined ? { password: args.sign.password } : {}),
            });
        }
        const promotion = new Promotion(`${name}-promotion`, props, { parent: this, additionalSecretOutputs: ["credentials", "signingKey"] });

        this.digest = promotion.promotedDigest;
        this.reference = pulumi.interpolate`${args.registry}/${args.repository}:${args.tag}`;
        this.pinned = pulumi.interpolate`${args.registry}/${args.repository}@${promotion.promotedDigest}`;
        this.record = promotion.record;
        this.releaseNotes = promotion.releaseNotes;
        this.recordPath = promotion.recordPath;

        this.registerOutputs({
            digest: this.digest,
            reference: this.reference,
            pinned: this.pinned,
            record: this.record,
            releaseNotes: this.releaseNotes,
            recordPath: this.recordPath,
        });
    }
}
