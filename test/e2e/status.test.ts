/**
 * `status` read from the class hosts themselves, under the real engine on real SSH class hosts: after a
 * real `pulumi up` of the shipped proxima stack; the commands `npm start` prints, run as printed against
 * this estate (deploy, rollback --previous, promote, cleanup); drift made by hand on the hosts, each
 * reported with its fix, and the fixes run as printed; an unreachable host.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { DeployHistoryEntry, LIFECYCLE, NAMES } from "../../lib/contract";
import { parseDeployRecord } from "../../lib/rules/deploy-record";
import { estateSteps, writeEstateEnv } from "../../scripts/estate-commands";
import { configureStack, engineDir, Estate, HostName, pulumiOk, REPO_ROOT, startEstate } from "../../estate";

const run = promisify(execFile);
const POLICY = ["--policy-pack", "policy", "--policy-pack-config", "policy-pack-config.example.json"];
const APPS: Record<string, HostName> = { "hello-world": "core", "giftfinder-api": "core", metrics: "monitoring", uptime: "monitoring", playground: "experimental" };

interface Result { code: number; stdout: string; stderr: string }

async function sh(command: string, env: NodeJS.ProcessEnv, cwd: string): Promise<Result> {
    try {
        const { stdout, stderr } = await run("bash", ["-c", command], { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 1200000 });
        return { code: 0, stdout, stderr };
    } catch (e) {
        const err = e as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? String(e) };
    }
}

describe("e2e: status from the class hosts, drift by hand, history, and npm start's printed commands", function () {
    this.timeout(1800000);
    let estate: Estate;
    let envPath: string;
    /** The CLI as a user runs it, in the estate's checkout. */
    const cli = (args: string[]) => sh(`node ${path.join(REPO_ROOT, "bin/image-lifecycle.js")} ${args.map((a) => `'${a}'`).join(" ")}`, estate.env, estate.workdir);
    const status = async () => {
        const r = await cli(["status", "--json"]);
        return { ...r, json: JSON.parse(r.stdout || "null") };
    };
    const opt = (host: HostName, app: string, file: string) => path.join(estate.hosts[host].opt, "giftfinder", app, file);
    const images = (repository: string) => estate.images[repository];
    const pinned = (repository: string, i = -1) => `${estate.registry.registry}/${repository}@${images(repository).at(i)!.digest}`;
    /** sshd logs each login; counting them counts status's connections. */
    const logins = (host: HostName) => (fs.readFileSync(path.join(estate.hosts[host].root, "sshd.log"), "utf8").match(/Accepted publickey/g) ?? []).length;

    /**
     * The deploy history the host's deploy script appends (lib/contract.ts DeployHistoryEntry). Until that
     * writer is merged (issue 16), deploys here write none: the test then appends, by hand and in the
     * documented format, the line the writer would have written for the deploy that just ran, taking
     * digest, tag, description, time and deployer from the real deploy record. Once the writer is there
     * (a history file after the first up), nothing is written by hand.
     */
    let writerPresent = false;
    const recordHistory = (host: HostName, app: string, outcome: DeployHistoryEntry["outcome"]) => {
        if (writerPresent) return;
        const r = parseDeployRecord(fs.readFileSync(opt(host, app, "deploy-info.yml"), "utf8"));
        const entry: DeployHistoryEntry = { app, image: r.image, digest: r.digest, ...(r.tag ? { tag: r.tag } : {}), ...(r.description ? { description: r.description } : {}), at: r.deployed_at, by: r.deployed_by, outcome };
        // An up that did not redeploy the app (its record unchanged) writes no line.
        const file = opt(host, app, "deploy-history.jsonl");
        const last = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").at(-1) : undefined;
        if (last && (JSON.parse(last) as DeployHistoryEntry).at === entry.at) return;
        fs.appendFileSync(opt(host, app, "deploy-history.jsonl"), `${JSON.stringify(entry)}\n`);
    };

    before(async function () {
        this.timeout(3600000);
        const engine = await engineDir();
        estate = await startEstate(engine);
        estate.env.REGISTRY_USERNAME = estate.credentials.username;
        estate.env.REGISTRY_PASSWORD = estate.credentials.password;
        await configureStack(estate, "proxima");
        const hello = images("rednaw/hello-world");
        await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--", "releases.hello-world-v1-0-0.digest", hello.at(-1)!.digest.slice("sha256:".length)]);
        await pulumiOk(estate, ["config", "rm", "--stack", "proxima", "--path", "releaseGate"]);
        await pulumiOk(estate, ["up", "--yes", "--stack", "proxima", ...POLICY]);
        writerPresent = fs.existsSync(opt("core", "hello-world", "deploy-history.jsonl"));
        for (const [app, host] of Object.entries(APPS)) recordHistory(host, app, "verified");
        // Outside the checkout, as npm start keeps it in .local/estate/ beside its checkout.
        envPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-estate-env-")), "env.sh");
        writeEstateEnv(envPath, { checkout: estate.workdir, env: estate.env, registry: estate.registry.registry, hello }, engine);
    });
    after(async function () {
        this.timeout(300000);
        if (envPath) fs.rmSync(path.dirname(envPath), { recursive: true, force: true });
        await estate?.stop();
    });

    it("after up: every app as its host reports it (state, since, deployed by), no drift, one ssh connection per host; --check exits 0", async () => {
        const before = { core: logins("core"), monitoring: logins("monitoring"), experimental: logins("experimental") };
        const s = await status();
        assert.equal(s.code, 0, s.stderr);
        assert.deepEqual({ core: logins("core") - before.core, monitoring: logins("monitoring") - before.monitoring, experimental: logins("experimental") - before.experimental }, { core: 1, monitoring: 1, experimental: 1 });
        assert.equal(s.json.source, "hosts");
        assert.deepEqual(s.json.drift, []);
        for (const [app, host] of Object.entries(APPS)) {
            const a = s.json.classes[host].find((x: any) => x.app === app);
            const repository = a.repository as string;
            assert.equal(a.running.source, "host");
            assert.equal(a.running.digest, images(repository).at(-1)!.digest, app);
            assert.equal(a.running.tag, images(repository).at(-1)!.tag, app);
            assert.equal(a.container.state, "running");
            assert.ok(Math.abs(Date.parse(a.container.startedAt) - Date.now()) < 30 * 60000, `${app} started ${a.container.startedAt}`);
            assert.equal(a.deployed.by, "e2e-deployer");
            assert.equal(a.lastDeploy.outcome, "verified");
            assert.equal(a.unreachable, null);
        }
        assert.equal(s.json.classes.core.find((x: any) => x.app === "hello-world").container.health, "healthy");
        const human = await cli(["status"]);
        assert.equal(human.code, 0, human.stderr);
        assert.match(human.stdout, /^  hello-world\s+6350192\s+sha256:[0-9a-f]{12}\s+2026-01-25 \d\d:\d\d\s+add healthcheck to rednaw\/hello-world\n\s+running since \d{4}-\d\d-\d\d \d\d:\d\d, healthy\n\s+deployed \d{4}-\d\d-\d\d \d\d:\d\d by e2e-deployer \(deploy record\)\n\s+last deploy: .* by e2e-deployer, verified 6350192 sha256:/m);
        assert.match(human.stdout, /^No drift: every app runs what the stack says/m);
        assert.equal((await cli(["status", "--check"])).code, 0);
    });

    it("npm start's printed commands work here as printed: status, rollback, deploy, rollback --previous, promote, cleanup", async () => {
        const hello = images("rednaw/hello-world");
        const steps = estateSteps({ checkout: estate.workdir, env: estate.env, registry: estate.registry.registry, hello });
        // A shell with only the user's environment: everything the estate needs comes from the file.
        const userEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
        const outputs: string[] = [];
        for (const step of steps) {
            for (const line of step.run) {
                const r = await sh(`source '${envPath}' && ${line}`, userEnv, REPO_ROOT);
                assert.equal(r.code, 0, `${line}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
                outputs.push(`$ ${line}\n${r.stdout}`);
                if (line.startsWith("pulumi up")) recordHistory("core", "hello-world", "verified");
            }
        }
        const text = outputs.join("\n");
        // The README's walkthrough shows this run's real output: IMAGE_LIFECYCLE_TRANSCRIPT=<file> keeps it.
        if (process.env.IMAGE_LIFECYCLE_TRANSCRIPT) fs.appendFileSync(process.env.IMAGE_LIFECYCLE_TRANSCRIPT, `${text}\n`);
        assert.match(text, /\$ image-lifecycle status\nSTACK: proxima/);
        assert.match(text, /RAN ON core \(the host's deploy history, newest first; → runs now\)/);
        assert.match(text, new RegExp(`Switched hello-world to ${hello[0].digest} \\(tag ${hello[0].tag}\\)`));
        assert.match(text, new RegExp(`The last verified deploy before ${hello[0].digest.slice(0, 19)}: ${hello.at(-1)!.digest} \\(tag ${hello.at(-1)!.tag}\\)`));
        assert.match(text, /IMAGE: rednaw\/hello-world\nREGISTRY: /);
        // What runs now is the latest build again, deployed three times in all, and status says so.
        const s = await status();
        assert.deepEqual(s.json.drift, []);
        const h = s.json.classes.core.find((x: any) => x.app === "hello-world");
        assert.equal(h.running.digest, hello.at(-1)!.digest);
        const list = await cli(["rollback", "hello-world"]);
        const ran = list.stdout.split("\n").filter((l) => /^[→ ] sha256:/.test(l));
        assert.match(ran[0], new RegExp(`^→ ${hello.at(-1)!.digest.slice(0, 19)}\\s+\\S*${hello.at(-1)!.tag}\\S*\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+e2e-deployer\\s+verified \\(2 deploys\\)`));
        assert.match(ran[1], new RegExp(`^  ${hello[0].digest.slice(0, 19)}\\s+${hello[0].tag}\\s+.*\\s+verified$`));
    });

    it("drift made by hand on the hosts is each named with its fix; --check exits 1", async () => {
        const api = pinned("giftfinder/api");
        await estate.hosts.core.docker(["run", "-d", "--name", "scratchpad", api]);
        await estate.hosts.core.docker(["stop", "-t", "1", "giftfinder-api"]);
        await estate.hosts.core.docker(["rm", "-f", "hello-world"]);
        await estate.hosts.core.docker(["run", "-d", "--name", "hello-world", api]);
        const record = opt("monitoring", "metrics", "deploy-info.yml");
        const older = images("giftfinder/metrics-exporter")[0].digest;
        fs.writeFileSync(record, fs.readFileSync(record, "utf8").replace(/^digest: .*$/m, `digest: "${older}"`));
        await estate.hosts.monitoring.docker(["run", "-d", "--name", "intruder", "--label", `${LIFECYCLE.class}=core`, pinned("giftfinder/uptime")]);
        await estate.hosts.experimental.docker(["create", "--name", NAMES.previousContainer("playground"), "--label", `${LIFECYCLE.stack}=proxima`, "--label", `${LIFECYCLE.class}=experimental`, "--label", `${LIFECYCLE.app}=playground`, pinned("giftfinder/playground")]);

        const s = await status();
        assert.equal(s.code, 0, s.stderr);
        const got = (s.json.drift as any[]).map((d) => [d.code, d.class, d.app, d.container]);
        assert.deepEqual(got, [
            ["replaced-by-hand", "core", "hello-world", "hello-world"],
            ["not-running", "core", "giftfinder-api", "giftfinder-api"],
            ["record-differs", "monitoring", "metrics", "metrics"],
            ["unmanaged-container", "core", null, "scratchpad"],
            ["other-class", "monitoring", null, "intruder"],
            ["interrupted-deploy", "experimental", "playground", "playground.previous"],
        ]);
        const fix = Object.fromEntries((s.json.drift as any[]).map((d) => [d.container, d.fix as string[]]));
        const ssh = (host: HostName) => `ssh ${estate.client.sshOpts.join(" ")} -p ${estate.hosts[host].port} root@127.0.0.1`;
        assert.deepEqual(fix["hello-world"], [`pulumi up --stack proxima ${POLICY.join(" ")}`]);
        assert.deepEqual(fix["giftfinder-api"], [`${ssh("core")} docker start giftfinder-api`]);
        assert.deepEqual(fix.metrics, [`pulumi up --stack proxima ${POLICY.join(" ")}`]);
        assert.deepEqual(fix.scratchpad, [`${ssh("core")} docker rm -f scratchpad`]);
        assert.deepEqual(fix.intruder, [`${ssh("monitoring")} docker rm -f intruder`]);
        assert.deepEqual(fix["playground.previous"], [`pulumi up --stack proxima ${POLICY.join(" ")}`]);
        const h = s.json.classes.core.find((x: any) => x.app === "hello-world");
        assert.equal(h.running.digest, images("giftfinder/api").at(-1)!.digest, "what runs is read from the container, not the record");

        const human = await cli(["status"]);
        if (process.env.IMAGE_LIFECYCLE_TRANSCRIPT) fs.appendFileSync(process.env.IMAGE_LIFECYCLE_TRANSCRIPT, `$ image-lifecycle status   # after drift made by hand\n${human.stdout}\n`);
        assert.match(human.stdout, /drift: hello-world's container was not created by image-lifecycle .*\n\s+fix: pulumi up --stack proxima/);
        assert.match(human.stdout, /^HOSTS\n {2}core: drift: scratchpad .* was not created by image-lifecycle\.\n {2}core: {3}fix: ssh .* docker rm -f scratchpad$/m);
        assert.match(human.stdout, /^6 drift\(s\) between the stack and its hosts/m);
        const check = await cli(["status", "--check"]);
        assert.equal(check.code, 1, check.stderr);
    });

    it("each fix, run as printed from the project directory, removes its drift", async () => {
        const s = await status();
        const byContainer = Object.fromEntries((s.json.drift as any[]).map((d) => [d.container, d.fix as string[]]));
        // The docker commands first (on the hosts), then the Pulumi ones.
        const order = ["scratchpad", "intruder", "giftfinder-api", "hello-world", "metrics"];
        for (const container of order) {
            for (const printed of byContainer[container]) {
                // A human confirms pulumi up at its prompt; a script without a terminal says --yes.
                const line = printed.startsWith("pulumi up") ? `${printed} --yes` : printed;
                const r = await sh(line, estate.env, estate.workdir);
                assert.equal(r.code, 0, `${line}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`);
            }
        }
        // playground.previous: the fix is the lead's provider (issue 16), which finishes or undoes an
        // interrupted replacement on the next up; the docker provider of today does not know the
        // leftover, so it is removed by hand here and its fix is not verified by this test.
        await estate.hosts.experimental.docker(["rm", "-f", NAMES.previousContainer("playground")]);
        const after = await status();
        assert.deepEqual(after.json.drift, []);
        assert.equal((await cli(["status", "--check"])).code, 0);
        assert.equal(after.json.classes.core.find((x: any) => x.app === "hello-world").running.digest, images("rednaw/hello-world").at(-1)!.digest);
    });

    it("an unreachable host: its apps say so, the others still show, exit 3", async () => {
        await estate.hosts.experimental.stop();
        const s = await status();
        assert.equal(s.code, 3, s.stderr);
        const playground = s.json.classes.experimental.find((x: any) => x.app === "playground");
        assert.match(playground.unreachable, /did not answer: .*Connection refused/);
        assert.equal(playground.container, null);
        assert.equal(s.json.classes.core.find((x: any) => x.app === "hello-world").container.state, "running");
        assert.deepEqual(s.json.hosts.map((h: any) => [h.classes[0], h.reachable]), [["core", true], ["monitoring", true], ["experimental", false]]);
        const human = await cli(["status"]);
        assert.equal(human.code, 3);
        assert.match(human.stdout, /^  playground .*\n\s+host unreachable: ssh:\/\/root@127\.0\.0\.1:\d+ did not answer/m);
        assert.match(human.stderr, /status: could not read a class host: experimental: /);
    });
});
