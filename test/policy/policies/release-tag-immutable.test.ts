import * as assert from "node:assert/strict";
import { clientFromEnv } from "../../../lib/registry/client";
import { MESSAGES } from "../../../lib/rules";
import { resetTagLookups } from "../../../policy/lib/tag-lookup";
import { buildAndPush, freePort, type RegistryService, sharedTestRegistry, startRegistry } from "../../support/services";
import { expectMessages, violationsOf } from "../check";
import { addRelease, Estate } from "../fixtures";

// Both policies share one registry question per tag, so they are tested together against real registries.
const IMMUTABLE = "release-tag-immutable";
const REACHABLE = "release-registry-reachable";

const hex = (digest: string) => digest.replace(/^sha256:/, "");

describe(`${IMMUTABLE} and ${REACHABLE} (real docker-registry)`, function () {
    this.timeout(180000);
    let reg: RegistryService;
    let v1: string;
    let other: string;
    before(async () => {
        reg = await sharedTestRegistry();
        v1 = await buildAndPush({ repository: `${reg.registry}/policy/immutable`, tags: ["v1.0.0", "stable"], payload: "first" });
        other = await buildAndPush({ repository: `${reg.registry}/policy/immutable`, tags: ["build-2"], payload: "second" });
        assert.notEqual(v1, other);
    });
    beforeEach(() => resetTagLookups());

    const run = async (registry: string, tag: string, digest: string) => {
        const e = new Estate();
        addRelease(e, "proxima", "rel", { registry, repository: "policy/immutable", tag, digest: hex(digest) });
        return { immutable: await violationsOf(IMMUTABLE, e), reachable: await violationsOf(REACHABLE, e) };
    };

    it("passes a new tag", async () => {
        const r = await run(reg.registry, "v2.0.0", other);
        expectMessages(r.immutable, []);
        expectMessages(r.reachable, []);
    });
    it("passes a tag that already points at the same digest (re-running a release)", async () => {
        expectMessages((await run(reg.registry, "v1.0.0", v1)).immutable, []);
    });
    it("refuses moving an existing tag to another digest, mandatory, with the seed's message", async () => {
        const r = await run(reg.registry, "v1.0.0", other);
        expectMessages(r.immutable, [[MESSAGES.tagExists, `${reg.registry}/policy/immutable:v1.0.0`, v1, other, "new tag"]]);
        assert.equal(r.immutable[0].level, "mandatory");
        expectMessages(r.reachable, []);
    });
    it("asks the registry once per tag for both policies", async () => {
        let requests = 0;
        resetTagLookups((registry, opts) => {
            return clientFromEnv(registry, {}, { ...opts, retries: 0, onRequest: () => { requests++; } });
        });
        await run(reg.registry, "stable", other);
        assert.equal(requests, 1);
    });
    it("gives an advisory, not a throw, when the registry is unreachable", async () => {
        const dead = `127.0.0.1:${await freePort()}`;
        const r = await run(dead, "v1.0.0", other);
        expectMessages(r.immutable, []);
        expectMessages(r.reachable, [[`could not ask ${dead}`, "immutability is unchecked", "REGISTRY_USERNAME"]]);
        assert.equal(r.reachable[0].level, "advisory");
    });
    describe("with basic auth", () => {
        let auth: RegistryService;
        const saved = { u: process.env.REGISTRY_USERNAME, p: process.env.REGISTRY_PASSWORD };
        before(async () => {
            auth = await startRegistry({ basicAuth: { username: "ci", password: "s3cret" } });
        });
        afterEach(() => {
            for (const [k, v] of [["REGISTRY_USERNAME", saved.u], ["REGISTRY_PASSWORD", saved.p]] as const) {
                if (v === undefined) delete process.env[k];
                else process.env[k] = v;
            }
        });
        it("without credentials: advisory naming the failure", async () => {
            delete process.env.REGISTRY_USERNAME;
            delete process.env.REGISTRY_PASSWORD;
            const r = await run(auth.registry, "v1.0.0", other);
            expectMessages(r.immutable, []);
            expectMessages(r.reachable, [[`could not ask ${auth.registry}`]]);
            assert.ok(!r.reachable[0].message.includes("s3cret"));
        });
        it("with REGISTRY_USERNAME / REGISTRY_PASSWORD it gets an answer", async () => {
            process.env.REGISTRY_USERNAME = "ci";
            process.env.REGISTRY_PASSWORD = "s3cret";
            const r = await run(auth.registry, "v9.9.9", other);
            expectMessages(r.immutable, []);
            expectMessages(r.reachable, []);
        });
    });
    it("does not ask about malformed releases (the format policies report them)", async () => {
        const dead = `127.0.0.1:${await freePort()}`;
        const r = await run(dead, "v1.0.0", `sha256:${hex(other)}`.replace("sha256:", "sha256:sha256:"));
        expectMessages(r.reachable, []);
        expectMessages(r.immutable, []);
    });
});
