import { strict as assert } from "node:assert";
import { RegistryClient } from "../../../lib/registry/client";
import { RequestEvent } from "../../../lib/registry/types";
import { pushOciImage } from "../../../estate/oci";
import { DISTRIBUTIONS, sharedTestRegistry } from "../../../estate/services";

/**
 * The two answers a real registry gives to a paged tag list: Distribution 2.8 ignores `n` and sends
 * every tag at once without `Link`; v3 cuts pages of `n` and sends `Link` after every full page — also
 * after the one that happens to end the list, whose follow-up is an empty page.
 */
const NAMES = ["t01", "t02", "t03", "t04", "t05", "t06", "t07"];

for (const distribution of DISTRIBUTIONS) {
    describe(`RegistryClient.listTags lists every tag exactly once (Distribution ${distribution})`, function () {
        const repo = "list/exactly-once";
        let registry: string;

        before(async function () {
            registry = (await sharedTestRegistry(distribution)).registry;
            const writer = new RegistryClient({ registry });
            // Pushed in reverse so that the registry's order is its own, not the order of the pushes.
            for (const tag of [...NAMES].reverse()) {
                await pushOciImage(writer, repo, tag, { config: { architecture: "amd64", os: "linux", tag }, layer: Buffer.from("exactly once") });
            }
        });

        for (const pageSize of [undefined, 1, 3, 7, 8, 1000]) {
            // v3: ⌊tags/n⌋ full pages (each with Link), then one more, shorter or empty, that ends it.
            const expectedRequests = distribution === "2.8" || pageSize === undefined ? 1 : Math.floor(NAMES.length / pageSize) + 1;
            it(`page size ${pageSize ?? "unset"}: ${NAMES.length} tags in ${expectedRequests} request(s)`, async () => {
                const events: RequestEvent[] = [];
                const client = new RegistryClient({ registry, onRequest: (e) => events.push(e) });
                const tags = await client.listTags(repo, pageSize === undefined ? {} : { pageSize });
                assert.equal(new Set(tags).size, tags.length, `a tag listed twice: ${tags.join(",")}`);
                assert.deepEqual([...tags].sort(), NAMES);
                assert.equal(events.length, expectedRequests, events.map((e) => e.url).join("\n"));
                const followed = events.slice(1).map((e) => new URL(e.url).searchParams.get("last"));
                if (pageSize !== undefined) {
                    assert.deepEqual(followed, Array.from({ length: expectedRequests - 1 }, (_, i) => NAMES[(i + 1) * pageSize - 1]), "each page starts after the last tag of the one before");
                }
            });
        }
    });
}
