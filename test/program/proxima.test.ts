import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { parse as parseYaml } from "yaml";
import { DEPLOYED_AT_PLACEHOLDER } from "../../lib/host/app-container";
import { loadStackConfig, ofType, byName, runProgramFull, seedImage, seedRegistryFor, seedRelabelled, testLabels, CapturedResource, verifiedDeploy } from "../../harness/program";
import { LIFECYCLE, OCI, KINDS } from "../../lib/contract";
import { readDeployed } from "../../lib/rules/deploy-record";

import { releaseProvider } from "../../components/release";
import type { ReleaseRecord } from "../../lib/release/record";
import { dockerCpus } from "../../lib/rules/docker-values";
import { goTool } from "../../estate/go-tools";

const CONTAINER = "pulumi-nodejs:dynamic/image-lifecycle:AppContainer";

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function labelsOf(r: CapturedResource): Record<string, string> {
    return Object.fromEntries((r.props.labels as { label: string; value: string }[]).map((l) => [l.label, l.value]));
}

describe("program: proxima stack under mocks (shipped Pulumi.proxima.yaml, real registry)", function () {
    this.timeout(300000);
    let host: string;
    const digests = new Map<string, string>();
    const shipped = loadStackConfig("proxima");

    before(async () => {
        host = await seedRegistryFor("proxima");
        for (const [app, a] of Object.entries(shipped.apps as Record<string, any>)) digests.set(app, await seedImage(a.repository, a.tag));
    });

    it("runs every app pinned by the registry's digest, through its class's provider, on its class's network, with the labels", async () => {
        const { resources } = await runProgramFull("proxima", (raw) => ({ ...raw, deployedBy: "tester" }));
        const containers = ofType(resources, CONTAINER);
        assert.equal(containers.length, Object.keys(shipped.apps).length);
        for (const [app, a] of Object.entries(shipped.apps as Record<string, any>)) {
            const c = byName(resources, `${app}-container`, CONTAINER);
            const klass = a.class as string;
            assert.equal(c.props.image, `${host}/${a.repository}@${digests.get(app)}`, `${app} not pinned to the pushed digest`);
            const provider = byName(resources, `${klass}-docker`, "pulumi:providers:docker");
            // The product runs the container on the class's own endpoint, the one its docker provider serves.
            assert.equal(c.props.endpoint, shipped.classes[klass].host);
            assert.equal(c.props.endpoint, provider.props.host);
            assert.equal(provider.parent, byName(resources, klass, "image-lifecycle:proxima:LxcClass").urn);
            assert.deepEqual(c.props.networksAdvanced, [{ name: `proxima-${klass}` }]);
            assert.equal(c.parent, byName(resources, app, "image-lifecycle:proxima:Deployment").urn);
            const labels = labelsOf(c);
            assert.equal(labels[LIFECYCLE.class], klass);
            assert.equal(labels[LIFECYCLE.stack], "proxima");
            assert.equal(labels[LIFECYCLE.app], app);
            assert.equal(labels[LIFECYCLE.tag], a.tag);
            assert.equal(labels[LIFECYCLE.digest], digests.get(app));
            assert.equal(labels[LIFECYCLE.record], `/opt/${shipped.org}/${app}/deploy-info.yml`);
            const oci = testLabels(a.repository, a.tag);
            for (const key of [OCI.description, OCI.created, OCI.revision, OCI.source]) assert.equal(labels[key], oci[key], `${app} ${key}`);
            assert.equal(c.props.memory, a.limits.memoryMb);
            // The docker provider's own spelling (1 → "1.0"), so a real `up` reads back no change.
            assert.equal(c.props.cpus, dockerCpus(a.limits.cpus));
            assert.equal(c.props.memorySwap, a.limits.memoryMb);
            assert.equal(c.props.restart, a.restart ?? "unless-stopped");
            assert.equal(c.props.privileged, false);
            const remote = byName(resources, `${app}-image`, "docker:index/remoteImage:RemoteImage");
            assert.equal(remote.props.name, c.props.image);
            assert.equal(remote.provider, `${provider.urn}::${klass}-docker-id`);
            assert.ok(c.dependencies.includes(remote.urn), `${app}: the container must wait for its image's pull`);
            for (const v of (a.volumes ?? []) as { name: string; containerPath: string }[]) {
                const volumeName = `${klass}-${app}-${v.name}`;
                assert.ok((c.props.volumes as any[]).some((m) => m.volumeName === volumeName && m.containerPath === v.containerPath), `${app} lacks ${volumeName}`);
                const volume = byName(resources, volumeName, "docker:index/volume:Volume");
                assert.equal(volume.props.name, volumeName);
                assert.equal(volume.provider, remote.provider);
                assert.deepEqual(volume.props.labels[0], { label: LIFECYCLE.class, value: klass });
                assert.ok(c.dependencies.includes(volume.urn));
            }
            if (a.healthcheck) assert.deepEqual(c.props.healthcheck.tests, a.healthcheck.test);
        }
    });

    it("labels each container with its image's size as the registry reports it (checked with skopeo)", async () => {
        const { resources } = await runProgramFull("proxima");
        for (const app of Object.keys(shipped.apps)) {
            const c = byName(resources, `${app}-container`, CONTAINER);
            const raw = spawnSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${c.props.image}`], { encoding: "utf8" });
            assert.equal(raw.status, 0, raw.stderr);
            const manifest = JSON.parse(raw.stdout);
            assert.ok(Array.isArray(manifest.layers) && manifest.layers.length > 0, `${app}: expected a single-platform image manifest, got ${manifest.mediaType}`);
            const bytes = manifest.config.size + manifest.layers.reduce((n: number, l: { size: number }) => n + l.size, 0);
            assert.equal(labelsOf(c)[LIFECYCLE.size], String(bytes), `${app}: size label`);
        }
    });

    it("sends each container its configured command, else the image's own Cmd (checked with skopeo), so removing command brings the image's back", async () => {
        const { resources } = await runProgramFull("proxima", (raw) => {
            const apps = structuredClone(raw.apps);
            apps["hello-world"].command = ["/bin/sh", "-c", "echo configured"];
            return { ...raw, apps };
        });
        for (const app of Object.keys(shipped.apps)) {
            const c = byName(resources, `${app}-container`, CONTAINER);
            const config = spawnSync("skopeo", ["inspect", "--config", "--tls-verify=false", `docker://${c.props.image}`], { encoding: "utf8" });
            assert.equal(config.status, 0, config.stderr);
            const cmd = JSON.parse(config.stdout).config.Cmd;
            assert.ok(Array.isArray(cmd) && cmd.length > 0, `${app}: the test image has no Cmd to compare with`);
            assert.deepEqual(c.props.command, app === "hello-world" ? ["/bin/sh", "-c", "echo configured"] : cmd, `${app}: command`);
        }
    });

    it("gives each class its own provider, labelled network and nothing shared across classes", async () => {
        const { resources } = await runProgramFull("proxima");
        for (const klass of Object.keys(shipped.classes)) {
            const component = byName(resources, klass, "image-lifecycle:proxima:LxcClass");
            const provider = byName(resources, `${klass}-docker`, "pulumi:providers:docker");
            assert.equal(provider.props.host, shipped.classes[klass].host);
            const network = byName(resources, `${klass}-network`, "docker:index/network:Network");
            assert.equal(network.props.name, `proxima-${klass}`);
            // Only the class: a label change would replace a network that still has containers.
            assert.deepEqual(network.props.labels, [{ label: LIFECYCLE.class, value: klass }]);
            assert.equal(network.parent, component.urn);
            assert.equal(network.provider, `${provider.urn}::${klass}-docker-id`);
        }
        // Every dependency of a class's container stays within that class's resources.
        for (const c of ofType(resources, CONTAINER)) {
            const klass = labelsOf(c)[LIFECYCLE.class];
            for (const dep of c.dependencies) {
                const target = resources.find((r) => r.urn === dep)!;
                const owner = target.provider ?? "";
                assert.ok(owner.includes(`::${klass}-docker::`), `${c.name} depends on ${dep} outside class ${klass}`);
            }
        }
    });

    it("gives the container the exact deploy record to write on its class host, the description kept as data", async () => {
        const subject = `fix "quotes" $(touch /tmp/image-lifecycle-pwned) \`id\` and a\nsecond line: with: colons`;
        const digest = await seedRelabelled({ repository: "rednaw/hello-world", tag: shipped.apps["hello-world"].tag }, "nasty01", { [OCI.description]: subject });
        const { resources } = await runProgramFull("proxima", (raw) => {
            raw.apps["hello-world"].tag = "nasty01";
            raw.deployedBy = "alice";
            return raw;
        });
        const c = byName(resources, "hello-world-container", CONTAINER);
        const expected = [
            `app: "hello-world"`,
            `image: "${host}/rednaw/hello-world"`,
            `digest: "${digest}"`,
            `tag: "nasty01"`,
            // YAML folds the newline of a double-quoted scalar into an empty line; indented, so no
            // line of the description can ever start a key.
            'description: "fix \\"quotes\\" $(touch /tmp/image-lifecycle-pwned) `id` and a',
            "",
            '  second line: with: colons"',
            `deployed_at: "${DEPLOYED_AT_PLACEHOLDER}"`,
            `deployed_by: "alice"`,
            "",
        ].join("\n");
        assert.equal(c.props.record, expected);
        assert.deepEqual(parseYaml(c.props.record).description, subject);
        assert.equal(c.props.recordPath, "/opt/giftfinder/hello-world/deploy-info.yml");
        assert.equal(c.props.kind, KINDS.appContainer);
        // Each history line is one JSON object whose fields are data, whatever the description holds.
        for (const line of Object.values(c.props.history as Record<string, string>)) {
            assert.ok(!line.includes("\n"));
            assert.equal(JSON.parse(line).app, "hello-world");
        }
        assert.equal(JSON.parse(c.props.history.verified).description, subject);
        assert.equal(JSON.parse(c.props.history.failed).outcome, "failed");
    });

    it("registers the same container for the same inputs, whoever deploys, and another spec for another digest", async () => {
        const other = await seedImage("rednaw/hello-world", "eb53023", testLabels("rednaw/hello-world", "eb53023", "initial deploy"));
        const container = async (tag: string, by: string) => byName((await runProgramFull("proxima", (raw) => { raw.apps["hello-world"].tag = tag; raw.deployedBy = by; return raw; })).resources, "hello-world-container");
        const first = await container(shipped.apps["hello-world"].tag, "t");
        const again = await container(shipped.apps["hello-world"].tag, "t");
        const someoneElse = await container(shipped.apps["hello-world"].tag, "u");
        const moved = await container("eb53023", "t");
        assert.deepEqual(again.props, first.props, "the same digest must register identical inputs (no spurious deploy)");
        assert.equal(someoneElse.props.spec, first.props.spec, "who deploys is not a container setting");
        assert.notEqual(moved.props.spec, first.props.spec);
        assert.match(moved.props.image, new RegExp(`@${other}$`));
        assert.match(moved.props.record, /description: "initial deploy"/);
    });

    it("rolls back by tag and by digest; a configured digest wins over the tag", async () => {
        const older = await seedImage("rednaw/hello-world", "eb53023", testLabels("rednaw/hello-world", "eb53023", "initial deploy"));
        const current = digests.get("hello-world")!;
        assert.notEqual(older, current);
        const byTag = await runProgramFull("proxima", (raw) => { raw.apps["hello-world"].tag = "eb53023"; return raw; }, { create: verifiedDeploy });
        assert.equal(byName(byTag.resources, "hello-world-container").props.image, `${host}/rednaw/hello-world@${older}`);
        assert.equal(byTag.outputs.deployments["hello-world"].tag, "eb53023");

        const byDigest = await runProgramFull("proxima", (raw) => { raw.apps["hello-world"].digest = older; return raw; }, { create: verifiedDeploy });
        const c = byName(byDigest.resources, "hello-world-container");
        assert.equal(c.props.image, `${host}/rednaw/hello-world@${older}`);
        assert.equal(labelsOf(c)[OCI.description], "initial deploy");
        assert.equal(byDigest.outputs.deployments["hello-world"].digest, older);
        assert.match(c.props.record, new RegExp(`digest: "${older}"`));

        const digestOnly = await runProgramFull("proxima", (raw) => { delete raw.apps["hello-world"].tag; raw.apps["hello-world"].digest = older; return raw; });
        const d = byName(digestOnly.resources, "hello-world-container");
        assert.equal(d.props.image, `${host}/rednaw/hello-world@${older}`);
        assert.equal(labelsOf(d)[LIFECYCLE.tag], undefined);
    });

    it("fails with the registry's answer when a tag does not exist, naming how to fix it", async () => {
        await assert.rejects(
            runProgramFull("proxima", (raw) => { raw.apps.metrics.tag = "nope123"; return raw; }),
            /Tag "nope123" of .*giftfinder\/metrics-exporter was not found in the registry\. Push it, or pick an existing tag/,
        );
    });

    it("stops on a half-valid estate before registering anything", async () => {
        await assert.rejects(
            runProgramFull("proxima", (raw) => { raw.apps.metrics.class = "database"; delete raw.apps.uptime.limits; return raw; }),
            (e: Error) => /apps\.metrics\.class: expected one of/.test(e.message) && /apps\.uptime\.limits:/.test(e.message),
        );
    });

    it("outputs deployments in the form overview --deployed reads", async () => {
        const { outputs } = await runProgramFull("proxima", undefined, { create: verifiedDeploy });
        const deployed = readDeployed(JSON.stringify({ deployments: outputs.deployments }), "stack output");
        for (const [app, a] of Object.entries(shipped.apps as Record<string, any>)) {
            assert.ok(deployed.get(`${host}/${a.repository}`)?.has(digests.get(app)!), `${app} missing from deployments`);
            assert.equal(outputs.deployments[app].class, a.class);
            assert.equal(outputs.deployments[app].host, shipped.classes[a.class].host);
            assert.equal(outputs.deployments[app].description, testLabels(a.repository, a.tag)[OCI.description]);
        }
    });

    it("names what runs, not what was asked for, after a deploy that failed verification", async () => {
        const older = await seedImage("rednaw/hello-world", "eb53023", testLabels("rednaw/hello-world", "eb53023", "initial deploy"));
        const why = "hello-world: sha256:… failed verification on ssh://deploy@proxima-core.lan (state running, unhealthy). The previous digest runs again.";
        // The provider's report after a failure: the previous container runs again, the failure kept in the state.
        const failed = async (args: { type: string; inputs: any }) => {
            const ok = await verifiedDeploy(args);
            if (!ok || args.inputs.name !== "hello-world") return ok;
            return { ...ok, running: { ...ok.running, digest: older, tag: "eb53023", spec: "previous" }, runningDigest: older, failure: why };
        };
        const { outputs } = await runProgramFull("proxima", undefined, { create: failed });
        const d = outputs.deployments["hello-world"];
        assert.equal(d.digest, older);
        assert.equal(d.tag, "eb53023");
        assert.equal(d.description, undefined, "the asked-for build's description must not be shown for another digest");
        assert.equal(d.failure, why);
        const deployed = readDeployed(JSON.stringify({ deployments: outputs.deployments }), "stack output");
        assert.ok(deployed.get(`${host}/rednaw/hello-world`)?.has(older), "cleanup --deployed must keep what runs");
        assert.ok(!deployed.get(`${host}/rednaw/hello-world`)?.has(digests.get("hello-world")!), "the digest that failed does not run");
    });

    it("instantiates the configured releases with the inputs the policy pack reads", async () => {
        const { resources } = await runProgramFull("proxima");
        const releases = resources.filter((r) => r.props.kind === KINDS.release);
        assert.equal(releases.length, Object.keys(shipped.releases).length);
        for (const [name, r] of Object.entries(shipped.releases as Record<string, any>)) {
            const release = releases.find((x) => x.name === `${name}-promotion`)!;
            assert.ok(release, `no release resource for ${name}`);
            assert.equal(release.props.registry, host);
            assert.equal(release.props.repository, r.repository);
            assert.equal(release.props.digest, r.digest);
            assert.equal(release.props.tag, r.tag);
            assert.equal(release.props.smokeCommand, r.smokeCommand);
        }
    });

    it("creates the production gate with reviewers, no self-review, a branch policy and digest pins", async () => {
        const { resources } = await runProgramFull("proxima");
        const env = ofType(resources, "github:index/repositoryEnvironment:RepositoryEnvironment");
        assert.equal(env.length, 1);
        assert.equal(env[0].props.environment, "production");
        assert.equal(env[0].props.repository, "hello-world");
        assert.equal(env[0].props.preventSelfReview, true);
        assert.deepEqual(env[0].props.reviewers, [{ users: shipped.releaseGate.reviewers.users, teams: [] }]);
        assert.deepEqual(env[0].props.deploymentBranchPolicy, { protectedBranches: true, customBranchPolicies: false });
        const vars = ofType(resources, "github:index/actionsVariable:ActionsVariable");
        assert.equal(vars.length, Object.keys(shipped.apps).length);
        assert.equal(byName(resources, "release-gate-digest-hello-world").props.value, digests.get("hello-world"));
        assert.equal(byName(resources, "release-gate-digest-hello-world").props.variableName, "DIGEST_HELLO_WORLD");
    });

    it("never puts the registry password in outputs, records, labels or any unencrypted input", async () => {
        const password = "pa55-Very$ecret-7Q";
        const { resources, outputs } = await runProgramFull("proxima", (raw) => ({ ...raw, registryPassword: password }));
        assert.ok(!JSON.stringify(outputs).includes(password), "password in stack outputs");
        const leaks: string[] = [];
        let secretCarriers = 0;
        const walk = (value: unknown, where: string): void => {
            if (typeof value === "string") { if (value.includes(password)) leaks.push(where); return; }
            if (typeof value !== "object" || value === null) return;
            const obj = value as Record<string, unknown>;
            if (Object.values(obj).includes(SECRET_SIG)) { if (JSON.stringify(obj).includes(password)) secretCarriers++; return; }
            for (const [k, v] of Object.entries(obj)) walk(v, `${where}.${k}`);
        };
        for (const r of resources) walk(r.props, `${r.type}/${r.name}`);
        assert.deepEqual(leaks, []);
        // It does reach the class providers (to pull), but only as a secret.
        assert.ok(secretCarriers >= Object.keys(shipped.classes).length, `password reached only ${secretCarriers} secret inputs`);
    });

    describe("releases output (the release provider's real create against the real registry)", () => {
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

        /** Promotes for real what the program asks for, as `pulumi up` would; other resources echo their inputs. */
        const promoteForReal = async (args: { type: string; inputs: any }) => {
            if (args.inputs?.kind !== KINDS.release) return undefined;
            const { __provider: _serialized, ...inputs } = args.inputs;
            return (await releaseProvider.create!(inputs)).outs;
        };
        /** The shipped release, pointed at a digest that exists in the test registry, under a fresh tag. */
        const releaseOf = (digest: string, tag: string) => (raw: any) => {
            const [name, r] = Object.entries(raw.releases as Record<string, any>)[0];
            const { smokeCommand: _smoke, ...rest } = r;
            return { ...raw, releases: { [name]: { ...rest, digest: digest.replace(/^sha256:/, ""), tag } } };
        };

        it("outputs each release's promotion record, the one written to the records directory", async () => {
            const name = Object.keys(shipped.releases)[0];
            const image = shipped.releases[name].repository as string;
            const digest = digests.get(Object.keys(shipped.apps).find((a) => shipped.apps[a].repository === image)!)!;
            const tag = `v1.0.${Date.now() % 100000}`;
            const { outputs } = await runProgramFull("proxima", releaseOf(digest, tag), { create: promoteForReal });
            const record = outputs.releases[name] as ReleaseRecord;
            assert.deepEqual(Object.keys(outputs.releases), [name]);
            assert.equal(record.image, `${host}/${image}`);
            assert.equal(record.tag, tag);
            assert.equal(record.digest, digest);
            assert.ok(record.preflight.length > 0 && record.preflight.every((c) => c.ok), JSON.stringify(record.preflight));
            const file = path.join(records, host.replace(/:/g, "_"), image, `${tag}.json`);
            assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), record);
            // The registry now really has the tag on that digest (independent check: skopeo).
            const inspected = spawnSync("skopeo", ["inspect", "--tls-verify=false", `docker://${host}/${image}:${tag}`], { encoding: "utf8" });
            assert.equal(inspected.status, 0, inspected.stderr);
            assert.equal(JSON.parse(inspected.stdout).Digest, digest);
        });

        it("keeps the registry password out of the releases output though the release got the credentials", async () => {
            const password = "pa55-Release$ecret-9Z";
            const name = Object.keys(shipped.releases)[0];
            const image = shipped.releases[name].repository as string;
            const digest = digests.get(Object.keys(shipped.apps).find((a) => shipped.apps[a].repository === image)!)!;
            let credentialsSeen = false;
            const { outputs } = await runProgramFull("proxima", (raw) => ({ ...releaseOf(digest, `v1.1.${Date.now() % 100000}`)(raw), registryPassword: password }), {
                create: async (args) => {
                    if (args.inputs?.kind === KINDS.release) credentialsSeen = JSON.stringify(args.inputs.credentials ?? null).includes(password);
                    return promoteForReal(args);
                },
            });
            assert.ok(credentialsSeen, "the release resource never received the credentials, so this test proves nothing");
            assert.equal(outputs.releases[name].digest, digest);
            assert.ok(!JSON.stringify(outputs.releases).includes(password), "password in the releases output");
        });
        it("signs a release with sign: true with the stack's key pair, and outputs the verified signature but neither secret", async () => {
            const keys = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-proxima-keys-"));
            const password = "Proxima-cosign-Pa55";
            const cosignEnv = { ...process.env, HOME: keys, TUF_ROOT: path.join(keys, "tuf"), COSIGN_PASSWORD: password };
            const savedPath = process.env.PATH;
            try {
                assert.equal(spawnSync(goTool("cosign"), ["generate-key-pair"], { cwd: keys, env: cosignEnv, encoding: "utf8" }).status, 0);
                const publicKey = fs.readFileSync(path.join(keys, "cosign.pub"), "utf8");
                const privateKey = fs.readFileSync(path.join(keys, "cosign.key"), "utf8");
                const name = Object.keys(shipped.releases)[0];
                const image = shipped.releases[name].repository as string;
                const digest = digests.get(Object.keys(shipped.apps).find((a) => shipped.apps[a].repository === image)!)!;
                const tag = `v1.2.${Date.now() % 100000}`;
                let keyWasSecret = false;
                // The provider finds cosign on PATH, as pulumi up on a team's machine does.
                process.env.PATH = `${path.dirname(goTool("cosign"))}:${savedPath}`;
                const { outputs } = await runProgramFull("proxima", (raw) => {
                    const withRelease = releaseOf(digest, tag)(raw);
                    withRelease.releases[name].sign = true;
                    return { ...withRelease, cosignPublicKey: publicKey, cosignKey: privateKey, cosignPassword: password };
                }, {
                    create: async (args) => {
                        if (args.inputs?.kind !== KINDS.release) return undefined;
                        const { __provider: _serialized, signingKey, ...rest } = args.inputs;
                        // The engine hands the provider the decrypted value of what the program marked secret.
                        keyWasSecret = signingKey?.["4dabf18193072939515e22adb298388d"] === SECRET_SIG;
                        return (await releaseProvider.create!({ ...rest, signingKey: signingKey.value })).outs;
                    },
                });
                assert.ok(keyWasSecret, "the signing key reached the release as a secret");
                const record = outputs.releases[name] as ReleaseRecord;
                assert.deepEqual(record.signature?.verified, [`${host}/${image}:${tag}`, `${host}/${image}@${digest}`]);
                for (const ref of record.signature!.verified) {
                    const v = spawnSync(goTool("cosign"), ["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--allow-http-registry=true", ref], { cwd: keys, env: cosignEnv, encoding: "utf8" });
                    assert.equal(v.status, 0, `${ref}: ${v.stderr}`);
                }
                const text = JSON.stringify(outputs);
                assert.ok(!text.includes(password) && !text.includes(privateKey.split("\n")[1]), "a signing secret in the outputs");
            } finally {
                process.env.PATH = savedPath;
                fs.rmSync(keys, { recursive: true, force: true });
            }
        });
    });
});
