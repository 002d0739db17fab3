/**
 * cosign, in one place: the argument lists of `cosign sign` and `cosign verify` (the release notes print
 * the verify commands), and running it for a key-pair release: the key checked before anything is
 * promoted, then the promoted digest signed and the signature verified on the tag and on the digest.
 * The key pair reaches cosign through environment variables, never argv or a file.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { quoteValue } from "../format/text";
import { RegistryCredentials } from "../registry/types";
import { isLoopbackRegistry } from "../rules/reference";
import { normalisePem, ReleaseProps, ReleaseSigningKey, SignatureRecord } from "./spec";

/** Keyless (GitHub OIDC) identity or a key pair, for cosign commands. */
export interface CosignOptions {
    /**
     * Key-pair mode: the `--key` reference (`cosign.pub`, `env://VAR`, a KMS URI). Key-pair releases are
     * signed without the public transparency log, so their verification skips it. Keyless when absent.
     */
    key?: string;
    /** Key-pair mode: the registry is plain HTTP (loopback or `registry.insecure`), so cosign must be allowed to use it. */
    httpRegistry?: boolean;
    /** Keyless: the signer identity regexp; default any GitHub workflow. */
    identityRegexp?: string;
    /** Keyless: the OIDC issuer; default GitHub Actions. */
    oidcIssuer?: string;
}

const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
const GITHUB_IDENTITY = "^https://github.com/.+/.+@";
function keyPairFlags(opts: CosignOptions): string[] {
    return opts.httpRegistry ? ["--allow-http-registry=true"] : [];
}

/**
 * `cosign sign` of the pinned reference with a key pair (signatures attach to the digest, never to a
 * tag). Nothing goes to the public transparency log: the registry is the team's own.
 */
export function cosignSignArgs(pinned: string, opts: CosignOptions & { key: string }): string[] {
    return ["cosign", "sign", "--yes", "--key", opts.key, "--tlog-upload=false", ...keyPairFlags(opts), pinned];
}

/** `cosign verify` of a tag or digest reference. */
export function cosignVerifyArgs(reference: string, opts: CosignOptions = {}): string[] {
    if (opts.key) return ["cosign", "verify", "--key", opts.key, "--insecure-ignore-tlog=true", ...keyPairFlags(opts), reference];
    return [
        "cosign", "verify",
        `--certificate-identity-regexp=${opts.identityRegexp ?? GITHUB_IDENTITY}`,
        `--certificate-oidc-issuer=${opts.oidcIssuer ?? GITHUB_ISSUER}`,
        reference,
    ];
}

/** What signing needs of a release: its names, its scheme, its public key and the secret half of the pair. */
export type SigningTarget = Pick<ReleaseProps, "registry" | "repository" | "tag" | "insecure" | "sign"> & { signingKey?: Partial<ReleaseSigningKey> };

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
export async function checkSigningKey(p: SigningTarget): Promise<ReleaseSigningKey> {
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
export async function signAndVerify(p: SigningTarget, digest: string, key: ReleaseSigningKey, credentials: RegistryCredentials | undefined): Promise<SignatureRecord> {
    const base = `${p.registry}/${p.repository}`;
    const byTag = `${base}:${p.tag}`;
    const pinned = `${base}@${digest}`;
    const httpRegistry = p.insecure === true || isLoopbackRegistry(p.registry);
    const publicKey: string = normalisePem(p.sign!.publicKey);
    const env: Record<string, string> = { [KEY_VAR]: key.privateKey, [PUB_VAR]: publicKey, COSIGN_PASSWORD: key.password };
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
