import * as pulumi from "@pulumi/pulumi";
import { ReleaseInputs, ReleaseSigningKey, SignatureRecord } from "../lib/release/spec";
import type { CheckResult, PromotionRecord } from "../lib/release/promotion";
import type { RegistryCredentials } from "../lib/registry/types";
import { KINDS, TYPES } from "../lib/contract";

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
    /**
     * Sign the promoted digest with a cosign key pair, then verify the signature on the tag and on the
     * digest, inside the release itself (a failure fails it); off when absent. The private key and its
     * password go into the state only as secrets.
     */
    sign?: ReleaseSigningArgs;
}

/** The key pair a release signs with (`cosign generate-key-pair`). */
export interface ReleaseSigningArgs {
    /** PEM of `cosign.pub`; shown in the release notes, used for the verification. */
    publicKey: pulumi.Input<string>;
    /** Text of `cosign.key` (an encrypted PEM); secret. Absent: the release fails before promoting. */
    privateKey?: pulumi.Input<string>;
    /** The key's password; secret. */
    password?: pulumi.Input<string>;
}

/** The promotion record of a release, with its signature when it was signed. */
export type ReleaseRecord = PromotionRecord & { signature?: SignatureRecord };

/** What the provider receives: the policy-visible inputs plus the secret ones. */
type ProviderInputs = ReleaseInputs & { credentials?: RegistryCredentials; signingKey?: Partial<ReleaseSigningKey> };

