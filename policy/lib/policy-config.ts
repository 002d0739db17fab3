import type { PolicyConfigSchema } from "@pulumi/policy";

/**
 * A policy's config with the schema's defaults filled in. The Pulumi CLI normally applies the defaults
 * before the pack sees them; applying them here too keeps a policy correct when it is run without the
 * CLI (tests, benchmarks) or when a config file sets only some properties.
 */
export function configWithDefaults<T extends object>(schema: PolicyConfigSchema, given: object | undefined): T {
    const out: Record<string, unknown> = {};
    for (const [key, prop] of Object.entries(schema.properties)) {
        if (prop.default !== undefined) out[key] = structuredClone(prop.default);
    }
    for (const [key, value] of Object.entries(given ?? {})) {
        if (value !== undefined) out[key] = value;
    }
    return out as T;
}
