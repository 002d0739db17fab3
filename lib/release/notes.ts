/**
 * Release notes in the shape of seed 004: release information, manifest details (collapsed),
 * verification and pull commands, a deployment snippet. Pure: the caller fetches the facts.
 */
import type { ImageInfo, Manifest } from "../registry/types";
import { mdCode, mdFence, mdWord, printable } from "../format/text";
import { CosignOptions, cosignVerifyArgs } from "./cosign";

export interface ReleaseNotesInput {
    registry: string;
    repository: string;
    tag: string;
    /** `sha256:…`. */
    digest: string;
    /** The promoted manifest (an index lists its platform manifests). */
    manifest: Pick<Manifest, "mediaType" | "json">;
    info: Pick<ImageInfo, "platforms" | "layers" | "size">;
    /** GitHub Actions run URL, when known. */
    run?: string;
    /**
     * How the release was signed; verification then shows `cosign verify`. Key pair: the public key and
     * the registry's scheme; keyless (GitHub OIDC, the workflow's way): the identity options.
     */
    cosign?: NotesSigning | CosignOptions;
    /** Service name for the compose snippet; default: the repository's last path component. */
    service?: string;
}

/** Humanised byte count (binary units, one decimal). */
export function formatSize(bytes: number): string {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = bytes;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) {
        v /= 1024;
        i++;
    }
    return i === 0 ? `${bytes} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** What the release notes need to show a key-pair verification: the public key itself, and the registry's scheme. */
export interface NotesSigning {
    /** PEM of the public key, printed in the notes so the verify command works as copied. */
    publicKey: string;
    httpRegistry: boolean;
}

/** The name the notes tell readers to save the public key under. */
export const PUBLIC_KEY_FILE = "cosign.pub";

/** Joins argv into a POSIX shell line, quoting where needed. */
export function shellLine(argv: string[]): string {
    return argv.map((s) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/**
 * The index's entries for the code block. Every field comes from the registry: each is made one
 * printable line, so none can end the block or start Markdown of its own (the fence is also chosen
 * longer than any backtick run in the block).
 */
function platformLines(input: ReleaseNotesInput): string[] {
    const base = `${input.registry}/${input.repository}`;
    const list = Array.isArray(input.manifest.json.manifests) ? (input.manifest.json.manifests as unknown[]) : [];
    if (list.length === 0) return [];
    const lines = ["", "Manifests:"];
    for (const entry of list) {
        const m = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
        const p = (typeof m.platform === "object" && m.platform !== null ? m.platform : {}) as Record<string, unknown>;
        const platform = [p.os, p.architecture, p.variant].filter((x) => typeof x === "string" && x !== "").join("/") || "unknown";
        lines.push(`  Name:      ${base}@${printable(m.digest, { max: 100 })}`, `  MediaType: ${printable(m.mediaType, { max: 100 })}`, `  Platform:  ${printable(platform, { max: 100 })}`, "");
    }
    return lines;
}

/** The Markdown release notes. */
export function renderReleaseNotes(input: ReleaseNotesInput): string {
    const base = `${input.registry}/${input.repository}`;
    const byTag = `${base}:${input.tag}`;
    const pinned = `${base}@${input.digest}`;
    const service = input.service ?? input.repository.split("/").pop()!;
    const lines: string[] = [
        "## Release Information",
        "",
        `**Image**: ${mdCode(byTag)}`,
        `**Digest**: ${mdCode(input.digest)}`,
    ];
    if (input.run) lines.push(`**Workflow Run**: [${input.run.split("/").pop()}](${input.run})`);
    // Registry-supplied values outside a code block are inline code spans: data, never Markdown.
    const block = [
        `Name:      ${byTag}`,
        `MediaType: ${printable(input.manifest.mediaType, { max: 100 })}`,
        `Digest:    ${input.digest}`,
        ...platformLines(input),
        "",
        "Layers:",
        ...input.info.layers.map((l) => `  ${printable(l, { max: 100 })}`),
    ];
    const fence = mdFence(block.join("\n"));
    lines.push(
        `**Platforms**: ${input.info.platforms.length ? input.info.platforms.map((p) => mdWord(printable(p, { max: 100 }))).join(", ") : "unknown"}`,
        `**Total size**: ${formatSize(input.info.size)} (${input.info.size} bytes, config + layers${input.info.platforms.length > 1 ? " of the first platform" : ""})`,
        "",
        "### Manifest Details",
        "",
        "<details>",
        "<summary>Click to view the manifest</summary>",
        "",
        fence,
        ...block,
        fence,
        "",
        "</details>",
        "",
        "### Verification",
        "",
        "```bash",
    );
    const keyPair = input.cosign && "publicKey" in input.cosign ? input.cosign : undefined;
    if (input.cosign) {
        const opts: CosignOptions = keyPair ? { key: PUBLIC_KEY_FILE, httpRegistry: keyPair.httpRegistry } : (input.cosign as CosignOptions);
        lines.push(shellLine(cosignVerifyArgs(byTag, opts)), shellLine(cosignVerifyArgs(pinned, opts)));
    }
    lines.push(
        `docker buildx imagetools inspect ${byTag}`,
        `docker pull ${pinned}`,
        "```",
        "",
        ...(keyPair ? publicKeyLines(keyPair) : []),
        "### Deployment",
        "",
        "Run it pinned by digest (the tag is for humans):",
        "",
        "```yaml",
        "services:",
        `  ${service}:`,
        `    image: ${pinned}`,
        "    restart: unless-stopped",
        "```",
        "",
    );
    return lines.join("\n");
}

/**
 * The public key the verify commands name, as the notes print it: the configured PEM's own lines only
 * (the config accepts nothing else), inside a fence no line of it can close.
 */
function publicKeyLines(signing: NotesSigning): string[] {
    const pem = signing.publicKey.trim().split("\n").map((l) => printable(l, { max: 100 }));
    const fence = mdFence(pem.join("\n"));
    return [
        `Signed with a cosign key pair. Save this public key as ${mdCode(PUBLIC_KEY_FILE)} before running the commands above; ` +
            `${mdCode("--insecure-ignore-tlog=true")} is there because the signature was not uploaded to the public transparency log` +
            `${signing.httpRegistry ? `, and ${mdCode("--allow-http-registry=true")} because this registry is plain HTTP` : ""}.`,
        "",
        fence,
        ...pem,
        fence,
        "",
    ];
}
