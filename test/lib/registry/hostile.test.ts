import { strict as assert } from "node:assert";
import * as net from "node:net";
import { RegistryError } from "../../../lib/errors";
import { gatherOverview } from "../../../lib/registry/overview";
import { promote } from "../../../lib/release/promotion";
import { RegistryClient } from "../../../lib/registry/client";
import { BODY_LIMITS, RequestEvent } from "../../../lib/registry/types";
import { startFaultProxy } from "../../support/fault-proxy";
import { endless, json, startHostileServer } from "../../support/hostile-server";
import { buildAndPush, RegistryService, sharedTestRegistry, startRegistry } from "../../../estate/services";

/** Asserts `p` rejects with a RegistryError of `code` whose message matches `re`. */
async function registryError(p: Promise<unknown>, code: string, re: RegExp): Promise<RegistryError> {
    try {
        await p;
    } catch (e) {
        assert.ok(e instanceof RegistryError, `expected a RegistryError, got ${(e as Error)?.stack ?? e}`);
        assert.equal(e.code, code, e.message);
        assert.match(e.message, re);
        return e;
    }
    assert.fail("expected a RegistryError, but the call succeeded");
}

describe("RegistryClient against hostile and misbehaving registries", function () {
    this.timeout(120000);

    describe("tag pagination (issue 9, items 6 and 7)", () => {
        it("stops a pagination that never ends at the page bound, with a clear registry error", async () => {
            const server = await startHostileServer((_req, res, i) => {
                // Every page links to a new, never-seen page: no loop to detect, only a bound stops it.
                json(res, 200, { name: "evil/app", tags: [`t${i}`] }, { link: `</v2/evil/app/tags/list?n=1&last=t${i}>; rel="next"` });
            });
            try {
                const client = new RegistryClient({ registry: server.registry, listLimits: { maxPages: 50 } });
                await registryError(client.listTags("evil/app"), "BAD_RESPONSE", /did not end after 50 pages \(50 tags so far\).*Check the registry/);
                assert.equal(server.requests.length, 50, "no request beyond the bound");
            } finally {
                await server.close();
            }
        });

        it("stops at the tag bound and at the listing's time bound", async () => {
            const many = await startHostileServer((_req, res, i) => {
                json(res, 200, { name: "evil/app", tags: Array.from({ length: 100 }, (_, k) => `p${i}-${k}`) }, { link: `</v2/evil/app/tags/list?page=${i + 1}>; rel="next"` });
            });
            const slow = await startHostileServer((_req, res, i) => {
                setTimeout(() => json(res, 200, { name: "evil/app", tags: [`s${i}`] }, { link: `</v2/evil/app/tags/list?page=${i + 1}>; rel="next"` }), 20);
            });
            try {
                await registryError(new RegistryClient({ registry: many.registry, listLimits: { maxTags: 1000 } }).listTags("evil/app"), "BAD_RESPONSE", /passed 1000 tags after 11 pages/);
                await registryError(new RegistryClient({ registry: slow.registry, listLimits: { timeoutMs: 200 } }).listTags("evil/app"), "TIMEOUT", /Listing tags took longer than 200 ms/);
            } finally {
                await many.close();
                await slow.close();
            }
        });

        it("resolves a relative Link against the page's URL (RFC 8288) on the real registry", async () => {
            const reg = await sharedTestRegistry();
            const repo = "hostile/relative";
            const digest = await buildAndPush({ repository: `${reg.registry}/${repo}`, tags: ["a1", "b2", "c3", "d4", "e5"] });
            const proxy = await startFaultProxy(reg.url);
            try {
                // Distribution v3's own pagination, with each Link made relative to the page: <list?n=2&last=…>.
                proxy.setFault((r) => (/\/tags\/list/.test(r.path) ? {
                    kind: "rewrite",
                    rewrite: (answer) => {
                        const headers = { ...answer.headers };
                        if (typeof headers.link === "string") headers.link = headers.link.replace(`</v2/${repo}/tags/`, "<");
                        return { ...answer, headers };
                    },
                } : undefined));
                const events: RequestEvent[] = [];
                const client = new RegistryClient({ registry: proxy.registry, onRequest: (e) => events.push(e) });
                const tags = await client.listTags(repo, { pageSize: 2 });
                assert.deepEqual(tags.sort(), ["a1", "b2", "c3", "d4", "e5"]);
                assert.equal(events.length, 3, "three pages of two");
                assert.ok(events.every((e) => new URL(e.url).pathname === `/v2/${repo}/tags/list`), events.map((e) => e.url).join(", "));
                const rows = await gatherOverview(client, repo, { pageSize: 2 });
                assert.ok(rows.every((r) => r.info.digest === digest));
            } finally {
                await proxy.close();
            }
        });

        it("reports a Link that is not a URL as a registry error, not a crash", async () => {
            const server = await startHostileServer((_req, res) => json(res, 200, { name: "evil/app", tags: ["a"] }, { link: `<http://[::1/broken>; rel="next"` }));
            try {
                await registryError(new RegistryClient({ registry: server.registry }).listTags("evil/app"), "BAD_RESPONSE", /Link header names .*not a URL/);
            } finally {
                await server.close();
            }
        });
    });

    describe("response size caps (item 8)", () => {
        const kinds: [string, string, keyof typeof BODY_LIMITS, (c: RegistryClient) => Promise<unknown>][] = [
            ["a tag list", "/v2/evil/app/tags/list", "tagList", (c) => c.listTags("evil/app")],
            ["a manifest", "/v2/evil/app/manifests/v1", "manifest", (c) => c.getManifest("evil/app", "v1")],
            ["a config blob", `/v2/evil/app/blobs/sha256:${"c".repeat(64)}`, "config", (c) => c.getBlob("evil/app", `sha256:${"c".repeat(64)}`)],
        ];
        for (const [what, path, kind, call] of kinds) {
            it(`stops reading ${what} that never ends at its cap (${BODY_LIMITS[kind]} bytes)`, async () => {
                // No Content-Length: the cap must hold while streaming, not only from the header.
                const server = await startHostileServer((req, res) => {
                    if (req.url !== path) return json(res, 404, { errors: [{ code: "NAME_UNKNOWN" }] });
                    res.writeHead(200, { "content-type": "application/json" });
                    endless(res, Buffer.alloc(64 * 1024, 0x20));
                });
                try {
                    await registryError(call(new RegistryClient({ registry: server.registry, retries: 0 })), "BAD_RESPONSE", new RegExp(`larger than ${BODY_LIMITS[kind]} bytes.*stopped reading`));
                    // What was read is bounded by the cap plus what the socket had buffered, never the endless body.
                    assert.ok(server.bytesSent() < BODY_LIMITS[kind] + 16 * 1024 * 1024, `${server.bytesSent()} bytes sent`);
                } finally {
                    await server.close();
                }
            });
        }

        it("refuses a declared Content-Length over the cap before reading the body, and caps a token answer", async () => {
            const server = await startHostileServer((req, res) => {
                if (req.url?.startsWith("/token")) {
                    res.writeHead(200, { "content-type": "application/json" });
                    return endless(res, Buffer.from("{\"token\":\"aaaaaaaaaaaaaaaa"));
                }
                if (req.url === "/v2/evil/app/manifests/big") {
                    res.writeHead(200, { "content-type": "application/json", "content-length": String(BODY_LIMITS.manifest + 1) });
                    return res.end();
                }
                res.writeHead(401, { "www-authenticate": `Bearer realm="http://${req.headers.host}/token",service="evil"` });
                res.end();
            });
            try {
                const client = new RegistryClient({ registry: server.registry, retries: 0 });
                await registryError(client.getManifest("evil/app", "big"), "BAD_RESPONSE", /larger than 4194304 bytes/);
                await registryError(client.listTags("evil/app"), "BAD_RESPONSE", /token service .* answered more than 262144 bytes/);
            } finally {
                await server.close();
            }
        });
    });

    describe("any registry port (issue 11, item 5)", () => {
        const BAD_PORTS = [5061, 5060, 6000, 6665, 6666, 6667, 6668, 6669, 10080];
        let reg: RegistryService;
        let port: number;
        before(async function () {
            port = (await firstFreePort(BAD_PORTS))!;
            if (port === undefined) throw new Error(`None of the Fetch standard's bad ports ${BAD_PORTS.join(", ")} is free on 127.0.0.1; free one (5061 preferred) to run this test.`);
            reg = await startRegistry({ port });
        });
        after(async () => reg?.stop());

        it("fetch itself refuses the port (so this test would fail on a fetch transport)", async () => {
            await assert.rejects(fetch(`${reg.url}/v2/`), (e: Error) => /bad port/i.test(`${e.message} ${(e.cause as Error)?.message}`));
        });

        it(`lists, reads, promotes and deletes on a real registry on a bad port`, async () => {
            const repo = "anyport/app";
            const digest = await buildAndPush({ repository: `${reg.registry}/${repo}`, tags: ["abc1234"], payload: "any port" });
            const client = new RegistryClient({ registry: reg.registry });
            assert.match(reg.registry, new RegExp(`:${port}$`));
            assert.deepEqual(await client.listTags(repo), ["abc1234"]);
            const rows = await gatherOverview(client, repo);
            assert.equal(rows[0].info.digest, digest);
            const outcome = await promote(client, { registry: reg.registry, repository: repo, digest: digest.slice(7), tag: "v1.0.0" }, { settleMs: 0 });
            assert.equal(outcome.digest, digest);
            assert.equal(await client.resolve(repo, "v1.0.0"), digest);
            await client.deleteManifest(repo, digest);
            assert.equal(await client.resolve(repo, "abc1234"), undefined);
        });
    });
});

