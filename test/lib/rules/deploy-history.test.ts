import * as assert from "node:assert/strict";
import { DeployHistoryEntry } from "../../../lib/contract";
import { digestsRan, parseDeployHistory, previousVerified } from "../../../lib/rules/deploy-history";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const entry = (digest: string, outcome: DeployHistoryEntry["outcome"], at: string, extra: Partial<DeployHistoryEntry> = {}): DeployHistoryEntry =>
    ({ app: "web", image: "reg/team/web", digest, at, by: "alice", outcome, ...extra });

describe("lib/rules/deploy-history: reading the host's history", () => {
    it("reads one entry per line, oldest first, keeping tag, description and detail", () => {
        const lines = [
            entry(D("a"), "verified", "2026-12-01T10:00:00Z", { tag: "v1", description: "first" }),
            entry(D("b"), "failed", "2026-12-01T11:00:00Z", { detail: "not healthy after 120s" }),
        ].map((e) => JSON.stringify(e));
        const h = parseDeployHistory(`${lines.join("\n")}\n`);
        assert.deepEqual(h.skipped, []);
        assert.deepEqual(h.entries.map((e) => [e.digest, e.outcome, e.tag, e.detail]), [[D("a"), "verified", "v1", undefined], [D("b"), "failed", undefined, "not healthy after 120s"]]);
    });

    const bad: [string, string, RegExp][] = [
        ["a half-written last line", `{"app":"web","image":"r","digest":"${D("a")}","at":"2026-12-01T10:00:00Z","by":"a","outc`, /not JSON/],
        ["a line another tool added", "# rotated 2026-12-01", /not JSON/],
        ["an array", "[1,2]", /not a JSON object/],
        ["a missing field", JSON.stringify({ app: "web", image: "r", digest: D("a"), at: "2026-12-01T10:00:00Z", outcome: "verified" }), /by is missing/],
        ["a short digest", JSON.stringify({ ...entry(D("a"), "verified", "2026-12-01T10:00:00Z"), digest: "sha256:abc" }), /digest is not sha256/],
        ["an unknown outcome", JSON.stringify({ ...entry(D("a"), "verified", "2026-12-01T10:00:00Z"), outcome: "ok" }), /outcome "ok" is not one of verified, failed, rolled-back/],
        ["a date that is not one", JSON.stringify({ ...entry(D("a"), "verified", "2026-12-01T10:00:00Z"), at: "yesterday" }), /at is not a date/],
    ];
    for (const [name, line, why] of bad) {
        it(`skips ${name} and says which line, keeping the good ones`, () => {
            const good = JSON.stringify(entry(D("c"), "verified", "2026-12-01T09:00:00Z"));
            const h = parseDeployHistory(`${good}\n${line}\n${good}\n`);
            assert.equal(h.entries.length, 2);
            assert.equal(h.skipped.length, 1);
            assert.equal(h.skipped[0].line, 2);
            assert.match(h.skipped[0].why, why);
        });
    }

    it("an empty or missing file is an empty history", () => {
        assert.deepEqual(parseDeployHistory(""), { entries: [], skipped: [] });
    });

    it("lists each digest ran once, newest first by its latest deploy (the file's order, not the clocks)", () => {
        const h = [
            entry(D("a"), "verified", "2026-12-01T10:00:00Z"),
            entry(D("b"), "verified", "2026-12-01T11:00:00Z"),
            entry(D("c"), "failed", "2026-12-01T12:00:00Z"),
            entry(D("b"), "rolled-back", "2026-12-01T12:01:00Z"),
            // A host whose clock went back: the later line is still the later deploy.
            entry(D("a"), "verified", "2026-11-30T00:00:00Z"),
        ];
        assert.deepEqual(digestsRan(h).map((r) => [r.digest, r.last.outcome, r.times]), [[D("a"), "verified", 2], [D("b"), "rolled-back", 2], [D("c"), "failed", 1]]);
    });

    it("the previous verified digest skips what runs now, failures and roll-backs", () => {
        const h = [
            entry(D("a"), "verified", "2026-12-01T10:00:00Z"),
            entry(D("b"), "verified", "2026-12-01T11:00:00Z"),
            entry(D("c"), "failed", "2026-12-01T12:00:00Z"),
            entry(D("b"), "rolled-back", "2026-12-01T12:01:00Z"),
        ];
        assert.equal(previousVerified(h, D("b"))?.digest, D("a"));
        assert.equal(previousVerified(h, D("a"))?.digest, D("b"));
        assert.equal(previousVerified(h, D("c"))?.digest, D("b"));
        assert.equal(previousVerified([entry(D("a"), "verified", "2026-12-01T10:00:00Z")], D("a")), undefined);
        assert.equal(previousVerified([], undefined), undefined);
    });
});
