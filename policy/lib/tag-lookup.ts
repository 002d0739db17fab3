/**
 * One registry question per release tag, shared by the two policies that need the answer
 * (`release-tag-immutable` reports a conflict, `release-registry-reachable` reports when there is no
 * answer), so a preview asks the registry once per tag, never twice.
 */
import type { ResourceValidationArgs } from "@pulumi/policy";
import { clientFromEnv } from "../../lib/registry/access";
import type { RegistryApi } from "../../lib/registry/types";
import { checkDigestInput, checkTagCharset } from "../../lib/rules/tags";
import { configWithDefaults } from "./policy-config";
import { isRelease } from "./resources";
import { field } from "./values";

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

/** A release's tag question, with the 64-hex digest it wants the tag to keep. */
export type ReleaseQuery = TagQuery & { digest: string };

/** The config both release registry policies take. */
interface RegistryLookupConfig {
    timeoutMs: number;
}

export const registryLookupSchema = {
    properties: {
        timeoutMs: { type: "integer" as const, minimum: 100, default: 10000, description: "Per-request timeout when asking the registry about a release tag." },
    },
};

/**
 * The registry question for a release, or undefined when its inputs are unusable; other policies
 * (tag policy, digest format) report those, so the registry is not asked about a malformed release.
 */
function releaseQuery(props: unknown, timeoutMs: number): ReleaseQuery | undefined {
    const registry = field(props, "registry");
    const repository = field(props, "repository");
    const tag = field(props, "tag");
    const digest = field(props, "digest");
    if (typeof registry !== "string" || registry === "" || typeof repository !== "string" || repository === "") return undefined;
    if (!checkTagCharset(tag).ok || !checkDigestInput(digest).ok) return undefined;
    return { registry, repository, tag: tag as string, digest: digest as string, insecure: field(props, "insecure") === true, timeoutMs };
}

/**
 * The prelude of both release registry policies: for a well-formed release, its question and the
 * (shared, cached) registry answer; undefined for any other resource or a malformed release.
 */
export async function lookupRelease(args: ResourceValidationArgs): Promise<{ q: ReleaseQuery; answer: TagLookup } | undefined> {
    if (!isRelease(args.type, args.props)) return undefined;
    const { timeoutMs } = configWithDefaults<RegistryLookupConfig>(registryLookupSchema, args.getConfig());
    const q = releaseQuery(args.props, timeoutMs);
    return q && { q, answer: await lookupTag(q) };
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
