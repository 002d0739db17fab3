/**
 * The proxima stack under the real Pulumi engine (built by `npm run engine`), with the shipped stack
 * file, against real SSH class hosts and a real registry: preview with the policy pack, up, an unchanged
 * second up, rollback through the CLI, a budget and a limit change, a release, destroy.
 */
import * as assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parseDeployRecord } from "../../lib/rules/deploy-record";
import { buildAndPush } from "../../estate/services";
import { LIFECYCLE, OCI } from "../../lib/contract";
import { withConnectionReuse } from "../../lib/host/ssh-reuse";
import { checkout, configureStack, engineDir, Estate, pulumi, pulumiOk, REPO_ROOT, startEstate } from "../../estate";

const run = promisify(execFile);
const POLICY = ["--policy-pack", "policy", "--policy-pack-config", "policy-pack-config.example.json"];
const CLASS_OF: Record<string, "core" | "monitoring" | "experimental"> = {
    "hello-world": "core", "giftfinder-api": "core", metrics: "monitoring", uptime: "monitoring", playground: "experimental",
};
const REPOSITORY: Record<string, string> = {
    "hello-world": "rednaw/hello-world", "giftfinder-api": "giftfinder/api", metrics: "giftfinder/metrics-exporter",
    uptime: "giftfinder/uptime", playground: "giftfinder/playground",
};

/** The image CLI, as a user runs it, in the estate's checkout. */
async function cli(estate: Estate, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
        const { stdout, stderr } = await run("node", [path.join(REPO_ROOT, "bin/image-lifecycle.js"), ...args], { cwd: estate.workdir, env: estate.env, maxBuffer: 16 * 1024 * 1024 });
        return { code: 0, stdout, stderr };
    } catch (e) {
        const err = e as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? String(e) };
    }
}

interface Inspected {
    Name: string;
    Config: { Image: string; Labels: Record<string, string>; Cmd: string[] | null };
    HostConfig: { Memory: number; NanoCpus: number; MemorySwap: number };
    NetworkSettings: { Networks: Record<string, unknown> };
    State: { Running: boolean };
}

async function containers(estate: Estate, host: string): Promise<Inspected[]> {
    const h = estate.hosts[host as keyof Estate["hosts"]];
    const ids = (await h.docker(["ps", "-aq"])).trim();
    if (!ids) return [];
    return JSON.parse(await h.docker(["inspect", ...ids.split(/\s+/)])) as Inspected[];
}

