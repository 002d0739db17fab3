/**
 * The shape of a release (a promotion of a digest to a tag) as it appears on the Pulumi resource
 * that writes the tag. The policy pack reads these inputs, so they live here, beside the rules.
 */

import { KINDS } from "../contract";

/** Inputs of the release resource, as policies see them in `props`. */
export interface ReleaseInputs {
    kind: typeof KINDS.release;
    /** `host[:port]`. */
    registry: string;
    repository: string;
    /** 64 lowercase hex, no `sha256:` prefix (seed 004). */
    digest: string;
    tag: string;
    allowNonSemver?: boolean;
    justification?: string;
    /** Shell command run in the promoted image for the sanity check. */
    smokeCommand?: string;
    /** Break-glass: let `pulumi destroy` delete the tag from the registry. The reason is recorded. */
    deleteTagOnDestroy?: { reason: string };
    insecure?: boolean;
    /** Set when the release is signed with a cosign key pair and verified on its tag and digest. */
    sign?: ReleaseSigning;
}

/**
 * Key-pair signing of a release (seed 004's cosign step without GitHub's OIDC): the public half, which
 * is not secret, is an input policies can see; the private key and its password travel separately as
 * one secret input ({@link ReleaseSigningKey}).
 */
export interface ReleaseSigning {
    /** PEM of `cosign.pub` (from `cosign generate-key-pair`): the key the signature is verified with. */
    publicKey: string;
}

/** The secret half: the text of `cosign.key` (an encrypted PEM) and its password. */
export interface ReleaseSigningKey {
    privateKey: string;
    password: string;
}

/** What a signed release records (never the key or the password). */
export interface SignatureRecord {
    tool: "cosign";
    /** `sha256:` of the public key PEM as configured, to tell which key pair signed. */
    publicKeySha256: string;
    /** The tag cosign stores the signature under, beside the image: `sha256-<hex>.sig`. */
    signatureTag: string;
    /** The references verified with the public key after signing: the tag, then the digest. */
    verified: string[];
    /** Key-pair signing of a self-hosted registry uploads nothing to a public transparency log. */
    transparencyLog: false;
    /** ISO 8601. */
    signedAt: string;
}

/** The PEM armour of a public key and of the encrypted private key `cosign generate-key-pair` writes. */
export const PUBLIC_KEY_PEM = /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PUBLIC KEY-----\n?$/;
export const PRIVATE_KEY_PEM = /^-----BEGIN ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY-----\n?$/;

/** A PEM as pasted into a stack file or a secret: CRLF and surrounding blank space removed, one final newline. */
export function normalisePem(pem: string): string {
    return `${pem.replace(/\r\n?/g, "\n").trim().split("\n").map((l) => l.trim()).join("\n")}\n`;
}
