import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { LIFECYCLE, NAMES } from "../../../lib/contract";
import {
    type AppContainerSpec, DEPLOYED_AT_PLACEHOLDER, deployScript, deployTimeoutMs, dockerCreateArgs, HISTORY_AT, HISTORY_DETAIL,
    HISTORY_PREVIOUS_DIGEST, HISTORY_PREVIOUS_TAG, inspectScript, parseDeployResult, removeScript, specHash, verifyWaitSeconds,
} from "../../../lib/host/app-container";
import { renderDeployRecord } from "../../../lib/rules/deploy-record";
import { buildAndPush, dockerEngine, sharedTestRegistry, tempDir } from "../../../estate/services";

const base: AppContainerSpec = {
    name: "web",
    image: "127.0.0.1:5000/team/web@sha256:" + "a".repeat(64),
    labels: { [LIFECYCLE.app]: "web" },
    env: ["A=1"],
    ports: [],
    volumes: [],
    network: "proxima-core",
    memoryMb: 64,
    cpus: "0.5",
    restart: "unless-stopped",
    logOpts: { "max-size": "10m" },
};

describe("lib/host/app-container: spec and scripts", () => {
    it("hashes every setting: any change gives another hash, label order does not", () => {
        const h = specHash(base);
        assert.equal(specHash({ ...base, labels: { ...base.labels } }), h);
        const changes: Partial<AppContainerSpec>[] = [
            { image: base.image.replace("a", "b") }, { env: ["A=2"] }, { command: ["sleep", "1"] },
            { ports: [{ internal: 80, external: 8080, protocol: "tcp" }] },
            { volumes: [{ volumeName: "core-web-data", containerPath: "/data", readOnly: false }] },
            { network: "proxima-monitoring" }, { memoryMb: 65 }, { cpus: "0.25" }, { restart: "always" },
            { healthcheck: { test: ["CMD-SHELL", "true"], interval: "1s", timeout: "1s", retries: 1, startPeriod: "0s" } },
            { logOpts: { "max-size": "20m" } }, { labels: { ...base.labels, x: "y" } },
        ];
        for (const c of changes) assert.notEqual(specHash({ ...base, ...c }), h, JSON.stringify(c));
        const a = specHash({ ...base, labels: { a: "1", b: "2" } });
        assert.equal(specHash({ ...base, labels: { b: "2", a: "1" } }), a);
        // The engine hands objects back with sorted keys: the hash must not see the difference.
        const hc = { test: ["CMD", "true"], interval: "1s", timeout: "1s", retries: 1, startPeriod: "0s" };
        const sorted = { interval: "1s", retries: 1, startPeriod: "0s", test: ["CMD", "true"], timeout: "1s" };
        assert.equal(specHash({ ...base, healthcheck: hc, logOpts: { "max-size": "1m", "max-file": "3" } }), specHash({ ...base, healthcheck: sorted, logOpts: { "max-file": "3", "max-size": "1m" } }));
    });

    it("creates with every setting, the spec label, and never pulls", () => {
        const args = dockerCreateArgs({
            ...base,
            command: ["sh", "-c", "echo 'hi'"],
            ports: [{ internal: 80, external: 8080, protocol: "tcp" }],
            volumes: [{ volumeName: "core-web-data", containerPath: "/data", readOnly: true }],
            healthcheck: { test: ["CMD", "wget", "-q", "http://localhost/"], interval: "30s", timeout: "5s", retries: 3, startPeriod: "10s" },
        });
        const line = args.join(" ");
        for (const part of [
            "--name web", "--pull never", "--network proxima-core", `--label ${LIFECYCLE.spec}=`, "--env A=1", "--publish 8080:80/tcp",
            "--mount type=volume,source=core-web-data,target=/data,readonly", "--memory 64m", "--memory-swap 64m", "--cpus 0.5",
            "--restart unless-stopped", "--log-driver json-file", "--log-opt max-size=10m", "--health-cmd wget -q http://localhost/",
            "--health-interval 30s", "--health-retries 3", "--health-start-period 10s",
        ]) assert.ok(line.includes(part), `${part} missing from: ${line}`);
        assert.deepEqual(args.slice(-4), [base.image, "sh", "-c", "echo 'hi'"]);
        assert.ok(dockerCreateArgs({ ...base, healthcheck: { test: ["NONE"], interval: "1s", timeout: "1s", retries: 1, startPeriod: "0s" } }).includes("--no-healthcheck"));
        assert.throws(() => dockerCreateArgs({ ...base, name: "a b" }), /Refusing container name/);
    });

    it("waits as long as the healthcheck needs to decide, and the client waits for both verifications", () => {
        assert.equal(verifyWaitSeconds(undefined), 120);
        assert.equal(verifyWaitSeconds({ test: ["CMD", "true"], interval: "1m", timeout: "10s", retries: 5, startPeriod: "5m" }), 300 + 5 * 70 + 3);
        assert.equal(verifyWaitSeconds({ test: ["NONE"], interval: "1m", timeout: "10s", retries: 5, startPeriod: "5m" }), 120);
        // The longest verification the schema allows (100 retries of 1h + 1h, start 1h) still fits in the client's wait.
        const longest = verifyWaitSeconds({ test: ["CMD", "true"], interval: "1h", timeout: "1h", retries: 100, startPeriod: "1h" });
        assert.ok(deployTimeoutMs(longest) > 2 * longest * 1000);
    });

    it("refuses unsafe names and paths in scripts", () => {
        assert.throws(() => deployScript({ spec: base, recordPath: "/opt/o'x/web/deploy-info.yml", waitSeconds: 5 }), /Refusing deploy record path/);
        assert.throws(() => deployScript({ spec: base, recordPath: "/opt/../etc/deploy-info.yml", waitSeconds: 5 }), /Refusing deploy record path/);
        assert.throws(() => inspectScript("a;b"), /Refusing container name/);
        assert.throws(() => removeScript("a b", "proxima"), /Refusing container name/);
    });

    it("reports a script that printed no result, with its output", () => {
        assert.throws(() => parseDeployResult("boom\n"), /printed no result: boom/);
    });
});

