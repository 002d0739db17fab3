import * as assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { DEPLOYED_AT_PLACEHOLDER, deployRecordScript, sshTarget, verifyScript, verifyWaitSeconds } from "../../lib/host/scripts";
import { parseDeployRecord, renderDeployRecord } from "../../lib/rules/deploy-record";
import { buildAndPush, dockerEngine, sharedTestRegistry } from "../support/services";

const run = promisify(execFile);

function sh(script: string, stdin: string, env: NodeJS.ProcessEnv = process.env) {
    return spawnSync("sh", ["-c", script], { input: stdin, encoding: "utf8", env });
}

describe("components/deployment scripts", () => {
    let dir: string;
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-record-")); });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("writes the record from stdin, fills in the deploy time, never executes the description", () => {
        const marker = path.join(dir, "pwned");
        const description = `fix "quotes" and 'apostrophes' $(touch ${marker}) \`touch ${marker}\` \${HOME}\nsecond line: key: value # no comment\ndeployed_at: "${DEPLOYED_AT_PLACEHOLDER}"`;
        const record = { app: "web", image: "127.0.0.1:5000/team/web", digest: `sha256:${"b".repeat(64)}`, tag: "6350192", description, deployed_at: DEPLOYED_AT_PLACEHOLDER, deployed_by: "alice" };
        const target = path.join(dir, "opt", "org", "web", "deploy-info.yml");
        const result = sh(deployRecordScript(target), renderDeployRecord(record));
        assert.equal(result.status, 0, result.stderr);
        assert.equal(fs.existsSync(marker), false, "the description was executed");
        const written = parseDeployRecord(fs.readFileSync(target, "utf8"), target);
        assert.equal(written.description, description);
        assert.match(written.deployed_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        assert.ok(Math.abs(Date.parse(written.deployed_at) - Date.now()) < 60000, written.deployed_at);
        assert.deepEqual({ ...written, deployed_at: DEPLOYED_AT_PLACEHOLDER }, record);
        assert.deepEqual(fs.readdirSync(path.dirname(target)), ["deploy-info.yml"], "a temp file was left behind");
        assert.equal((fs.statSync(target).mode & 0o777).toString(8), "644");
    });

    it("replaces an existing record by rename, so a reader never sees a partial file", () => {
        const target = path.join(dir, "deploy-info.yml");
        fs.writeFileSync(target, "old\n");
        const before = fs.statSync(target).ino;
        const text = renderDeployRecord({ app: "web", image: "r/t", digest: `sha256:${"c".repeat(64)}`, deployed_at: DEPLOYED_AT_PLACEHOLDER, deployed_by: "bob" });
        const result = sh(deployRecordScript(target), text);
        assert.equal(result.status, 0, result.stderr);
        assert.notEqual(fs.statSync(target).ino, before, "the file was rewritten in place instead of renamed over");
        assert.equal(parseYaml(fs.readFileSync(target, "utf8")).deployed_by, "bob");
    });

    it("leaves the old record when writing fails", () => {
        const target = path.join(dir, "deploy-info.yml");
        fs.writeFileSync(target, "old\n");
        // A PATH without sed makes the write fail after the temp file was created.
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-bin-"));
        for (const tool of ["mkdir", "mktemp", "date", "rm", "chmod", "mv"]) {
            const where = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
            fs.symlinkSync(where, path.join(bin, tool));
        }
        const result = sh(deployRecordScript(target), "app: x\n", { PATH: bin });
        fs.rmSync(bin, { recursive: true, force: true });
        assert.notEqual(result.status, 0);
        assert.equal(fs.readFileSync(target, "utf8"), "old\n");
        assert.deepEqual(fs.readdirSync(dir), ["deploy-info.yml"], "the temp file was not cleaned up");
    });

    it("refuses record paths that would need shell quoting", () => {
        assert.throws(() => deployRecordScript("/opt/o'x/app/deploy-info.yml"), /Refusing deploy record path/);
        assert.throws(() => deployRecordScript("/opt/../etc/deploy-info.yml"), /Refusing deploy record path/);
        assert.throws(() => verifyScript("a b", false), /Refusing container name/);
    });

    it("waits as long as the healthcheck needs to decide, and never less than 120 s", () => {
        assert.equal(verifyWaitSeconds(undefined), 120);
        // Docker's defaults as the config fills them: 10s + 3 × (30s + 5s) + 3 steady checks = 118 s, under the floor.
        assert.equal(verifyWaitSeconds({ interval: "30s", timeout: "5s", retries: 3, startPeriod: "10s" }), 120);
        // A slow starter: 5 min start period, then 5 × (1 min + 10 s), plus the steady checks.
        assert.equal(verifyWaitSeconds({ interval: "1m", timeout: "10s", retries: 5, startPeriod: "5m" }), 300 + 5 * 70 + 3);
        assert.equal(verifyWaitSeconds({ interval: "500ms", timeout: "250ms", retries: 200, startPeriod: "0s" }), 153);
        assert.match(verifyScript("web", true, verifyWaitSeconds({ interval: "1m", timeout: "10s", retries: 5, startPeriod: "5m" })), /while \[ "\$i" -lt 653 \]/);
    });

    it("derives the SSH connection from the class's Docker endpoint", () => {
        assert.deepEqual(sshTarget("ssh://deploy@proxima-core.lan"), { destination: "deploy@proxima-core.lan", port: 22 });
        assert.deepEqual(sshTarget("ssh://ops@10.0.0.5:2222"), { destination: "ops@10.0.0.5", port: 2222 });
        assert.throws(() => sshTarget("tcp://core:2375"), /Use ssh:\/\/user@host\[:port\]/);
        assert.throws(() => sshTarget("ssh://core.lan"), /Use ssh:\/\/user@host\[:port\]/);
    });
});

