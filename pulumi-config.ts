import * as os from "node:os";
import * as pulumi from "@pulumi/pulumi";
import { Estate, PROJECT, parseConfig, StackName } from "./lib/config";

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
    return parseConfig(raw, pulumi.getStack() as StackName);
}

/**
 * The environment's REGISTRY_PASSWORD belongs with a user name: the stack's `registry.username`, else
 * REGISTRY_USERNAME (which then fills it in). A password with no user name anywhere is ignored, as the
 * registry client ignores one, instead of failing the config.
 */
function fillCredentialsFromEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
    if (raw.registryPassword !== undefined || !env.REGISTRY_PASSWORD) return;
    const registry = raw.registry;
    if (typeof registry !== "object" || registry === null || Array.isArray(registry)) return;
    const stackUser = (registry as Record<string, unknown>).username;
    if (stackUser === undefined) {
        if (!env.REGISTRY_USERNAME) return;
        raw.registry = { ...registry, username: env.REGISTRY_USERNAME };
    }
    raw.registryPassword = env.REGISTRY_PASSWORD;
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
