/**
 * Typed errors shared by the program, the CLI and the policy pack.
 * Every message says what failed and ends with what to do about it.
 */
import { printable } from "./format/text";

/** Bad input from a human or a config file: a reference, digest, tag or option that breaks a rule. */
export class ValidationError extends Error {
    override readonly name = "ValidationError";
    constructor(
        /** Which input was wrong, e.g. `digest`, `tag`, `apps.web.image`. */
        readonly field: string,
        message: string,
    ) {
        super(message);
    }
}

/** Which registry request failed; never carries credentials. */
export interface RegistryErrorContext {
    registry: string;
    repository?: string;
    reference?: string;
    status?: number;
}

/** Codes scripts and callers can branch on without parsing text. */
export type RegistryErrorCode =
    | "UNREACHABLE"
    | "TIMEOUT"
    | "UNAUTHORIZED"
    | "NOT_FOUND"
    | "NAME_UNKNOWN"
    | "MANIFEST_UNKNOWN"
    | "DIGEST_MISMATCH"
    | "BAD_RESPONSE"
    | "UNSUPPORTED_MEDIA_TYPE"
    | "INSECURE_REFUSED"
    | "HTTP_ERROR";

/** A registry answered badly, or not at all. */
export class RegistryError extends Error {
    override readonly name = "RegistryError";
    constructor(
        readonly code: RegistryErrorCode,
        readonly context: RegistryErrorContext,
        message: string,
    ) {
        // Messages quote registry answers (headers, media types, error bodies): never let them drive the terminal.
        super(printable(`${message} (${describeContext(context)})`, { multiline: true }));
    }
}

function describeContext(c: RegistryErrorContext): string {
    const parts = [`registry ${c.registry}`];
    if (c.repository) parts.push(`repository ${c.repository}`);
    if (c.reference) parts.push(`reference ${c.reference}`);
    if (c.status !== undefined) parts.push(`HTTP ${c.status}`);
    return parts.join(", ");
}
