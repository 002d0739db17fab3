import { strict as assert } from "node:assert";
import { OCI } from "../../../lib/contract";
import { buildOverview } from "../../../lib/format/overview";
import { gatherOverview } from "../../../lib/registry/overview";
import { RegistryClient } from "../../../lib/registry/client";
import { RequestEvent } from "../../../lib/registry/types";
import { buildAndPush, DISTRIBUTIONS, sharedTestRegistry } from "../../../estate/services";

describe("lib/registry/overview", () => {
    for (const distribution of DISTRIBUTIONS) describe(`gatherOverview against a real registry (Distribution ${distribution})`, () => {
        it("costs one list, one manifest per tag and one config per distinct image", async () => {
            const reg = await sharedTestRegistry(distribution);
            const repo = "overview/gather";
            const a = await buildAndPush({ repository: `${reg.registry}/${repo}`, tags: ["aaa1111", "stable"], labels: { [OCI.created]: "2026-03-01T12:00:00Z", [OCI.description]: "second" }, payload: "a" });
            const b = await buildAndPush({ repository: `${reg.registry}/${repo}`, tags: ["bbb2222"], labels: { [OCI.created]: "2026-02-01T12:00:00Z", [OCI.description]: "first" }, payload: "b" });
            const events: RequestEvent[] = [];
            const client = new RegistryClient({ registry: reg.registry, onRequest: (e) => events.push(e) });
            let progress = 0;
            const tags = await gatherOverview(client, repo, { concurrency: 2, onProgress: (done, total) => { progress = done; assert.equal(total, 3); } });
            assert.equal(progress, 3);
            const o = buildOverview(reg.registry, repo, tags, new Set([b]));
            assert.deepEqual(o.rows.map((r) => [r.tag, r.digest, r.deployed, r.description]), [
                ["aaa1111", a, false, "second"],
                ["stable", a, false, "second"],
                ["bbb2222", b, true, "first"],
            ]);
            const kinds = events.map((e) => new URL(e.url).pathname.split("/").slice(-2, -1)[0]);
            assert.equal(kinds.filter((k) => k === "tags").length, 1);
            assert.equal(kinds.filter((k) => k === "manifests").length, 3);
            assert.equal(kinds.filter((k) => k === "blobs").length, 2);
            assert.equal(events.length, 6);
        });
    });
});
