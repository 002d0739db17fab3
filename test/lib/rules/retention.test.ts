import { strict as assert } from "node:assert";
import { deletionOrder, DigestFacts, describeReason, parseAge, planRetention } from "../../../lib/rules/retention";
import { isSemverReleaseTag } from "../../../lib/rules/tags";

const DAY = 86400000;
const NOW = new Date("2026-02-01T00:00:00Z");
const d = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

/** mulberry32: a small seeded PRNG, so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

describe("lib/retention", () => {
    it("keeps deployed, semver, channel and the last N; the rest may go", () => {
        const facts: DigestFacts[] = [
            { digest: d(1), tags: ["a1"], created: ago(1) },
            { digest: d(2), tags: ["a2"], created: ago(2) },
            { digest: d(3), tags: ["a3", "v1.0.0"], created: ago(30) },
            { digest: d(4), tags: ["a4"], created: ago(40) },
            { digest: d(5), tags: ["a5"], created: ago(50) },
            { digest: d(6), tags: ["stable"], created: ago(60) },
            { digest: d(7), tags: ["a7"], created: ago(70) },
        ];
        const plan = planRetention(facts, new Set([d(5)]), { keepLast: 2, now: NOW });
        assert.deepEqual(plan.delete.map((x) => x.digest), [d(4), d(7)]);
        const why = Object.fromEntries(plan.keep.map((x) => [x.digest, x.reasons]));
        assert.deepEqual(why, { [d(1)]: ["last-n"], [d(2)]: ["last-n"], [d(3)]: ["semver-tag"], [d(5)]: ["deployed"], [d(6)]: ["channel-tag"] });
    });

    it("min-age keeps young builds and builds without a date", () => {
        const facts: DigestFacts[] = [
            { digest: d(1), tags: ["a"], created: ago(3) },
            { digest: d(2), tags: ["b"], created: ago(10) },
            { digest: d(3), tags: ["c"] },
        ];
        const plan = planRetention(facts, new Set(), { keepLast: 0, minAgeMs: parseAge("7d"), now: NOW });
        assert.deepEqual(plan.delete.map((x) => x.digest), [d(2)]);
        assert.deepEqual(plan.keep.map((x) => [x.digest, x.reasons]), [[d(1), ["younger-than-min-age"]], [d(3), ["no-created-date"]]]);
        // Without min-age an undated build is not "last N" (its place is unknown) and may go.
        assert.deepEqual(planRetention(facts, new Set(), { keepLast: 5, now: NOW }).delete.map((x) => x.digest), [d(3)]);
    });

    it("merges duplicate digests and their tags", () => {
        const plan = planRetention([{ digest: d(1), tags: ["x"], created: ago(100) }, { digest: d(1), tags: ["v2.0.0"] }], new Set(), { keepLast: 0, now: NOW });
        assert.equal(plan.keep.length, 1);
        assert.deepEqual(plan.keep[0].tags, ["v2.0.0", "x"]);
    });

    it("parses ages and refuses nonsense", () => {
        assert.equal(parseAge("7d"), 7 * DAY);
        assert.equal(parseAge("12h"), 12 * 3600000);
        assert.equal(parseAge("2w"), 14 * DAY);
        for (const bad of ["7", "d", "-1d", "1.5d", "7 days"]) assert.throws(() => parseAge(bad), /Invalid age/);
        assert.throws(() => planRetention([], new Set(), { keepLast: -1, now: NOW }), /keepLast/);
        assert.equal(describeReason("last-n", { keepLast: 3 }), "one of the last 3 builds");
    });

    it("property: over 500 random registries it never deletes a deployed or semver/channel-tagged digest, and partitions all digests", () => {
        const TAGS = ["v1.0.0", "v1.0.0-rc.1", "v2.3.4", "v1.2", "1.0.0", "stable", "latest", "main", "feature-x", "release-2024"];
        for (let seed = 1; seed <= 500; seed++) {
            const rnd = prng(seed);
            const int = (n: number) => Math.floor(rnd() * n);
            const count = int(40);
            // Distinct timestamps so "newer than" is unambiguous for the oracle below.
            const times = Array.from({ length: count }, (_, i) => i).sort(() => rnd() - 0.5);
            const facts: DigestFacts[] = [];
            for (let i = 0; i < count; i++) {
                const tags = new Set<string>([`sha${seed}x${i}`]);
                for (let k = int(3); k > 0; k--) tags.add(TAGS[int(TAGS.length)]);
                const dated = rnd() < 0.85;
                facts.push({ digest: d(seed * 1000 + i), tags: [...tags], ...(dated ? { created: ago(times[i] * 1.5) } : {}) });
                if (rnd() < 0.1) facts.push({ digest: d(seed * 1000 + i), tags: [`dup${i}`] });
            }
            const deployed = new Set(facts.filter(() => rnd() < 0.2).map((f) => f.digest));
            if (rnd() < 0.3) deployed.add(d(999999999)); // deployed but no longer in the registry
            const keepLast = int(8);
            const minAgeMs = rnd() < 0.5 ? int(20) * DAY : undefined;
            const plan = planRetention(facts, deployed, { keepLast, now: NOW, ...(minAgeMs !== undefined ? { minAgeMs } : {}) });

            const ctx = `seed ${seed}`;
            const all = new Set(facts.map((f) => f.digest));
            const kept = plan.keep.map((k) => k.digest);
            const gone = plan.delete.map((k) => k.digest);
            assert.equal(kept.length + gone.length, all.size, `${ctx}: every digest planned once`);
            assert.deepEqual(new Set([...kept, ...gone]), all, `${ctx}: partition covers all digests`);
            assert.equal(new Set([...kept, ...gone]).size, kept.length + gone.length, `${ctx}: keep and delete are disjoint`);

            const tagsOf = new Map<string, Set<string>>();
            const createdOf = new Map<string, number>();
            for (const f of facts) {
                tagsOf.set(f.digest, new Set([...(tagsOf.get(f.digest) ?? []), ...f.tags]));
                if (f.created && !createdOf.has(f.digest)) createdOf.set(f.digest, Date.parse(f.created));
            }
            for (const g of gone) {
                assert.ok(!deployed.has(g), `${ctx}: deployed ${g} planned for deletion`);
                const tags = [...tagsOf.get(g)!];
                assert.ok(!tags.some(isSemverReleaseTag), `${ctx}: semver-tagged ${g} (${tags}) planned for deletion`);
                assert.ok(!tags.includes("stable") && !tags.includes("latest"), `${ctx}: channel-tagged ${g} planned for deletion`);
                const t = createdOf.get(g);
                if (minAgeMs !== undefined) {
                    assert.ok(t !== undefined, `${ctx}: undated ${g} deleted under min-age`);
                    assert.ok(NOW.getTime() - t >= minAgeMs, `${ctx}: young ${g} deleted`);
                }
                if (t !== undefined) {
                    const newer = [...createdOf.values()].filter((x) => x > t).length;
                    assert.ok(newer >= keepLast, `${ctx}: ${g} is among the last ${keepLast} builds but planned for deletion`);
                }
            }
            // Every reason given for keeping is true.
            for (const k of plan.keep) {
                assert.ok(k.reasons.length > 0, `${ctx}: kept without reason`);
                const tags = [...tagsOf.get(k.digest)!];
                for (const r of k.reasons) {
                    if (r === "deployed") assert.ok(deployed.has(k.digest), ctx);
                    if (r === "semver-tag") assert.ok(tags.some(isSemverReleaseTag), ctx);
                    if (r === "last-n") assert.ok([...createdOf.values()].filter((x) => x > createdOf.get(k.digest)!).length < keepLast, ctx);
                }
            }
        }
    });

    it("keeps what a kept index refers to, transitively, naming the referrer; a deleted index does not protect its children", () => {
        const facts: DigestFacts[] = [
            { digest: d(1), tags: ["v1.0.0"], created: ago(90), refs: [d(2), d(3)] },
            { digest: d(2), tags: ["abc1234-amd64"], created: ago(90) },
            { digest: d(3), tags: [], refs: [d(4)] },
            { digest: d(4), tags: ["abc1234-arm64-v8"], created: ago(90) },
            { digest: d(5), tags: ["old-index"], created: ago(80), refs: [d(6)] },
            { digest: d(6), tags: ["old-amd64"], created: ago(80) },
        ];
        const plan = planRetention(facts, new Set(), { keepLast: 0, now: NOW });
        assert.deepEqual(plan.delete.map((p) => p.digest).sort(), [d(5), d(6)]);
        const byDigest = Object.fromEntries(plan.keep.map((p) => [p.digest, p]));
        assert.deepEqual(byDigest[d(2)].reasons, ["referenced"]);
        assert.deepEqual(byDigest[d(2)].referencedBy, [d(1)]);
        assert.deepEqual(byDigest[d(4)].referencedBy, [d(3)]);
        assert.equal(describeReason("referenced", { keepLast: 0 }, ["sha256:0000 (v1.0.0)"]), "referenced by kept sha256:0000 (v1.0.0)");
        // Parents go before their children, so a stop half-way never leaves an index without its platforms.
        assert.deepEqual(deletionOrder(plan.delete).map((p) => p.digest), [d(5), d(6)]);
    });

    it("a created date in the future takes no keep-last slot and is kept as of unknown age", () => {
        const facts: DigestFacts[] = [
            { digest: d(1), tags: ["hostile"], created: "2099-01-01T00:00:00Z" },
            { digest: d(2), tags: ["recent"], created: ago(1) },
            { digest: d(3), tags: ["older"], created: ago(2) },
            { digest: d(4), tags: ["skewed"], created: new Date(NOW.getTime() + 60000).toISOString() },
        ];
        const plan = planRetention(facts, new Set(), { keepLast: 2, now: NOW });
        const why = Object.fromEntries(plan.keep.map((p) => [p.digest, p.reasons]));
        assert.deepEqual(why[d(1)], ["future-created-date"]);
        assert.deepEqual(why[d(2)], ["last-n"], "the real recent build keeps its slot");
        assert.deepEqual(why[d(4)], ["last-n"], "a minute of clock skew is still a build time");
        assert.deepEqual(plan.delete.map((p) => p.digest), [d(3)]);
    });

    it("property: over 500 random registries with indexes whose children are tagged, nothing a kept manifest refers to is deleted", () => {
        for (let seed = 1; seed <= 500; seed++) {
            const rnd = prng(seed * 7919);
            const int = (n: number) => Math.floor(rnd() * n);
            const count = 2 + int(30);
            const facts: DigestFacts[] = [];
            for (let i = 0; i < count; i++) {
                const tags = rnd() < 0.15 ? [] : [`b${i}`, ...(rnd() < 0.15 ? ["v1.0.0"] : []), ...(rnd() < 0.3 ? [`b${i}-amd64`] : [])];
                // Content addressing: an index can only refer to manifests that existed before it (lower index here).
                const refs = i > 0 && rnd() < 0.4 ? Array.from({ length: 1 + int(3) }, () => d(seed * 1000 + int(i))) : [];
                facts.push({ digest: d(seed * 1000 + i), tags, ...(rnd() < 0.9 ? { created: ago(int(100)) } : {}), ...(refs.length ? { refs } : {}) });
            }
            const deployed = new Set(facts.filter(() => rnd() < 0.1).map((f) => f.digest));
            const keepLast = int(5);
            const plan = planRetention(facts, deployed, { keepLast, now: NOW, ...(rnd() < 0.3 ? { minAgeMs: int(50) * DAY } : {}) });
            const ctx = `seed ${seed}`;
            const gone = new Set(plan.delete.map((p) => p.digest));
            assert.equal(plan.keep.length + plan.delete.length, new Set(facts.map((f) => f.digest)).size, ctx);
            for (const k of plan.keep) {
                for (const r of k.refs ?? []) assert.ok(!gone.has(r), `${ctx}: ${r} is referenced by kept ${k.digest} but planned for deletion`);
                if (k.reasons.includes("referenced")) {
                    assert.ok(k.referencedBy?.length, ctx);
                    for (const by of k.referencedBy!) assert.ok(plan.keep.some((p) => p.digest === by && (p.refs ?? []).includes(k.digest)), `${ctx}: referrer ${by} is kept and refers to ${k.digest}`);
                }
            }
            for (const g of plan.delete) assert.ok(!deployed.has(g.digest), ctx);
            // Deleting in deletionOrder never removes a child while a doomed parent that refers to it is still there.
            const order = deletionOrder(plan.delete);
            assert.equal(order.length, plan.delete.length, ctx);
            const done = new Set<string>();
            for (const p of order) {
                for (const parent of plan.delete) if (!done.has(parent.digest) && parent.digest !== p.digest) assert.ok(!(parent.refs ?? []).includes(p.digest), `${ctx}: ${p.digest} deleted before its parent ${parent.digest}`);
                done.add(p.digest);
            }
        }
    });
});
