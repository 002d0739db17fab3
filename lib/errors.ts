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

/**
 * {@link ValidationError} fields that name a fact (not a flag or a config key), so each caller can add
 * its own way to fix it: the CLI names its flag, the program its stack config.
 */
export const FIELD = {
    /** A deployed-records file: a deploy record or a `deployments` output. */
    deployedFile: "deployed file",
    /** The stack file (`Pulumi.<stack>.yaml`) as a whole. */
    stackFile: "stack file",
    /** The name of a new entry (e.g. a release) that the stack file already has. */
    entryName: "entry name",
} as const;

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

/**
 * The setting a registry error's fix concerns, so a caller can name it in its own terms (the CLI a
 * flag, the program a stack config key) while the message itself names only the fact.
 */
export type RegistrySetting =
    /** Which registry is asked: the host[:port] may name something that is not this registry. */
    | "address"
    /** Whether plain HTTP is allowed to a registry that is not on loopback. */
    | "plain-http";

/** A registry answered badly, or not at all. */
export class RegistryError extends Error {
    override readonly name = "RegistryError";
    constructor(
        readonly code: RegistryErrorCode,
        readonly context: RegistryErrorContext,
        message: string,
        /** The setting the fix concerns, when it is one (see {@link RegistrySetting}). */
        readonly setting?: RegistrySetting,
    ) {
        // Messages quote registry answers (headers, media types, error bodies): never let them drive the terminal.
        super(printable(`${message} (${describeContext(context)})`, { multiline: true }));
        this.problem = printable(message, { multiline: true });
    }

    /** The message without its context: the same problem met on several repositories reads the same. */
    readonly problem: string;
}

/** The codes by which a registry says "no such thing": see {@link isNotFound}. */
const NOT_FOUND_CODES: ReadonlySet<RegistryErrorCode> = new Set(["NAME_UNKNOWN", "MANIFEST_UNKNOWN", "NOT_FOUND"]);

/**
 * The one test of "the registry says it does not exist": an unknown repository, no manifest under the
 * reference, or a bare 404 (`NOT_FOUND`, which also fits a wrong address: the CLI's exit code tells it apart).
 */
export function isNotFound(e: unknown): e is RegistryError {
    return e instanceof RegistryError && NOT_FOUND_CODES.has(e.code);
}

function describeContext(c: RegistryErrorContext): string {
    const parts = [`registry ${c.registry}`];
    if (c.repository) parts.push(`repository ${c.repository}`);
    if (c.reference) parts.push(`reference ${c.reference}`);
    if (c.status !== undefined) parts.push(`HTTP ${c.status}`);
    return parts.join(", ");
}

/**
 * A stack file could not be changed safely (YAML anchors, or an edit that would change more than it
 * should); nothing was written. The CLI exits 4 on it ("the config change failed").
 */
export class StackEditRefused extends Error {
    override readonly name = "StackEditRefused";
}
