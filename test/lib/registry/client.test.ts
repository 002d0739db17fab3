import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { RegistryError, ValidationError } from "../../../lib/errors";
import { OCI } from "../../../lib/contract";
import { clientFromEnv } from "../../../lib/registry/access";
import { parseChallenge } from "../../../lib/registry/auth";
import { RegistryClient } from "../../../lib/registry/client";
import { retryAfter } from "../../../lib/registry/transport";
import { sha256Digest } from "../../../lib/rules/digest";
import { MEDIA_TYPES, RequestEvent } from "../../../lib/registry/types";
import { FaultProxy, startFaultProxy } from "../../support/fault-proxy";
import { pushOciImage } from "../../../estate/oci";
import { buildAndPush, DISTRIBUTIONS, freePort, requireBinary, sharedTestRegistry, startRegistry } from "../../../estate/services";

const run = promisify(execFile);

const LABELS = {
    [OCI.description]: "add healthcheck + fix nginx proxy header",
    [OCI.created]: "2026-01-25T01:10:00Z",
    [OCI.revision]: "6350192a8f0c1b2d3e4f5a6b7c8d9e0f1a2b3c4d",
    [OCI.source]: "https://github.com/rednaw/hello-world",
};

async function skopeoInspect(ref: string, raw = false): Promise<Record<string, unknown>> {
    requireBinary("skopeo", "skopeo");
    const { stdout } = await run("skopeo", ["inspect", ...(raw ? ["--raw"] : []), "--tls-verify=false", `docker://${ref}`]);
    return JSON.parse(stdout);
}

/** Asserts `fn` rejects with a RegistryError of `code`, and returns it for more checks. */
async function rejectsWith(fn: () => Promise<unknown>, code: string): Promise<RegistryError> {
    try {
        await fn();
    } catch (e) {
        assert.ok(e instanceof RegistryError, `expected a RegistryError, got ${e}`);
        assert.equal(e.code, code, e.message);
        return e;
    }
    assert.fail(`expected a RegistryError ${code}, but the call succeeded`);
}

