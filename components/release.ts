import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { RELEASE_KIND, ReleaseInputs } from "../lib/release";
import type { CheckResult, PromotionRecord } from "../lib/promotion";
import type { RegistryCredentials } from "../lib/registry/types";
import { CosignOptions, cosignScript } from "../lib/release-notes";

/**
 * Arguments of a release: promote `digest` of `registry/repository` to `tag` (seed 004).
 * Same fields as {@link ReleaseInputs} (what the policy pack reads) without the kind marker, plus
 * credentials and signing.
 */
export interface ReleaseArgs {
    /** Registry `host[:port]`. */
    registry: pulumi.Input<string>;
    /** Repository path, e.g. `team/app`. */
    repository: pulumi.Input<string>;
    /** 64 lowercase hex characters, no `sha256:` prefix. */
    digest: pulumi.Input<string>;
    /** `vX.Y.Z`, `vX.Y.Z-rc.N`, `stable` or `latest`; anything else needs `allowNonSemver` + `justification`. */
    tag: pulumi.Input<string>;
    /** Break-glass bypass of the tag policy; recorded with `justification`. */
    allowNonSemver?: pulumi.Input<boolean>;
    justification?: pulumi.Input<string>;
    /** Shell command run in the image (offline, read-only) before the tag is written; must print something. */
    smokeCommand?: pulumi.Input<string>;
    /** Break-glass: let `pulumi destroy` delete the tag; the reason is recorded. Without it the tag stays. */
    deleteTagOnDestroy?: pulumi.Input<{ reason: pulumi.Input<string> }>;
    /** Plain HTTP to a non-loopback registry. */
    insecure?: pulumi.Input<boolean>;
    /** Registry login; stored only as a secret. Without it the provider uses REGISTRY_USERNAME / REGISTRY_PASSWORD. */
    credentials?: pulumi.Input<RegistryCredentials>;
    /** Sign the promoted digest with cosign (and verify tag and digest) via `@pulumi/command`; off by default. */
    sign?: boolean | CosignOptions;
}

/** The dynamic resource's state: the release inputs plus what the promotion produced. */
export interface PromotionState extends ReleaseInputs {
    credentials?: RegistryCredentials;
    /** `sha256:…` the tag points at. */
    promotedDigest: string;
    record: PromotionRecord;
    releaseNotes: string;
    /** Where the record JSON was written. */
    recordPath: string;
}

/**
 * Loads a project module from inside the serialized provider, registering ts-node when running from
 * source. The provider is serialized into the state and later runs from whatever checkout runs
 * `pulumi destroy` or `refresh`, so it never carries this checkout's path: it resolves against the
 * folder the engine runs it in, the project's (where Pulumi.yaml is), found at call time.
 */
function load(rel: string): any {
    const nodePath = require("node:path");
    const root = process.cwd();
    const p = nodePath.join(root, rel);
    try {
        return require(p);
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw e;
        require("ts-node").register({ transpileOnly: true, project: nodePath.join(root, "tsconfig.json") });
        return require(p);
    }
}

function specOf(p: ReleaseInputs) {
    return {
        registry: p.registry,
        repository: p.repository,
        digest: p.digest,
        tag: p.tag,
        ...(p.allowNonSemver !== undefined ? { allowNonSemver: p.allowNonSemver } : {}),
        ...(p.justification !== undefined ? { justification: p.justification } : {}),
    };
}

function clientFor(p: ReleaseInputs & { credentials?: RegistryCredentials }) {
    const { RegistryClient, clientFromEnv } = load("lib/registry/client");
    const insecure = p.insecure === true;
    return p.credentials
        ? new RegistryClient({ registry: p.registry, insecure, credentials: p.credentials })
        : clientFromEnv(p.registry, process.env, { insecure });
}

/** Where records go: IMAGE_LIFECYCLE_RECORDS_DIR, default `records/promotions` under the program directory. */
function recordsRoot(): string {
    return process.env.IMAGE_LIFECYCLE_RECORDS_DIR || "records/promotions";
}

/** Fields that name the release: changing any of them is a new release (replace). */
const IDENTITY = ["registry", "repository", "tag"] as const;
/** Fields that change only the record, never the registry. */
const MUTABLE = ["allowNonSemver", "justification", "smokeCommand", "deleteTagOnDestroy", "insecure"] as const;
/**
 * What a preview sends for an input computed from another resource: judged at update time instead.
 * Read into a string here so the serialized provider captures the value, not the SDK module.
 */
const UNKNOWN: string = pulumi.runtime.unknownValue;

/**
 * The release provider. Its methods are plain functions: tests call them against a real registry.
 * Everything they need is required inside them (see `load`), so serialization captures no modules.
 */
