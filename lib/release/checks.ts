/**
 * The preflight checks of seed 004, as results a caller can print or record: the ones that need no
 * registry (digest format, image reference, tag characters, tag policy) and the two the registry
 * answers (tag immutability, source digest exists), with seed 004's messages.
 */
import { parseReference } from "../rules/reference";
import { checkDigestInput, checkTagCharset, checkTagPolicy, MESSAGES } from "../rules/tags";
import { ReleaseInput, ReleaseSpec } from "./spec";

/** The release fields that name the tag and its digest (`sha256:<hex>`): what the registry steps need. */
export type Target = Pick<ReleaseSpec, "registry" | "repository" | "digest" | "tag">;

/** Identifiers of the preflight checks, in the order seed 004 runs them. */
export type CheckId = "digest-format" | "image-reference" | "tag-charset" | "tag-policy" | "tag-immutable" | "digest-exists";

/** One preflight check's outcome; `message` is seed 004's text when the check failed. */
export interface CheckResult {
    id: CheckId;
    /** Human label, e.g. "Tag policy". */
    name: string;
    ok: boolean;
    /** Set when the check could not run because an earlier one failed. */
    skipped?: boolean;
    message?: string;
    fix?: string;
}

const CHECK_NAMES: Record<CheckId, string> = {
    "digest-format": "Digest format",
    "image-reference": "Image reference",
    "tag-charset": "Tag characters",
    "tag-policy": "Tag policy",
    "tag-immutable": "Tag immutability",
    "digest-exists": "Source digest exists",
};

export function pass(id: CheckId): CheckResult {
    return { id, name: CHECK_NAMES[id], ok: true };
}

function fail(id: CheckId, message: string, fix: string): CheckResult {
    return { id, name: CHECK_NAMES[id], ok: false, message, fix };
}

export function skipped(id: CheckId, why: string): CheckResult {
    return { id, name: CHECK_NAMES[id], ok: false, skipped: true, message: `Not checked: ${why}`, fix: "Fix the failed checks above first." };
}

/** The checks that need no registry: digest format, image reference, tag charset, tag policy. */
export function inputChecks(spec: ReleaseInput): CheckResult[] {
    const out: CheckResult[] = [];
    const digest = checkDigestInput(spec.digest);
    out.push(digest.ok ? pass("digest-format") : fail("digest-format", digest.message, digest.fix));
    out.push(checkImage(spec.registry, spec.repository));
    const charset = checkTagCharset(spec.tag);
    out.push(charset.ok ? pass("tag-charset") : fail("tag-charset", charset.message, charset.fix));
    if (!charset.ok) {
        out.push(skipped("tag-policy", "the tag has invalid characters"));
    } else {
        const policy = checkTagPolicy(spec.tag, { allowNonSemver: spec.allowNonSemver, justification: spec.justification });
        out.push(policy.ok ? pass("tag-policy") : fail("tag-policy", policy.message, policy.fix));
    }
    return out;
}

function checkImage(registry: unknown, repository: unknown): CheckResult {
    const image = `${String(registry ?? "")}/${String(repository ?? "")}`;
    const fix = "Give the registry as host[:port] and the repository as lowercase path components, e.g. registry.example.com:5000/team/app, without tag or digest.";
    if (typeof registry !== "string" || typeof repository !== "string" || registry === "" || repository === "") {
        return fail("image-reference", "Image must be <registry>/<repository>", fix);
    }
    try {
        const ref = parseReference(image);
        if (ref.registry !== registry || ref.repository !== repository || ref.tag !== undefined || ref.digest !== undefined) {
            return fail("image-reference", `Image must be <registry>/<repository>: "${image}" does not split into registry "${registry}" and repository "${repository}"`, fix);
        }
    } catch (e) {
        return fail("image-reference", `Image must be <registry>/<repository>: ${(e as Error).message}`, fix);
    }
    return pass("image-reference");
}

/** Pinned `host/repo@sha256:…` of the spec (assumes the digest check passed). */
export function sourceReference(spec: Target): string {
    return `${spec.registry}/${spec.repository}@${spec.digest}`;
}

/** `host/repo:tag`. */
export function targetReference(spec: Pick<ReleaseSpec, "registry" | "repository" | "tag">): string {
    return `${spec.registry}/${spec.repository}:${spec.tag}`;
}

/** Seed 004's immutability message with the image named. */
function tagExistsMessage(spec: Target): string {
    return `${MESSAGES.tagExists}: ${targetReference(spec)}`;
}

export function immutabilityResult(spec: Target, current: string | undefined): CheckResult {
    if (current === undefined) return pass("tag-immutable");
    if (current === spec.digest) {
        // Not a conflict: an earlier run wrote this very tag and stopped before its record (docs/promotion.md).
        return { ...pass("tag-immutable"), message: `${targetReference(spec)} already points at this digest: a completed promotion to finish (record, notes, signature), not a conflict` };
    }
    return fail(
        "tag-immutable",
        tagExistsMessage(spec),
        `It points at ${current}. Tags are immutable: promote under a new tag (e.g. the next patch version).`,
    );
}

export function missingDigestResult(spec: Target): CheckResult {
    return fail(
        "digest-exists",
        MESSAGES.digestMissing,
        `${sourceReference(spec)} is not in the registry. Check the digest and that the build was pushed to ${spec.registry}/${spec.repository}.`,
    );
}

/** Formats failed checks as `<message>. <fix>` lines. */
export function describeFailures(checks: CheckResult[]): string {
    return checks
        .filter((c) => !c.ok && !c.skipped)
        .map((c) => `${c.name}: ${c.message}. ${c.fix}`)
        .join("\n");
}
