/** Stack files (`Pulumi.<stack>.yaml`) read offline, without the Pulumi CLI: what the CLI and policy tests parse. */
import { PROJECT } from "../contract";
import { ValidationError } from "../errors";

/**
 * The `config:` block of a `Pulumi.<stack>.yaml` (already parsed from YAML) with the project prefix
 * stripped: the raw input of parseConfig. Keys of other namespaces (provider config such as
 * `github:token`) are left out, as the program leaves them out of the estate.
 */
export function configFromStackFile(stackFile: unknown): Record<string, unknown> {
    const config = (stackFile as { config?: unknown } | null)?.config ?? {};
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
        throw new ValidationError("config", "The stack file's config: is not a mapping. Fix Pulumi.<stack>.yaml.");
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
        // defineProperty: a key such as "__proto__" must stay a key, so parseConfig can report it.
        if (key.startsWith(`${PROJECT}:`)) Object.defineProperty(out, key.slice(PROJECT.length + 1), { value: unwrapSecure(value), enumerable: true, configurable: true, writable: true });
    }
    return out;
}

/** `{ secure: "…" }` is an encrypted value only the Pulumi CLI can read; leave it out of offline parsing. */
function unwrapSecure(value: unknown): unknown {
    if (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value) return undefined;
    return value;
}
