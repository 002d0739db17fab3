/**
 * Cleanup against the registry: read a repository completely, and delete planned digests one by one,
 * each only after a fresh read shows it is still unwanted. The rules (docs/cleanup.md):
 * - a tool that deletes never acts on an incomplete picture: a tag the registry listed but did not
 *   serve stops the read, and so the apply, before anything is deleted;
 * - whatever a kept manifest refers to (an index's platform manifests) is kept;
 * - immediately before each DELETE the repository's tags and the deployed records are read again and
 *   the plan is made again: a digest that gained a tag, became deployed or became referenced stays.
 */
import { isNotFound, RegistryError } from "../errors";
import { gatherRepository, UnreadableTag } from "./overview";
import { manifestRefs } from "./manifests";
import { mapLimit } from "./limit";
import { ImageInfo, ListTagsOptions, Manifest } from "./types";
import { deletionOrder, DigestFacts, KeepReason, planRetention, PlannedDigest, RetentionPlan, RetentionRules } from "../rules/retention";
import { quoteValue } from "../format/text";

/** The registry calls cleanup needs (RegistryClient has them all). */
export interface CleanupSource {
    readonly registry: string;
    listTags(repository: string, opts?: ListTagsOptions): Promise<string[]>;
    resolve(repository: string, reference: string): Promise<string | undefined>;
    getManifest(repository: string, reference: string): Promise<Manifest>;
    imageInfoFromManifest(repository: string, manifest: Manifest): Promise<ImageInfo>;
    deleteManifest(repository: string, digest: string): Promise<void>;
}

/** What cleanup knows about one digest; immutable (content-addressed), so cached for the whole run. */
interface Known {
    created?: string;
    refs: string[];
}

/** The rules of one cleanup run, as for {@link planRetention} but without the clock. */
export type CleanupRules = Omit<Partial<RetentionRules>, "now">;

/** Pauses before asking again for a listed tag that answered 404 (then it stops cleanup). */
const REASK_PAUSES_MS = [100, 300, 600];

/** Longest time between the fresh read that cleared a digest and sending its DELETE. */
export const DELETE_CLAIM_WINDOW_MS = 500;

/** A planned digest left in place at apply time, and why. */
export interface KeptAtApply {
    digest: string;
    /** Its tags now. */
    tags: string[];
    /** Tags it gained since the plan. */
    newTags: string[];
    reasons: KeepReason[];
    referencedBy?: string[];
}

export interface ApplyResult {
    deleted: PlannedDigest[];
    /** Planned, but the fresh read before its DELETE found a reason to keep it. */
    kept: KeptAtApply[];
    /** Already gone when its DELETE was sent (someone else deleted it). */
    gone: PlannedDigest[];
    failed: { digest: string; error: string }[];
}

export interface ApplyOptions {
    rules: CleanupRules;
    /** Reads the deployed digests again (the deploy records may change while cleanup runs). */
    readDeployed: () => ReadonlySet<string>;
    onDeleted?: (p: PlannedDigest) => void;
    onKept?: (k: KeptAtApply) => void;
    claimWindowMs?: number;
    /** Clock, for tests of the claim window. */
    now?: () => number;
}

function refuseIncomplete(registry: string, repository: string, unreadable: readonly UnreadableTag[]): void {
    if (unreadable.length === 0) return;
    const shown = unreadable.slice(0, 5).map((u) => `"${quoteValue(u.tag, 80)}" (${u.reason})`).join("; ");
    const more = unreadable.length > 5 ? ` and ${unreadable.length - 5} more` : "";
    throw new RegistryError(
        "BAD_RESPONSE",
        { registry, repository },
        `The registry listed ${unreadable.length} tag(s) it then did not serve: ${shown}${more}. Cleanup does not plan or delete on an incomplete picture, so nothing was deleted. Run it again when the registry serves every tag it lists (a cache or proxy in front of it may answer 404 wrongly)`,
    );
}

/**
 * Reads a repository for cleanup. Holds what it learnt per digest (created, refs) so the re-reads
 * before each DELETE only fetch digests they have not seen.
 */
export class CleanupReader {
    private readonly known = new Map<string, Known>();