async function firstFreePort(ports: number[]): Promise<number | undefined> {
    for (const port of ports) {
        const free = await new Promise<boolean>((resolve) => {
            const s = net.createServer();
            s.once("error", () => resolve(false));
            s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
        });
        if (free) return port;
    }
    return undefined;
}

describe("RegistryClient: sizes the registry reports", function () {
    this.timeout(60000);
    it("refuses a layer size of 1e308 (or sizes summing past 2^53) instead of printing null in --json", async () => {
        const { createHash } = await import("node:crypto");
        const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
        const config = Buffer.from("{}");
        const manifests: Record<string, Buffer> = {
            huge: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { digest: sha(config), size: 2 }, layers: [{ digest: sha(config), size: 1e308 }] })),
            sum: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { digest: sha(config), size: 2 }, layers: [{ digest: sha(config), size: Number.MAX_SAFE_INTEGER }] })),
        };
        const server = await startHostileServer((req, res) => {
            const tag = /manifests\/(\w+)$/.exec(req.url ?? "")?.[1];
            if (tag && manifests[tag]) {
                res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
                return void res.end(manifests[tag]);
            }
            res.writeHead(200);
            res.end(config);
        });
        try {
            const client = new RegistryClient({ registry: server.registry });
            await registryError(client.getImageInfo("evil/app", "huge"), "BAD_RESPONSE", /no valid config or layers descriptors/);
            await registryError(client.getImageInfo("evil/app", "sum"), "BAD_RESPONSE", /more bytes than can be counted exactly/);
        } finally {
            await server.close();
        }
    });
});
