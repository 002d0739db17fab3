/**
 * The rules that span fields or items of a stack's configuration (a repository path without a
 * registry, one digest form, ports, budgets, the workspace, signing keys). Each adds problems to the
 * list it is given instead of throwing, so one run reports every problem.
 */
import { CLASSES } from "../contract";
import { checkDigestInput, checkTagCharset, checkTagPolicy } from "../rules/tags";
import { digestHex, fullDigest } from "../rules/digest";
import { parseReference } from "../rules/reference";
import { weakensHostKeys } from "../rules/ssh-options";
import { NAMES } from "../contract";
import type { AppConfig, ClassConfig, DevVolume, ImageChoice, Port } from "./types";
import type { ReleaseStackEntry } from "../release/spec";

export type Problem = { path: string; message: string };

/** The host rule of parseReference (a bare path takes the default registry, which it then checks). */
export function isRegistryHost(host: string): boolean {
    try {
        parseReference("probe", host);
        return true;
    } catch {
        return false;
    }
}

export function checkRepository(problems: Problem[], at: string, image: string): void {
    try {
        const ref = parseReference(image, "registry.invalid", at);
        if (ref.registry !== "registry.invalid") {
            problems.push({ path: at, message: `give the repository path only (e.g. ${ref.repository}); the registry comes from registry.host` });
        } else if (ref.tag !== undefined || ref.digest !== undefined) {
            problems.push({ path: at, message: `give the repository path only (e.g. ${ref.repository}); put the tag in "tag" and the digest in "digest"` });
        }
    } catch (e) {
        problems.push({ path: at, message: (e as Error).message });
    }
}

/** Digests in the stack file are `sha256:<64 hex>`; the bare 64 hex is accepted and completed. */
export function checkStackDigest(problems: Problem[], at: string, digest: string | undefined): string | undefined {
    if (digest === undefined) return undefined;
    const hex = digestHex(digest);
    const rule = checkDigestInput(hex);
    if (!rule.ok) {
        problems.push({ path: at, message: `${rule.message}: expected sha256:<64 lowercase hex>, e.g. from "image-lifecycle overview --json"` });
        return undefined;
    }
    return fullDigest(hex);
}

/**
 * The repository of an app, dev container or release: the `repository` key, or `image`, its old name (ADR
 * 0054). Problems name the key the stack file uses.
 */
export function checkRepositoryKey(problems: Problem[], at: string, item: { repository?: string; image?: string }): string {
    if (item.repository !== undefined && item.image !== undefined) {
        problems.push({ path: `${at}.image`, message: "image is the old name of repository; keep repository and remove image" });
    }
    const key = item.repository !== undefined ? "repository" : "image";
    const repository = item.repository ?? item.image;
    if (repository === undefined) {
        problems.push({ path: `${at}.repository`, message: "required: the repository path in the registry, e.g. team/app; see docs/program.md" });
        return "";
    }
    checkRepository(problems, `${at}.${key}`, repository);
    return repository;
}

export function checkChoice(problems: Problem[], at: string, choice: { repository?: string; image?: string; tag?: string; digest?: string }): ImageChoice {
    const repository = checkRepositoryKey(problems, at, choice);
    if (choice.tag === undefined && choice.digest === undefined) {
        problems.push({ path: at, message: "neither tag nor digest given; set tag (resolved at preview) or digest (wins over the tag)" });
    }
    if (choice.tag !== undefined) {
        const rule = checkTagCharset(choice.tag);
        if (!rule.ok) problems.push({ path: `${at}.tag`, message: `${rule.message}. ${rule.fix}` });
    }
    const digest = checkStackDigest(problems, `${at}.digest`, choice.digest);
    return { repository, ...(choice.tag !== undefined ? { tag: choice.tag } : {}), ...(digest ? { digest } : {}) };
}

export function checkPorts(problems: Problem[], group: string, items: { at: string; ports: Port[] }[]): void {
    const seen = new Map<string, string>();
    for (const { at, ports } of items) {
        ports.forEach((p, i) => {
            const key = `${p.external}/${p.protocol}`;
            const other = seen.get(key);
            if (other) problems.push({ path: `${at}.ports.${i}.external`, message: `port ${key} is already published by ${other} in ${group}; choose another external port` });
            else seen.set(key, at);
        });
    }
}

/**
 * Releases with `sign: true` need the key pair. A secret read offline from a stack file is present but
 * encrypted (configFromStackFile keeps its key with no value): it counts as set.
 */
export function checkSigning(problems: Problem[], input: Record<string, unknown>, signed: string[]): void {
    if (signed.length === 0) return;
    const by = `${signed.join(", ")} ${signed.length === 1 ? "has" : "have"} sign: true`;
    const set = (key: string) => Object.prototype.hasOwnProperty.call(input, key);
    if (!set("cosignPublicKey")) problems.push({ path: "cosignPublicKey", message: `required because ${by}; set it to the text of cosign.pub (cosign generate-key-pair; docs/promotion.md)` });
    if (!set("cosignKey")) problems.push({ path: "cosignKey", message: `required because ${by}; pulumi config set --secret cosignKey < cosign.key` });
    if (!set("cosignPassword")) problems.push({ path: "cosignPassword", message: `required because ${by}; pulumi config set --secret cosignPassword (the password cosign.key was generated with)` });
}

