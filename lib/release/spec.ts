/**
 * The one shape of a release (a digest to become a tag, seed 004): {@link ReleaseSpec}. Every other
 * release type — the stack's entry, the component's args, the resource's props, the preflight's
 * input — is derived from it here, so a field is added or renamed in one place.
 *
 * Digest form: inside the code a release digest is `sha256:<64 hex>`. Seed 004's bare 64 hex stays
 * only at the edges whose contract the seed shows (docs/adr/0052-release-provider-module.md): the
 * stack file's `releases.<name>.digest`, the preflight / promote input, and the Release resource's
 * `digest` prop (what policies and the saved state read). `fullDigest` and `digestHex`
 * (lib/rules/digest.ts) are the only crossings.
 */
import { KINDS } from "../contract";
import { fullDigest } from "../rules/digest";

/** A release: promote `digest` of `registry/repository` to `tag`. */
export interface ReleaseSpec {
    /** Registry `host[:port]`. */
    registry: string;
    /** Repository path in the registry, e.g. `team/app`. */
    repository: string;
    /** `sha256:<64 lowercase hex>`. */
    digest: string;
    /** `vX.Y.Z`, `vX.Y.Z-rc.N`, `stable` or `latest`; anything else needs `allowNonSemver` + `justification`. */
    tag: string;
    /** Break-glass bypass of the tag policy; recorded with `justification`. */
    allowNonSemver?: boolean;
    justification?: string;
    /** Shell command run in the image (offline, read-only) before the tag is written; must print something. */
    smokeCommand?: string;
    /** Break-glass: let `pulumi destroy` delete the tag from the registry. The reason is recorded. */
    deleteTagOnDestroy?: { reason: string };
    /** Plain HTTP to a non-loopback registry. */
    insecure?: boolean;
    /** Sign with this cosign key pair and verify the signature on the tag and the digest; unsigned when absent. */
    sign?: ReleaseSigning;
}

/**
 * The cosign key pair a release signs with (seed 004's cosign step without GitHub's OIDC), exactly as
 * the stack's keys give it: `cosignPublicKey`, the `cosignKey` and `cosignPassword` secrets. A secret
 * is absent only where secrets are not decrypted (offline parsing); a release missing one fails before
 * promoting.
 */
export interface ReleaseSigning {
    /** PEM of `cosign.pub` (from `cosign generate-key-pair`): the key the signature is verified with. */
    publicKey: string;
    /** Text of `cosign.key` (an encrypted PEM); secret. */
    privateKey?: string;
    /** The key's password; secret. */
    password?: string;
}

/** The secret half of {@link ReleaseSigning}, as the resource carries it (one secret input). */
export type ReleaseSigningKey = Required<Pick<ReleaseSigning, "privateKey" | "password">>;

/** `T` with its digest in seed 004's form: 64 lowercase hex, no `sha256:` prefix. */
export type WithSeedDigest<T extends { digest: string }> = Omit<T, "digest"> & {
    /** 64 lowercase hex, no `sha256:` prefix (seed 004). */
    digest: string;
};

/** What the preflight and the promotion take: seed 004's inputs (image split in two, digest as 64 hex, tag, bypass). */
export type ReleaseInput = WithSeedDigest<Pick<ReleaseSpec, "registry" | "repository" | "digest" | "tag" | "allowNonSemver" | "justification">>;

/**
 * Plain inputs of the Release resource, as policies see them in `props` and as its state has held them
 * since the first version: the spec with the digest in seed 004's form, and only the public half of the
 * key pair (the private half is the secret `signingKey` input).
 */
export type ReleaseProps = { kind: typeof KINDS.release } & WithSeedDigest<Omit<ReleaseSpec, "sign">> & {
    sign?: Pick<ReleaseSigning, "publicKey">;
};

/**
 * One `releases.<name>` entry of the proxima stack file, keys as written there: the repository inside
 * the stack's registry, the digest in seed 004's form (`image` still reads as the old name of
 * `repository`, ADR 0054).
 */
export type ReleaseStackEntry = WithSeedDigest<Omit<ReleaseSpec, "registry" | "insecure" | "sign">> & {
    /** Sign with the stack's key pair (`cosignPublicKey`, `cosignKey`, `cosignPassword`). */
    sign?: boolean;
};

/** The spec of seed-form inputs (preflight input, resource props): only the digest changes form. */
export function specOf<T extends { digest: string }>(input: T): Omit<T, "digest"> & { digest: string } {
    return { ...input, digest: fullDigest(input.digest) };
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
