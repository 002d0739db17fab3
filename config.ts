import * as os from "node:os";
import * as pulumi from "@pulumi/pulumi";
import { Estate, PROJECT, parseConfig, StackName } from "./lib/config";

/**
 * Reads the selected stack's whole configuration once and parses it. Structured values arrive as
 * JSON strings; the secret `registryPassword` arrives decrypted and goes only to the registry
 * client and (as a secret) to the Docker providers. Falls back to REGISTRY_PASSWORD in the
 * environment, and to the local user for `deployedBy`.
 */
export function loadEstate(env: NodeJS.ProcessEnv = process.env): Estate {
    const raw: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        // Other namespaces belong to providers (e.g. github:token, docker:host), not to the estate.
        if (key.startsWith(`${PROJECT}:`)) raw[key.slice(PROJECT.length + 1)] = parseValue(value);
    }
    if (raw.registryPassword === undefined && env.REGISTRY_PASSWORD) raw.registryPassword = env.REGISTRY_PASSWORD;
    if (raw.deployedBy === undefined) raw.deployedBy = env.IMAGE_LIFECYCLE_DEPLOYER || safeUser();
    return parseConfig(raw, pulumi.getStack() as StackName);
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