for (const distribution of DISTRIBUTIONS) describe(`RegistryClient against a real registry (Distribution ${distribution})`, function () {
    let registry: string;
    let digest: string;
    const repo = "client/app";
    let client: RegistryClient;

    before(async function () {
        const reg = await sharedTestRegistry(distribution);
        registry = reg.registry;
        digest = await buildAndPush({ repository: `${registry}/${repo}`, tags: ["6350192", "latest"], labels: LABELS });
        client = new RegistryClient({ registry });
    });

    it("resolves a tag to the digest docker push reported, and an unknown tag to undefined", async () => {
        assert.equal(await client.resolve(repo, "6350192"), digest);
        assert.equal(await client.resolve(repo, digest), digest);
        assert.equal(await client.resolve(repo, "no-such-tag"), undefined);
        assert.equal(await client.resolve("client/no-such-repo", "v1"), undefined);
    });

    it("gives several tags of one push the same digest", async () => {
        assert.equal(await client.resolve(repo, "latest"), await client.resolve(repo, "6350192"));
    });

    it("reads labels, created, platform, layers and size, matching skopeo inspect", async () => {
        const info = await client.getImageInfo(repo, "6350192");
        const skopeo = await skopeoInspect(`${registry}/${repo}:6350192`);
        assert.equal(info.digest, skopeo.Digest);
        assert.deepEqual(info.labels, skopeo.Labels);
        assert.equal(info.created, LABELS[OCI.created]);
        assert.deepEqual(info.platforms, [`${skopeo.Os}/${skopeo.Architecture}`]);
        assert.deepEqual(info.layers, skopeo.Layers);
        const manifest = await client.getManifest(repo, digest);
        const json = manifest.json as { config: { size: number }; layers: { size: number }[] };
        assert.equal(info.size, json.config.size + json.layers.reduce((s, l) => s + l.size, 0));
        assert.ok(info.size > 500000, "busybox alone is larger than 500 kB");
    });

    it("gets a manifest whose bytes hash to its digest", async () => {
        const m = await client.getManifest(repo, "latest");
        assert.equal(m.digest, digest);
        assert.equal(sha256Digest(m.bytes), digest);
        assert.equal(m.mediaType, MEDIA_TYPES.dockerManifest);
    });

    it("retags server-side with the exact bytes: same digest, cross-checked with skopeo", async () => {
        const m = await client.getManifest(repo, "6350192");
        const events: RequestEvent[] = [];
        const counting = new RegistryClient({ registry, onRequest: (e) => events.push(e) });
        assert.equal(await counting.putManifest(repo, "v1.0.0", m), digest);
        assert.deepEqual(events.map((e) => `${e.method} ${e.status}`), ["PUT 201"], "one request, no blob moved");
        assert.equal(events[0].bytesOut, m.bytes.length);
        const skopeo = await skopeoInspect(`${registry}/${repo}:v1.0.0`);
        assert.equal(skopeo.Digest, digest);
        assert.ok((skopeo.RepoTags as string[]).includes("v1.0.0"));
    });

    it("keeps a multi-platform index as is and picks linux/amd64 from it", async () => {
        const child = await client.getManifest(repo, digest);
        const index = Buffer.from(JSON.stringify({
            schemaVersion: 2,
            mediaType: MEDIA_TYPES.ociIndex,
            manifests: [
                { mediaType: child.mediaType, digest, size: child.bytes.length, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
                { mediaType: child.mediaType, digest, size: child.bytes.length, platform: { os: "linux", architecture: "amd64" } },
            ],
        }));
        const indexDigest = await client.putManifest(repo, "multi", { bytes: index, mediaType: MEDIA_TYPES.ociIndex });
        assert.equal(indexDigest, sha256Digest(index));
        const again = await client.getManifest(repo, "multi");
        await client.putManifest(repo, "multi-copy", again);
        assert.equal(await client.resolve(repo, "multi-copy"), indexDigest);
        const raw = await run("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${registry}/${repo}:multi-copy`]);
        assert.equal(sha256Digest(Buffer.from(raw.stdout)), indexDigest, "skopeo reads back the very same bytes");
        const info = await client.getImageInfo(repo, "multi");
        assert.equal(info.digest, indexDigest);
        assert.equal(info.mediaType, MEDIA_TYPES.ociIndex);
        assert.deepEqual(info.platforms, ["linux/arm64/v8", "linux/amd64"]);
        assert.equal(info.labels[OCI.description], LABELS[OCI.description]);
    });

    if (distribution === "2.8") {
        it("lists every tag in one answer from Distribution 2.8, which ignores n and sends no Link", async () => {
            const events: RequestEvent[] = [];
            const counting = new RegistryClient({ registry, onRequest: (e) => events.push(e) });
            const tags = await counting.listTags(repo, { pageSize: 1 });
            assert.ok(tags.length >= 2 && tags.includes("6350192") && tags.includes("latest"), tags.join(","));
            assert.equal(events.length, 1);
        });
    } else {
        it("follows the real v3 registry's n, last and Link across 3 pages", async () => {
            const own = "client/pages";
            const names = ["p1", "p2", "p3", "p4", "p5"];
            for (const t of names) await pushOciImage(client, own, t, { config: { architecture: "amd64", os: "linux" }, layer: Buffer.from("pages") });
            const page = await fetch(`http://${registry}/v2/${own}/tags/list?n=2`);
            assert.deepEqual(await page.json(), { name: own, tags: ["p1", "p2"] }, "the server itself cuts the page");
            assert.equal(page.headers.get("link"), `</v2/${own}/tags/list?last=p2&n=2>; rel="next"`);
            const lastPage = await fetch(`http://${registry}/v2/${own}/tags/list?n=2&last=p4`);
            assert.deepEqual(await lastPage.json(), { name: own, tags: ["p5"] });
            assert.equal(lastPage.headers.get("link"), null, "no Link once the list is done");
            const events: RequestEvent[] = [];
            const counting = new RegistryClient({ registry, onRequest: (e) => events.push(e) });
            assert.deepEqual(await counting.listTags(own, { pageSize: 2 }), names);
            assert.deepEqual(events.map((e) => new URL(e.url).search), ["?n=2", "?last=p2&n=2", "?last=p4&n=2"]);
        });
    }

    it("refuses a page size that is not a positive integer", async () => {
        await assert.rejects(client.listTags(repo, { pageSize: 0 }), ValidationError);
    });

    it("names the repository when it does not exist", async () => {
        const e = await rejectsWith(() => client.listTags("client/missing"), "NAME_UNKNOWN");
        assert.match(e.message, new RegExp(`registry ${registry}, repository client/missing, HTTP 404`));
        await rejectsWith(() => client.getManifest(repo, "missing-tag"), "MANIFEST_UNKNOWN");
    });

    it("deletes by digest, which removes every tag on it; refuses a tag", async () => {
        const own = "client/deleted";
        const d = await buildAndPush({ repository: `${registry}/${own}`, tags: ["one", "two"], labels: LABELS, payload: "deleted" });
        await assert.rejects(client.deleteManifest(own, "one"), (e: unknown) => e instanceof ValidationError && /delete takes a digest/.test(e.message));
        await client.deleteManifest(own, d);
        assert.equal(await client.resolve(own, "one"), undefined);
        assert.equal(await client.resolve(own, "two"), undefined);
        await rejectsWith(() => client.deleteManifest(own, d), "MANIFEST_UNKNOWN");
    });

    it("uses https for a remote registry unless insecure, http for loopback", () => {
        assert.equal(new RegistryClient({ registry: "registry.example.com:5000" }).baseUrl, "https://registry.example.com:5000");
        assert.equal(new RegistryClient({ registry: "registry.example.com", insecure: true }).baseUrl, "http://registry.example.com");
        assert.equal(new RegistryClient({ registry: "127.0.0.1:5000" }).baseUrl, "http://127.0.0.1:5000");
        assert.equal(new RegistryClient({ registry: "localhost:5000" }).baseUrl, "http://localhost:5000");
        assert.throws(() => new RegistryClient({ registry: "https://registry.example.com" }), ValidationError);
    });

    it("reports an unreachable registry at once, without retrying a refused connection", async () => {
        const port = await freePort();
        const events: RequestEvent[] = [];
        const dead = new RegistryClient({ registry: `127.0.0.1:${port}`, onRequest: (e) => events.push(e) });
        const e = await rejectsWith(() => dead.listTags(repo), "UNREACHABLE");
        assert.match(e.message, /ECONNREFUSED/);
        assert.match(e.message, new RegExp(`registry 127.0.0.1:${port}, repository ${repo}`));
        assert.equal(events.length, 1);
    });
});

for (const distribution of DISTRIBUTIONS) describe(`RegistryClient basic auth (htpasswd registry, Distribution ${distribution})`, function () {
    const user = { username: "ci-bot", password: "s3cret-Passw0rd!" };
    let registry: string;
    const repo = "auth/app";

    before(async function () {
        const shared = await sharedTestRegistry(distribution);
        const source = new RegistryClient({ registry: shared.registry });
        const d = await buildAndPush({ repository: `${shared.registry}/auth/source`, tags: ["v1"], labels: LABELS, payload: "auth" });
        const m = await source.getManifest("auth/source", d);
        const reg = await startRegistry({ distribution, basicAuth: user });
        registry = reg.registry;
        // Copy the image with the client itself: uploads go through basic auth too.
        const writer = new RegistryClient({ registry, credentials: user });
        for (const desc of [m.json.config, ...(m.json.layers as unknown[])] as { digest: string }[]) {
            assert.equal(await writer.uploadBlob(repo, await source.getBlob("auth/source", desc.digest)), desc.digest);
        }
        await writer.putManifest(repo, "v1", m);
    });

    it("reads with the right credentials, sending them up front after the first challenge", async () => {
        const events: RequestEvent[] = [];
        const c = new RegistryClient({ registry, credentials: user, onRequest: (e) => events.push(e) });
        const info = await c.getImageInfo(repo, "v1");
        assert.equal(info.labels[OCI.revision], LABELS[OCI.revision]);
        assert.deepEqual(events.map((e) => e.status), [401, 200, 200], "one challenge, then manifest and config");
    });

    it("reads credentials from REGISTRY_USERNAME / REGISTRY_PASSWORD", async () => {
        const c = clientFromEnv(registry, { REGISTRY_USERNAME: user.username, REGISTRY_PASSWORD: user.password });
        assert.deepEqual(await c.listTags(repo), ["v1"]);
    });

    it("says credentials are needed when none are given", async () => {
        const e = await rejectsWith(() => new RegistryClient({ registry }).resolve(repo, "v1"), "UNAUTHORIZED");
        assert.match(e.message, /needs credentials.*REGISTRY_USERNAME/);
    });

    it("refuses a wrong password clearly and never prints it", async () => {
        const wrong = { username: user.username, password: "wrong-Passw0rd-123" };
        const c = new RegistryClient({ registry, credentials: wrong });
        for (const call of [() => c.resolve(repo, "v1"), () => c.listTags(repo), () => c.getManifest(repo, "v1")]) {
            const e = await rejectsWith(call, "UNAUTHORIZED");
            assert.match(e.message, /refused the credentials/);
            const text = `${e.message} ${JSON.stringify(e.context)} ${e.stack}`;
            for (const secret of [wrong.password, Buffer.from(`${wrong.username}:${wrong.password}`).toString("base64")]) {
                assert.ok(!text.includes(secret), "the password must not appear in the error");
            }
        }
    });
});

describe("RegistryClient faults and bad answers (loopback fault proxy)", function () {
    let proxy: FaultProxy;
    let digest: string;
    const repo = "faults/app";
    let events: RequestEvent[];
    let client: RegistryClient;

    before(async function () {
        const reg = await sharedTestRegistry();
        digest = await buildAndPush({ repository: `${reg.registry}/${repo}`, tags: ["v1"], labels: LABELS, payload: "faults" });
        proxy = await startFaultProxy(reg.url);
    });
    after(async () => proxy?.close());
    beforeEach(() => {
        proxy.setFault(() => undefined);
        proxy.requests.length = 0;
        events = [];
        client = new RegistryClient({ registry: proxy.registry, backoffMs: 10, onRequest: (e) => events.push(e) });
    });

    it("retries a GET through 503s and then succeeds", async () => {
        proxy.setFault((r) => (r.index < 2 ? { kind: "status", status: 503 } : undefined));
        assert.equal((await client.getManifest(repo, "v1")).digest, digest);
        assert.deepEqual(events.map((e) => e.status), [503, 503, 200]);
    });

    it("gives up after the configured retries and names the status", async () => {
        proxy.setFault(() => ({ kind: "status", status: 503 }));
        const e = await rejectsWith(() => client.resolve(repo, "v1"), "HTTP_ERROR");
        assert.equal(e.context.status, 503);
        assert.match(e.message, /after 4 attempts/);
        assert.equal(proxy.requests.length, 4);
    });

    it("waits as long as Retry-After says on 429", async () => {
        proxy.setFault((r) => (r.index === 0 ? { kind: "status", status: 429, headers: { "retry-after": "1" } } : undefined));
        const start = Date.now();
        assert.equal(await client.resolve(repo, "v1"), digest);
        assert.ok(Date.now() - start >= 950, `waited only ${Date.now() - start} ms`);
        assert.equal(proxy.requests.length, 2);
    });

    it("does not wait for a Retry-After longer than the limit", async () => {
        proxy.setFault(() => ({ kind: "status", status: 429, headers: { "retry-after": "3600" } }));
        const e = await rejectsWith(() => client.resolve(repo, "v1"), "HTTP_ERROR");
        assert.equal(e.context.status, 429);
        assert.equal(proxy.requests.length, 1);
    });

    it("retries a GET after a dropped connection", async () => {
        proxy.setFault((r) => (r.index === 0 ? { kind: "drop" } : undefined));
        assert.ok((await client.listTags(repo)).includes("v1"));
        assert.equal(proxy.requests.length, 2);
    });

    it("never retries a PUT on 503 or a dropped connection (a write is not repeated blindly)", async () => {
        const m = await client.getManifest(repo, "v1");
        proxy.requests.length = 0;
        proxy.setFault((r) => (r.method === "PUT" ? { kind: "status", status: 503 } : undefined));
        const e = await rejectsWith(() => client.putManifest(repo, "v2", m), "HTTP_ERROR");
        assert.match(e.message, /not retried automatically/);
        assert.equal(proxy.requests.filter((r) => r.method === "PUT").length, 1);

        proxy.requests.length = 0;
        proxy.setFault((r) => (r.method === "PUT" ? { kind: "drop" } : undefined));
        const dropped = await rejectsWith(() => client.putManifest(repo, "v2", m), "UNREACHABLE");
        assert.match(dropped.message, /may or may not have happened/);
        assert.equal(proxy.requests.filter((r) => r.method === "PUT").length, 1);

        proxy.requests.length = 0;
        proxy.setFault((r) => (r.method === "DELETE" ? { kind: "status", status: 503 } : undefined));
        await rejectsWith(() => client.deleteManifest(repo, digest), "HTTP_ERROR");
        assert.equal(proxy.requests.filter((r) => r.method === "DELETE").length, 1);
        assert.equal(await client.resolve(repo, "v1"), digest, "the image is still there");
    });

    it("retries a PUT refused with 429, since the registry did not process it", async () => {
        const m = await client.getManifest(repo, "v1");
        proxy.requests.length = 0;
        proxy.setFault((r) => (r.method === "PUT" && r.index === 0 ? { kind: "status", status: 429, headers: { "retry-after": "0" } } : undefined));
        assert.equal(await client.putManifest(repo, "v3", m), digest);
        assert.equal(proxy.requests.filter((r) => r.method === "PUT").length, 2);
    });

    it("times out a request that gets no answer", async () => {
        proxy.setFault(() => ({ kind: "hang" }));
        const slow = new RegistryClient({ registry: proxy.registry, timeoutMs: 300, backoffMs: 10 });
        const e = await rejectsWith(() => slow.resolve(repo, "v1"), "TIMEOUT");
        assert.match(e.message, /timed out after 300 ms/);
    });

    it("refuses a manifest body that is not JSON", async () => {
        proxy.setFault((r) => r.path.includes("/manifests/")
            ? { kind: "rewrite", rewrite: (a) => ({ ...a, headers: { ...a.headers, "docker-content-digest": "", "content-type": "text/html" }, body: Buffer.from("<html>hello</html>") }) }
            : undefined);
        const e = await rejectsWith(() => client.getManifest(repo, "v1"), "BAD_RESPONSE");
        assert.match(e.message, /not JSON/);
        assert.equal(e.context.reference, "v1");
    });

    it("refuses an unknown manifest media type", async () => {
        proxy.setFault((r) => r.path.includes("/manifests/")
            ? {
                kind: "rewrite",
                rewrite: (a) => {
                    const body = Buffer.from(a.body.toString().replace(MEDIA_TYPES.dockerManifest, "application/vnd.example.thing+json"));
                    const { ["docker-content-digest"]: _dropped, ...headers } = a.headers;
                    return { ...a, headers: { ...headers, "content-type": "application/vnd.example.thing+json" }, body };
                },
            }
            : undefined);
        const e = await rejectsWith(() => client.getManifest(repo, "v1"), "UNSUPPORTED_MEDIA_TYPE");
        assert.match(e.message, /application\/vnd\.example\.thing\+json/);
    });

    it("refuses a Docker-Content-Digest that does not match the body", async () => {
        const other = sha256Digest(Buffer.from("other"));
        proxy.setFault((r) => r.path.includes("/manifests/") ? { kind: "rewrite", rewrite: (a) => ({ ...a, headers: { ...a.headers, "docker-content-digest": other } }) } : undefined);
        const e = await rejectsWith(() => client.getManifest(repo, "v1"), "DIGEST_MISMATCH");
        assert.match(e.message, /repository faults\/app, reference v1/);
        await rejectsWith(() => client.resolve(repo, digest), "DIGEST_MISMATCH");
    });

    it("refuses a body that does not hash to the digest asked for", async () => {
        proxy.setFault((r) => r.path.includes("/manifests/")
            ? { kind: "rewrite", rewrite: (a) => { const { ["docker-content-digest"]: _d, ...headers } = a.headers; return { ...a, headers, body: Buffer.from(a.body.toString().replace("{", "{ ")) }; } }
            : undefined);
        await rejectsWith(() => client.getManifest(repo, digest), "DIGEST_MISMATCH");
    });

    it("falls back to GET and hashing when HEAD has no Docker-Content-Digest", async () => {
        proxy.setFault((r) => r.method === "HEAD" ? { kind: "rewrite", rewrite: (a) => { const { ["docker-content-digest"]: _d, ...headers } = a.headers; return { ...a, headers }; } } : undefined);
        assert.equal(await client.resolve(repo, "v1"), digest);
        assert.deepEqual(events.map((e) => e.method), ["HEAD", "GET"]);
    });

    it("refuses a registry that answers PUT with another digest", async () => {
        const m = await client.getManifest(repo, "v1");
        const other = sha256Digest(Buffer.from("other"));
        proxy.setFault((r) => r.method === "PUT" ? { kind: "rewrite", rewrite: (a) => ({ ...a, headers: { ...a.headers, "docker-content-digest": other } }) } : undefined);
        await rejectsWith(() => client.putManifest(repo, "v4", m), "DIGEST_MISMATCH");
    });
});

describe("registry client helpers", () => {
    it("refuses repository and reference names outside the grammar before sending anything", async () => {
        const events: RequestEvent[] = [];
        const c = new RegistryClient({ registry: "127.0.0.1:5", onRequest: (e) => events.push(e) });
        for (const call of [
            () => c.resolve("../../v2/_catalog", "v1"),
            () => c.getManifest("app", "../../x"),
            () => c.listTags("App/Upper"),
            () => c.getManifest("app", "sha256:abc"),
            () => c.putManifest("app", "bad tag", { bytes: Buffer.from("{}"), mediaType: MEDIA_TYPES.ociManifest }),
        ]) {
            await assert.rejects(call(), ValidationError);
        }
        assert.equal(events.length, 0);
    });


    it("parses bearer and basic challenges", () => {
        assert.deepEqual(parseChallenge('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"'), {
            scheme: "bearer",
            params: { realm: "https://auth.example.com/token", service: "registry.example.com", scope: "repository:a/b:pull,push" },
        });
        assert.deepEqual(parseChallenge('Basic realm="image-lifecycle-test"'), { scheme: "basic", params: { realm: "image-lifecycle-test" } });
        assert.equal(parseChallenge(""), undefined);
    });

    it("reads Retry-After as seconds or an HTTP date", () => {
        assert.equal(retryAfter("2"), 2000);
        assert.equal(retryAfter(null), undefined);
        assert.equal(retryAfter("soon"), undefined);
        const ms = retryAfter(new Date(Date.now() + 5000).toUTCString())!;
        assert.ok(ms > 3000 && ms <= 5000, String(ms));
    });
});
