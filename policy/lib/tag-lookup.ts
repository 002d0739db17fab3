/**
 * One registry question per release tag, shared by the two policies that need the answer
 * (`release-tag-immutable` reports a conflict, `release-registry-reachable` reports when there is no
 * answer), so a preview asks the registry once per tag, never twice.
 */
import { clientFromEnv } from "../../lib/registry/client";
import type { RegistryApi } from "../../lib/registry/types";

/** What the registry said about `repository:tag`. */
export type TagLookup =
    | { ok: true; /** The digest the tag points at now; undefined when the tag does not exist. */ digest: string | undefined }
    | { ok: false; /** Why the registry could not answer (never contains credentials). */ error: string };

export interface TagQuery {
    registry: string;
    repository: string;
    tag: string;
    insecure?: boolean;
    timeoutMs: number;
}

/** Makes the client for a registry; credentials come from REGISTRY_USERNAME / REGISTRY_PASSWORD. */
export type ClientFactory = (registry: string, opts: { insecure?: boolean; timeoutMs: number }) => RegistryApi;

const defaultFactory: ClientFactory = (registry, opts) =>
    clientFromEnv(registry, process.env, { insecure: opts.insecure, timeoutMs: opts.timeoutMs, retries: 1 });

const cache = new Map<string, Promise<TagLookup>>();
const clients = new Map<string, RegistryApi>();
let factory: ClientFactory = defaultFactory;

/** Asks (once per registry, repository and tag) which digest the tag points at. Never rejects. */
export function lookupTag(q: TagQuery): Promise<TagLookup> {
    const key = `${q.registry}/${q.repository}:${q.tag}`;
    let hit = cache.get(key);
    if (!hit) {
        hit = ask(q);
        cache.set(key, hit);
    }
    return hit;
}

async function ask(q: TagQuery): Promise<TagLookup> {
    try {
        const clientKey = `${q.registry}|${q.insecure ? "insecure" : "secure"}`;
        let client = clients.get(clientKey);
        if (!client) {
            client = factory(q.registry, { insecure: q.insecure, timeoutMs: q.timeoutMs });
            clients.set(clientKey, client);
        }
        return { ok: true, digest: await client.resolve(q.repository, q.tag) };
    } catch (e) {
        return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
}

/**
 * Forgets cached answers, and optionally swaps how clients are made (e.g. a shorter timeout or a
 * request counter in tests). One preview is one process, so the pack itself never needs this.
 */
export function resetTagLookups(next?: ClientFactory): void {
    cache.clear();
    clients.clear();
    factory = next ?? defaultFactory;
}
