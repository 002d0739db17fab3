import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Release, releaseProvider, validateReleaseArgs } from "../../components/release";
import { createReleaseProvider, ReleaseState } from "../../lib/release/provider";
import { ReleaseProps } from "../../lib/release/spec";
import { digestHex } from "../../lib/rules/digest";
import { RegistryClient } from "../../lib/registry/client";
import { MEDIA_TYPES } from "../../lib/registry/types";
import { goTool } from "../../estate/go-tools";
import { pushOciImage } from "../../estate/oci";
import { buildAndPush, dockerEngine, RegistryService, sharedTestRegistry, startRegistry } from "../../estate/services";
import { KINDS } from "../../lib/contract";

const HEX = "b".repeat(64);
// The implementation module itself; the serialized provider that delegates to it is tested under "serialization".
const provider = createReleaseProvider({ unknown: pulumi.runtime.unknownValue });

function inputs(over: Partial<ReleaseProps> = {}): ReleaseProps {
    return { kind: KINDS.release, registry: "127.0.0.1:5000", repository: "team/app", digest: HEX, tag: "v1.0.0", ...over };
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
            const olds = { ...inputs(), promotedDigest: `sha256:${HEX}` } as ReleaseState;
            await assert.rejects(provider.diff("id", olds, inputs({ digest: "c".repeat(64) })), /changing it to sha256:c+ is refused because release tags are immutable\. Promote the new digest under a new tag/);
            assert.deepEqual(await provider.diff("id", olds, inputs({ digest: "c".repeat(64), tag: "v1.0.1" })), { changes: true, replaces: ["tag"], deleteBeforeReplace: false });
            assert.deepEqual(await provider.diff("id", olds, inputs({ deleteTagOnDestroy: { reason: "bad build" } })), { changes: true, replaces: [], deleteBeforeReplace: false });
            assert.deepEqual(await provider.diff("id", olds, inputs()), { changes: false, replaces: [], deleteBeforeReplace: false });
            assert.equal((await provider.diff("id", olds, inputs({ digest: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }))).changes, true, "an unknown digest is judged at update");
            await assert.rejects(provider.update("id", olds, inputs({ digest: "c".repeat(64) })), /immutable\. Promote a new tag instead/);
        });

        it("validates args up front", () => {
            assert.throws(() => validateReleaseArgs({ registry: "r", repository: "x", digest: "", tag: "v1.0.0" }), /missing "digest"/);
            assert.throws(() => validateReleaseArgs({ registry: "r", repository: "x", digest: HEX, tag: "v1.0.0", sign: "yes" as never }), /"sign" must be \{ publicKey, privateKey, password \}/);
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
        const mk = (over: Partial<ReleaseProps> = {}) => inputs({ registry: reg.registry, repository, digest: digest.slice(7), ...over });
        const tagOf = (tag: string) => new RegistryClient({ registry: reg.registry }).resolve(repository, tag);

        it("create runs the smoke test, writes the tag, the record and the release notes", async () => {
            const res = await withEnv(env(), () => provider.create(mk({ smokeCommand: "cat /payload" })));
            const outs = res.outs as ReleaseState;
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
            const again = (await withEnv(env(), () => provider.create(mk({ tag: "v1.0.0" })))).outs as ReleaseState;
            assert.equal(again.record.resumed, true);
            assert.equal(await tagOf("v1.0.0"), digest);
        });

        it("a create that stops after writing the tag says the tag is written and that up finishes it; the retry does", async () => {
            const blocked = path.join(records, "not-a-folder");
            fs.writeFileSync(blocked, "");
            await assert.rejects(withEnv({ ...env(), IMAGE_LIFECYCLE_RECORDS_DIR: path.join(blocked, "records") }, () => provider.create(mk({ tag: "v3.0.0" }))), (e: Error) => {
                assert.match(e.message, new RegExp(`^${reg.registry}/${repository}:v3\\.0\\.0 is already written on ${digest}, but the release stopped after that: .*ENOTDIR.* Fix that and run pulumi up again to finish the release`));
                return true;
            });
            assert.equal(await tagOf("v3.0.0"), digest, "the tag was written before the record failed");
            const finished = (await withEnv(env(), () => provider.create(mk({ tag: "v3.0.0" })))).outs as ReleaseState;
            assert.equal(finished.record.resumed, true);
            assert.ok(fs.existsSync(finished.recordPath));
        });

        it("update records a break-glass override; delete leaves the tag unless it is set", async () => {
            const created = (await withEnv(env(), () => provider.create(mk({ tag: "v2.0.0" })))).outs as ReleaseState;
            const updated = (await withEnv(env(), () => provider.update("id", created, mk({ tag: "v2.0.0", deleteTagOnDestroy: { reason: "INC-1 wrong build" } })))).outs as ReleaseState;
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
            assert.equal((ok.outs as ReleaseState).promotedDigest, d);
            await assert.rejects(withEnv(env(), () => provider.create({ ...base, tag: "v1.0.1", credentials: { username: "ci", password: "wrong-pa55" } } as never)), (e: Error) => {
                assert.ok(!e.message.includes("wrong-pa55"), e.message);
                return true;
            });
            // The same release again finishes (the tag already names d): its record carries no credentials either.
            const again = await withEnv(env(), () => provider.create({ ...base, credentials: { username: "ci", password: "s3cret-pa55" } } as never));
            assert.equal((again.outs as ReleaseState).record.resumed, true);
            assert.ok(!JSON.stringify((again.outs as ReleaseState).record).includes("s3cret"));
        });
    });

    describe("state saved by the first version of the provider", () => {
        // test/fixtures/release-state-v1.json is what `create` returned before the provider moved to
        // lib/release/provider.ts (digest prop: seed 004's bare hex). Only the registry's port and the
        // records folder differ from run to run, so those two are swapped in; everything else is as saved.
        const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/release-state-v1.json"), "utf8"));
        // The image the fixture was captured with (same bytes, so the same digest).
        const image = {
            config: { architecture: "amd64", os: "linux", config: { Labels: { "org.opencontainers.image.description": "fixture" } }, rootfs: { type: "layers", diff_ids: [] } },
            layer: Buffer.from("release-state-v1 fixture layer\n"),
        };
        let reg: RegistryService;
        let olds: ReleaseState;
        let records: string;
        const env = () => ({ IMAGE_LIFECYCLE_RECORDS_DIR: records, USER: "ada" });
        before(async () => {
            reg = await sharedTestRegistry();
            const client = new RegistryClient({ registry: reg.registry });
            // Pushed by digest, then the tag the release wrote: v1.0.0 is the only tag on it, as after that create.
            const pushed = await pushOciImage(client, "fixture/app", fixture.outs.promotedDigest, image);
            assert.equal(pushed.digest, fixture.outs.promotedDigest);
            await client.putManifest("fixture/app", "v1.0.0", { bytes: pushed.manifest, mediaType: MEDIA_TYPES.ociManifest });
            records = fs.mkdtempSync(path.join(os.tmpdir(), "release-records-v1-"));
            const swap = (text: string, from: string, to: string) => text.split(from).join(to);
            let text = JSON.stringify(fixture.outs);
            text = swap(text, fixture.capturedRecordsDir, records);
            text = swap(text, fixture.capturedRegistry.replace(":", "_"), reg.registry.replace(":", "_"));
            text = swap(text, fixture.capturedRegistry, reg.registry);
            olds = JSON.parse(text);
        });
        /** The props this version's component registers for the same release (its args carry `sha256:<hex>`). */
        const sameRelease = (over: Partial<ReleaseProps> = {}): ReleaseProps => ({
            kind: KINDS.release, registry: reg.registry, repository: "fixture/app", digest: digestHex(fixture.outs.promotedDigest), tag: "v1.0.0",
            allowNonSemver: false, deleteTagOnDestroy: { reason: "INC-7 fixture" }, ...over,
        });

        it("the saved digest prop is seed 004's bare hex, and the same release diffs as no change (no replacement)", async () => {
            assert.match(olds.digest, /^[0-9a-f]{64}$/);
            assert.deepEqual((await provider.check(olds, sameRelease())).failures, []);
            assert.deepEqual(await provider.diff("id", olds, sameRelease()), { changes: false, replaces: [], deleteBeforeReplace: false });
            assert.deepEqual(await provider.diff("id", olds, sameRelease({ deleteTagOnDestroy: { reason: "INC-8" } })), { changes: true, replaces: [], deleteBeforeReplace: false });
            await assert.rejects(provider.diff("id", olds, sameRelease({ digest: "c".repeat(64) })), new RegExp(`points at ${fixture.outs.promotedDigest}; changing it to sha256:c+ is refused`));
        });

        it("update rewrites the record of the saved state, and delete (break-glass) removes the tag", async () => {
            const updated = (await withEnv(env(), () => provider.update("id", olds, sameRelease({ deleteTagOnDestroy: { reason: "INC-8 wrong build" } })))).outs;
            assert.deepEqual(updated.record.breakGlass, { deleteTagOnDestroy: true, reason: "INC-8 wrong build" });
            assert.equal(updated.promotedDigest, fixture.outs.promotedDigest);
            assert.equal(updated.digest, olds.digest, "the state keeps the bare hex prop");
            assert.deepEqual(JSON.parse(fs.readFileSync(olds.recordPath, "utf8")), updated.record);
            const tagOf = () => new RegistryClient({ registry: reg.registry }).resolve("fixture/app", "v1.0.0");
            assert.equal(await tagOf(), fixture.outs.promotedDigest);
            await withEnv(env(), () => provider.delete("id", updated));
            assert.equal(await tagOf(), undefined);
            const left = JSON.parse(fs.readFileSync(olds.recordPath.replace(/\.json$/, ".destroy.json"), "utf8"));
            assert.equal(left.deleted, true);
            assert.equal(left.digest, fixture.outs.promotedDigest);
        });
    });

    describe("signing with a real cosign key pair, inside create and update (seed 004's double verification)", () => {
        let reg: RegistryService;
        let records: string;
        let keys: string;
        let pair: { publicKey: string; privateKey: string; password: string };
        let otherPublicKey: string;
        const repository = "signed/app";
        const password = "Rel3ase-key-pa55word";
        const cosignDir = () => path.dirname(goTool("cosign"));
        /** The provider finds cosign on PATH, as on a team's machine; here PATH leads to the one built from its Go module. */
        const env = () => ({ IMAGE_LIFECYCLE_RECORDS_DIR: records, USER: "ada", PATH: `${cosignDir()}:${process.env.PATH}` });
        const cosign = (args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}) =>
            spawnSync(goTool("cosign"), args, { cwd, env: { ...process.env, HOME: keys, TUF_ROOT: path.join(keys, "tuf"), ...extra }, encoding: "utf8", timeout: 120000 });
        const generate = (dir: string, pw: string) => {
            fs.mkdirSync(dir, { recursive: true });
            const r = cosign(["generate-key-pair"], dir, { COSIGN_PASSWORD: pw });
            assert.equal(r.status, 0, r.stderr);
            return { publicKey: fs.readFileSync(path.join(dir, "cosign.pub"), "utf8"), privateKey: fs.readFileSync(path.join(dir, "cosign.key"), "utf8"), password: pw };
        };
        const push = async (payload: string) => (await pushOciImage(new RegistryClient({ registry: reg.registry }), repository, `build-${payload.replace(/[^A-Za-z0-9]/g, "-")}`, { config: { architecture: "amd64", os: "linux", config: {} }, layer: Buffer.from(payload) })).digest;
        const signed = (over: Partial<ReleaseProps>, key: Partial<typeof pair> = pair) =>
            ({ ...inputs({ registry: reg.registry, repository, ...over }), sign: { publicKey: key.publicKey ?? pair.publicKey }, signingKey: { privateKey: key.privateKey, password: key.password } }) as never;
        const tagOf = (tag: string) => new RegistryClient({ registry: reg.registry }).resolve(repository, tag);
        const recordFile = (tag: string) => path.join(records, reg.registry.replace(":", "_"), repository, `${tag}.json`);
        /** An independent check with the cosign CLI and the public key file, as a reader of the release notes runs it. */
        const verifiedBy = (ref: string, pubFile: string) => cosign(["verify", "--key", pubFile, "--insecure-ignore-tlog=true", "--allow-http-registry=true", ref], keys);

        before(async () => {
            reg = await sharedTestRegistry("v3");
            records = fs.mkdtempSync(path.join(os.tmpdir(), "release-signed-records-"));
            keys = fs.mkdtempSync(path.join(os.tmpdir(), "release-keys-"));
            pair = generate(path.join(keys, "team"), password);
            otherPublicKey = generate(path.join(keys, "other"), "other-pa55word").publicKey;
        });
        after(() => {
            for (const d of [records, keys]) if (d) fs.rmSync(d, { recursive: true, force: true });
        });

        it("create signs the promoted digest, verifies tag and digest, records the signature, and the notes' commands verify it", async () => {
            const digest = await push("signed 1.0.0");
            const outs = (await withEnv(env(), () => provider.create(signed({ digest: digest.slice(7), tag: "v1.0.0" })))).outs as ReleaseState;
            assert.equal(await tagOf("v1.0.0"), digest);
            const sig = outs.record.signature!;
            assert.equal(sig.tool, "cosign");
            assert.equal(sig.signatureTag, `${digest.replace(":", "-")}.sig`);
            assert.deepEqual(sig.verified, [`${reg.registry}/${repository}:v1.0.0`, `${reg.registry}/${repository}@${digest}`]);
            assert.equal(sig.transparencyLog, false);
            assert.match(sig.publicKeySha256, /^sha256:[0-9a-f]{64}$/);
            assert.ok((await new RegistryClient({ registry: reg.registry }).listTags(repository)).includes(sig.signatureTag), "the signature is stored beside the image");
            assert.deepEqual(JSON.parse(fs.readFileSync(outs.recordPath, "utf8")).signature, sig);
            for (const ref of sig.verified) {
                assert.equal(verifiedBy(ref, path.join(keys, "team", "cosign.pub")).status, 0, `${ref} verifies with the team's cosign.pub`);
                assert.notEqual(verifiedBy(ref, path.join(keys, "other", "cosign.pub")).status, 0, `${ref} must not verify with another key`);
            }
            // The notes name the key file and print the key; nothing secret reaches the record, the notes or the outputs' non-secret fields.
            assert.ok(outs.releaseNotes.includes(`cosign verify --key cosign.pub --insecure-ignore-tlog=true --allow-http-registry=true ${reg.registry}/${repository}:v1.0.0\n`), outs.releaseNotes);
            assert.ok(outs.releaseNotes.includes(pair.publicKey.trim()));
            const { signingKey: _key, credentials: _creds, ...visible } = outs;
            for (const secret of [password, pair.privateKey.split("\n")[1]]) assert.ok(!JSON.stringify(visible).includes(secret), "secret outside the secret fields");
        });

        it("a wrong password, a missing key or password, a key of another public key and no cosign each fail before the tag is written", async () => {
            const digest = await push("signed 1.1.0");
            const cases: [string, Partial<typeof pair>, Record<string, string>, RegExp][] = [
                ["wrong password", { ...pair, password: "not-the-password" }, {}, /could not open the private key with the given password \(.*decrypt.*\)\. Nothing was promoted\. Set cosignPassword to the password cosign\.key was generated with/],
                ["missing key", { password }, {}, /is to be signed but has no cosign private key\. Nothing was promoted\. Set the cosignKey secret/],
                ["missing password", { privateKey: pair.privateKey }, {}, /has no password for its cosign private key\. Nothing was promoted\. Set the cosignPassword secret/],
                ["not the public key's private key", { ...pair, publicKey: otherPublicKey }, {}, /the private key \(cosignKey\) is not the one of the configured public key \(cosignPublicKey\).*Nothing was promoted/],
                ["garbage key", { ...pair, privateKey: "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n" }, {}, /cannot be signed: cosign could not .*Nothing was promoted/],
                ["no cosign", pair, { PATH: "/usr/bin:/bin" }, /cosign is not installed on the machine running the release \(not on PATH\)\. Nothing was promoted\. Install cosign v2/],
            ];
            for (const [label, key, extra, message] of cases) {
                await assert.rejects(withEnv({ ...env(), ...extra }, () => provider.create(signed({ digest: digest.slice(7), tag: "v1.1.0" }, key))), (e: Error) => {
                    assert.match(e.message, message, label);
                    assert.ok(!e.message.includes(password) && !e.message.includes(pair.privateKey.split("\n")[1]), `${label}: a secret in the message`);
                    return true;
                });
                assert.equal(await tagOf("v1.1.0"), undefined, `${label}: the tag was written`);
                assert.equal(fs.existsSync(recordFile("v1.1.0")), false, `${label}: a record was written`);
            }
            // The same release with the right key pair then goes through.
            const outs = (await withEnv(env(), () => provider.create(signed({ digest: digest.slice(7), tag: "v1.1.0" })))).outs as ReleaseState;
            assert.equal(outs.record.signature?.verified.length, 2);
        });

        it("update signs an existing unsigned release when signing is turned on, and its notes then carry the verify commands", async () => {
            const digest = await push("signed 1.2.0");
            const plain = (await withEnv(env(), () => provider.create(inputs({ registry: reg.registry, repository, digest: digest.slice(7), tag: "v1.2.0" })))).outs as ReleaseState;
            assert.equal(plain.record.signature, undefined);
            assert.ok(!plain.releaseNotes.includes("cosign"));
            assert.notEqual(verifiedBy(`${reg.registry}/${repository}:v1.2.0`, path.join(keys, "team", "cosign.pub")).status, 0, "not signed yet");
            const news = signed({ digest: digest.slice(7), tag: "v1.2.0" }) as ReleaseProps;
            assert.equal((await provider.diff("id", plain, news)).changes, true);
            await assert.rejects(withEnv(env(), () => provider.update("id", plain, signed({ digest: digest.slice(7), tag: "v1.2.0" }, { ...pair, password: "wrong" }))), /could not open the private key/);
            assert.equal(JSON.parse(fs.readFileSync(plain.recordPath, "utf8")).signature, undefined, "a failed update leaves the record as it was");
            const outs = (await withEnv(env(), () => provider.update("id", plain, news))).outs as ReleaseState;
            assert.deepEqual(outs.record.signature!.verified, [`${reg.registry}/${repository}:v1.2.0`, `${reg.registry}/${repository}@${digest}`]);
            assert.equal(verifiedBy(`${reg.registry}/${repository}:v1.2.0`, path.join(keys, "team", "cosign.pub")).status, 0);
            assert.match(outs.releaseNotes, /cosign verify --key cosign\.pub/);
            assert.equal(fs.readFileSync(plain.recordPath.replace(/json$/, "md"), "utf8"), outs.releaseNotes);
            assert.deepEqual(JSON.parse(fs.readFileSync(plain.recordPath, "utf8")).signature, outs.record.signature);
        });

        it("signs in a registry that needs a login, with the release's credentials, never through the caller's Docker config", async () => {
            const secure = await startRegistry({ basicAuth: { username: "signer", password: "Sign-login-pa55" } });
            const credentials = { username: "signer", password: "Sign-login-pa55" };
            const client = new RegistryClient({ registry: secure.registry, credentials });
            const { digest } = await pushOciImage(client, repository, "build-auth", { config: { architecture: "amd64", os: "linux", config: {} }, layer: Buffer.from("signed behind a login") });
            const emptyDockerConfig = fs.mkdtempSync(path.join(keys, "docker-"));
            const release = { ...inputs({ registry: secure.registry, repository, digest: digest.slice(7), tag: "v3.0.0" }), sign: { publicKey: pair.publicKey }, signingKey: pair };
            // The caller's Docker config is empty and the registry refuses anonymous pushes: cosign can only use the login the release gives it.
            const outs = (await withEnv({ ...env(), DOCKER_CONFIG: emptyDockerConfig }, () => provider.create({ ...release, credentials } as never))).outs as ReleaseState;
            assert.deepEqual(outs.record.signature!.verified, [`${secure.registry}/${repository}:v3.0.0`, `${secure.registry}/${repository}@${digest}`]);
            assert.ok((await client.listTags(repository)).includes(outs.record.signature!.signatureTag));
            assert.deepEqual(fs.readdirSync(emptyDockerConfig), [], "the caller's Docker config is left alone");
            assert.ok(!JSON.stringify(outs.record).includes("Sign-login-pa55"));
        });

        it("check refuses a public key that is not a PEM public key", async () => {
            const r = await provider.check({}, { ...inputs(), sign: { publicKey: "cosign.pub" } });
            assert.match(r.failures!.find((f) => f.property === "sign")!.reason, /sign\.publicKey must be the PEM of cosign\.pub/);
            assert.deepEqual((await provider.check({}, { ...inputs(), sign: { publicKey: pair.publicKey } })).failures, []);
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

    describe("the serialized provider's delegation", () => {
        it("names the build step when the compiled implementation is missing from the project directory", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "release-no-dist-"));
            const cwd = process.cwd();
            process.chdir(dir);
            try {
                await assert.rejects(releaseProvider.check!({}, inputs()), /dist\/lib\/release\/provider\.js is missing\. Run npm run build:cli in /);
            } finally {
                process.chdir(cwd);
            }
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

        it("registers one dynamic release with exactly the ReleaseProps shape, secret credentials and signing key, and nothing else", async () => {
            const r = new Release("web-v1", {
                registry: "127.0.0.1:5000", repository: "team/web", digest: `sha256:${HEX}`, tag: "v1.0.0", smokeCommand: "web --version",
                credentials: { username: "ci", password: "pw" }, sign: { publicKey: "PUB", privateKey: "KEY", password: "KEYPW" },
            });
            await new Promise<void>((resolve) => r.reference.apply((ref) => { assert.equal(ref, "127.0.0.1:5000/team/web:v1.0.0"); resolve(); }));
            await new Promise((res) => setTimeout(res, 200));
            const component = registered.find((x) => x.type === "image-lifecycle:release:Release");
            assert.ok(component && component.name === "web-v1");
            const dyn = registered.find((x) => x.name === "web-v1-promotion")!;
            assert.equal(dyn.type, "pulumi-nodejs:dynamic/image-lifecycle:Release");
            assert.equal(dyn.inputs.kind, KINDS.release);
            assert.equal(dyn.inputs.digest, HEX, "the resource keeps seed 004's bare hex (policies and saved state read it)");
            const keys = Object.keys(dyn.inputs).filter((k) => k !== "__provider").sort();
            assert.deepEqual(keys, ["credentials", "digest", "kind", "registry", "repository", "sign", "signingKey", "smokeCommand", "tag"]);
            assert.deepEqual(dyn.inputs.sign, { publicKey: "PUB" }, "only the public key is a plain input");
            // The engine's secret marker around the key and password: they enter the state only encrypted.
            assert.equal(dyn.inputs.signingKey["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
            assert.deepEqual(dyn.inputs.signingKey.value, { privateKey: "KEY", password: "KEYPW" });
            assert.deepEqual(registered.filter((x) => x.name.startsWith("web-v1")).map((x) => x.name).sort(), ["web-v1", "web-v1-promotion"], "signing is the release's own work, no extra resource");
            new Release("web-v2", { registry: "127.0.0.1:5000", repository: "team/web", digest: `sha256:${HEX}`, tag: "v2.0.0" });
            await new Promise((res) => setTimeout(res, 200));
            const unsigned = registered.find((x) => x.name === "web-v2-promotion")!;
            assert.ok(!("sign" in unsigned.inputs) && !("signingKey" in unsigned.inputs));
        });
    });
});
