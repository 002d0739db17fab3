/**
 * The one digest vocabulary: where a human gives a digest, `sha256:<hex>` and bare hex mean the same;
 * inside the code and wherever the product stores or prints a full digest, it is `sha256:<64 hex>`.
 * Seed 004's release input is the one exception: bare 64 hex, checked by `checkDigestInput`, crossed
 * only by {@link fullDigest} and {@link digestHex}.
 */
import { createHash } from "node:crypto";

const PREFIX = "sha256:";
const HEX = /^[0-9a-f]+$/;

/** Fewest hex digits that name an image of one repository unambiguously enough to act on. */
export const MIN_DIGEST_PREFIX = 12;

/** What a human-given digest-or-tag text means, read as a digest. */
export type DigestQuery =
    /** A whole digest, normalised to `sha256:<64 hex>`. */
    | { kind: "full"; digest: string }
    /** The first `hex.length` (≥ 12) hex digits of one. */
    | { kind: "prefix"; hex: string }
    /** Hex, but fewer than 12 digits: too short to choose by (may still be a tag). */
    | { kind: "short"; hex: string; prefixed: boolean }
    /** Not a digest at all (e.g. a tag such as v1.2.3). */
    | { kind: "none" };

/** Reads `text` as a digest: `sha256:<hex>` or bare hex, any letter case, whole or a prefix. */
export function parseDigestQuery(text: string): DigestQuery {
    const prefixed = text.toLowerCase().startsWith(PREFIX);
    const hex = (prefixed ? text.slice(PREFIX.length) : text).toLowerCase();
    if (!HEX.test(hex) || hex.length > 64) return { kind: "none" };
    if (hex.length === 64) return { kind: "full", digest: `${PREFIX}${hex}` };
    if (hex.length >= MIN_DIGEST_PREFIX) return { kind: "prefix", hex };
    return { kind: "short", hex, prefixed };
}

/** `sha256:<64 hex>` from either accepted form, or undefined when `text` is not a whole digest. */
export function normaliseDigest(text: string): string | undefined {
    const q = parseDigestQuery(text);
    return q.kind === "full" ? q.digest : undefined;
}

/** `sha256:<hex>` from bare hex: the one place a digest gets its prefix (check the hex first). */
export function fullDigest(hex: string): string {
    return `${PREFIX}${hex}`;
}

/** The hex digits of a digest (seed 004's release input form); text without the prefix comes back unchanged, so a check still sees it. */
export function digestHex(digest: string): string {
    return digest.startsWith(PREFIX) ? digest.slice(PREFIX.length) : digest;
}

/** `sha256:` and the first 12 hex digits: short enough for a table, and accepted back by `--to`. */
export function shortDigest(digest: string): string {
    return `${PREFIX}${digestHex(digest).slice(0, MIN_DIGEST_PREFIX)}`;
}

/** True when `digest` (`sha256:<64 hex>`) starts with the hex digits `hex`. */
export function digestStartsWith(digest: string, hex: string): boolean {
    return digestHex(digest).startsWith(hex);
}

/** Why a too-short digest cannot be used, and how many digits to give. */
export function tooShortMessage(text: string, hex: string): string {
    return `"${text}" has ${hex.length} hex digit${hex.length === 1 ? "" : "s"}; a digest needs at least ${MIN_DIGEST_PREFIX} (or all 64) to pick one image.`;
}

/** The digest of bytes, `sha256:<hex>`: what a registry names them by. */
export function sha256Digest(bytes: Buffer | Uint8Array): string {
    return `${PREFIX}${createHash("sha256").update(bytes).digest("hex")}`;
}