/** The dynamic resource's state: the release inputs plus what the promotion produced. */
export interface PromotionState extends ReleaseInputs {
    credentials?: RegistryCredentials;
    signingKey?: Partial<ReleaseSigningKey>;
    /** `sha256:…` the tag points at. */
    promotedDigest: string;
    record: ReleaseRecord;
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
const MUTABLE = ["allowNonSemver", "justification", "smokeCommand", "deleteTagOnDestroy", "insecure", "sign"] as const;
/**
 * What a preview sends for an input computed from another resource: judged at update time instead.
 * Read into a string here so the serialized provider captures the value, not the SDK module.
 */
const UNKNOWN: string = pulumi.runtime.unknownValue;

/** Environment variables that carry the key pair to cosign: never argv (visible in `ps`), never a file. */
const KEY_VAR = "IMAGE_LIFECYCLE_COSIGN_KEY";
const PUB_VAR = "IMAGE_LIFECYCLE_COSIGN_PUB";

interface CosignRun {
    code: number | null;
    stdout: string;
    stderr: string;
    /** cosign is not on PATH. */
    missing: boolean;
}

/** Runs `cosign` (from PATH) with `env` added to the provider's environment. */
function runCosign(args: string[], env: Record<string, string>): Promise<CosignRun> {
    const { spawn } = require("node:child_process");
    return new Promise((resolve) => {
        const child = spawn("cosign", args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        child.on("error", (e: NodeJS.ErrnoException) => resolve({ code: null, stdout, stderr: e.message, missing: e.code === "ENOENT" }));
        child.on("close", (code: number | null) => resolve({ code, stdout, stderr, missing: false }));
    });
}

/** cosign's own reason, on one printable line, with the key and password taken out should it ever echo them. */
function cosignReason(run: CosignRun, key: Partial<ReleaseSigningKey>): string {
    const { quoteValue } = load("lib/format/text");
    const lines = run.stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !/^WARNING/.test(l));
    let reason = lines.find((l) => l.startsWith("Error:"))?.slice("Error:".length).trim() ?? lines[lines.length - 1] ?? `exit code ${run.code}`;
    for (const secret of [key.privateKey, key.password]) {
        if (typeof secret === "string" && secret.length >= 4) reason = reason.split(secret).join("[secret]");
    }
    return quoteValue(reason, 300);
}

const NOT_INSTALLED = "cosign is not installed on the machine running the release (not on PATH)";
const INSTALL = "Install cosign v2 there (bash scripts/go-tools.sh builds v2.6.5 from its Go module) and put it on PATH";

/**
 * Before anything is promoted: the release has a private key, cosign opens it with the password,
 * and it is the private half of the configured public key. Each failure says which secret to fix.
 */
async function checkSigningKey(p: ProviderInputs): Promise<ReleaseSigningKey> {
    const { normalisePem } = load("lib/release/spec");
    const ref = `${p.registry}/${p.repository}:${p.tag}`;
    const stop = "Nothing was promoted";
    const key = p.signingKey ?? {};
    if (typeof key.privateKey !== "string" || key.privateKey.trim() === "") {
        throw new Error(`Release ${ref} is to be signed but has no cosign private key. ${stop}. Set the cosignKey secret to the text of cosign.key (cosign generate-key-pair, then pulumi config set --secret cosignKey < cosign.key; docs/promotion.md) and run pulumi up again.`);
    }
    if (typeof key.password !== "string") {
        throw new Error(`Release ${ref} is to be signed but has no password for its cosign private key. ${stop}. Set the cosignPassword secret (pulumi config set --secret cosignPassword) and run pulumi up again.`);
    }
    const full = { privateKey: key.privateKey, password: key.password };
    const run = await runCosign(["public-key", "--key", `env://${KEY_VAR}`], { [KEY_VAR]: full.privateKey, COSIGN_PASSWORD: full.password });
    if (run.missing) throw new Error(`Release ${ref} cannot be signed: ${NOT_INSTALLED}. ${stop}. ${INSTALL}, then run pulumi up again.`);
    if (run.code !== 0) {
        const reason = cosignReason(run, full);
        if (/decrypt/.test(reason)) {
            throw new Error(`Release ${ref} cannot be signed: cosign could not open the private key with the given password (${reason}). ${stop}. Set cosignPassword to the password cosign.key was generated with, or cosignKey to the key that password opens, and run pulumi up again.`);
        }
        throw new Error(`Release ${ref} cannot be signed: cosign could not read the private key (${reason}). ${stop}. Set cosignKey to the whole text of the cosign.key that cosign generate-key-pair wrote, and run pulumi up again.`);
    }
    if (normalisePem(run.stdout) !== normalisePem(p.sign!.publicKey)) {
        throw new Error(`Release ${ref} cannot be signed: the private key (cosignKey) is not the one of the configured public key (cosignPublicKey), so its signature would not verify. ${stop}. Set both from the same cosign generate-key-pair and run pulumi up again.`);
    }
    return full;
}

/**
 * Signs the promoted digest and verifies the signature with the public key on the tag and on the
 * digest (seed 004's double verification). Registry credentials reach cosign in a private Docker
 * config for the duration of the call.
 */
async function signAndVerify(p: ProviderInputs, digest: string, key: ReleaseSigningKey): Promise<SignatureRecord> {
    const fs = require("node:fs");
    const os = require("node:os");
    const nodePath = require("node:path");
    const { createHash } = require("node:crypto");
    const { isLoopbackRegistry } = load("lib/rules/reference");
    const { cosignSignArgs, cosignVerifyArgs } = load("lib/release/notes");
    const { normalisePem } = load("lib/release/spec");
    const base = `${p.registry}/${p.repository}`;
    const byTag = `${base}:${p.tag}`;
    const pinned = `${base}@${digest}`;
    const httpRegistry = p.insecure === true || isLoopbackRegistry(p.registry);
    const publicKey: string = normalisePem(p.sign!.publicKey);
    const env: Record<string, string> = { [KEY_VAR]: key.privateKey, [PUB_VAR]: publicKey, COSIGN_PASSWORD: key.password };
    const credentials = p.credentials ?? (process.env.REGISTRY_USERNAME && process.env.REGISTRY_PASSWORD ? { username: process.env.REGISTRY_USERNAME, password: process.env.REGISTRY_PASSWORD } : undefined);
    const dockerConfig: string | undefined = credentials ? fs.mkdtempSync(nodePath.join(os.tmpdir(), "image-lifecycle-cosign-")) : undefined;
    const unfinished = `The tag ${byTag} is written, but the release is not recorded as released`;
    try {
        if (dockerConfig && credentials) {
            const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
            fs.writeFileSync(nodePath.join(dockerConfig, "config.json"), JSON.stringify({ auths: { [p.registry]: { auth } } }), { mode: 0o600 });
            env.DOCKER_CONFIG = dockerConfig;
        }
        const secrets = { ...key, ...(credentials ? { password: credentials.password } : {}) };
        const sign = await runCosign(cosignSignArgs(pinned, { key: `env://${KEY_VAR}`, httpRegistry }).slice(1), env);
        if (sign.missing) throw new Error(`Signing ${pinned} failed: ${NOT_INSTALLED}. ${unfinished}. ${INSTALL}, then run pulumi up again (it signs the release then).`);
        if (sign.code !== 0) {
            throw new Error(`Signing ${pinned} with cosign failed: ${cosignReason(sign, secrets)}. ${unfinished}. Fix the cause (the registry must accept pushes from this login) and run pulumi up again; it signs the release then.`);
        }
        for (const ref of [byTag, pinned]) {
            const verify = await runCosign(cosignVerifyArgs(ref, { key: `env://${PUB_VAR}`, httpRegistry }).slice(1), env);
            if (verify.code !== 0) {
                throw new Error(`Verifying the signature of ${ref} with the configured public key failed: ${cosignReason(verify, secrets)}. ${unfinished}. Check that the tag still names ${digest} and that cosignPublicKey belongs to cosignKey, then run pulumi up again.`);
            }
            let signed: string[] = [];
            try {
                signed = (JSON.parse(verify.stdout) as { critical?: { image?: { "docker-manifest-digest"?: string } } }[]).map((x) => x.critical?.image?.["docker-manifest-digest"] ?? "");
            } catch {
                signed = [];
            }
            if (!signed.includes(digest)) {
                throw new Error(`Verifying the signature of ${ref} failed: cosign verified no signature of ${digest} there (it reported ${signed.length ? signed.join(", ") : "none"}). ${unfinished}. Check that the tag still names ${digest}, then run pulumi up again.`);
            }
        }
        return {
            tool: "cosign",
            publicKeySha256: `sha256:${createHash("sha256").update(publicKey).digest("hex")}`,
            signatureTag: `${digest.replace(":", "-")}.sig`,
            verified: [byTag, pinned],
            transparencyLog: false,
            signedAt: new Date().toISOString(),
        };
    } finally {
        if (dockerConfig) fs.rmSync(dockerConfig, { recursive: true, force: true });
    }
}

/** Release notes' signing section for a key-pair release. */
function notesSigning(p: ReleaseInputs) {
    if (!p.sign) return undefined;
    const { isLoopbackRegistry } = load("lib/rules/reference");
    const { normalisePem } = load("lib/release/spec");
    return { publicKey: normalisePem(p.sign.publicKey), httpRegistry: p.insecure === true || isLoopbackRegistry(p.registry) };
}

/**
 * The release provider. Its methods are plain functions: tests call them against a real registry.
 * Everything they need is required inside them (see `load`), so serialization captures no modules.
 */
export const releaseProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
        const { inputChecks } = load("lib/release/promotion");
        const failures: pulumi.dynamic.CheckFailure[] = [];
        const kind: string = load("lib/contract").KINDS.release;
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
        if (news.sign !== undefined && news.sign !== UNKNOWN && news.sign?.publicKey !== UNKNOWN) {
            const { PUBLIC_KEY_PEM, normalisePem } = load("lib/release/spec");
            if (typeof news.sign?.publicKey !== "string" || !PUBLIC_KEY_PEM.test(normalisePem(news.sign.publicKey))) {
                failures.push({ property: "sign", reason: "sign.publicKey must be the PEM of cosign.pub (-----BEGIN PUBLIC KEY----- …); set cosignPublicKey to the public key cosign generate-key-pair wrote." });
            }
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

    async create(inputs: ProviderInputs): Promise<pulumi.dynamic.CreateResult> {
        const { promote, buildRecord, recordPath, writeRecordFile } = load("lib/release/promotion");
        const { runSanity } = load("lib/release/sanity");
        const { renderReleaseNotes } = load("lib/release/notes");
        // A key that is missing, locked with another password or not the public key's fails here, before the tag is written.
        const key = inputs.sign ? await checkSigningKey(inputs) : undefined;
        const api = clientFor(inputs);
        const spec = specOf(inputs);
        const smoke = inputs.smokeCommand;
        const outcome = await promote(api, spec, {
            ...(smoke ? { sanity: (pinned: string) => runSanity(pinned, smoke, { dockerHost: process.env.DOCKER_HOST }) } : {}),
        });
        // Nothing below reports the release as released until the signature verifies on the tag and the digest.
        const signature = key ? await signAndVerify(inputs, outcome.digest, key) : undefined;
        const record: ReleaseRecord = {
            ...buildRecord({
                spec,
                outcome,
                env: process.env,
                at: new Date(),
                ...(smoke ? { smokeCommand: smoke } : {}),
                ...(inputs.deleteTagOnDestroy ? { deleteTagOnDestroy: inputs.deleteTagOnDestroy } : {}),
            }),
            ...(signature ? { signature } : {}),
        };
        // From the manifest already fetched: only the config blob is read (and an index's first platform).
        const info = await api.imageInfoFromManifest(inputs.repository, outcome.manifest);
        const cosign = notesSigning(inputs);
        const releaseNotes: string = renderReleaseNotes({
            registry: inputs.registry,
            repository: inputs.repository,
            tag: inputs.tag,
            digest: outcome.digest,
            manifest: outcome.manifest,
            info,
            ...(record.run ? { run: record.run } : {}),
            ...(cosign ? { cosign } : {}),
        });
        const file = recordPath(recordsRoot(), spec);
        writeRecordFile(file, record);
        require("node:fs").writeFileSync(file.replace(/\.json$/, ".md"), releaseNotes);
        const outs: PromotionState = { ...inputs, promotedDigest: outcome.digest, record, releaseNotes, recordPath: file };
        return { id: `${inputs.registry}/${inputs.repository}:${inputs.tag}`, outs };
    },

    async update(_id: string, olds: PromotionState, news: ProviderInputs): Promise<pulumi.dynamic.UpdateResult> {
        if (olds.digest !== news.digest) {
            throw new Error(`Release ${olds.registry}/${olds.repository}:${olds.tag} cannot move to sha256:${news.digest}: release tags are immutable. Promote a new tag instead.`);
        }
        const { writeRecordFile } = load("lib/release/promotion");
        const record: ReleaseRecord = { ...olds.record };
        let releaseNotes = olds.releaseNotes;
        // Signing turned on (or a new key pair) for a release that exists: sign and verify it now, before the record changes.
        if (news.sign && JSON.stringify(news.sign) !== JSON.stringify(olds.sign)) {
            const key = await checkSigningKey(news);
            record.signature = await signAndVerify(news, olds.promotedDigest, key);
            const { renderReleaseNotes } = load("lib/release/notes");
            const api = clientFor(news);
            const manifest = await api.getManifest(news.repository, olds.promotedDigest);
            const info = await api.imageInfoFromManifest(news.repository, manifest);
            releaseNotes = renderReleaseNotes({
                registry: news.registry, repository: news.repository, tag: news.tag, digest: olds.promotedDigest, manifest, info,
                ...(record.run ? { run: record.run } : {}), cosign: notesSigning(news)!,
            });
            require("node:fs").writeFileSync(olds.recordPath.replace(/\.json$/, ".md"), releaseNotes);
        }
        if (news.deleteTagOnDestroy) record.breakGlass = { deleteTagOnDestroy: true, reason: news.deleteTagOnDestroy.reason };
        else delete record.breakGlass;
        writeRecordFile(olds.recordPath, record);
        return { outs: { ...olds, ...news, record, releaseNotes } };
    },

    async delete(_id: string, props: PromotionState): Promise<void> {
        const { deleteReleaseTag, recordPath, writeRecordFile, promotedBy } = load("lib/release/promotion");
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
    declare readonly record: pulumi.Output<ReleaseRecord>;
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
    if (args.sign !== undefined && (typeof args.sign !== "object" || args.sign === null || args.sign.publicKey === undefined)) {
        throw new Error(`Release "sign" must be { publicKey, privateKey, password } (the cosign key pair); leave it out to release unsigned.`);
    }
}

/**
 * A promotion of a verified digest to an immutable tag (seed 004), with its sanity check, record,
 * release notes and optional cosign key-pair signature, verified on tag and digest. Type `image-lifecycle:release:Release`.
 */
export class Release extends pulumi.ComponentResource {
    /** `sha256:…` the tag points at. */
    public readonly digest: pulumi.Output<string>;
    /** `host/repo:tag`. */
    public readonly reference: pulumi.Output<string>;
    /** `host/repo@sha256:…`. */
    public readonly pinned: pulumi.Output<string>;
    /** The promotion record (who, when, checks, sanity, bypass, break-glass, signature). */
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
            digest: args.digest,
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
