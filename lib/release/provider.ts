/**
 * The Release resource's provider (docs/adr/0052-release-provider-module.md): an ordinary module.
 * components/release.ts's serialized provider only requires this module's compiled form
 * (dist/lib/release/provider.js, built by `npm run build:cli`) from the project directory and
 * delegates to it; tests call it directly. Engine-free like the rest of lib/: the engine's types are
 * repeated structurally below, and the value a preview sends for unknown inputs is passed in.
 *
 * It reads the resource's saved state as every version wrote it: the `digest` prop is seed 004's
 * 64 hex (ReleaseProps); inside, the digest is the spec's `sha256:<hex>`.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KINDS } from "../contract";
import { quoteValue } from "../format/text";
import { RegistryAccess, registryAccess, registryClient } from "../registry/access";
import { ImageInfo, Manifest, RegistryCredentials } from "../registry/types";
import { isLoopbackRegistry } from "../rules/reference";
import { cosignSignArgs, cosignVerifyArgs, renderReleaseNotes } from "./notes";
import { buildRecord, CheckResult, deleteReleaseTag, inputChecks, promote, promotedBy, recordPath, ReleaseRecord, writeRecordFile } from "./promotion";
import { runSanity } from "./sanity";
import { normalisePem, PUBLIC_KEY_PEM, ReleaseProps, ReleaseSigningKey, ReleaseSpec, SignatureRecord, specOf } from "./spec";

/** What the provider receives: the policy-visible props plus the secret ones. */
export type ProviderInputs = ReleaseProps & { credentials?: RegistryCredentials; signingKey?: Partial<ReleaseSigningKey> };

/** The resource's state: its inputs plus what the promotion produced. */
export type ReleaseState = ProviderInputs & {
    /** `sha256:…` the tag points at. */
    promotedDigest: string;
    record: ReleaseRecord;
    releaseNotes: string;
    /** Where the record JSON was written. */
    recordPath: string;
};

/** Props that change only the record, never the registry (the component passes these through). */
export const MUTABLE = ["allowNonSemver", "justification", "smokeCommand", "deleteTagOnDestroy", "insecure", "sign"] as const;

/** The engine's dynamic-provider shapes this provider returns (pulumi.dynamic's, repeated structurally). */
export interface CheckFailure { property: string; reason: string }
export interface ProviderCheck { inputs: Record<string, unknown>; failures: CheckFailure[] }
export interface ProviderDiff { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }
export interface ProviderCreate { id: string; outs: ReleaseState }
export interface ProviderUpdate { outs: ReleaseState }

/** The provider's methods, as components/release.ts delegates them. */
export interface ReleaseProvider {
    check(olds: unknown, news: any): Promise<ProviderCheck>;
    diff(id: string, olds: ReleaseState, news: ReleaseProps): Promise<ProviderDiff>;
    create(inputs: ProviderInputs): Promise<ProviderCreate>;
    update(id: string, olds: ReleaseState, news: ProviderInputs): Promise<ProviderUpdate>;
    delete(id: string, props: ReleaseState): Promise<void>;
}

export interface ReleaseProviderOptions {
    /** What a preview sends for an input computed from another resource (`pulumi.runtime.unknownValue`): judged at update time instead. */
    unknown: string;
}

/** The spec of the resource's props: the kind marker and the secret inputs left out, the digest as `sha256:<hex>`. */
function specOfProps(p: ProviderInputs): ReleaseSpec {
    const { kind: _kind, credentials: _credentials, signingKey: _signingKey, ...spec } = p;
    return specOf(spec);
}

/** The registry access of a release: its credentials, else REGISTRY_USERNAME / REGISTRY_PASSWORD of the process running it. */
function accessOf(p: ProviderInputs): RegistryAccess {
    return registryAccess({ host: p.registry, insecure: p.insecure === true, ...(p.credentials ?? {}) }, process.env);
}

/** Where records go: IMAGE_LIFECYCLE_RECORDS_DIR, default `records/promotions` under the program directory. */
function recordsRoot(): string {
    return process.env.IMAGE_LIFECYCLE_RECORDS_DIR || "records/promotions";
}

