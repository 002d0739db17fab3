import * as os from "node:os";
import * as pulumi from "@pulumi/pulumi";
import { Estate, parseConfig } from "./lib/config";
import { PROJECT, StackName } from "./lib/contract";
import { loginFromEnv } from "./lib/registry/access";
import { withConnectionReuse } from "./lib/host/ssh-reuse";

/**
 * Reads the selected stack's whole configuration once and parses it. Structured values arrive as
 * JSON strings; the secret `registryPassword` arrives decrypted and goes only to the registry
 * client and (as a secret) to the Docker providers. Falls back to REGISTRY_USERNAME / REGISTRY_PASSWORD in the
 * environment, and to the local user for `deployedBy`.
 */
export function loadEstate(env: NodeJS.ProcessEnv = process.env): Estate {
    const raw: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        // Other namespaces belong to providers (e.g. github:token, docker:host), not to the estate.
        if (key.startsWith(`${PROJECT}:`)) raw[key.slice(PROJECT.length + 1)] = parseValue(value);
    }
    fillCredentialsFromEnv(raw, env);
    if (raw.deployedBy === undefined) raw.deployedBy = env.IMAGE_LIFECYCLE_DEPLOYER || safeUser();
    return reuseConnections(parseConfig(raw, pulumi.getStack() as StackName), env);
}

/**
 * Every host's `sshOpts` gain SSH connection reuse (lib/host/ssh-reuse.ts), so the docker provider and
 * the host scripts of a class share one connection per run; the stack file keeps only what the team wrote.
 */
function reuseConnections(estate: Estate, env: NodeJS.ProcessEnv): Estate {
    if (estate.stack === "lyra") return { ...estate, lyra: { ...estate.lyra, sshOpts: withConnectionReuse(estate.lyra.sshOpts, env) } };
    const classes = Object.fromEntries(Object.entries(estate.classes).map(([name, c]) => [name, c && { ...c, sshOpts: withConnectionReuse(c.sshOpts, env) }]));
    return { ...estate, classes: classes as typeof estate.classes };
}

/** Where the registry password the program uses comes from, as the message of a refused login names it. */
export function registryPasswordSource(env: NodeJS.ProcessEnv = process.env): string | undefined {
    if (`${PROJECT}:registryPassword` in pulumi.runtime.allConfig()) return "the stack's registryPassword (it wins over REGISTRY_PASSWORD)";
    return env.REGISTRY_PASSWORD ? "REGISTRY_PASSWORD from the environment" : undefined;
}

/**
 * Completes the stack's registry login from the environment before parsing, so the parser checks it
 * like any other value. The rules are lib/registry/access.ts's (loginFromEnv).
 */
function fillCredentialsFromEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
    const registry = raw.registry;
    if (typeof registry !== "object" || registry === null || Array.isArray(registry)) return;
    const fill = loginFromEnv({ username: (registry as Record<string, unknown>).username, password: raw.registryPassword }, env);
    if (!fill) return;
    if (fill.username !== undefined) raw.registry = { ...registry, username: fill.username };
    raw.registryPassword = fill.password;
}

/** Objects and lists arrive as JSON text; a plain string (e.g. a numeric-looking name) stays a string. */
function parseValue(value: string): unknown {
    if (!/^\s*[[{]/.test(value)) return value;
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

function safeUser(): string {
    try {
        return os.userInfo().username;
    } catch {
        return "unknown";
    }
}
