/**
 * Promotion of a verified digest to an immutable, human tag (seed 004): the preflight (the checks of
 * ./checks.ts plus what the registry answers) and the server-side retag. Engine-free: the Pulumi
 * resource, the CLI and the benchmark all call this.
 */
import { isNotFound, RegistryError } from "../errors";
import { mapLimit } from "../registry/limit";
import { Manifest, RegistryApi } from "../registry/types";
import { CheckResult, describeFailures, immutabilityResult, inputChecks, missingDigestResult, pass, skipped, sourceReference, Target, targetReference } from "./checks";
import { ReleaseInput, ReleaseSpec, specOf } from "./spec";

/**
 * What the tag points at, established by two independent answers: the tag list and a HEAD of the
 * tag (the last request, so it is the freshest). A digest from the HEAD is believed (a positive answer
 * only ever makes us refuse). "Absent" needs both to agree; a tag the list names but the HEAD calls
 * unknown is a registry that contradicts itself (a cache answering 404 wrongly), and nothing is decided.
 */
export async function currentTag(api: RegistryApi, spec: Pick<ReleaseSpec, "registry" | "repository" | "tag">): Promise<string | undefined> {
    // A PUT in flight can show as "listed, HEAD 404" for a moment (the registry writes the tag's
    // directory before its link): ask again briefly before calling the registry inconsistent.
    for (let attempt = 0; ; attempt++) {
        let listed = false;
        try {
            listed = (await api.listTags(spec.repository, { onInvalidTag: () => undefined })).includes(spec.tag);
        } catch (e) {
            // A repository the registry does not know has no tags at all; that is one negative answer.
            if (!(e instanceof RegistryError && e.code === "NAME_UNKNOWN")) throw e;
        }
        const head = await api.resolve(spec.repository, spec.tag);
        if (head !== undefined) return head;
        if (!listed) return undefined;
        if (attempt >= INCONSISTENT_RETRIES.length) {
            throw new RegistryError(
                "BAD_RESPONSE",
                { registry: spec.registry, repository: spec.repository, reference: spec.tag },
                `The registry lists tag ${spec.tag} but answers 404 for it, so whether it exists cannot be told. Nothing was written. Check the registry or the cache in front of it (it may serve a stale 404), then run again`,
            );
        }
        await sleep(INCONSISTENT_RETRIES[attempt]);
    }
}

/** Pauses before asking again when the tag list and the HEAD disagree. */
const INCONSISTENT_RETRIES = [100, 300, 600];

/**
 * Every preflight check of seed 004, in its order. The registry checks (tag list + 2 HEAD requests) run only
 * when the input checks pass. Registry failures (unreachable, unauthorized) are thrown, not reported
 * as failed checks, so callers can tell "the answer is no" from "no answer". `api` may be undefined only
 * when the inputs cannot be valid (e.g. no usable registry host).
 */
export async function preflight(api: RegistryApi | undefined, input: ReleaseInput): Promise<CheckResult[]> {
    const checks = inputChecks(input);
    if (checks.some((c) => !c.ok)) {
        return [...checks, skipped("tag-immutable", "the inputs are invalid"), skipped("digest-exists", "the inputs are invalid")];
    }
    const spec = specOf(input);
    if (!api) throw new Error(`preflight of ${targetReference(spec)} needs a registry client once the inputs are valid.`);
    const [current, source] = await Promise.all([
        currentTag(api, spec),
        api.resolve(spec.repository, spec.digest),
    ]);
    checks.push(immutabilityResult(spec, current));
    checks.push(source === undefined ? missingDigestResult(spec) : pass("digest-exists"));
    return checks;
}

/** Thrown when a promotion stops; carries every check so the caller can record what happened. */
export class PromotionError extends Error {
    override readonly name = "PromotionError";
    constructor(
        message: string,
        readonly checks: CheckResult[],
        /** True only when the tag was written and then found pointing elsewhere (a lost race). */
        readonly wroteTag = false,
    ) {
        super(message);
    }
}

/** What the sanity hook reports; a failed one stops the promotion before the tag is written. */
export interface SanityOutcome {
    ok: boolean;
    /** Why it failed, or why it was skipped. */
    reason?: string;
    output?: string;
    skipped?: boolean;
}

export interface PromoteOptions {
    /** Runs the smoke test on the pinned source reference; called after the digest is verified, before any write. */
    sanity?: (pinned: string) => Promise<SanityOutcome>;
    /**
     * Longest time between the HEAD that saw the tag absent and sending the PUT. Beyond it the
     * promotion gives up before writing. Must stay well below `settleMs` (docs/adr/0040).
     */
    claimWindowMs?: number;
    /** Wait after the PUT before reading the tag back, so a racing writer's PUT has landed. */
    settleMs?: number;
    /** Clock, for tests of the claim window. */
    now?: () => number;
}

/** A successful promotion. */
export interface PromotionOutcome {
    /** `sha256:…`, as the registry reported it for the new tag. */
    digest: string;
    mediaType: string;
    checks: CheckResult[];
    sanity?: SanityOutcome;
    /** The source manifest, for release notes. */
    manifest: Manifest;
    /**
     * True when the tag already pointed at this digest (an earlier run wrote it and stopped before
     * finishing): nothing was written now, and the caller finishes the record, notes and signature.
     */
    resumed: boolean;
}

