/**
 * Stage 2 of the config pipeline (pipeline.ts): what the stack file says (parse.ts) shaped into the
 * estate the program, the CLI and the pack use. Defaults are the schema's; here `image` becomes
 * `repository`, digests take their inside form `sha256:<hex>`, names come from the mapping keys and
 * PEMs lose the stack file's line endings. Total: it never adds a problem, and what it makes of a
 * wrong value is never used, because validate.ts reports it and the pipeline then stops.
 */
import { CLASSES, LxcClassName } from "../contract";
import { normalisePem } from "../release/spec";
import { digestHex, fullDigest } from "../rules/digest";
import type { Parsed, ParsedLyra, ParsedProxima } from "./parse";
import type { AppConfig, ClassConfig, DevContainerConfig, Estate, ImageChoice, LyraEstate, ProximaEstate, RegistryConfig, ReleaseConfig } from "./types";

/** The image choice as written: `repository`, or `image`, its old name (ADR 0054). */
interface WrittenChoice {
    repository?: string;
    image?: string;
    tag?: string;
    digest?: string;
}

/** A digest is `sha256:<64 hex>` inside; the stack file may give the 64 hex alone. */
function insideDigest(digest: string): string {
    return fullDigest(digestHex(digest));
}

export function imageChoice(written: WrittenChoice): ImageChoice {
    return {
        repository: written.repository ?? written.image ?? "",
        ...(written.tag !== undefined ? { tag: written.tag } : {}),
        ...(written.digest !== undefined ? { digest: insideDigest(written.digest) } : {}),
    };
}

function common(p: Parsed): Pick<Estate, "registry" | "deployedBy"> {
    const { registry, registryPassword, deployedBy } = p.fields;
    const config: RegistryConfig = {
        host: registry?.host ?? "",
        insecure: registry?.insecure ?? false,
        ...(registry?.username !== undefined ? { username: registry.username } : {}),
        ...(registryPassword !== undefined ? { password: registryPassword } : {}),
    };
    return { registry: config, ...(deployedBy !== undefined ? { deployedBy } : {}) };
}

function lyra(p: ParsedLyra): LyraEstate {
    const devContainers = p.devContainers.map(([name, d]): DevContainerConfig => {
        const { image: _oldKey, ...rest } = d;
        return { name, ...rest, ...imageChoice(d) };
    });
    return { stack: "lyra", ...common(p), lyra: p.fields.lyra ?? { host: "", workspace: "", sshOpts: [] }, devContainers };
}

function proxima(p: ParsedProxima): ProximaEstate {
    const f = p.fields;
    const classes: Partial<Record<LxcClassName, ClassConfig>> = {};
    for (const [name, c] of p.classes) classes[name] = { name, ...c };
    // An app of an unknown class belongs to no class: validate.ts reports it, and no budget counts it.
    const apps = p.apps.filter(([, a]) => (CLASSES as readonly string[]).includes(a.class)).map(([name, a]): AppConfig => {
        const { image: _oldKey, ...rest } = a;
        return { name, ...rest, ...imageChoice(a), class: a.class as LxcClassName };
    });
    const releases = p.releases.map(([name, r]): ReleaseConfig => {
        const { image: _oldKey, repository: _key, digest, ...rest } = r;
        // The stack's digest is seed 004's 64 hex; inside, the spec's `sha256:<hex>`.
        return { name, repository: r.repository ?? r.image ?? "", digest: fullDigest(digest), ...rest };
    });
    const signing = f.cosignPublicKey !== undefined
        ? {
            publicKey: normalisePem(f.cosignPublicKey),
            ...(f.cosignKey !== undefined ? { privateKey: normalisePem(f.cosignKey) } : {}),
            ...(f.cosignPassword !== undefined ? { password: f.cosignPassword } : {}),
        }
        : undefined;
    return {
        stack: "proxima",
        ...common(p),
        org: f.org ?? "",
        classes,
        apps,
        releases,
        ...(signing ? { signing } : {}),
        ...(f.releaseGate ? { releaseGate: f.releaseGate } : {}),
    };
}

/** The estate the parsed stack file describes, each item's keys in the order they have always had. */
export function normalise(p: Parsed): Estate {
    return p.stack === "lyra" ? lyra(p) : proxima(p);
}