    constructor(private readonly source: CleanupSource, private readonly repository: string) {}

    /** The first, full read (one manifest GET per tag, as the overview does); throws when any tag is unreadable. */
    async initial(deployed: ReadonlySet<string>): Promise<DigestFacts[]> {
        const picture = await gatherRepository(this.source, this.repository);
        const byDigest = new Map<string, string[]>();
        for (const { tag, info } of picture.tags) {
            this.known.set(info.digest, { ...(info.created !== undefined ? { created: info.created } : {}), refs: info.refs ?? [] });
            byDigest.set(info.digest, [...(byDigest.get(info.digest) ?? []), tag]);
        }
        await this.askAgain(picture.unreadable, byDigest);
        return this.facts(byDigest, deployed);
    }

    /**
     * Asks a few more times, with pauses, for tags that were listed but answered 404 (a push or
     * promotion half-written shows that way for a moment); whatever still does not answer stops cleanup.
     * A 404 is never taken as "gone".
     */
    private async askAgain(unreadable: UnreadableTag[], byDigest: Map<string, string[]>): Promise<void> {
        let left = unreadable.filter((u) => u.retriable !== false);
        const invalid = unreadable.filter((u) => u.retriable === false);
        for (const pause of REASK_PAUSES_MS) {
            if (left.length === 0) break;
            await new Promise((r) => setTimeout(r, pause));
            const digests = await mapLimit(left, 8, (u) => this.source.resolve(this.repository, u.tag));
            const still: UnreadableTag[] = [];
            left.forEach((u, i) => {
                const d = digests[i];
                if (d === undefined) still.push(u);
                else byDigest.set(d, [...(byDigest.get(d) ?? []), u.tag]);
            });
            left = still;
        }
        refuseIncomplete(this.source.registry, this.repository, [...invalid, ...left]);
        const fresh = [...byDigest.keys()].filter((d) => !this.known.has(d));
        await mapLimit(fresh, 8, async (d) => {
            const info = await this.source.imageInfoFromManifest(this.repository, await this.source.getManifest(this.repository, d));
            this.known.set(d, { ...(info.created !== undefined ? { created: info.created } : {}), refs: info.refs ?? [] });
        });
    }

    /** A fresh read: the tag list and a HEAD per tag; digests never seen are fetched once. Throws when any tag is unreadable. */
    async again(deployed: ReadonlySet<string>): Promise<DigestFacts[]> {
        const unreadable: UnreadableTag[] = [];
        const tags = await this.source.listTags(this.repository, {
            onInvalidTag: (tag) => unreadable.push({ tag, reason: "the registry listed a name that is not a valid tag", retriable: false }),
        });
        const digests = await mapLimit(tags, 16, (t) => this.source.resolve(this.repository, t));
        const byDigest = new Map<string, string[]>();
        tags.forEach((tag, i) => {
            const d = digests[i];
            if (d === undefined) unreadable.push({ tag, reason: "listed, but its manifest answered HTTP 404" });
            else byDigest.set(d, [...(byDigest.get(d) ?? []), tag]);
        });
        await this.askAgain(unreadable, byDigest);
        return this.facts(byDigest, deployed);
    }

    /**
     * Facts for the planner: every tagged digest, plus every untagged digest that a tagged or deployed
     * one refers to (fetched once, so an untagged child index's own children are protected too) and
     * every deployed digest that is still in the registry.
     */
    private async facts(byDigest: Map<string, string[]>, deployed: ReadonlySet<string>): Promise<DigestFacts[]> {
        const out = new Map<string, DigestFacts>();
        const add = (digest: string, tags: string[]) => {
            const k = this.known.get(digest)!;
            out.set(digest, { digest, tags, refs: k.refs, ...(k.created !== undefined ? { created: k.created } : {}) });
        };
        for (const [d, tags] of byDigest) add(d, tags);
        let pending = [...new Set([...deployed, ...[...out.values()].flatMap((f) => f.refs ?? [])])].filter((d) => !out.has(d));
        while (pending.length) {
            const next: string[] = [];
            for (const d of pending) {
                if (out.has(d)) continue;
                if (!this.known.has(d)) {
                    let manifest: Manifest;
                    try {
                        manifest = await this.source.getManifest(this.repository, d);
                    } catch (e) {
                        // A deployed digest or a referenced manifest that is not here has nothing of ours to protect.
                        if (isNotFound(e)) continue;
                        throw e;
                    }
                    this.known.set(d, { refs: manifestRefs(manifest.json) });
                }
                add(d, []);
                next.push(...(this.known.get(d)!.refs.filter((r) => !out.has(r))));
            }
            pending = [...new Set(next)];
        }
        return [...out.values()];
    }
}