/** Defaults chosen so a racing writer on loopback or a LAN has landed long before the read-back. */
export const RACE_DEFAULTS = { claimWindowMs: 500, settleMs: 1500 } as const;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Writes `tag` server-side so it points at the same digest: GET the manifest by digest (exact bytes;
 * proves it exists), list the tags and HEAD the tag (both must say absent: {@link currentTag}), PUT
 * the same bytes under the tag (the registry's digest is verified equal). Four requests (plus list
 * pages), no blob moved, an index stays an index. Then, after `settleMs`, one read-back: if the tag
 * no longer names our digest another promotion won the race and this one fails
 * (docs/adr/0040-racing-promotions.md). A tag that already names exactly this digest is an earlier
 * run's write: nothing is written, the read-back still runs, and the outcome says `resumed`
 * (docs/adr/0043-promotion-is-idempotent.md). A different digest is `Tag already exists`.
 */
export function promote(api: RegistryApi, input: ReleaseInput, opts: PromoteOptions = {}): Promise<PromotionOutcome> {
    // Seed 004's input crosses to the inside form here, once, after its checks.
    return promoteSpec(api, specOf(input), inputChecks(input), opts);
}

/**
 * {@link promote} of a spec already in the inside form (`sha256:<hex>`), with the outcome of
 * {@link inputChecks} on the inputs it came from: the release provider's path, which crossed the digest
 * from its props itself. Any failed check refuses the promotion before the registry is asked.
 */
export async function promoteSpec(api: RegistryApi, spec: Target, inputResults: readonly CheckResult[], opts: PromoteOptions = {}): Promise<PromotionOutcome> {
    const claimWindowMs = opts.claimWindowMs ?? RACE_DEFAULTS.claimWindowMs;
    const settleMs = opts.settleMs ?? RACE_DEFAULTS.settleMs;
    const now = opts.now ?? Date.now;
    const checks = [...inputResults];
    if (checks.some((c) => !c.ok)) {
        throw new PromotionError(`Promotion of ${targetReference(spec)} refused by preflight:\n${describeFailures(checks)}`, checks);
    }
    const full = spec.digest;

    let manifest: Manifest;
    try {
        manifest = await api.getManifest(spec.repository, full);
    } catch (e) {
        if (!isNotFound(e)) throw e;
        const all = [...checks, missingDigestResult(spec)];
        throw new PromotionError(`Promotion of ${targetReference(spec)} refused by preflight:\n${describeFailures(all)}`, all);
    }
    checks.push(pass("digest-exists"));

    let sanity: SanityOutcome | undefined;
    if (opts.sanity) {
        sanity = await opts.sanity(sourceReference(spec));
        if (!sanity.ok && !sanity.skipped) {
            throw new PromotionError(`Sanity check failed for ${sourceReference(spec)}: ${sanity.reason}. The tag was not written; fix the image or its smoke command and promote again.`, checks);
        }
    }

    // The immutability HEAD comes last before the PUT so the gap a racer can slip into is short.
    const current = await currentTag(api, spec);
    const claimedAt = now();
    const immutable = immutabilityResult(spec, current);
    if (!immutable.ok) {
        const all = [...checks.slice(0, 4), immutable, ...checks.slice(4)];
        throw new PromotionError(`Promotion of ${targetReference(spec)} refused by preflight:\n${describeFailures(all)}`, all);
    }
    checks.splice(4, 0, immutable);
    const resumed = current === full;
    if (!resumed) {
        if (now() - claimedAt > claimWindowMs) {
            throw new PromotionError(`Promotion of ${targetReference(spec)} stopped before writing: more than ${claimWindowMs} ms passed between checking the tag and writing it. Nothing was written; run it again.`, checks);
        }
        const written = await api.putManifest(spec.repository, spec.tag, { bytes: manifest.bytes, mediaType: manifest.mediaType });
        if (written !== full) {
            throw new PromotionError(`The registry stored ${targetReference(spec)} as ${written}, not ${full}. Check the registry; the tag may need the break-glass procedure (docs/promotion.md).`, checks, true);
        }
    }

    if (settleMs > 0) await sleep(settleMs);
    const after = await api.resolve(spec.repository, spec.tag);
    if (after !== full) {
        throw new PromotionError(
            `Lost a race for ${targetReference(spec)}: after writing ${full} the tag points at ${after ?? "nothing"}. ` +
                `Another promotion of the same tag won; this one reports failure. Promote ${full} under a new tag.`,
            checks,
            !resumed,
        );
    }
    return { digest: full, mediaType: manifest.mediaType, checks, sanity, manifest, resumed };
}

/**
 * Break-glass removal of a promoted tag. The registry API deletes by digest only (which removes every
 * tag on it), so this refuses when the tag moved or when other tags share the digest.
 */
export async function deleteReleaseTag(api: RegistryApi, spec: Target): Promise<{ deleted: boolean; reason: string }> {
    const full = spec.digest;
    const current = await api.resolve(spec.repository, spec.tag);
    if (current === undefined) return { deleted: false, reason: `${targetReference(spec)} no longer exists` };
    if (current !== full) {
        return { deleted: false, reason: `${targetReference(spec)} now points at ${current}, not ${full}; left in place` };
    }
    const tags = (await api.listTags(spec.repository)).filter((t) => t !== spec.tag);
    const digests = await mapLimit(tags, 8, (t) => api.resolve(spec.repository, t));
    const others = tags.filter((_, i) => digests[i] === full);
    if (others.length) {
        throw new Error(
            `Cannot delete ${targetReference(spec)}: the registry deletes by digest, and ${full} also carries ${others.join(", ")}. ` +
                `Remove those tags first, or drop deleteTagOnDestroy to leave the tag in place.`,
        );
    }
    await api.deleteManifest(spec.repository, full);
    return { deleted: true, reason: `deleted ${full} (only ${spec.tag} pointed at it)` };
}
