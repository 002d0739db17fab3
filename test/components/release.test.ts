import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Release, releaseProvider, PromotionState, validateReleaseArgs } from "../../components/release";
import { RELEASE_KIND, ReleaseInputs } from "../../lib/release";
import { RegistryClient } from "../../lib/registry/client";
import { buildAndPush, dockerEngine, RegistryService, sharedTestRegistry, startRegistry } from "../support/services";

const HEX = "b".repeat(64);
const provider = releaseProvider as Required<pulumi.dynamic.ResourceProvider>;

function inputs(over: Partial<ReleaseInputs> = {}): ReleaseInputs {
    return { kind: RELEASE_KIND, registry: "127.0.0.1:5000", repository: "team/app", digest: HEX, tag: "v1.0.0", ...over };
}

/** Sets env vars for the duration of `work` (the provider reads its settings from the environment, as in Pulumi's provider process). */
async function withEnv<T>(env: Record<string, string>, work: () => Promise<T>): Promise<T> {
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
        return await work();
    } finally {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    }
}

describe("components/release", function () {
    this.timeout(180000);

    describe("provider check and diff", () => {
        it("check passes good inputs and reports each seed 004 failure on its property", async () => {
            assert.deepEqual((await provider.check({}, inputs())).failures, []);
            const r = await provider.check({}, { ...inputs({ digest: `sha256:${HEX}`, tag: "my-feature", repository: "Bad" }), kind: "x", deleteTagOnDestroy: { reason: " " } });
            const byProp = Object.fromEntries(r.failures!.map((f) => [f.property, f.reason]));
            assert.match(byProp.digest, /^Digest must be 64 hex characters\. Remove the sha256: prefix/);
            assert.match(byProp.tag, /^Tag does not match required patterns/);
            assert.match(byProp.repository, /^Image must be <registry>\/<repository>/);
            assert.match(byProp.kind, /image-lifecycle:release/);
            assert.match(byProp.deleteTagOnDestroy, /non-empty reason/);
            // Values not known yet in a preview are not judged then.
            const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
            assert.deepEqual((await provider.check({}, inputs({ digest: UNKNOWN }))).failures, []);
        });

        it("diff refuses a new digest for the same tag, replaces on a new tag, updates the record otherwise", async () => {
            const olds = { ...inputs(), promotedDigest: `sha256:${HEX}` } as PromotionState;
            await assert.rejects(provider.diff("id", olds, inputs({ digest: "c".repeat(64) })), /changing it to sha256:c+ is refused because release tags are immutable\. Promote the new digest under a new tag/);
            assert.deepEqual(await provider.diff("id", olds, inputs({ digest: "c".repeat(64), tag: "v1.0.1" })), { changes: true, replaces: ["tag"], deleteBeforeReplace: false });
            assert.deepEqual(await provider.diff("id", olds, inputs({ deleteTagOnDestroy: { reason: "bad build" } })), { changes: true, replaces: [], deleteBeforeReplace: false });
            assert.deepEqual(await provider.diff("id", olds, inputs()), { changes: false, replaces: [], deleteBeforeReplace: false });
            assert.equal((await provider.diff("id", olds, inputs({ digest: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }))).changes, true, "an unknown digest is judged at update");
            await assert.rejects(provider.update("id", olds, inputs({ digest: "c".repeat(64) })), /immutable\. Promote a new tag instead/);
        });

        it("validates args up front", () => {
            assert.throws(() => validateReleaseArgs({ registry: "r", repository: "x", digest: "", tag: "v1.0.0" }), /missing "digest"/);
            assert.throws(() => validateReleaseArgs({ registry: "r", repository: "x", digest: HEX, tag: "v1.0.0", sign: "yes" as never }), /"sign" must be/);
        });
    });

    describe("provider create/update/delete on the real registry and engine", () => {
        let reg: RegistryService;
        let digest: string;
        let records: string;
        let dockerHost: string;
        const repository = "release/app";
        before(async () => {
            reg = await sharedTestRegistry();
            dockerHost = (await dockerEngine()).host;
            digest = await buildAndPush({ repository: `${reg.registry}/${repository}`, tags: ["1234567"], payload: "app 1.0.0" });
            records = fs.mkdtempSync(path.join(os.tmpdir(), "release-records-"));
        });
        const env = () => ({ IMAGE_LIFECYCLE_RECORDS_DIR: records, DOCKER_HOST: dockerHost, USER: "ada" });
        const mk = (over: Partial<ReleaseInputs> = {}) => inputs({ registry: reg.registry, repository, digest: digest.slice(7), ...over });
        const tagOf = (tag: string) => new RegistryClient({ registry: reg.registry }).resolve(repository, tag);

        it("create runs the smoke test, writes the tag, the record and the release notes", async () => {
            const res = await withEnv(env(), () => provider.create(mk({ smokeCommand: "cat /payload" })));
            const outs = res.outs as PromotionState;
            assert.equal(res.id, `${reg.registry}/${repository}:v1.0.0`);
            assert.equal(outs.promotedDigest, digest);
            assert.equal(await tagOf("v1.0.0"), digest);
            assert.equal(outs.record.promotedBy, "ada");
            assert.deepEqual(outs.record.sanity, { ran: true, ok: true, output: "app 1.0.0", command: "cat /payload" });
            assert.ok(outs.record.preflight.every((c) => c.ok));
            assert.equal(outs.recordPath, path.join(records, reg.registry.replace(":", "_"), repository, "v1.0.0.json"));
            assert.deepEqual(JSON.parse(fs.readFileSync(outs.recordPath, "utf8")), outs.record);
            const notes = fs.readFileSync(outs.recordPath.replace(/json$/, "md"), "utf8");
            assert.equal(notes, outs.releaseNotes);
            assert.match(notes, new RegExp(`\\*\\*Digest\\*\\*: \`${digest}\``));
            assert.match(notes, /\*\*Platforms\*\*: linux\/amd64/);
        });

        it("a failing or silent smoke command stops the promotion before the tag is written", async () => {
            await assert.rejects(withEnv(env(), () => provider.create(mk({ tag: "v1.0.1", smokeCommand: "exit 7" }))), /Sanity check failed .*exited with 7.*The tag was not written/s);
            await assert.rejects(withEnv(env(), () => provider.create(mk({ tag: "v1.0.1", smokeCommand: "true" }))), /produced no output/);
            assert.equal(await tagOf("v1.0.1"), undefined);
            assert.equal(fs.existsSync(path.join(records, reg.registry.replace(":", "_"), repository, "v1.0.1.json")), false);
        });

        it("create refuses an existing tag on another digest with seed 004's message, and finishes one already on this digest", async () => {
            const other = await buildAndPush({ repository: `${reg.registry}/${repository}`, tags: ["7654321"], payload: "app 0.9.9" });
            await assert.rejects(withEnv(env(), () => provider.create(mk({ tag: "v1.0.0", digest: other.slice(7) }))), new RegExp(`Tag already exists: ${reg.registry}/${repository}:v1\\.0\\.0`));
            // A create that failed after writing the tag (record or notes) is finished by the retry, not refused.
            const again = (await withEnv(env(), () => provider.create(mk({ tag: "v1.0.0" })))).outs as PromotionState;
            assert.equal(again.record.resumed, true);
            assert.equal(await tagOf("v1.0.0"), digest);
        });

        it("update records a break-glass override; delete leaves the tag unless it is set", async () => {
            const created = (await withEnv(env(), () => provider.create(mk({ tag: "v2.0.0" })))).outs as PromotionState;
            const updated = (await withEnv(env(), () => provider.update("id", created, mk({ tag: "v2.0.0", deleteTagOnDestroy: { reason: "INC-1 wrong build" } })))).outs as PromotionState;
            assert.deepEqual(updated.record.breakGlass, { deleteTagOnDestroy: true, reason: "INC-1 wrong build" });
            assert.deepEqual(JSON.parse(fs.readFileSync(created.recordPath, "utf8")).breakGlass, updated.record.breakGlass);

            await withEnv(env(), () => provider.delete("id", created));
            assert.equal(await tagOf("v2.0.0"), digest, "destroy without the override leaves the tag");
            const left = JSON.parse(fs.readFileSync(created.recordPath.replace(/\.json$/, ".destroy.json"), "utf8"));
            assert.equal(left.deleted, false);
            // The digest carries other tags, so even break-glass refuses to delete it by digest.
            await assert.rejects(withEnv(env(), () => provider.delete("id", updated)), /also carries/);
            assert.equal(await tagOf("v2.0.0"), digest);
        });

        it("credentials reach the registry but never an error message", async () => {
            const secure = await startRegistry({ basicAuth: { username: "ci", password: "s3cret-pa55" } });
            const { docker } = await dockerEngine();
            await docker(["login", "-u", "ci", "--password-stdin", secure.registry], { input: "s3cret-pa55" });
            let d: string;
            try {
                d = await buildAndPush({ repository: `${secure.registry}/auth/app`, tags: ["a1"] });
            } finally {
                await docker(["logout", secure.registry]);
            }
            const base = inputs({ registry: secure.registry, repository: "auth/app", digest: d.slice(7), tag: "v1.0.0" });
            const ok = await withEnv(env(), () => provider.create({ ...base, credentials: { username: "ci", password: "s3cret-pa55" } } as never));
            assert.equal((ok.outs as PromotionState).promotedDigest, d);
            await assert.rejects(withEnv(env(), () => provider.create({ ...base, tag: "v1.0.1", credentials: { username: "ci", password: "wrong-pa55" } } as never)), (e: Error) => {
                assert.ok(!e.message.includes("wrong-pa55"), e.message);
                return true;
            });
            // The same release again finishes (the tag already names d): its record carries no credentials either.
            const again = await withEnv(env(), () => provider.create({ ...base, credentials: { username: "ci", password: "s3cret-pa55" } } as never));
            assert.equal((again.outs as PromotionState).record.resumed, true);
            assert.ok(!JSON.stringify((again.outs as PromotionState).record).includes("s3cret"));
        });
    });

    describe("serialization", () => {
        it("the provider serializes without capturing modules and works after deserialization", async () => {
            const sf = await pulumi.runtime.serializeFunction(() => releaseProvider, { allowSecrets: true });
            assert.ok(!sf.text.includes("s3cret"));
            // Pulumi's dynamic provider host loads the text with require-from-string and calls handler().
            const requireFromString = require("require-from-string");
            const loaded = requireFromString(sf.text).handler() as Required<pulumi.dynamic.ResourceProvider>;
            assert.deepEqual((await loaded.check({}, inputs())).failures, []);
            assert.match((await loaded.check({}, inputs({ tag: "v1.2" }))).failures![0].reason, /Tag does not match required patterns/);
        });
    });

    describe("component under mocks", () => {
        const registered: { type: string; name: string; inputs: any; custom: boolean }[] = [];
        before(async () => {
            await pulumi.runtime.setMocks({
                newResource: (args) => { registered.push({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom ?? false }); return { id: `${args.name}-id`, state: args.inputs }; },
                call: (args) => args.inputs,
            }, "image-lifecycle", "proxima", false);
        });

        it("registers one dynamic release with exactly the ReleaseInputs shape, secret credentials, and a cosign command when signing", async () => {
            const r = new Release("web-v1", {
                registry: "127.0.0.1:5000", repository: "team/web", digest: HEX, tag: "v1.0.0", smokeCommand: "web --version",
                credentials: { username: "ci", password: "pw" }, sign: true,
            });
            await new Promise<void>((resolve) => r.reference.apply((ref) => { assert.equal(ref, "127.0.0.1:5000/team/web:v1.0.0"); resolve(); }));
            await new Promise((res) => setTimeout(res, 200));
            const component = registered.find((x) => x.type === "image-lifecycle:release:Release");
            assert.ok(component && component.name === "web-v1");
            const dyn = registered.find((x) => x.name === "web-v1-promotion")!;
            assert.equal(dyn.type, "pulumi-nodejs:dynamic/image-lifecycle:Release");
            assert.equal(dyn.inputs.kind, RELEASE_KIND);
            const keys = Object.keys(dyn.inputs).filter((k) => k !== "__provider").sort();
            assert.deepEqual(keys, ["credentials", "digest", "kind", "registry", "repository", "smokeCommand", "tag"]);
            const sign = registered.find((x) => x.name === "web-v1-sign");
            assert.ok(sign, "cosign command registered");
            assert.equal(sign!.type, "command:local:Command");
            const other = new Release("web-v2", { registry: "127.0.0.1:5000", repository: "team/web", digest: HEX, tag: "v2.0.0" });
            assert.equal(other.signature, undefined);
        });
    });
});
