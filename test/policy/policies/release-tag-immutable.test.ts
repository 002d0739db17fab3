import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { releaseProvider } from "../../../components/release";

import { loadStackConfig, runProgram, runProgramFull, seedImage } from "../../../harness/program";
import { clientFromEnv } from "../../../lib/registry/access";
import { MESSAGES } from "../../../lib/rules/tags";
import { resetTagLookups } from "../../../policy/lib/tag-lookup";
import { buildAndPush, freePort, type RegistryService, sharedTestRegistry, startRegistry } from "../../../estate/services";
import { expectMessages, violationsOf } from "../check";
import { addRelease, Estate } from "../../../harness/policy-fixtures";
import { KINDS } from "../../../lib/contract";

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

describe(`${IMMUTABLE} after a real promotion of the program's release (preview after \`pulumi up\`)`, function () {
    this.timeout(300000);
    const shipped = loadStackConfig("proxima");
    const name = Object.keys(shipped.releases)[0];
    const image = shipped.releases[name].repository as string;
    let records: string;
    const saved = process.env.IMAGE_LIFECYCLE_RECORDS_DIR;
    before(() => {
        records = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-records-"));
        process.env.IMAGE_LIFECYCLE_RECORDS_DIR = records;
    });
    after(() => {
        if (saved === undefined) delete process.env.IMAGE_LIFECYCLE_RECORDS_DIR;
        else process.env.IMAGE_LIFECYCLE_RECORDS_DIR = saved;
        fs.rmSync(records, { recursive: true, force: true });
    });
    beforeEach(() => resetTagLookups());

    /** The shipped release pointed at `digest` under `tag` (no smoke command: the test image has no nginx). */
    const releaseOf = (digest: string, tag: string) => (raw: any) => {
        const { smokeCommand: _smoke, ...rest } = raw.releases[name];
        return { ...raw, releases: { [name]: { ...rest, digest: hex(digest), tag } } };
    };

    it("passes the release's own tag on its own digest, and refuses the same tag on another digest", async () => {
        const own = await seedImage(image, shipped.apps["hello-world"].tag);
        const another = await seedImage(shipped.apps["giftfinder-api"].repository, shipped.apps["giftfinder-api"].tag);
        const tag = `v3.0.${Date.now() % 100000}`;
        // `pulumi up`: the release provider really writes the tag into the registry.
        const up = await runProgramFull("proxima", releaseOf(own, tag), {
            create: async (args) => {
                if (args.inputs?.kind !== KINDS.release) return undefined;
                const { __provider: _serialized, ...inputs } = args.inputs;
                return (await releaseProvider.create!(inputs)).outs;
            },
        });
        assert.equal(up.outputs.releases[name].digest, own, "the promotion did not run");
        // The next preview of the unchanged stack: the tag exists, on the release's own digest.
        const preview = await runProgram("proxima", releaseOf(own, tag));
        expectMessages(await violationsOf(IMMUTABLE, preview), []);
        expectMessages(await violationsOf(REACHABLE, preview), []);
        // The same tag moved to another image in the stack file: refused.
        resetTagLookups();
        const moved = await runProgram("proxima", releaseOf(another, tag));
        expectMessages(await violationsOf(IMMUTABLE, moved), [[MESSAGES.tagExists, `${image}:${tag}`, own, another]]);
    });
});