/** Reads the repository and plans; throws (nothing planned) when the picture is incomplete. */
export async function planCleanup(source: CleanupSource, repository: string, deployed: ReadonlySet<string>, rules: CleanupRules, now = new Date()): Promise<{ plan: RetentionPlan; reader: CleanupReader }> {
    const reader = new CleanupReader(source, repository);
    const facts = await reader.initial(deployed);
    return { plan: planRetention(facts, deployed, { ...rules, now }), reader };
}

/** Fresh reads tried for one digest before it is left in place as "could not be cleared in time". */
const MAX_CLEARING_ATTEMPTS = 5;

/**
 * Deletes the planned digests, parents before children. Before each DELETE: read the deploy records
 * and the repository again (tag list + a HEAD per tag) and plan again; the digest goes only if the
 * fresh plan deletes it too. Then one more tag list, the last request before the DELETE: a tag that
 * appeared since the fresh read (a promotion landing) sends the digest back to a fresh read, and the
 * DELETE goes out within `claimWindowMs` of that list's request or not at all. An incomplete fresh
 * read stops the apply there (what was deleted stays reported). A DELETE that fails is reported and
 * the rest go on.
 */
export async function applyCleanup(source: CleanupSource, reader: CleanupReader, repository: string, plan: RetentionPlan, opts: ApplyOptions): Promise<ApplyResult> {
    const claimWindowMs = opts.claimWindowMs ?? DELETE_CLAIM_WINDOW_MS;
    const now = opts.now ?? Date.now;
    const result: ApplyResult = { deleted: [], kept: [], gone: [], failed: [] };
    for (const p of deletionOrder(plan.delete)) {
        let cleared = false;
        for (let attempt = 0; attempt < MAX_CLEARING_ATTEMPTS && !cleared; attempt++) {
            const deployed = opts.readDeployed();
            const facts = await reader.again(deployed);
            const known = new Set(facts.flatMap((f) => f.tags));
            if (!facts.some((f) => f.digest === p.digest)) facts.push({ digest: p.digest, tags: [] });
            const fresh = planRetention(facts, deployed, { ...opts.rules, now: new Date(now()) });
            const keep = fresh.keep.find((k) => k.digest === p.digest);
            if (keep) {
                const kept: KeptAtApply = {
                    digest: p.digest,
                    tags: keep.tags,
                    newTags: keep.tags.filter((t) => !p.tags.includes(t)),
                    reasons: keep.reasons,
                    ...(keep.referencedBy ? { referencedBy: keep.referencedBy } : {}),
                };
                result.kept.push(kept);
                opts.onKept?.(kept);
                cleared = true;
                break;
            }
            const listedAt = now();
            let changed = false;
            const last = await source.listTags(repository, { onInvalidTag: () => { changed = true; } });
            if (changed || last.some((t) => !known.has(t)) || now() - listedAt > claimWindowMs) continue;
            cleared = true;
            try {
                await source.deleteManifest(repository, p.digest);
                result.deleted.push(p);
                opts.onDeleted?.(p);
            } catch (e) {
                if (isNotFound(e)) result.gone.push(p);
                else if (e instanceof RegistryError) result.failed.push({ digest: p.digest, error: e.message });
                else throw e;
            }
        }
        if (!cleared) {
            result.failed.push({
                digest: p.digest,
                error: `Left in place: the repository kept changing (or answered too slowly) while cleanup re-checked ${p.digest} ${MAX_CLEARING_ATTEMPTS} times. Run cleanup again when no push or promotion is running`,
            });
        }
    }
    return result;
}
