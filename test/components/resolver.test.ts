import * as fs from "node:fs";
import * as path from "node:path";
import * as assert from "node:assert/strict";
import { createResolver, resolveUpFront, unpullableImages } from "../../components/resolver";
import { OCI } from "../../lib/contract";
import { RegistryClient } from "../../lib/registry/client";
import { RequestEvent } from "../../lib/registry/types";
import { seedImage, testLabels } from "../../harness/program";
import { buildAndPush, sharedTestRegistry, startRegistry } from "../../estate/services";

describe("components/resolver (real registry)", function () {
    this.timeout(180000);
    let host: string;
    let a: string;
    let b: string;
    before(async () => {
        host = (await sharedTestRegistry()).registry;
        a = await seedImage("resolver/app", "aaa1111", testLabels("resolver/app", "aaa1111", "first"));
        b = await seedImage("resolver/app", "bbb2222", testLabels("resolver/app", "bbb2222", "second"));
    });

    it("resolves a tag to the pushed digest with the image's OCI labels", async () => {
        const r = await createResolver(new RegistryClient({ registry: host }))("resolver/app", { tag: "aaa1111" });
        assert.equal(r.digest, a);
        assert.equal(r.tag, "aaa1111");
        assert.equal(r.description, "first");
        assert.equal(r.revision, testLabels("resolver/app", "aaa1111")[OCI.revision]);
        assert.equal(r.registry, host);
    });

    it("lets a configured digest win over the tag, without asking for the tag", async () => {
        const events: RequestEvent[] = [];
        const r = await createResolver(new RegistryClient({ registry: host, onRequest: (e) => events.push(e) }))("resolver/app", { tag: "aaa1111", digest: b });
        assert.equal(r.digest, b);
        assert.equal(r.description, "second");
        assert.ok(!events.some((e) => e.url.endsWith("/manifests/aaa1111")), "the tag was resolved although a digest was configured");
    });

    it("asks the registry once per distinct reference, however many apps share it", async () => {
        const events: RequestEvent[] = [];
        const resolve = createResolver(new RegistryClient({ registry: host, onRequest: (e) => events.push(e) }));
        await Promise.all(Array.from({ length: 20 }, () => resolve("resolver/app", { tag: "aaa1111" })));
        const once = events.length;
        assert.ok(once > 0 && once <= 3, `expected at most HEAD + manifest + config, got ${once}`);
        await resolve("resolver/app", { tag: "aaa1111" });
        assert.equal(events.length, once);
    });

    it("names the missing tag and how to fix it", async () => {
        await assert.rejects(createResolver(new RegistryClient({ registry: host }))("resolver/app", { tag: "zzz9999" }),
            /Tag "zzz9999" of .*resolver\/app was not found in the registry\. Push it, or pick an existing tag from "image-lifecycle overview/);
        await assert.rejects(createResolver(new RegistryClient({ registry: host }))("resolver/app", { digest: `sha256:${"0".repeat(64)}` }),
            /Digest sha256:0{64} of .*resolver\/app could not be read .*Check the digest in the stack config, or push the image\./);
    });

    it("reports a refused login once, naming where the password came from and every image that met it", async () => {
        const locked = await startRegistry({ basicAuth: { username: "team", password: "right" } });
        const client = new RegistryClient({ registry: locked.registry, credentials: { username: "team", password: "wrong" }, credentialsFrom: "the stack's registryPassword" });
        const images = [{ repository: "team/a", tag: "1" }, { repository: "team/b", tag: "2" }, { repository: "team/c", digest: `sha256:${"1".repeat(64)}` }];
        const e = await resolveUpFront(createResolver(client), images).then(() => undefined, (err: Error) => err);
        assert.ok(e, "a refused login must fail the run");
        const lines = e.message.split("\n");
        assert.equal(lines.length, 1, e.message);
        assert.match(lines[0], /^GET was refused\. The registry refused the credentials\. Check the stack's registryPassword and the account's rights \(registry 127\.0\.0\.1:\d+, HTTP 401; met by team\/a:1, team\/b:2, team\/c:sha256:1{64}\)$/);
    });

    it("still reports distinct problems one per line", async () => {
        const e = await resolveUpFront(createResolver(new RegistryClient({ registry: host })), [
            { repository: "resolver/app", tag: "zzz9999" }, { repository: "resolver/app", tag: "yyy8888" }, { repository: "resolver/app", tag: "aaa1111" },
        ]).then(() => undefined, (err: Error) => err);
        assert.deepEqual(e?.message.split("\n").map((l) => /Tag "(\w+)"/.exec(l)?.[1]), ["zzz9999", "yyy8888"]);
    });

    it("names an image whose layer the registry no longer serves, with the layer and the status, and says nothing of a whole one", async () => {
        const reg = await startRegistry();
        const whole = await buildAndPush({ repository: `${reg.registry}/resolver/whole`, tags: ["1"], payload: "whole" });
        const broken = await buildAndPush({ repository: `${reg.registry}/resolver/broken`, tags: ["1"], payload: "a layer goes missing" });
        const client = new RegistryClient({ registry: reg.registry });
        const resolve = createResolver(client);
        const resolved = [await resolve("resolver/whole", { tag: "1" }), await resolve("resolver/broken", { tag: "1" }), await resolve("resolver/broken", { digest: broken })];
        assert.deepEqual(await unpullableImages(client, resolved), []);
        assert.equal(resolved[0].digest, whole);
        // The broken image's last layer is its own (the payload); the first is shared with the whole one.
        const layer = resolved[1].layers[resolved[1].layers.length - 1];
        fs.rmSync(path.join(reg.dataDir, "docker/registry/v2/blobs/sha256", layer.slice(7, 9), layer.slice(7)), { recursive: true });
        const messages = await unpullableImages(client, resolved);
        assert.equal(messages.length, 1, "one message per image, however many apps run it");
        assert.equal(messages[0], `${reg.registry}/resolver/broken@${broken} cannot be pulled: the registry does not serve its layer ${layer} (HEAD /v2/resolver/broken/blobs/${layer}: HTTP 404). ` +
            "The containers that would run it are not changed and keep running what they run. Push the build again, or choose another tag or digest, then run pulumi up.");
    });
});