describe("components/deployment verification script (real Docker engine)", function () {
    this.timeout(180000);
    let env: NodeJS.ProcessEnv;
    let docker: (args: string[]) => Promise<{ stdout: string }>;
    let plain: string;
    let healthy: string;
    let sick: string;

    before(async () => {
        const engine = await dockerEngine();
        env = { ...process.env, DOCKER_HOST: engine.host };
        docker = (args) => engine.docker(args);
        const { registry } = await sharedTestRegistry();
        plain = `${registry}/verify/plain:1`;
        healthy = `${registry}/verify/healthy:1`;
        sick = `${registry}/verify/sick:1`;
        await buildAndPush({ repository: `${registry}/verify/plain`, tags: ["1"], cmd: "sleep 300" });
        await buildAndPush({ repository: `${registry}/verify/healthy`, tags: ["1"], cmd: "sleep 300", healthcheck: "true" });
        await buildAndPush({ repository: `${registry}/verify/sick`, tags: ["1"], cmd: "sleep 300", healthcheck: "false" });
        await docker(["run", "-d", "--network", "none", "--name", "v-plain", plain]);
        await docker(["run", "-d", "--network", "none", "--name", "v-healthy", healthy]);
        await docker(["run", "-d", "--network", "none", "--name", "v-sick", sick]);
        await docker(["create", "--network", "none", "--name", "v-stopped", plain]);
        // Crashes a second after each start; Docker restarts it, so it is "running" now and then.
        await buildAndPush({ repository: `${registry}/verify/crashing`, tags: ["1"], cmd: "sleep 1; exit 3" });
        await docker(["run", "-d", "--network", "none", "--restart", "always", "--name", "v-crashing", `${registry}/verify/crashing:1`]);
    });
    after(async () => {
        await docker(["rm", "-f", "v-plain", "v-healthy", "v-sick", "v-stopped", "v-crashing"]).catch(() => undefined);
    });

    const verify = async (name: string, healthcheck: boolean, seconds: number) => {
        try {
            const { stdout } = await run("sh", ["-c", verifyScript(name, healthcheck, seconds)], { env });
            return { code: 0, out: stdout };
        } catch (e) {
            const err = e as { code: number; stderr: string };
            return { code: err.code, out: err.stderr };
        }
    };

    it("passes for a running container without healthcheck", async () => {
        const r = await verify("v-plain", false, 10);
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /v-plain: running/);
    });
    it("waits for a healthcheck to report healthy", async () => {
        const r = await verify("v-healthy", true, 30);
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /v-healthy: running healthy/);
    });
    it("fails for an unhealthy container, naming its state and what to check", async () => {
        const r = await verify("v-sick", true, 8);
        assert.equal(r.code, 1);
        assert.match(r.out, /v-sick is not running and healthy after 8s \(state: running (starting|unhealthy)\)\. Check: docker logs v-sick/);
    });
    it("fails for a container that is not running", async () => {
        const r = await verify("v-stopped", false, 2);
        assert.equal(r.code, 1);
        assert.match(r.out, /v-stopped is not steadily running after 2s \(state: created \)/);
    });
    it("fails for a container that does not exist", async () => {
        const r = await verify("v-missing", false, 2);
        assert.equal(r.code, 1);
        assert.match(r.out, /v-missing is not steadily running after 2s \(state: \)/);
    });
    it("fails for a container in a restart loop, though it is running now and then", async () => {
        const r = await verify("v-crashing", false, 12);
        assert.equal(r.code, 1, r.out);
        assert.match(r.out, /v-crashing is not steadily running after 12s/);
    });
});