/**
 * Keys that JavaScript objects treat specially: parsed into a plain object they vanish or change its
 * prototype instead of holding data. Reported wherever they appear, never dropped silently.
 */
const RESERVED_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export function reservedKeys(problems: Problem[], value: unknown, at: string): void {
    if (typeof value !== "object" || value === null) return;
    if (Array.isArray(value)) {
        value.forEach((v, i) => reservedKeys(problems, v, `${at}.${i}`));
        return;
    }
    for (const key of Object.keys(value)) {
        const here = at ? `${at}.${key}` : key;
        if (RESERVED_KEYS.has(key)) problems.push({ path: here, message: `"${key}" cannot be used as a name or key (JavaScript reserves it); rename it` });
        else reservedKeys(problems, (value as Record<string, unknown>)[key], here);
    }
}

/** Bind mounts of a dev container stay below Lyra's workspace. */
export function checkWorkspaceBinds(problems: Problem[], at: string, volumes: readonly DevVolume[], workspace: string | undefined): void {
    volumes.forEach((v, i) => {
        if (v.hostPath !== undefined && workspace !== undefined && v.hostPath !== workspace && !v.hostPath.startsWith(`${workspace}/`)) {
            problems.push({ path: `${at}.volumes.${i}.hostPath`, message: `bind mount outside the workspace ${workspace}; mount a path below it or drop hostPath for a temporary volume` });
        }
    });
}

/** Apps of a class fit its budget, and publish distinct ports. */
export function checkBudgets(problems: Problem[], apps: readonly AppConfig[], classes: Partial<Record<string, ClassConfig>>): void {
    for (const klass of CLASSES) {
        const members = apps.filter((a) => a.class === klass);
        checkPorts(problems, `class ${klass}`, members.map((a) => ({ at: `apps.${a.name}`, ports: a.ports })));
        const budget = classes[klass]?.budget;
        if (!budget || members.length === 0) continue;
        const memory = members.reduce((s, a) => s + a.limits.memoryMb, 0);
        // Sum in hundredths so 0.1 + 0.2 does not exceed a 0.3 budget.
        const cpus = members.reduce((s, a) => s + Math.round(a.limits.cpus * 100), 0) / 100;
        if (memory > budget.memoryMb) {
            problems.push({ path: `classes.${klass}.budget.memoryMb`, message: `apps of class ${klass} need ${memory} MiB in total, over the budget of ${budget.memoryMb}; lower their limits.memoryMb or raise the budget` });
        }
        if (cpus > budget.cpus) {
            problems.push({ path: `classes.${klass}.budget.cpus`, message: `apps of class ${klass} need ${cpus} CPUs in total, over the budget of ${budget.cpus}; lower their limits.cpus or raise the budget` });
        }
    }
}

/** A release's digest is seed 004's 64 hex, its tag a valid tag that the tag policy accepts (or a recorded bypass). */
export function checkRelease(problems: Problem[], at: string, r: Pick<ReleaseStackEntry, "digest" | "tag" | "allowNonSemver" | "justification"> & { repository?: string; image?: string }): string {
    const repository = checkRepositoryKey(problems, at, r);
    const digest = checkDigestInput(r.digest);
    if (!digest.ok) problems.push({ path: `${at}.digest`, message: `${digest.message}. ${digest.fix}` });
    const charset = checkTagCharset(r.tag);
    if (!charset.ok) problems.push({ path: `${at}.tag`, message: `${charset.message}. ${charset.fix}` });
    else {
        const policy = checkTagPolicy(r.tag, { allowNonSemver: r.allowNonSemver, justification: r.justification });
        if (!policy.ok) problems.push({ path: `${at}.tag`, message: `${policy.message}. ${policy.fix}` });
    }
    return repository;
}

/** Host-key checking stays on for the product's SSH: sshOpts that turn it off are refused. */
export function checkSshOpts(problems: Problem[], at: string, sshOpts: readonly string[]): void {
    const weak = weakensHostKeys(sshOpts);
    if (weak) problems.push({ path: at, message: `"${weak}" turns host-key checking off, which the product never does; remove it and add the host's key to known_hosts (ssh-keyscan, checked by hand)` });
}

/**
 * Two apps of a class whose volumes get one Docker name (`<class>-<app>-<volume>`: `api` + `x-data` and
 * `api-x` + `data` both give `core-api-x-data`) would share a volume: refused, naming both.
 */
export function checkVolumeNames(problems: Problem[], apps: readonly AppConfig[]): void {
    const seen = new Map<string, string>();
    for (const a of apps) {
        for (const v of a.volumes) {
            const name = NAMES.classVolume(a.class, a.name, v.name);
            const first = seen.get(name);
            if (first !== undefined) {
                problems.push({ path: `apps.${a.name}.volumes`, message: `volume "${v.name}" is named ${name} on the host, as ${first} is; rename one of the two volumes` });
            } else seen.set(name, `apps.${a.name}'s volume "${v.name}"`);
        }
    }
}