describe("lib/host/app-container: the deploy script on a real Docker engine", function () {
    this.timeout(300000);
    let env: NodeJS.ProcessEnv;
    let docker: (args: string[]) => Promise<{ stdout: string }>;
    let dir: string;
    let good: { image: string; digest: string };
    let other: { image: string; digest: string };
    const recordPath = () => path.join(dir, "web", "deploy-info.yml");
    const historyPath = () => path.join(dir, "web", "deploy-history.jsonl");

    const pinned = async (repository: string, cmd: string, payload: string) => {
        const digest = await buildAndPush({ repository, tags: ["1"], cmd, payload });
        const image = `${repository}@${digest}`;
        await docker(["pull", image]);
        return { image, digest };
    };

    before(async () => {
        const engine = await dockerEngine();
        env = { ...process.env, DOCKER_HOST: engine.host };
        docker = (args) => engine.docker(args);
        const { registry } = await sharedTestRegistry(process.env.IL_TEST_DISTRIBUTION === "2.8" ? "2.8" : "v3");
        // Stops at once on SIGTERM, as a real service does (a bare sleep as PID 1 would wait out docker stop's timeout).
        const serve = "trap 'exit 0' TERM; while :; do sleep 1; done";
        good = await pinned(`${registry}/deploy/web`, serve, "good");
        other = await pinned(`${registry}/deploy/web`, serve, "other");
        await docker(["network", "create", "proxima-core"]).catch(() => undefined);
    });
    beforeEach(async () => {
        dir = tempDir("deploy-script");
        await docker(["rm", "-f", "web", NAMES.previousContainer("web")]).catch(() => undefined);
    });
    after(async () => {
        await docker(["rm", "-f", "web", NAMES.previousContainer("web")]).catch(() => undefined);
    });

    const specFor = (img: { image: string; digest: string }, extra: Partial<AppContainerSpec> = {}): AppContainerSpec => ({
        ...base,
        image: img.image,
        labels: { [LIFECYCLE.app]: "web", [LIFECYCLE.stack]: "proxima", [LIFECYCLE.digest]: img.digest, [LIFECYCLE.tag]: img === good ? "good" : "other" },
        ...extra,
    });
    const stdinFor = (img: { image: string; digest: string }, by = "alice") => {
        const entry = { app: "web", image: "reg/team/web", digest: img.digest, at: HISTORY_AT, by };
        return [
            JSON.stringify({ ...entry, outcome: "verified" }),
            JSON.stringify({ ...entry, outcome: "failed", detail: HISTORY_DETAIL }),
            JSON.stringify({ ...entry, digest: HISTORY_PREVIOUS_DIGEST, tag: HISTORY_PREVIOUS_TAG, outcome: "rolled-back" }),
        ].join("\n") + "\n" + renderDeployRecord({ app: "web", image: "reg/team/web", digest: img.digest, deployed_at: DEPLOYED_AT_PLACEHOLDER, deployed_by: by });
    };
    const deploy = (spec: AppContainerSpec, stdin: string, waitSeconds = 20) => {
        const script = deployScript({ spec, recordPath: recordPath(), waitSeconds });
        const r = spawnSync("sh", [...(process.env.IL_DEBUG ? ["-x"] : []), "-c", script], { input: stdin, encoding: "utf8", env });
        if (process.env.IL_DEBUG) console.log(r.stderr.split("\n").slice(-80).join("\n"));
        assert.equal(r.status, 0, r.stderr);
        if (process.env.IL_DEBUG) console.log(fs.readFileSync(path.join(dir, "web", ".deploy.log"), "utf8"));
        return parseDeployResult(r.stdout);
    };
    const history = () => fs.readFileSync(historyPath(), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, string>);
    const names = async () => (await docker(["ps", "-a", "--format", "{{.Names}}"])).stdout.trim().split("\n").filter((n) => n.startsWith("web")).sort();

    it("deploys, then leaves a container that runs the spec alone and writes nothing, whoever runs it", async () => {
        const first = deploy(specFor(good), stdinFor(good));
        assert.equal(first.outcome, "deployed");
        assert.equal(first.recordWritten, true);
        assert.equal(first.running?.digest, good.digest);
        assert.equal(first.running?.spec, specHash(specFor(good)));
        assert.equal(first.running?.status, "running");
        const record = fs.readFileSync(recordPath(), "utf8");
        assert.match(record, /deployed_at: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/);
        assert.deepEqual(history().map((h) => [h.digest, h.outcome, h.by]), [[good.digest, "verified", "alice"]]);
        // What a diff reads of the host: the container and the digest its record names.
        const seen = parseDeployResult(spawnSync("sh", ["-c", inspectScript("web", recordPath())], { encoding: "utf8", env }).stdout);
        assert.equal(seen.running?.spec, specHash(specFor(good)));
        assert.equal(seen.recordDigest, good.digest);
        assert.equal(parseDeployResult(spawnSync("sh", ["-c", inspectScript("nothing-here", recordPath() + ".none")], { encoding: "utf8", env }).stdout).running, undefined);

        const again = deploy(specFor(good), stdinFor(good, "bob"));
        assert.equal(again.outcome, "unchanged");
        assert.equal(again.recordWritten, false);
        assert.equal(again.running?.id, first.running?.id);
        assert.equal(fs.readFileSync(recordPath(), "utf8"), record, "another deployer must not rewrite the record");
        assert.equal(history().length, 1);
    });

    it("puts the previous container back when the new one fails verification, and says why", async () => {
        deploy(specFor(good), stdinFor(good));
        const record = fs.readFileSync(recordPath(), "utf8");
        const sick = specFor(other, { healthcheck: { test: ["CMD-SHELL", "echo still-broken; false"], interval: "1s", timeout: "1s", retries: 2, startPeriod: "0s" } });
        const r = deploy(sick, stdinFor(other));
        assert.equal(r.outcome, "failed");
        assert.equal(r.restored, good.digest);
        assert.equal(r.running?.digest, good.digest);
        assert.equal(r.running?.status, "running");
        assert.match(r.why ?? "", /unhealthy/);
        assert.match(r.why ?? "", /still-broken/);
        assert.equal(fs.readFileSync(recordPath(), "utf8"), record, "the record keeps naming what runs");
        assert.deepEqual(history().map((h) => [h.digest, h.outcome]), [[good.digest, "verified"], [other.digest, "failed"], [good.digest, "rolled-back"]]);
        assert.match(history()[1].detail, /unhealthy/);
        assert.equal(history()[2].tag, "good");
        assert.deepEqual(await names(), ["web"]);

        // Fixed: the next run replaces it and the record follows.
        const fixed = deploy(specFor(other), stdinFor(other));
        assert.equal(fixed.outcome, "deployed");
        assert.equal(fixed.running?.digest, other.digest);
        assert.match(fs.readFileSync(recordPath(), "utf8"), new RegExp(other.digest));
        assert.deepEqual(await names(), ["web"]);
    });

    it("finishes an interrupted replacement: the container set aside comes back, the half-made one goes", async () => {
        deploy(specFor(good), stdinFor(good));
        await docker(["stop", "-t", "1", "web"]);
        await docker(["rename", "web", NAMES.previousContainer("web")]);
        await docker(["create", "--name", "web", other.image]);
        const r = deploy(specFor(good), stdinFor(good));
        assert.equal(r.outcome, "unchanged");
        assert.equal(r.running?.digest, good.digest);
        assert.equal(r.running?.status, "running");
        assert.deepEqual(await names(), ["web"]);
    });

    it("starts a container an engine restart left stopped, and replaces one changed by hand", async () => {
        deploy(specFor(good), stdinFor(good));
        await docker(["stop", "-t", "1", "web"]);
        const started = deploy(specFor(good), stdinFor(good));
        assert.equal(started.outcome, "unchanged");
        assert.equal(started.running?.status, "running");

        await docker(["rm", "-f", "web"]);
        await docker(["run", "-d", "--name", "web", other.image]);
        const replaced = deploy(specFor(good), stdinFor(good));
        assert.equal(replaced.outcome, "deployed");
        assert.equal(replaced.running?.digest, good.digest);
        assert.deepEqual(await names(), ["web"]);
    });

    it("reports a container docker refuses to create, keeping the previous one", async () => {
        deploy(specFor(good), stdinFor(good));
        const r = deploy(specFor(other, { network: "no-such-network" }), stdinFor(other));
        assert.equal(r.outcome, "failed");
        assert.match(r.why ?? "", /docker: .*no-such-network/);
        assert.equal(r.running?.digest, good.digest);
        assert.equal(r.restored, good.digest);
    });

    it("removes only this app's containers", async () => {
        await docker(["run", "-d", "--name", "web", good.image]);
        const r = spawnSync("sh", ["-c", removeScript("web", "proxima")], { encoding: "utf8", env });
        assert.match(r.stderr, /Leaving container web on the host: it is not this product's web/);
        deploy(specFor(good), stdinFor(good)).running?.id;
        // The hand-made one was replaced by the deploy; now the container is the product's and goes.
        const gone = spawnSync("sh", ["-c", removeScript("web", "proxima")], { encoding: "utf8", env });
        assert.equal(gone.status, 0, gone.stderr);
        assert.deepEqual(await names(), []);
    });
});
