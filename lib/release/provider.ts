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
import { KINDS } from "../contract";
import { RegistryAccess, registryAccess, registryClient } from "../registry/access";
import { ImageInfo, Manifest, RegistryCredentials } from "../registry/types";
import { isLoopbackRegistry } from "../rules/reference";
import { checkSigningKey, signAndVerify } from "./cosign";
import { renderReleaseNotes } from "./notes";
import { CheckResult, inputChecks } from "./checks";
import { deleteReleaseTag, promoteSpec } from "./promotion";
import { buildRecord, promotedBy, recordPath, recordsRoot, ReleaseRecord, writeNotesFile, writeRecordFile } from "./record";
import { runSanity } from "./sanity";
import { normalisePem, PUBLIC_KEY_PEM, ReleaseProps, ReleaseSigningKey, ReleaseSpec, specOf } from "./spec";

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

/**
 * The spec of the resource's props: the kind marker and the secret inputs left out, the digest as
 * `sha256:<hex>`. The provider's one crossing of the digest: everything after it (promotion, signing,
 * deletion) takes the spec.
 */
function specOfProps(p: ProviderInputs): ReleaseSpec {
    const { kind: _kind, credentials: _credentials, signingKey: _signingKey, ...spec } = p;
    return specOf(spec);
}

/** The registry access of a release: its credentials, else REGISTRY_USERNAME / REGISTRY_PASSWORD of the process running it. */
function accessOf(p: ProviderInputs): RegistryAccess {
    return registryAccess({ host: p.registry, insecure: p.insecure === true, ...(p.credentials ?? {}) }, process.env);
}

/** Fields that name the release: changing any of them is a new release (replace). */
const IDENTITY = ["registry", "repository", "tag"] as const;

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
            const outcome = await promoteSpec(api, spec, inputChecks(inputs), {
                ...(smoke ? { sanity: (pinned: string) => runSanity(pinned, smoke, { dockerHost: process.env.DOCKER_HOST }) } : {}),
            });
            // The tag is written from here on: whatever stops the rest says so, and how to finish.
            try {
                // Nothing below reports the release as released until the signature verifies on the tag and the digest.
                const signature = key ? await signAndVerify(inputs, outcome.digest, key, accessOf(inputs).credentials) : undefined;
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
                const file = recordPath(recordsRoot(process.env), spec);
                writeRecordFile(file, record);
                writeNotesFile(file, releaseNotes);
                const outs: ReleaseState = { ...inputs, promotedDigest: outcome.digest, record, releaseNotes, recordPath: file };
                return { id: `${inputs.registry}/${inputs.repository}:${inputs.tag}`, outs };
            } catch (e) {
                throw new Error(`${inputs.registry}/${inputs.repository}:${inputs.tag} is already written on ${outcome.digest}, but the release stopped after that: ${(e as Error).message.trim()} Fix that and run pulumi up again to finish the release: the tag stays, and a release of the same tag on the same digest resumes instead of being refused.`);
            }
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
                record.signature = await signAndVerify(news, olds.promotedDigest, key, accessOf(news).credentials);
                const api = registryClient(accessOf(news));
                const manifest = await api.getManifest(news.repository, olds.promotedDigest);
                const info = await api.imageInfoFromManifest(news.repository, manifest);
                releaseNotes = notesOf(news, olds.promotedDigest, manifest, info, record.run);
                writeNotesFile(olds.recordPath, releaseNotes);
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
            writeRecordFile(recordPath(recordsRoot(process.env), spec, ".destroy"), {
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