export const releaseProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
        const { inputChecks } = load("lib/promotion");
        const failures: pulumi.dynamic.CheckFailure[] = [];
        const kind: string = load("lib/release").RELEASE_KIND;
        if (news.kind !== kind) failures.push({ property: "kind", reason: `kind must be "${kind}" so policies can find releases.` });
        const property: Record<string, string> = { "digest-format": "digest", "image-reference": "repository", "tag-charset": "tag", "tag-policy": "tag" };
        const unknown = (k: string) => news[k] === UNKNOWN;
        for (const c of inputChecks(specOf(news)) as CheckResult[]) {
            const prop = property[c.id];
            if (!c.ok && !c.skipped && !unknown(prop) && !(c.id === "image-reference" && unknown("registry"))) {
                failures.push({ property: prop, reason: `${c.message}. ${c.fix}` });
            }
        }
        if (news.deleteTagOnDestroy !== undefined && !(typeof news.deleteTagOnDestroy?.reason === "string" && news.deleteTagOnDestroy.reason.trim() !== "")) {
            failures.push({ property: "deleteTagOnDestroy", reason: "deleteTagOnDestroy needs a non-empty reason; it is recorded as a break-glass override." });
        }
        return { inputs: news, failures };
    },

    async diff(_id: string, olds: PromotionState, news: ReleaseInputs): Promise<pulumi.dynamic.DiffResult> {
        const replaces = IDENTITY.filter((k) => olds[k] !== news[k]);
        const unknownDigest = news.digest === UNKNOWN;
        if (replaces.length === 0 && olds.digest !== news.digest && !unknownDigest) {
            throw new Error(
                `Release ${olds.registry}/${olds.repository}:${olds.tag} points at sha256:${olds.digest}; changing it to sha256:${news.digest} is refused because release tags are immutable. ` +
                    `Promote the new digest under a new tag (add a release with the next version) instead.`,
            );
        }
        const changed = MUTABLE.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])) || olds.digest !== news.digest;
        return { changes: replaces.length > 0 || changed, replaces: [...replaces], deleteBeforeReplace: false };
    },

    async create(inputs: ReleaseInputs & { credentials?: RegistryCredentials }): Promise<pulumi.dynamic.CreateResult> {
        const { promote, buildRecord, recordPath, writeRecordFile } = load("lib/promotion");
        const { runSanity } = load("lib/sanity");
        const { renderReleaseNotes } = load("lib/release-notes");
        const api = clientFor(inputs);
        const spec = specOf(inputs);
        const smoke = inputs.smokeCommand;
        const outcome = await promote(api, spec, {
            ...(smoke ? { sanity: (pinned: string) => runSanity(pinned, smoke, { dockerHost: process.env.DOCKER_HOST }) } : {}),
        });
        const record: PromotionRecord = buildRecord({
            spec,
            outcome,
            env: process.env,
            at: new Date(),
            ...(smoke ? { smokeCommand: smoke } : {}),
            ...(inputs.deleteTagOnDestroy ? { deleteTagOnDestroy: inputs.deleteTagOnDestroy } : {}),
        });
        // From the manifest already fetched: only the config blob is read (and an index's first platform).
        const info = await api.imageInfoFromManifest(inputs.repository, outcome.manifest);
        const releaseNotes: string = renderReleaseNotes({
            registry: inputs.registry,
            repository: inputs.repository,
            tag: inputs.tag,
            digest: outcome.digest,
            manifest: outcome.manifest,
            info,
            ...(record.run ? { run: record.run } : {}),
        });
        const file = recordPath(recordsRoot(), spec);
        writeRecordFile(file, record);
        require("node:fs").writeFileSync(file.replace(/\.json$/, ".md"), releaseNotes);
        const outs: PromotionState = { ...inputs, promotedDigest: outcome.digest, record, releaseNotes, recordPath: file };
        return { id: `${inputs.registry}/${inputs.repository}:${inputs.tag}`, outs };
    },

    async update(_id: string, olds: PromotionState, news: ReleaseInputs & { credentials?: RegistryCredentials }): Promise<pulumi.dynamic.UpdateResult> {
        if (olds.digest !== news.digest) {
            throw new Error(`Release ${olds.registry}/${olds.repository}:${olds.tag} cannot move to sha256:${news.digest}: release tags are immutable. Promote a new tag instead.`);
        }
        const { writeRecordFile } = load("lib/promotion");
        const record: PromotionRecord = { ...olds.record };
        if (news.deleteTagOnDestroy) record.breakGlass = { deleteTagOnDestroy: true, reason: news.deleteTagOnDestroy.reason };
        else delete record.breakGlass;
        writeRecordFile(olds.recordPath, record);
        return { outs: { ...olds, ...news, record } };
    },

    async delete(_id: string, props: PromotionState): Promise<void> {
        const { deleteReleaseTag, recordPath, writeRecordFile, promotedBy } = load("lib/promotion");
        const spec = specOf(props);
        const reason = props.deleteTagOnDestroy?.reason;
        const result = reason ? await deleteReleaseTag(clientFor(props), spec) : { deleted: false, reason: "tag left in place (no deleteTagOnDestroy)" };
        writeRecordFile(recordPath(recordsRoot(), spec, ".destroy"), {
            image: `${props.registry}/${props.repository}`,
            tag: props.tag,
            digest: props.promotedDigest,
            destroyedBy: promotedBy(process.env),
            destroyedAt: new Date().toISOString(),
            ...(reason ? { breakGlass: { deleteTagOnDestroy: true, reason } } : {}),
            ...result,
        });
    },
};

