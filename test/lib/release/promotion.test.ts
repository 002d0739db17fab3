import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { inputChecks } from "../../../lib/release/checks";
import { preflight, promote, PromotionError, deleteReleaseTag, RACE_DEFAULTS } from "../../../lib/release/promotion";
import { buildRecord, recordPath } from "../../../lib/release/record";
import { ReleaseInput, specOf } from "../../../lib/release/spec";
import { MESSAGES } from "../../../lib/rules/tags";
import { RegistryClient } from "../../../lib/registry/client";
import { sha256Digest } from "../../../lib/rules/digest";
import { MEDIA_TYPES, RequestEvent } from "../../../lib/registry/types";
import { RegistryError } from "../../../lib/errors";
import { startFaultProxy } from "../../support/fault-proxy";
import { pushOciImage } from "../../../estate/oci";
import { buildAndPush, RegistryService, sharedTestRegistry } from "../../../estate/services";

const run = promisify(execFile);
const HEX = "a".repeat(64);

function spec(over: Partial<ReleaseInput> = {}): ReleaseInput {
    return { registry: "127.0.0.1:5000", repository: "team/app", digest: HEX, tag: "v1.0.0", ...over };
}

function failed(checks: ReturnType<typeof inputChecks>): string[] {
    return checks.filter((c) => !c.ok && !c.skipped).map((c) => c.message!);
}

/** Pushes two tiny platform manifests and an OCI index over them through the registry API; returns the index digest. */
async function pushIndex(client: RegistryClient, repository: string, seed: string, tagged = true): Promise<{ index: string; children: string[] }> {
    const children: string[] = [];
    const entries: object[] = [];
    for (const arch of ["amd64", "arm64"]) {
        const { digest, manifest } = await pushOciImage(client, repository, `${arch}-${seed}`, {
            layer: Buffer.from(`layer ${seed} ${arch}`),
            config: { architecture: arch, os: "linux", config: { Labels: { "org.opencontainers.image.description": `index ${seed}` } }, rootfs: { type: "layers", diff_ids: [] } },
        });
        children.push(digest);
        entries.push({ mediaType: MEDIA_TYPES.ociManifest, digest, size: manifest.length, platform: { os: "linux", architecture: arch } });
    }
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: entries }));
    const reference = tagged ? `index-${seed}` : sha256Digest(index);
    const digest = await client.putManifest(repository, reference, { bytes: index, mediaType: MEDIA_TYPES.ociIndex });
    return { index: digest, children };
}