/** Fields that name the release: changing any of them is a new release (replace). */
const IDENTITY = ["registry", "repository", "tag"] as const;

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
    const base = `${p.registry}/${p.repository}`;
    const byTag = `${base}:${p.tag}`;
    const pinned = `${base}@${digest}`;
    const httpRegistry = p.insecure === true || isLoopbackRegistry(p.registry);
    const publicKey: string = normalisePem(p.sign!.publicKey);
    const env: Record<string, string> = { [KEY_VAR]: key.privateKey, [PUB_VAR]: publicKey, COSIGN_PASSWORD: key.password };
    const credentials = accessOf(p).credentials;
    const dockerConfig: string | undefined = credentials ? fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-cosign-")) : undefined;
    const unfinished = `The tag ${byTag} is written, but the release is not recorded as released`;
    try {
        if (dockerConfig && credentials) {
            const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
            fs.writeFileSync(path.join(dockerConfig, "config.json"), JSON.stringify({ auths: { [p.registry]: { auth } } }), { mode: 0o600 });
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
function notesSigning(p: ReleaseProps) {
    if (!p.sign) return undefined;
    return { publicKey: normalisePem(p.sign.publicKey), httpRegistry: p.insecure === true || isLoopbackRegistry(p.registry) };
}

/** The release notes of `p` promoted to `digest`, as create and update (when signing is turned on) render them. */
function notesOf(p: ProviderInputs, digest: string, manifest: Manifest, info: ImageInfo, run: ReleaseRecord["run"]): string {
    const cosign = notesSigning(p);
    return renderReleaseNotes({
        registry: p.registry,
        repository: p.repository,
        tag: p.tag,
        digest,
        manifest,
        info,
        ...(run ? { run } : {}),
        ...(cosign ? { cosign } : {}),
    });
}

/** Where the notes of the record file `file` go: beside it, `.md` for `.json`. */
function notesPath(file: string): string {
    return file.replace(/\.json$/, ".md");
}

/** The release provider; `opts.unknown` is the engine's marker for values a preview does not know yet. */
export function createReleaseProvider(opts: ReleaseProviderOptions): ReleaseProvider {
    const UNKNOWN = opts.unknown;
    return {
        async check(_olds, news) {
            const failures: CheckFailure[] = [];
            if (news.kind !== KINDS.release) failures.push({ property: "kind", reason: `kind must be "${KINDS.release}" so policies can find releases.` });
            const property: Record<string, string> = { "digest-format": "digest", "image-reference": "repository", "tag-charset": "tag", "tag-policy": "tag" };
            const unknown = (k: string) => news[k] === UNKNOWN;
            // The props carry seed 004's input form, so the seed's checks (and messages) apply to them as they are.
            for (const c of inputChecks(news) as CheckResult[]) {
                const prop = property[c.id];
                if (!c.ok && !c.skipped && !unknown(prop) && !(c.id === "image-reference" && unknown("registry"))) {
                    failures.push({ property: prop, reason: `${c.message}. ${c.fix}` });
                }
            }
            if (news.deleteTagOnDestroy !== undefined && !(typeof news.deleteTagOnDestroy?.reason === "string" && news.deleteTagOnDestroy.reason.trim() !== "")) {
                failures.push({ property: "deleteTagOnDestroy", reason: "deleteTagOnDestroy needs a non-empty reason; it is recorded as a break-glass override." });
            }
            if (news.sign !== undefined && news.sign !== UNKNOWN && news.sign?.publicKey !== UNKNOWN) {
                if (typeof news.sign?.publicKey !== "string" || !PUBLIC_KEY_PEM.test(normalisePem(news.sign.publicKey))) {
                    failures.push({ property: "sign", reason: "sign.publicKey must be the PEM of cosign.pub (-----BEGIN PUBLIC KEY----- …); set cosignPublicKey to the public key cosign generate-key-pair wrote." });
                }
            }
            return { inputs: news, failures };
        },

        async diff(_id, olds, news) {
            const replaces = IDENTITY.filter((k) => olds[k] !== news[k]);
            const unknownDigest = news.digest === UNKNOWN;
            const before = specOfProps(olds).digest;
            const after = unknownDigest ? UNKNOWN : specOfProps(news).digest;
            if (replaces.length === 0 && before !== after && !unknownDigest) {
                throw new Error(
                    `Release ${olds.registry}/${olds.repository}:${olds.tag} points at ${before}; changing it to ${after} is refused because release tags are immutable. ` +
                        `Promote the new digest under a new tag (add a release with the next version) instead.`,
                );
            }
            const changed = MUTABLE.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])) || before !== after;
            return { changes: replaces.length > 0 || changed, replaces: [...replaces], deleteBeforeReplace: false };
        },

        async create(inputs) {
            // A key that is missing, locked with another password or not the public key's fails here, before the tag is written.
            const key = inputs.sign ? await checkSigningKey(inputs) : undefined;
            const api = registryClient(accessOf(inputs));
            const spec = specOfProps(inputs);
            const smoke = inputs.smokeCommand;
            const outcome = await promote(api, inputs, {
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
            const releaseNotes = notesOf(inputs, outcome.digest, outcome.manifest, info, record.run);
            const file = recordPath(recordsRoot(), spec);
            writeRecordFile(file, record);
            fs.writeFileSync(notesPath(file), releaseNotes);
            const outs: ReleaseState = { ...inputs, promotedDigest: outcome.digest, record, releaseNotes, recordPath: file };
            return { id: `${inputs.registry}/${inputs.repository}:${inputs.tag}`, outs };
        },

        async update(_id, olds, news) {
            const before = specOfProps(olds).digest;
            const after = specOfProps(news).digest;
            if (before !== after) {
                throw new Error(`Release ${olds.registry}/${olds.repository}:${olds.tag} cannot move to ${after}: release tags are immutable. Promote a new tag instead.`);
            }
            const record: ReleaseRecord = { ...olds.record };
            let releaseNotes = olds.releaseNotes;
            // Signing turned on (or a new key pair) for a release that exists: sign and verify it now, before the record changes.
            if (news.sign && JSON.stringify(news.sign) !== JSON.stringify(olds.sign)) {
                const key = await checkSigningKey(news);
                record.signature = await signAndVerify(news, olds.promotedDigest, key);
                const api = registryClient(accessOf(news));
                const manifest = await api.getManifest(news.repository, olds.promotedDigest);
                const info = await api.imageInfoFromManifest(news.repository, manifest);
                releaseNotes = notesOf(news, olds.promotedDigest, manifest, info, record.run);
                fs.writeFileSync(notesPath(olds.recordPath), releaseNotes);
            }
            if (news.deleteTagOnDestroy) record.breakGlass = { deleteTagOnDestroy: true, reason: news.deleteTagOnDestroy.reason };
            else delete record.breakGlass;
            writeRecordFile(olds.recordPath, record);
            return { outs: { ...olds, ...news, record, releaseNotes } };
        },

        async delete(_id, props) {
            const spec = specOfProps(props);
            const reason = props.deleteTagOnDestroy?.reason;
            const result = reason ? await deleteReleaseTag(registryClient(accessOf(props)), spec) : { deleted: false, reason: "tag left in place (no deleteTagOnDestroy)" };
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
}