function recordOn(estate: Estate, host: string, app: string) {
    const file = path.join(estate.hosts[host as keyof Estate["hosts"]].opt, "giftfinder", app, "deploy-info.yml");
    return { file, exists: fs.existsSync(file), read: () => parseDeployRecord(fs.readFileSync(file, "utf8"), file) };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > end) throw new Error(`gave up waiting after ${timeoutMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 200));
    }
}

function latest(estate: Estate, app: string) {
    const builds = estate.images[REPOSITORY[app]];
    return builds[builds.length - 1];
}

describe("e2e: the shipped stacks under the real engine (SSH hosts, real registry)", function () {
    this.timeout(1800000);
    let estate: Estate;

    before(async function () {
        this.timeout(3600000);
        estate = await startEstate(await engineDir());
        // The policy pack asks the registry itself (tag immutability); it reads these, as in CI.
        estate.env.REGISTRY_USERNAME = estate.credentials.username;
        estate.env.REGISTRY_PASSWORD = estate.credentials.password;
    });
    after(async function () {
        this.timeout(300000);
        await estate?.stop();
    });

    describe("proxima", function () {
        before(async function () {
            this.timeout(600000);
            await configureStack(estate, "proxima");
            // The shipped release names a digest of the team's registry; here it is the digest of the pushed tag.
            await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--", "releases.hello-world-v1-0-0.digest", latest(estate, "hello-world").digest.slice("sha256:".length)]);
            // GitHub cannot be reached from here, and its provider cannot be built (docs/adr/0004).
            await pulumiOk(estate, ["config", "rm", "--stack", "proxima", "--path", "releaseGate"]);
        });

        it("previews with the policy pack: no mandatory violation", async () => {
            const r = await pulumi(estate, ["preview", "--stack", "proxima", ...POLICY]);
            assert.equal(r.code, 0, r.stdout + r.stderr);
            assert.doesNotMatch(r.stdout, /\[mandatory\]/);
            assert.match(r.stdout, /image-lifecycle@v0\.1\.0/);
        });

        it("up: every app runs pinned by digest on its own class's engine, with its limits, record and verification", async () => {
            const out = await pulumiOk(estate, ["up", "--yes", "--stack", "proxima", ...POLICY]);
            assert.match(out, /hello-world-container created/);
            for (const host of ["core", "monitoring", "experimental"] as const) {
                const running = await containers(estate, host);
                const apps = Object.keys(CLASS_OF).filter((a) => CLASS_OF[a] === host).sort();
                assert.deepEqual(running.map((c) => c.Name.slice(1)).sort(), apps, `containers on ${host}`);
                for (const c of running) {
                    const app = c.Name.slice(1);
                    const build = latest(estate, app);
                    assert.equal(c.Config.Image, `${estate.registry.registry}/${REPOSITORY[app]}@${build.digest}`);
                    assert.ok(c.State.Running, `${app} runs`);
                    assert.deepEqual(Object.keys(c.NetworkSettings.Networks), [`proxima-${host}`]);
                    assert.equal(c.Config.Labels[LIFECYCLE.class], host);
                    assert.equal(c.Config.Labels[OCI.description], build.description);
                    const record = recordOn(estate, host, app).read();
                    assert.equal(record.digest, build.digest);
                    assert.equal(record.tag, build.tag);
                    assert.equal(record.description, build.description);
                    assert.equal(record.deployed_by, "e2e-deployer");
                    assert.ok(Math.abs(Date.parse(record.deployed_at) - Date.now()) < 15 * 60000, `deployed_at ${record.deployed_at} is now`);
                }
                // A record only where the app runs.
                for (const app of Object.keys(CLASS_OF).filter((a) => CLASS_OF[a] !== host)) assert.equal(recordOn(estate, host, app).exists, false);
            }
            const [metrics] = (await containers(estate, "monitoring")).filter((c) => c.Name === "/metrics");
            assert.equal(metrics.HostConfig.Memory, 128 * 1024 * 1024);
            assert.equal(metrics.HostConfig.NanoCpus, 0.25e9);
        });

        it("the deployments output fed to overview --deployed puts → on the deployed tag", async () => {
            const deployed = path.join(estate.workdir, "deployed.json");
            fs.writeFileSync(deployed, await pulumiOk(estate, ["stack", "output", "deployments", "--json", "--stack", "proxima"]));
            const r = await cli(estate, ["overview", "rednaw/hello-world", "--registry", estate.registry.registry, "--deployed", deployed]);
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, /^→ 6350192 /m);
            assert.match(r.stdout, /^ {2}6350190 /m);
        });

        it("a second up with nothing changed changes nothing: no update, no replace, no rerun, no rewritten record", async () => {
            const record = recordOn(estate, "core", "hello-world");
            const before = fs.readFileSync(record.file, "utf8");
            const mtime = fs.statSync(record.file).mtimeMs;
            const r = await pulumi(estate, ["up", "--yes", "--expect-no-changes", "--stack", "proxima", ...POLICY]);
            assert.equal(r.code, 0, r.stdout + r.stderr);
            assert.match(r.stdout, /\b35 unchanged/);
            assert.doesNotMatch(r.stdout, /\b(updated|created|replaced|deleted)\b/);
            assert.equal(fs.readFileSync(record.file, "utf8"), before);
            assert.equal(fs.statSync(record.file).mtimeMs, mtime);
        });

        it("rollback --to an earlier tag --yes, then up: only that app's container is replaced and its record and arrow move", async () => {
            const earlier = estate.images["rednaw/hello-world"][0];
            const others = Object.fromEntries((await containers(estate, "core")).map((c) => [c.Name, c]));
            const r = await cli(estate, ["rollback", "hello-world", "--to", earlier.tag, "--yes"]);
            assert.equal(r.code, 0, r.stdout + r.stderr);
            const preview = JSON.parse((await pulumi(estate, ["preview", "--json", "--stack", "proxima"])).stdout) as { steps: { op: string; urn: string }[] };
            const changed = preview.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`);
            // The image is pulled anew; the container is updated in place: the product replaces it on the host.
            assert.deepEqual(changed.filter((c) => !/^(create-replacement|delete-replaced|replace) hello-world-image$|^update hello-world-container$/.test(c)), [], `only that app: ${changed.join(", ")}`);
            assert.deepEqual([...new Set(changed.map((c) => c.split(" ")[1]))].sort(), ["hello-world-container", "hello-world-image"]);
            await pulumiOk(estate, ["up", "--yes", "--stack", "proxima", ...POLICY]);
            const now = Object.fromEntries((await containers(estate, "core")).map((c) => [c.Name, c]));
            assert.equal(now["/hello-world"].Config.Image, `${estate.registry.registry}/rednaw/hello-world@${earlier.digest}`);
            assert.equal(now["/giftfinder-api"].Config.Image, others["/giftfinder-api"].Config.Image);
            assert.equal(recordOn(estate, "core", "hello-world").read().digest, earlier.digest);
            const deployed = path.join(estate.workdir, "deployed.json");
            fs.writeFileSync(deployed, await pulumiOk(estate, ["stack", "output", "deployments", "--json", "--stack", "proxima"]));
            const overview = await cli(estate, ["overview", "rednaw/hello-world", "--registry", estate.registry.registry, "--deployed", deployed]);
            assert.match(overview.stdout, /^→ 6350190 /m);
            assert.match(overview.stdout, /^ {2}6350192 /m);
        });

        it("a new build that keeps crashing fails the up at its verification, the previous digest runs again, its record is not rewritten", async () => {
            const record = recordOn(estate, "experimental", "playground");
            const before = fs.readFileSync(record.file, "utf8");
            const previous = latest(estate, "playground");
            const good = latest(estate, "playground").tag;
            // A build whose process exits a second after it starts; the app restarts on failure, so
            // Docker keeps it "running" now and then: only the verification's steadiness check can tell.
            await buildAndPush({
                repository: `${estate.registry.registry}/giftfinder/playground`,
                tags: ["c4a5h01"],
                cmd: "sleep 1; exit 3",
                payload: "a build that crashes",
                labels: {
                    [OCI.description]: "a build that crashes",
                    [OCI.created]: "2026-01-26T09:00:00Z",
                    [OCI.revision]: `c4a5h01${"0".repeat(33)}`,
                    [OCI.source]: "https://github.com/example/giftfinder/playground",
                },
            });
            await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--", "apps.playground.tag", "c4a5h01"]);
            const r = await pulumi(estate, ["up", "--yes", "--stack", "proxima"]);
            await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--type", "string", "--", "apps.playground.tag", good]);
            assert.notEqual(r.code, 0, r.stdout);
            assert.match(r.stdout, /playground: sha256:[0-9a-f]{64} failed verification on ssh:\/\/[^ ]+ \(state [^)]*\)\. The previous digest sha256:[0-9a-f]{64} runs again/);
            assert.doesNotMatch(r.stdout + r.stderr, /unhandled exception|\n\s+at /);
            assert.equal(fs.readFileSync(record.file, "utf8"), before);
            // No deploy leaves an app down: the previous build runs, and the outputs say so.
            const [now] = (await containers(estate, "experimental")).filter((c) => c.Name === "/playground");
            assert.equal(now.Config.Image, `${estate.registry.registry}/giftfinder/playground@${previous.digest}`);
            assert.ok(now.State.Running);
            const deployments = JSON.parse(await pulumiOk(estate, ["stack", "output", "deployments", "--json", "--stack", "proxima"]));
            assert.equal(deployments.playground.digest, previous.digest);
            assert.match(deployments.playground.failure, /failed verification/);
            const history = fs.readFileSync(path.join(path.dirname(record.file), "deploy-history.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
            assert.deepEqual(history.slice(-2).map((h) => h.outcome), ["failed", "rolled-back"]);
            assert.equal(history[history.length - 1].digest, previous.digest);
            await pulumiOk(estate, ["up", "--yes", "--stack", "proxima"]);
            assert.equal(recordOn(estate, "experimental", "playground").read().tag, good);
        });

        it("a command set and then removed: the container runs it, then the image's own Cmd again", async () => {
            const playground = async () => (await containers(estate, "experimental")).find((c) => c.Name === "/playground")!;
            const imageCmd = (await playground()).Config.Cmd;
            assert.ok(Array.isArray(imageCmd) && imageCmd.length > 0, "the playground image has no Cmd to come back to");
            const configured = ["/bin/sh", "-c", "exec sleep 100000"];
            try {
                await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--", "apps.playground.command[0]", configured[0]]);
                await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--", "apps.playground.command[1]", configured[1]]);
                await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--", "apps.playground.command[2]", configured[2]]);
                await pulumiOk(estate, ["up", "--yes", "--stack", "proxima"]);
                assert.deepEqual((await playground()).Config.Cmd, configured);
            } finally {
                await pulumiOk(estate, ["config", "rm", "--stack", "proxima", "--path", "apps.playground.command"]);
            }
            await pulumiOk(estate, ["up", "--yes", "--stack", "proxima"]);
            assert.deepEqual((await playground()).Config.Cmd, imageCmd);
        });

        it("a wrong host key fails the up on that host's resources with a message that says what to check", async () => {
            const known = fs.readFileSync(estate.client.knownHosts, "utf8");
            const port = estate.hosts.experimental.port;
            // Another key under the host's name: what a man in the middle (or a reinstalled host) looks like.
            const other = (await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(estate.client.dir, "other"), "-C", "x"]), fs.readFileSync(path.join(estate.client.dir, "other.pub"), "utf8").trim().split(/\s+/).slice(0, 2).join(" "));
            // The last up's shared connection to the host (lib/host/ssh-reuse.ts) was checked against the
            // right key and would carry the next commands; a changed key applies to new connections.
            await run("ssh", [...withConnectionReuse(estate.client.sshOpts), "-p", String(port), "-O", "exit", "root@127.0.0.1"]).catch(() => undefined);
            fs.writeFileSync(estate.client.knownHosts, known.split("\n").map((l) => (l.startsWith(`[127.0.0.1]:${port} `) ? `[127.0.0.1]:${port} ${other}` : l)).join("\n"));
            try {
                await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--", "apps.playground.env.MODE", "changed"]);
                const r = await pulumi(estate, ["up", "--yes", "--stack", "proxima"]);
                assert.notEqual(r.code, 0);
                assert.match(r.stdout, /playground/);
                assert.match(r.stdout, /[Hh]ost key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key/);
            } finally {
                fs.writeFileSync(estate.client.knownHosts, known);
                await pulumiOk(estate, ["config", "rm", "--stack", "proxima", "--path", "apps.playground.env"]);
            }
            await pulumiOk(estate, ["up", "--yes", "--stack", "proxima"]);
        });

        it("a class budget change and a limit change go through up", async () => {
            await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--", "classes.monitoring.budget.memoryMb", "1536"]);
            await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--", "apps.metrics.limits.memoryMb", "192"]);
            await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--", "apps.metrics.limits.cpus", "0.5"]);
            await pulumiOk(estate, ["up", "--yes", "--stack", "proxima", ...POLICY]);
            const [metrics] = (await containers(estate, "monitoring")).filter((c) => c.Name === "/metrics");
            assert.equal(metrics.HostConfig.Memory, 192 * 1024 * 1024);
            assert.equal(metrics.HostConfig.NanoCpus, 0.5e9);
            const again = await pulumi(estate, ["preview", "--expect-no-changes", "--stack", "proxima"]);
            assert.equal(again.code, 0, again.stdout);
        });

        // Faults: every failed or interrupted up heals with a plain re-run (before the release and destroy tests below).
        const setPath = (key: string, value: string, ...flags: string[]) => pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", ...flags, "--", key, value]);
        const inspect = async (host: string, name: string) => (await containers(estate, host)).find((c) => c.Name === `/${name}`);
        const noPending = async () => {
            const state = JSON.parse(await pulumiOk(estate, ["stack", "export", "--stack", "proxima"]));
            assert.deepEqual(state.deployment.pending_operations ?? [], [], "no pending operations left in the state");
        };
        const converged = async () => {
            const r = await pulumi(estate, ["preview", "--expect-no-changes", "--stack", "proxima"]);
            assert.equal(r.code, 0, `a second run must report no change:\n${r.stdout}`);
        };

        it("a wrong registryPassword: one line per problem, naming the stack's password that was used, no stack trace", async () => {
            await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--secret", "--", "registryPassword", "wrong-password"]);
            try {
                const r = await pulumi(estate, ["preview", "--stack", "proxima"]);
                assert.notEqual(r.code, 0);
                const out = r.stdout + r.stderr;
                assert.match(out, /The registry refused the credentials\. Check the stack's registryPassword \(it wins over REGISTRY_PASSWORD\) and the account's rights \(registry [^,]+, HTTP 401; met by [^)]*rednaw\/hello-world:/);
                assert.doesNotMatch(out, /unhandled exception|\n\s+at .*\(.*:\d+:\d+\)|\u001b\[/);
                assert.ok((out.match(/refused the credentials/g) ?? []).length <= 2, `reported once (and in the summary), not once per app:\n${out}`);
            } finally {
                await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--secret", "--", "registryPassword", estate.credentials.password]);
            }
        });

        it("a healthcheck change reaches the container on the host, and the next run reports no change", async () => {
            await setPath("apps.uptime.healthcheck.test[0]", "CMD-SHELL");
            await setPath("apps.uptime.healthcheck.test[1]", "test -e /bin/sh");
            await setPath("apps.uptime.healthcheck.interval", "2s");
            await pulumiOk(estate, ["up", "--yes", "--stack", "proxima"]);
            const c = (await inspect("monitoring", "uptime")) as unknown as { Config: { Healthcheck: { Test: string[]; Interval: number } } };
            assert.deepEqual(c.Config.Healthcheck.Test, ["CMD-SHELL", "test -e /bin/sh"]);
            assert.equal(c.Config.Healthcheck.Interval, 2e9);
            await converged();
        });

        it("env, ports, volumes and restart, each changed in turn, reach the container on its host; then a run reports no change", async () => {
            // The image, command, limits and healthcheck have their own tests above; these are the stack's other settings.
            type Full = { Config: { Env: string[] }; HostConfig: { PortBindings: Record<string, { HostPort: string }[]>; RestartPolicy: { Name: string } }; Mounts: { Name?: string; Destination: string }[] };
            const metrics = async () => (await inspect("monitoring", "metrics")) as unknown as Full;
            const changes: [Record<string, string>, (c: Full) => boolean][] = [
                [{ "apps.metrics.env.SCRAPE_INTERVAL": "15s" }, (c) => c.Config.Env.includes("SCRAPE_INTERVAL=15s")],
                [{ "apps.metrics.ports[0].external": "9101" }, (c) => c.HostConfig.PortBindings["9100/tcp"]?.[0]?.HostPort === "9101"],
                [{ "apps.metrics.volumes[0].name": "scratch", "apps.metrics.volumes[0].containerPath": "/scratch" }, (c) => c.Mounts.some((m) => m.Name === "monitoring-metrics-scratch" && m.Destination === "/scratch")],
                [{ "apps.metrics.restart": "always" }, (c) => c.HostConfig.RestartPolicy.Name === "always"],
            ];
            for (const [settings, onHost] of changes) {
                for (const [key, value] of Object.entries(settings)) await setPath(key, value);
                await pulumiOk(estate, ["up", "--yes", "--skip-preview", "--stack", "proxima"]);
                const c = await metrics();
                assert.ok(onHost(c), `${JSON.stringify(settings)} is not on the host: ${JSON.stringify({ env: c.Config.Env, ports: c.HostConfig.PortBindings, mounts: c.Mounts, restart: c.HostConfig.RestartPolicy })}`);
            }
            await converged();
        });

        it("a healthcheck that never passes: the up fails naming why, the previous digest runs; fixed, a plain up converges", async () => {
            const before = await inspect("monitoring", "uptime");
            const record = fs.readFileSync(recordOn(estate, "monitoring", "uptime").file, "utf8");
            await setPath("apps.uptime.healthcheck.test[1]", "echo never-ready; exit 1");
            const r = await pulumi(estate, ["up", "--yes", "--stack", "proxima"]);
            assert.notEqual(r.code, 0);
            assert.match(r.stdout, /uptime: sha256:[0-9a-f]{64} failed verification on [^ ]+ \(state running, unhealthy[^)]*never-ready[^)]*\)\. The previous digest sha256:[0-9a-f]{64} runs again/);
            const after = await inspect("monitoring", "uptime");
            assert.equal(after?.Config.Image, before?.Config.Image);
            assert.ok(after?.State.Running);
            assert.equal(fs.readFileSync(recordOn(estate, "monitoring", "uptime").file, "utf8"), record);
            await noPending();
            await setPath("apps.uptime.healthcheck.test[1]", "test -e /bin/sh");
            await pulumiOk(estate, ["up", "--yes", "--stack", "proxima"]);
            await converged();
        });

        it("a container an engine restart left Exited (137): a plain up (no --refresh) starts it again", async () => {
            await estate.hosts.monitoring.docker(["kill", "uptime"]);
            assert.equal((await inspect("monitoring", "uptime"))?.State.Running, false);
            await pulumiOk(estate, ["up", "--yes", "--stack", "proxima"]);
            assert.equal((await inspect("monitoring", "uptime"))?.State.Running, true);
            await converged();
        });

        /** Sets hello-world's tag to the build that does not run now (dropping the digest the rollback test pinned, which would win), and returns it. */
        const switchHelloWorld = async () => {
            const [earlier, later] = [estate.images["rednaw/hello-world"][0], latest(estate, "hello-world")];
            const target = (await inspect("core", "hello-world"))!.Config.Image.endsWith(later.digest) ? earlier : later;
            await pulumi(estate, ["config", "rm", "--stack", "proxima", "--path", "apps.hello-world.digest"]);
            await setPath("apps.hello-world.tag", target.tag);
            return target;
        };
        /** After an interrupted replacement of hello-world: both core apps run, on the target, with its record and a clean state. */
        const helloWorldConverged = async (target: { digest: string }) => {
            const running = await containers(estate, "core");
            assert.deepEqual(running.map((c) => c.Name).sort(), ["/giftfinder-api", "/hello-world"]);
            assert.ok(running.every((c) => c.State.Running), "both core apps run");
            assert.equal((await inspect("core", "hello-world"))!.Config.Image, `${estate.registry.registry}/rednaw/hello-world@${target.digest}`);
            assert.equal(recordOn(estate, "core", "hello-world").read().digest, target.digest);
            await noPending();
            await converged();
        };

        it("pulumi killed mid-replace: a plain up converges with nothing done on the host by hand", async () => {
            const target = await switchHelloWorld();
            const child = spawn("pulumi", ["--non-interactive", "up", "--yes", "--stack", "proxima"], { cwd: estate.workdir, env: estate.env, stdio: "ignore" });
            // Killed while the host has the old container set aside and the new one not yet verified.
            await waitUntil(async () => (await containers(estate, "core")).some((c) => c.Name === "/hello-world.previous"), 300000);
            child.kill("SIGKILL");
            await new Promise((resolve) => child.once("exit", resolve));
            await pulumi(estate, ["cancel", "--yes", "--stack", "proxima"]);
            await pulumiOk(estate, ["up", "--yes", "--stack", "proxima"]);
            await helloWorldConverged(target);
        });

        it("a class host's Docker engine restarted mid-replace: whatever that up reports, a plain up converges with nothing done on the host by hand", async () => {
            const target = await switchHelloWorld();
            const interrupted = pulumi(estate, ["up", "--yes", "--stack", "proxima"]);
            await waitUntil(async () => (await containers(estate, "core")).some((c) => c.Name === "/hello-world.previous"), 300000);
            await estate.hosts.core.restartEngine();
            await interrupted;
            await pulumiOk(estate, ["up", "--yes", "--stack", "proxima"]);
            await helloWorldConverged(target);
        });

        it("a pull the registry refuses after the preview (a layer gone): the up fails naming the image, the layer and the status, the running digest stays and is what the outputs name; restored, a plain up converges", async () => {
            const record = fs.readFileSync(recordOn(estate, "monitoring", "uptime").file, "utf8");
            const running = (await inspect("monitoring", "uptime"))!.Config.Image;
            const outputBefore = JSON.parse(await pulumiOk(estate, ["stack", "output", "deployments", "--json", "--stack", "proxima"])).uptime.digest as string;
            const digest = await buildAndPush({
                repository: `${estate.registry.registry}/giftfinder/uptime`, tags: ["b10b000"], payload: "a build whose layer goes missing",
                // A service that keeps running (the default command prints the payload and exits).
                cmd: "trap 'exit 0' TERM; while :; do sleep 1; done",
                labels: { [OCI.description]: "a build whose layer goes missing", [OCI.created]: "2026-01-27T09:00:00Z", [OCI.revision]: `b10b000${"0".repeat(33)}`, [OCI.source]: "https://github.com/example/giftfinder/uptime" },
            });
            await setPath("apps.uptime.tag", "b10b000");
            const preview = await pulumi(estate, ["preview", "--stack", "proxima", ...POLICY]);
            assert.equal(preview.code, 0, preview.stdout + preview.stderr);
            // After the preview, the registry loses the build's layers (a garbage collection, a disk fault).
            const blob = (d: string) => path.join(estate.registry.dataDir, "docker/registry/v2/blobs/sha256", d.slice(7, 9), d.slice(7), "data");
            const manifest = JSON.parse(fs.readFileSync(blob(digest), "utf8")) as { layers: { digest: string }[] };
            const layers = manifest.layers.map((l) => l.digest).filter((d) => fs.existsSync(blob(d)));
            for (const d of layers) fs.renameSync(blob(d), `${blob(d)}.aside`);
            let r: Awaited<ReturnType<typeof pulumi>>;
            try {
                r = await pulumi(estate, ["up", "--yes", "--skip-preview", "--stack", "proxima"]);
            } finally {
                for (const d of layers) fs.renameSync(`${blob(d)}.aside`, blob(d));
            }
            assert.notEqual(r.code, 0, r.stdout);
            assert.match(r.stdout, new RegExp(`giftfinder/uptime@${digest} cannot be pulled: the registry does not serve its layer sha256:[0-9a-f]{64} \\(HEAD /v2/giftfinder/uptime/blobs/sha256:[0-9a-f]{64}: HTTP 404\\)`));
            assert.equal((await inspect("monitoring", "uptime"))!.Config.Image, running, "the running container is untouched");
            assert.ok((await inspect("monitoring", "uptime"))!.State.Running);
            assert.equal(fs.readFileSync(recordOn(estate, "monitoring", "uptime").file, "utf8"), record);
            const outputAfter = JSON.parse(await pulumiOk(estate, ["stack", "output", "deployments", "--json", "--stack", "proxima"])).uptime.digest as string;
            assert.equal(outputAfter, outputBefore, "the deployments output still names the digest that runs");
            assert.ok(running.endsWith(outputAfter));
            await noPending();
            await pulumiOk(estate, ["up", "--yes", "--stack", "proxima"]);
            assert.equal((await inspect("monitoring", "uptime"))!.Config.Image, `${estate.registry.registry}/giftfinder/uptime@${digest}`);
            assert.equal(recordOn(estate, "monitoring", "uptime").read().digest, digest);
            await converged();
        });

        it("a class host that cannot be reached fails its apps with a message naming it, the other classes' changes still go through", async () => {
            const hostKey = ["classes", "experimental", "host"].join(".");
            const reachable = estate.hosts.experimental.endpoint;
            const closed = reachable.replace(/:(\d+)$/, ":1");
            await setPath(hostKey, closed);
            await setPath("apps.playground.env.MODE", "elsewhere");
            await setPath("apps.metrics.env.MODE", "changed");
            try {
                const r = await pulumi(estate, ["up", "--yes", "--continue-on-error", "--stack", "proxima"]);
                assert.notEqual(r.code, 0);
                assert.match(r.stdout, /The host of class experimental, ssh:\/\/root@127\.0\.0\.1:1, cannot be reached over SSH \([^)]*\)\. Nothing of it changes in this run;/);
                const metrics = (await inspect("monitoring", "metrics")) as unknown as { Config: { Env: string[] } };
                assert.ok(metrics.Config.Env.includes("MODE=changed"), "the monitoring class's change must be applied");
            } finally {
                await setPath(hostKey, reachable);
            }
            await pulumiOk(estate, ["up", "--yes", "--stack", "proxima"]);
            const playground = (await inspect("experimental", "playground")) as unknown as { Config: { Env: string[] } };
            assert.ok(playground.Config.Env.includes("MODE=elsewhere"));
            await noPending();
            await converged();
        });

        it("the release wrote v1.0.0 on the same digest (skopeo), and the record is an output", async () => {
            const { stdout } = await run("skopeo", ["inspect", "--raw", "--tls-verify=false", "--creds", `${estate.credentials.username}:${estate.credentials.password}`, `docker://${estate.registry.registry}/rednaw/hello-world:v1.0.0`]);
            const digest = `sha256:${require("node:crypto").createHash("sha256").update(stdout).digest("hex")}`;
            assert.equal(digest, latest(estate, "hello-world").digest);
            const releases = JSON.parse(await pulumiOk(estate, ["stack", "output", "releases", "--json", "--stack", "proxima"]));
            assert.equal(releases["hello-world-v1-0-0"].tag, "v1.0.0");
            assert.equal(releases["hello-world-v1-0-0"].sanity.ok, true);
        });

        it("a second release of the same tag on another digest is refused at preview by the pack", async () => {
            const other = estate.images["rednaw/hello-world"][0].digest.slice("sha256:".length);
            for (const [k, v] of [["repository", "rednaw/hello-world"], ["digest", other], ["tag", "v1.0.0"]]) {
                await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--", `releases.again.${k}`, v]);
            }
            const r = await pulumi(estate, ["preview", "--stack", "proxima", ...POLICY]);
            await pulumiOk(estate, ["config", "rm", "--stack", "proxima", "--path", "releases.again"]);
            assert.notEqual(r.code, 0);
            assert.match(r.stdout, /\[mandatory\]\s+release-tag-immutable/);
        });

        it("destroy, from another checkout, removes the containers and leaves the release tag and the volumes", async () => {
            // A team member's other clone (same stack file, same backend), with the first checkout's sources
            // gone: the providers in the state must not reach back into the checkout that created them.
            const other = checkout(fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-other-checkout-")));
            fs.copyFileSync(path.join(estate.workdir, "Pulumi.proxima.yaml"), path.join(other, "Pulumi.proxima.yaml"));
            const moved = ["lib", "components"].map((d) => [path.join(estate.workdir, d), path.join(estate.workdir, `${d}.moved`)]);
            for (const [from, to] of moved) fs.renameSync(from, to);
            try {
                await pulumiOk({ workdir: other, env: estate.env }, ["destroy", "--yes", "--stack", "proxima"]);
            } finally {
                for (const [from, to] of moved) fs.renameSync(to, from);
            }
            for (const host of ["core", "monitoring", "experimental"]) assert.deepEqual(await containers(estate, host), []);
            const volumes = (await estate.hosts.core.docker(["volume", "ls", "-q"])).trim().split("\n").sort();
            assert.deepEqual(volumes, ["core-giftfinder-api-data", "core-hello-world-cache"]);
            await run("skopeo", ["inspect", "--raw", "--tls-verify=false", "--creds", `${estate.credentials.username}:${estate.credentials.password}`, `docker://${estate.registry.registry}/rednaw/hello-world:v1.0.0`]);
        });
    });

    describe("lyra", function () {
        before(async function () {
            this.timeout(600000);
            await configureStack(estate, "lyra");
            // The workspace the shipped stack binds from, on the Lyra host.
            for (const dir of ["dev/work/hello-world/html", "dev/work/giftfinder-api"]) fs.mkdirSync(path.join(estate.hosts.lyra.home, dir), { recursive: true });
        });

        it("previews with the policy pack: no mandatory violation", async () => {
            const r = await pulumi(estate, ["preview", "--stack", "lyra", ...POLICY]);
            assert.equal(r.code, 0, r.stdout + r.stderr);
            assert.doesNotMatch(r.stdout, /\[mandatory\]/);
        });

        it("up runs the dev containers with their limits and temporary volumes, on the Lyra engine only", async () => {
            await pulumiOk(estate, ["up", "--yes", "--stack", "lyra", ...POLICY]);
            const running = await containers(estate, "lyra");
            assert.deepEqual(running.map((c) => c.Name).sort(), ["/lyra-api", "/lyra-hello-world"]);
            const byName = Object.fromEntries(running.map((c) => [c.Name, c]));
            assert.equal(byName["/lyra-hello-world"].HostConfig.Memory, 256 * 1024 * 1024);
            assert.equal(byName["/lyra-hello-world"].HostConfig.NanoCpus, 0.5e9);
            assert.equal(byName["/lyra-api"].HostConfig.NanoCpus, 1e9);
            const volumes = (await estate.hosts.lyra.docker(["volume", "ls", "-q", "--filter", `label=${LIFECYCLE.stack}=lyra`])).trim().split("\n").filter(Boolean);
            assert.equal(volumes.length, 2, `temporary volumes: ${volumes.join(", ")}`);
            for (const host of ["core", "monitoring", "experimental"]) {
                assert.deepEqual((await containers(estate, host)).filter((c) => c.Config.Labels[LIFECYCLE.stack] === "lyra"), []);
            }
            const again = await pulumi(estate, ["preview", "--expect-no-changes", "--stack", "lyra"]);
            assert.equal(again.code, 0, again.stdout);
        });

        it("destroy leaves nothing of them on the Lyra engine", async () => {
            await pulumiOk(estate, ["destroy", "--yes", "--stack", "lyra"]);
            assert.deepEqual(await containers(estate, "lyra"), []);
            assert.equal((await estate.hosts.lyra.docker(["volume", "ls", "-q"])).trim(), "");
            assert.equal((await estate.hosts.lyra.docker(["images", "-q"])).trim(), "");
        });
    });
});
