import * as semver from "semver";
import { ValidationError } from "../errors";
import { fullDigest } from "./digest";
import { isValidTag } from "./reference";

/** Seed 004's exact preflight messages. */
export const MESSAGES = {
    digest: "Digest must be 64 hex characters",
    tagCharset: "Tag contains invalid characters",
    tagPolicy: "Tag does not match required patterns",
    tagExists: "Tag already exists",
    digestMissing: "Source digest not found",
} as const;

/** Outcome of one rule: either fine, or the seed's message plus how to fix it. */
export type RuleResult = { ok: true } | { ok: false; message: string; fix: string };

const OK: RuleResult = { ok: true };
const DIGEST_INPUT = /^[0-9a-f]{64}$/;
const CHANNELS = new Set(["stable", "latest"]);

/** The promotion digest input: exactly 64 lowercase hex characters, no `sha256:` prefix. */
export function checkDigestInput(digest: unknown): RuleResult {
    if (typeof digest === "string" && DIGEST_INPUT.test(digest)) return OK;
    const prefixed = typeof digest === "string" && digest.startsWith("sha256:");
    return {
        ok: false,
        message: MESSAGES.digest,
        fix: prefixed
            ? "Remove the sha256: prefix and pass only the 64 hex characters."
            : "Pass the 64 lowercase hex characters of the image digest, without the sha256: prefix.",
    };
}

/** Tag characters: letters, digits, dots, dashes, underscores; at most 128; not starting with `.` or `-`. */
export function checkTagCharset(tag: unknown): RuleResult {
    if (isValidTag(tag)) return OK;
    return { ok: false, message: MESSAGES.tagCharset, fix: "Use only letters, digits, dots, dashes and underscores (at most 128, not starting with . or -)." };
}

/** `vX.Y.Z` with an optional prerelease such as `v1.0.0-rc.1`. Build metadata is not a valid tag character. */
export function isSemverReleaseTag(tag: string): boolean {
    if (!tag.startsWith("v")) return false;
    const version = tag.slice(1);
    return semver.valid(version, { loose: false }) === version;
}

/** `stable` or `latest`. */
export function isChannelTag(tag: string): boolean {
    return CHANNELS.has(tag);
}

/** Options of the tag-policy bypass (seed 004's break-glass `allow_non_semver`). */
export interface TagPolicyBypass {
    allowNonSemver?: boolean;
    /** Why the bypass is needed; recorded in the promotion record. Required with `allowNonSemver`. */
    justification?: string;
}

/**
 * The release tag policy: `vX.Y.Z` (prereleases allowed), `stable`, `latest`. Anything else only with
 * `allowNonSemver` and a non-empty justification. Assumes the charset rule passed.
 */
export function checkTagPolicy(tag: string, bypass: TagPolicyBypass = {}): RuleResult {
    if (isSemverReleaseTag(tag) || isChannelTag(tag)) return OK;
    if (bypass.allowNonSemver) {
        if (typeof bypass.justification === "string" && bypass.justification.trim() !== "") return OK;
        return {
            ok: false,
            message: `${MESSAGES.tagPolicy}: allowNonSemver needs a justification`,
            fix: "Give a non-empty justification saying why this release cannot use vX.Y.Z.",
        };
    }
    return { ok: false, message: MESSAGES.tagPolicy, fix: "Use vX.Y.Z (e.g. v1.2.3 or v1.0.0-rc.1), stable or latest, or set allowNonSemver with a justification." };
}

/** Throws a ValidationError for a failed rule, naming the field. */
export function assertRule(field: string, result: RuleResult): void {
    if (!result.ok) throw new ValidationError(field, `${result.message}. ${result.fix}`);
}

/** `sha256:` + the 64-hex promotion input. */
export function toFullDigest(digest64: string): string {
    assertRule("digest", checkDigestInput(digest64));
    return fullDigest(digest64);
}