describe("lib/promotion", () => {
    describe("inputChecks (seed 004 messages)", () => {
        it("passes a good release", () => {
            assert.deepEqual(failed(inputChecks(spec())), []);
            assert.deepEqual(inputChecks(spec()).map((c) => c.id), ["digest-format", "image-reference", "tag-charset", "tag-policy"]);
        });
        const bad: [string, Partial<ReleaseInput>, string][] = [
            ["a sha256: prefix", { digest: `sha256:${HEX}` }, MESSAGES.digest],
            ["a short digest", { digest: "abc" }, MESSAGES.digest],
            ["an uppercase digest", { digest: "A".repeat(64) }, MESSAGES.digest],
            ["an uppercase repository", { repository: "Team/App" }, "Image must be <registry>/<repository>"],
            ["a repository with a tag", { repository: "team/app:v1" }, "Image must be <registry>/<repository>"],
            ["a bad registry", { registry: "no host!" }, "Image must be <registry>/<repository>"],
            ["a tag with a slash", { tag: "v1/2" }, MESSAGES.tagCharset],
            ["a tag starting with a dash", { tag: "-v1" }, MESSAGES.tagCharset],
            ["v1.2", { tag: "v1.2" }, MESSAGES.tagPolicy],
            ["1.0.0", { tag: "1.0.0" }, MESSAGES.tagPolicy],
            ["my-feature", { tag: "my-feature" }, MESSAGES.tagPolicy],
            ["a bypass without justification", { tag: "my-feature", allowNonSemver: true }, MESSAGES.tagPolicy],
        ];
        for (const [what, over, message] of bad) {
            it(`refuses ${what}`, () => {
                const msgs = failed(inputChecks(spec(over)));
                assert.equal(msgs.length, 1, JSON.stringify(msgs));
                assert.ok(msgs[0].startsWith(message), msgs[0]);
            });
        }
        it("accepts prereleases, channels and a justified bypass", () => {
            for (const tag of ["v1.0.0-rc.1", "v2.3.4-beta.2", "stable", "latest"]) assert.deepEqual(failed(inputChecks(spec({ tag }))), [], tag);
            assert.deepEqual(failed(inputChecks(spec({ tag: "hotfix-friday", allowNonSemver: true, justification: "INC-42 needs it now" }))), []);
        });
    });

    describe("against the real registry", function () {
        this.timeout(180000);
        let reg: RegistryService;
        let digest: string;
        const repository = "promotion/app";
        before(async () => {
            reg = await sharedTestRegistry();
            digest = await buildAndPush({ repository: `${reg.registry}/${repository}`, tags: ["abc1234", "v0.0.1"], cmd: "echo hello" });
        });
        const client = (events?: RequestEvent[]) => new RegistryClient({ registry: reg.registry, ...(events ? { onRequest: (e) => events.push(e) } : {}) });
        const mk = (over: Partial<ReleaseInput>) => spec({ registry: reg.registry, repository, digest: digest.slice(7), ...over });

        it("preflight passes, then reports Tag already exists: <image>:<tag> and Source digest not found", async () => {
            const checks = await preflight(client(), mk({ tag: "v0.1.0" }));
            assert.ok(checks.every((c) => c.ok), JSON.stringify(checks));
            await buildAndPush({ repository: `${reg.registry}/${repository}`, tags: ["v0.0.9"], payload: "a different build" });
            const exists = await preflight(client(), mk({ tag: "v0.0.9" }));
            const tagCheck = exists.find((c) => c.id === "tag-immutable")!;
            assert.equal(tagCheck.ok, false);
            assert.equal(tagCheck.message, `${MESSAGES.tagExists}: ${reg.registry}/${repository}:v0.0.9`);
            // v0.0.1 already names this very digest: a completed promotion to finish, not a conflict.
            const same = (await preflight(client(), mk({ tag: "v0.0.1" }))).find((c) => c.id === "tag-immutable")!;
            assert.equal(same.ok, true);
            assert.match(same.message!, /already points at this digest: a completed promotion to finish/);
            const missing = await preflight(client(), mk({ tag: "v0.1.1", digest: "0".repeat(64) }));
            assert.equal(missing.find((c) => c.id === "digest-exists")!.message, MESSAGES.digestMissing);
            const bad = await preflight(client(), mk({ digest: `sha256:${HEX}` }));
            assert.equal(bad.find((c) => c.id === "digest-format")!.message, MESSAGES.digest);
            assert.ok(bad.find((c) => c.id === "tag-immutable")!.skipped);
        });

        it("promotes server-side in 4 requests + 1 read-back, with zero blob bytes, and skopeo sees the same digest", async () => {
            const events: RequestEvent[] = [];
            const outcome = await promote(client(events), mk({ tag: "v1.0.0" }), { settleMs: 10 });
            assert.equal(outcome.digest, digest);
            assert.equal(outcome.resumed, false);
            assert.deepEqual(events.map((e) => `${e.method} ${new URL(e.url).pathname.split("/").slice(-2).join("/")}`), [
                `GET manifests/${digest}`,
                "GET tags/list",
                "HEAD manifests/v1.0.0",
                "PUT manifests/v1.0.0",
                "HEAD manifests/v1.0.0",
            ], "the tag's absence is established by the tag list and a HEAD");
            assert.ok(events.every((e) => !/\/blobs\//.test(e.url)));
            const { stdout } = await run("skopeo", ["inspect", "--tls-verify=false", "--raw", `docker://${reg.registry}/${repository}:v1.0.0`]);
            assert.equal(Buffer.from(stdout).equals(outcome.manifest.bytes), true, "the tag serves the exact source bytes");
            assert.equal(await client().resolve(repository, "v1.0.0"), digest);
        });

        it("refuses the same tag for another digest (fails in preflight) but allows the same digest under another tag", async () => {
            const other = await buildAndPush({ repository: `${reg.registry}/${repository}`, tags: ["other01"], payload: "another build" });
            const events: RequestEvent[] = [];
            await assert.rejects(promote(client(events), mk({ tag: "v1.0.0", digest: other.slice(7) }), { settleMs: 0 }), (e: unknown) => {
                assert.ok(e instanceof PromotionError);
                assert.match(e.message, new RegExp(`Tag already exists: ${reg.registry}/${repository}:v1.0.0`.replace(/\./g, "\\.")));
                assert.equal(e.wroteTag, false);
                return true;
            });
            assert.ok(events.every((e) => e.method !== "PUT"));
            assert.equal(await client().resolve(repository, "v1.0.0"), digest);
            const again = await promote(client(), mk({ tag: "stable" }), { settleMs: 0 });
            assert.equal(again.digest, digest);
        });

        it("writes nothing for bad input or a missing digest", async () => {
            const events: RequestEvent[] = [];
            await assert.rejects(promote(client(events), mk({ tag: "my-feature" })), /Tag does not match required patterns/);
            assert.equal(events.length, 0, "input checks fail before any request");
            await assert.rejects(promote(client(events), mk({ tag: "v9.9.9", digest: "0".repeat(64) })), /Source digest not found/);
            assert.ok(events.every((e) => e.method !== "PUT"));
            assert.equal(await client().resolve(repository, "v9.9.9"), undefined);
        });

        it("stops before writing when the sanity hook fails", async () => {
            let seen = "";
            await assert.rejects(
                promote(client(), mk({ tag: "v1.1.0" }), { sanity: async (pinned) => { seen = pinned; return { ok: false, reason: "the smoke command exited with 1" }; } }),
                /Sanity check failed .* the smoke command exited with 1\. The tag was not written/,
            );
            assert.equal(seen, `${reg.registry}/${repository}@${digest}`);
            assert.equal(await client().resolve(repository, "v1.1.0"), undefined);
        });

        it("gives up before the PUT when the claim window has passed", async () => {
            let t = 0;
            const now = () => (t += RACE_DEFAULTS.claimWindowMs + 1);
            await assert.rejects(promote(client(), mk({ tag: "v1.2.0" }), { now }), /stopped before writing/);
            assert.equal(await client().resolve(repository, "v1.2.0"), undefined);
        });

        it("keeps a multi-arch OCI index as is", async () => {
            const repo = "promotion/multi";
            const { index, children } = await pushIndex(client(), repo, "idx");
            const events: RequestEvent[] = [];
            const outcome = await promote(client(events), spec({ registry: reg.registry, repository: repo, digest: index.slice(7), tag: "v2.0.0" }), { settleMs: 0 });
            assert.equal(outcome.mediaType, MEDIA_TYPES.ociIndex);
            assert.equal(events.filter((e) => e.method !== "HEAD" || e.url.includes("v2.0.0")).length, 5);
            const served = await client().getManifest(repo, "v2.0.0");
            assert.equal(served.digest, index);
            assert.equal(served.mediaType, MEDIA_TYPES.ociIndex);
            assert.deepEqual((served.json.manifests as { digest: string }[]).map((m) => m.digest), children);
            const { stdout } = await run("skopeo", ["inspect", "--tls-verify=false", "--raw", `docker://${reg.registry}/${repo}:v2.0.0`]);
            assert.equal(JSON.parse(stdout).mediaType, MEDIA_TYPES.ociIndex);
        });

        it("racing promotions of one tag: exactly one succeeds and the tag ends on its digest", async () => {
            const repo = "promotion/race";
            const digests: string[] = [];
            for (let i = 0; i < 5; i++) digests.push((await pushIndex(client(), repo, `race${i}`)).index);
            const results = await Promise.allSettled(
                digests.map((d) => promote(client(), spec({ registry: reg.registry, repository: repo, digest: d.slice(7), tag: "v3.0.0" }), { settleMs: 300 })),
            );
            const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [digests[i]] : []));
            assert.equal(winners.length, 1, results.map((r) => (r.status === "rejected" ? String(r.reason.message) : "ok")).join("\n"));
            assert.equal(await client().resolve(repo, "v3.0.0"), winners[0]);
            for (const r of results) {
                // A racer may also meet another's PUT half-written (listed, HEAD 404) and refuse with nothing written.
                if (r.status === "rejected") assert.match(String(r.reason.message), /Lost a race|Tag already exists|lists tag v3\.0\.0 but answers 404/);
            }
        });

        it("never overwrites a release tag the registry wrongly answers 404 for (HEAD and GET), whatever one request says", async () => {
            const other = await buildAndPush({ repository: `${reg.registry}/${repository}`, tags: ["other02"], payload: "a third build" });
            await promote(client(), mk({ tag: "v6.0.0" }), { settleMs: 0 });
            const proxy = await startFaultProxy(reg.url);
            try {
                // A cache in front of the registry answers 404 for the tag's manifest, on HEAD and GET alike.
                proxy.setFault((r) => (r.path === `/v2/${repository}/manifests/v6.0.0` && r.method !== "PUT"
                    ? { kind: "status", status: 404, headers: { "content-type": "application/json" }, body: JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN" }] }) }
                    : undefined));
                const viaProxy = new RegistryClient({ registry: proxy.registry });
                const lying = spec({ registry: proxy.registry, repository, digest: other.slice(7), tag: "v6.0.0" });
                await assert.rejects(promote(viaProxy, lying, { settleMs: 0 }), (e: unknown) => {
                    assert.ok(e instanceof RegistryError && e.code === "BAD_RESPONSE", String(e));
                    assert.match(e.message, /lists tag v6\.0\.0 but answers 404 for it.*Nothing was written/);
                    return true;
                });
                await assert.rejects(preflight(viaProxy, lying), /lists tag v6\.0\.0 but answers 404/);
                assert.ok(proxy.requests.every((r) => r.method !== "PUT"), "no PUT reached the registry");
            } finally {
                await proxy.close();
            }
            assert.equal(await client().resolve(repository, "v6.0.0"), digest, "v6.0.0 still names its digest");
        });

        it("is idempotent: a run that failed after writing the tag is finished by the next run, with no second write", async () => {
            const proxy = await startFaultProxy(reg.url);
            try {
                // The read-back after the PUT never answers: the run fails after the tag was written.
                proxy.setFault((r) => (r.method === "HEAD" && r.path === `/v2/${repository}/manifests/v7.0.0` && proxy.requests.some((x) => x.method === "PUT") ? { kind: "hang" } : undefined));
                const flaky = new RegistryClient({ registry: proxy.registry, timeoutMs: 300, retries: 0 });
                await assert.rejects(promote(flaky, spec({ registry: proxy.registry, repository, digest: digest.slice(7), tag: "v7.0.0" }), { settleMs: 0 }), /timed out/);
            } finally {
                await proxy.close();
            }
            assert.equal(await client().resolve(repository, "v7.0.0"), digest, "the tag was written before the failure");
            const events: RequestEvent[] = [];
            const again = await promote(client(events), mk({ tag: "v7.0.0" }), { settleMs: 0 });
            assert.equal(again.resumed, true);
            assert.equal(again.digest, digest);
            assert.ok(events.every((e) => e.method !== "PUT"), "nothing is written again");
            assert.match(again.checks.find((c) => c.id === "tag-immutable")!.message!, /completed promotion to finish/);
            const record = buildRecord({ spec: mk({ tag: "v7.0.0" }), outcome: again, env: { USER: "ada" }, at: new Date() });
            assert.equal(record.resumed, true);
        });

        it("different tags promote in parallel", async () => {
            const tags = ["v4.0.0", "v4.0.1", "v4.0.2", "v4.0.3"];
            const outcomes = await Promise.all(tags.map((tag) => promote(client(), mk({ tag }), { settleMs: 50 })));
            assert.deepEqual(outcomes.map((o) => o.digest), tags.map(() => digest));
            for (const tag of tags) assert.equal(await client().resolve(repository, tag), digest);
        });

        it("break-glass delete refuses when other tags share the digest, deletes when alone", async () => {
            await assert.rejects(deleteReleaseTag(client(), specOf(mk({ tag: "v1.0.0" }))), /also carries/);
            assert.equal(await client().resolve(repository, "v1.0.0"), digest);
            const repo = "promotion/alone";
            const { index } = await pushIndex(client(), repo, "alone");
            // The fixture tag index-alone shares the digest; the promotion is the second tag.
            await promote(client(), spec({ registry: reg.registry, repository: repo, digest: index.slice(7), tag: "v5.0.0" }), { settleMs: 0 });
            await assert.rejects(deleteReleaseTag(client(), specOf(spec({ registry: reg.registry, repository: repo, digest: index.slice(7), tag: "v5.0.0" }))), /index-alone/);
            const untagged = await pushIndex(client(), repo, "untagged", false);
            const alone = spec({ registry: reg.registry, repository: repo, digest: untagged.index.slice(7), tag: "v5.0.1" });
            await promote(client(), alone, { settleMs: 0 });
            const result = await deleteReleaseTag(client(), specOf(alone));
            assert.equal(result.deleted, true);
            assert.equal(await client().resolve(repo, "v5.0.1"), undefined);
            assert.equal(await client().resolve(repo, untagged.index), undefined);
            assert.equal(await client().resolve(repo, "v5.0.0"), index, "other releases stay");
        });
    });

    describe("records", () => {
        it("builds the record with who, when, checks, sanity, bypass and break-glass", () => {
            const s = spec({ tag: "hotfix-1", allowNonSemver: true, justification: "INC-7" });
            const checks = inputChecks(s);
            const r = buildRecord({
                spec: s,
                outcome: { digest: `sha256:${HEX}`, mediaType: MEDIA_TYPES.ociManifest, checks, sanity: { ok: true, output: "1.0" } },
                env: { GITHUB_ACTOR: "octo", USER: "root", GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "o/r", GITHUB_RUN_ID: "9" },
                at: new Date("2026-01-25T01:10:00Z"),
                smokeCommand: "app --version",
                deleteTagOnDestroy: { reason: "wrong build" },
            });
            assert.equal(r.promotedBy, "octo");
            assert.equal(r.promotedAt, "2026-01-25T01:10:00.000Z");
            assert.deepEqual(r.bypass, { allowNonSemver: true, justification: "INC-7" });
            assert.deepEqual(r.breakGlass, { deleteTagOnDestroy: true, reason: "wrong build" });
            assert.deepEqual(r.sanity, { ran: true, ok: true, output: "1.0", command: "app --version" });
            assert.equal(r.run, "https://github.com/o/r/actions/runs/9");
            assert.deepEqual(r.preflight.map((c) => c.check), checks.map((c) => c.id));
            assert.equal(buildRecord({ spec: spec(), outcome: { digest: "x", mediaType: "m", checks: [] }, env: { USER: "ada" }, at: new Date() }).promotedBy, "ada");
            assert.equal(recordPath("records/promotions/", spec()), "records/promotions/127.0.0.1_5000/team/app/v1.0.0.json");
        });
    });
});
