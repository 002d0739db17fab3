import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { createSign, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { RegistryError } from "../../../lib/errors";
import { OCI } from "../../../lib/contract";
import { RegistryClient } from "../../../lib/registry/client";
import { RequestEvent } from "../../../lib/registry/types";
import { buildAndPush, DISTRIBUTIONS, requireBinary, sharedTestRegistry, startRegistry } from "../../../estate/services";

const run = promisify(execFile);
const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/**
 * A token service as the distribution token spec describes it (what Harbor, GitLab or docker_auth run
 * in front of a registry): basic credentials in, a JWT signed with the key whose certificate the real
 * registry trusts out, granting the scope asked for. The registry itself verifies every token.
 */
async function startTokenService(dir: string, user: { username: string; password: string }, issuer: string, service: string) {
    requireBinary("openssl", "openssl");
    const key = path.join(dir, "token.key");
    const cert = path.join(dir, "token.crt");
    await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=image-lifecycle-test-token"]);
    const der = fs.readFileSync(cert, "utf8").replace(/-----[^-]+-----|\s/g, "");
    const privateKey = fs.readFileSync(key, "utf8");
    const expected = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}`;
    const requests: { scopes: string[]; authorized: boolean }[] = [];
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://token");
        const scopes = url.searchParams.getAll("scope");
        const authorized = req.headers.authorization === expected;
        requests.push({ scopes, authorized });
        if (!authorized || url.searchParams.get("service") !== service) {
            res.writeHead(401, { "content-type": "application/json" });
            res.end(JSON.stringify({ details: "bad credentials" }));
            return;
        }
        const now = Math.floor(Date.now() / 1000);
        const access = scopes.map((s) => {
            const [type, name, actions] = s.split(":");
            return { type, name, actions: actions.split(",") };
        });
        const header = b64url(JSON.stringify({ typ: "JWT", alg: "RS256", x5c: [der] }));
        const claims = b64url(JSON.stringify({ iss: issuer, sub: user.username, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access }));
        const signature = createSign("RSA-SHA256").update(`${header}.${claims}`).sign(privateKey).toString("base64url");
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ token: `${header}.${claims}.${signature}`, expires_in: 300 }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    return { realm: `http://127.0.0.1:${port}/token`, cert, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

for (const distribution of DISTRIBUTIONS) describe(`RegistryClient bearer-token auth (registry with token auth, Distribution ${distribution})`, function () {
    const user = { username: "deployer", password: "t0ken-Passw0rd!" };
    const repo = "bearer/app";
    let dir: string;
    let token: Awaited<ReturnType<typeof startTokenService>>;
    let registry: string;
    let digest: string;

    before(async function () {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-token-"));
        token = await startTokenService(dir, user, "image-lifecycle-test-issuer", "image-lifecycle-test");
        const reg = await startRegistry({ distribution, tokenAuth: { realm: token.realm, service: "image-lifecycle-test", issuer: "image-lifecycle-test-issuer", rootCertBundle: token.cert } });
        registry = reg.registry;
        const shared = await sharedTestRegistry(distribution);
        digest = await buildAndPush({ repository: `${shared.registry}/bearer/source`, tags: ["v1"], labels: { [OCI.description]: "bearer", [OCI.created]: "2026-01-25T01:10:00Z" }, payload: "bearer" });
        const source = new RegistryClient({ registry: shared.registry });
        const m = await source.getManifest("bearer/source", digest);
        const writer = new RegistryClient({ registry, credentials: user });
        for (const d of [m.json.config, ...(m.json.layers as unknown[])] as { digest: string }[]) await writer.uploadBlob(repo, await source.getBlob("bearer/source", d.digest));
        assert.equal(await writer.putManifest(repo, "v1", m), digest);
    });
    after(async () => {
        await token?.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("gets a token for the challenged scope from the realm and reuses it for the scope", async () => {
        token.requests.length = 0;
        const events: RequestEvent[] = [];
        const c = new RegistryClient({ registry, credentials: user, onRequest: (e) => events.push(e) });
        assert.equal(await c.resolve(repo, "v1"), digest);
        const info = await c.getImageInfo(repo, "v1");
        assert.equal(info.labels[OCI.description], "bearer");
        assert.deepEqual(await c.listTags(repo), ["v1"]);
        assert.deepEqual(token.requests, [{ scopes: [`repository:${repo}:pull`], authorized: true }], "one token for all pull requests");
        assert.deepEqual(events.map((e) => e.status), [401, 200, 200, 200, 200, 200], "challenge, token, HEAD, then GETs with the cached token");
        assert.ok(events[1].url.startsWith(token.realm));
    });

    it("asks for push rights for a write", async () => {
        token.requests.length = 0;
        const c = new RegistryClient({ registry, credentials: user });
        const m = await c.getManifest(repo, "v1");
        await c.putManifest(repo, "v1.0.0", m);
        assert.equal(await c.resolve(repo, "v1.0.0"), digest);
        // The registry lists the actions of a challenge in no fixed order.
        const normalised = token.requests.map((r) => r.scopes.map((s) => s.replace(/[^:]+$/, (a) => a.split(",").sort().join(","))));
        assert.deepEqual(normalised, [[`repository:${repo}:pull`], [`repository:${repo}:pull,push`]]);
    });

    it("refuses clearly without credentials or with a wrong password, never printing it", async () => {
        for (const credentials of [undefined, { username: user.username, password: "wrong-t0ken-pass" }]) {
            const c = new RegistryClient({ registry, ...(credentials ? { credentials } : {}) });
            await assert.rejects(c.getManifest(repo, "v1"), (e: unknown) => {
                assert.ok(e instanceof RegistryError);
                assert.equal(e.code, "UNAUTHORIZED");
                assert.match(e.message, /token service http:\/\/127\.0\.0\.1:\d+ refused a token/);
                assert.match(e.message, credentials ? /Check REGISTRY_USERNAME/ : /Set REGISTRY_USERNAME/);
                assert.ok(!`${e.message}${e.stack}`.includes("wrong-t0ken-pass"));
                return true;
            });
        }
    });
});