/** The dynamic resource; its inputs are exactly {@link ReleaseInputs} (+ secret credentials). */
class Promotion extends pulumi.dynamic.Resource {
    declare readonly promotedDigest: pulumi.Output<string>;
    declare readonly record: pulumi.Output<PromotionRecord>;
    declare readonly releaseNotes: pulumi.Output<string>;
    declare readonly recordPath: pulumi.Output<string>;

    constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
        super(releaseProvider, name, { ...props, promotedDigest: undefined, record: undefined, releaseNotes: undefined, recordPath: undefined }, opts, "image-lifecycle", "Release");
    }
}

/** Throws when args cannot describe a release; the registry-facing checks run in the provider. */
export function validateReleaseArgs(args: ReleaseArgs): void {
    for (const field of ["registry", "repository", "digest", "tag"] as const) {
        if (args[field] === undefined || args[field] === null || args[field] === "") {
            throw new Error(`Release is missing "${field}". Set registry, repository, digest (64 hex) and tag for every release.`);
        }
    }
    if (args.sign !== undefined && typeof args.sign !== "boolean" && (typeof args.sign !== "object" || args.sign === null)) {
        throw new Error(`Release "sign" must be true, false or cosign options ({ key?, identityRegexp?, oidcIssuer? }).`);
    }
}

/**
 * A promotion of a verified digest to an immutable tag (seed 004), with its sanity check, record,
 * release notes and optional cosign signature. Type `image-lifecycle:release:Release`.
 */
export class Release extends pulumi.ComponentResource {
    /** `sha256:…` the tag points at. */
    public readonly digest: pulumi.Output<string>;
    /** `host/repo:tag`. */
    public readonly reference: pulumi.Output<string>;
    /** `host/repo@sha256:…`. */
    public readonly pinned: pulumi.Output<string>;
    /** The promotion record (who, when, checks, sanity, bypass, break-glass). */
    public readonly record: pulumi.Output<PromotionRecord>;
    /** Markdown release notes. */
    public readonly releaseNotes: pulumi.Output<string>;
    /** Path of the record file. */
    public readonly recordPath: pulumi.Output<string>;
    /** cosign's output, or the reason signing was skipped; undefined when signing is off. */
    public readonly signature?: pulumi.Output<string>;

    constructor(name: string, args: ReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("image-lifecycle:release:Release", name, {}, opts);
        validateReleaseArgs(args);
        const props: Record<string, pulumi.Input<unknown>> = {
            kind: RELEASE_KIND,
            registry: args.registry,
            repository: args.repository,
            digest: args.digest,
            tag: args.tag,
        };
        for (const k of MUTABLE) {
            if (args[k] !== undefined) props[k] = args[k];
        }
        if (args.credentials !== undefined) props.credentials = pulumi.secret(args.credentials);
        const promotion = new Promotion(`${name}-promotion`, props, { parent: this, additionalSecretOutputs: ["credentials"] });

        this.digest = promotion.promotedDigest;
        this.reference = pulumi.interpolate`${args.registry}/${args.repository}:${args.tag}`;
        this.pinned = pulumi.interpolate`${args.registry}/${args.repository}@${promotion.promotedDigest}`;
        this.record = promotion.record;
        this.releaseNotes = promotion.releaseNotes;
        this.recordPath = promotion.recordPath;

        if (args.sign) {
            const cosign = typeof args.sign === "object" ? args.sign : {};
            const sign = new command.local.Command(
                `${name}-sign`,
                {
                    create: pulumi.all([this.pinned, this.reference]).apply(([pinned, byTag]) => cosignScript(pinned, byTag, cosign)),
                    triggers: [promotion.promotedDigest],
                },
                { parent: this, dependsOn: [promotion] },
            );
            this.signature = sign.stdout;
        }

        this.registerOutputs({
            digest: this.digest,
            reference: this.reference,
            pinned: this.pinned,
            record: this.record,
            releaseNotes: this.releaseNotes,
            recordPath: this.recordPath,
            ...(this.signature ? { signature: this.signature } : {}),
        });
    }
}
