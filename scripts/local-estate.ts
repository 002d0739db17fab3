/**
 * The embedded default of `npm start`: a whole estate on this machine — a registry with the sample
 * images, an SSH host with its own Docker engine per Proxima class and for Lyra — and a real
 * `pulumi up` of the shipped proxima stack on it, through the policy pack. The estate is the one the
 * end-to-end tests use (estate/index.ts); it keeps running between runs, so a second run reports
 * no changes.
 *
 *   local-estate.ts up <engine-dir>   start the estate if needed, deploy, print the overview
 *   local-estate.ts serve             (internal) the process that keeps the estate running
 *   local-estate.ts stop              stop the estate (state and images go with it)
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { checkout, configureStack, estateEnv, pulumi, pulumiOk, REPO_ROOT, startServices } from "../estate";
import { stopAll } from "../estate/services";
import { estateSteps, formatSteps, writeEstateEnv } from "./estate-commands";

const dir = path.join(REPO_ROOT, ".local", "estate");
const infoFile = path.join(dir, "estate.json");
const pidFile = path.join(dir, "estate.pid");
const logFile = path.join(dir, "estate.log");
const say = (m: string) => process.stderr.write(`--- ${m}\n`);

interface Info {
    registry: { registry: string };
    credentials: { username: string; password: string };
    hosts: Record<string, { endpoint: string; home: string }>;
    client: { sshOpts: string[] };
    images: Record<string, { tag: string; digest: string }[]>;
    dockerHost: string;
    /** Folders only the estate's processes use (hosts, registry, build engine): what stop sweeps for. */
    dirs: string[];
    /** The mount namespaces of the hosts (`/proc/<pid>/ns/mnt` links): their dockerd, containerd, shims. */
    namespaces: string[];
}

/** The estate's process runs and has said it is ready. */
function alive(): boolean {
    return fs.existsSync(pidFile) && running(Number(fs.readFileSync(pidFile, "utf8"))) && fs.existsSync(infoFile);
}

async function serve(): Promise<void> {
    // estate/hosts.ts answers SIGTERM by killing the hosts' process groups at once (right for an
    // aborted test run); the estate stops in order instead (below), so its handlers go first.
    process.removeAllListeners("SIGTERM");
    process.removeAllListeners("SIGINT");
    const services = await startServices();
    const dirs = [
        ...Object.values(services.hosts).map((h) => h.root),
        path.dirname(services.registry.dataDir),
        path.dirname(services.dockerHost.replace(/^unix:\/\//, "")),
    ];
    const info: Info = {
        registry: { registry: services.registry.registry },
        credentials: services.credentials,
        hosts: Object.fromEntries(Object.entries(services.hosts).map(([k, h]) => [k, { endpoint: h.endpoint, home: h.home }])),
        client: { sshOpts: services.client.sshOpts },
        images: services.images,
        dockerHost: services.dockerHost,
        dirs,
        namespaces: [...new Set(estateProcesses(dirs, []).map((pid) => mountNamespace(pid)).filter((ns): ns is string => ns !== undefined && ns !== mountNamespace(process.pid)))],
    };
    fs.writeFileSync(infoFile, JSON.stringify(info, null, 2));
    const stop = async () => {
        // Hosts first: each removes its containers (docker rm -f), then stops its dockerd and sshd; then
        // the registry and the engine that built the images, and their temp folders.
        await services.stop().catch((e: Error) => process.stderr.write(`stopping the hosts: ${e.message}\n`));
        await stopAll().catch((e: Error) => process.stderr.write(`stopping the registry and build engine: ${e.message}\n`));
        fs.rmSync(infoFile, { force: true });
        process.exit(0);
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    setInterval(() => undefined, 1 << 30);
}

async function start(): Promise<Info> {
    if (alive()) return JSON.parse(fs.readFileSync(infoFile, "utf8")) as Info;
    fs.mkdirSync(dir, { recursive: true });
    fs.rmSync(infoFile, { force: true });
    say("starting the local estate: a registry, SSH hosts core/monitoring/experimental/lyra with their own Docker engines, sample images (about 1-3 min)");
    const out = fs.openSync(logFile, "w");
    const child = spawn(process.execPath, [...process.execArgv, __filename, "serve"], { detached: true, stdio: ["ignore", out, out], cwd: REPO_ROOT });
    fs.writeFileSync(pidFile, String(child.pid));
    child.unref();
    const deadline = Date.now() + 15 * 60000;
    while (!fs.existsSync(infoFile)) {
        if (child.exitCode !== null || Date.now() > deadline || !running(child.pid!)) {
            throw new Error(`The local estate did not start. Its log (${logFile}):\n${fs.readFileSync(logFile, "utf8").slice(-3000)}`);
        }
        await new Promise((r) => setTimeout(r, 500));
    }
    return JSON.parse(fs.readFileSync(infoFile, "utf8")) as Info;
}

function running(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

async function up(engine: string): Promise<void> {
    const info = await start();
    const workdir = checkout(path.join(dir, "checkout"));
    fs.mkdirSync(path.join(dir, "pulumi-state"), { recursive: true });
    const env = await estateEnv(engine, workdir, path.join(dir, "pulumi-state"), info.dockerHost);
    env.IMAGE_LIFECYCLE_DEPLOYER = process.env.IMAGE_LIFECYCLE_DEPLOYER ?? (process.env.USER || "local");
    env.REGISTRY_USERNAME = info.credentials.username;
    env.REGISTRY_PASSWORD = info.credentials.password;
    delete env.NO_COLOR;
    const estate = { ...info, workdir, env } as unknown as Parameters<typeof configureStack>[0];
    say(`configuring stack proxima for the local estate (state in ${path.relative(REPO_ROOT, path.join(dir, "pulumi-state"))})`);
    await configureStack(estate, "proxima");
    const hello = info.images["rednaw/hello-world"];
    await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--", "releases.hello-world-v1-0-0.digest", hello[hello.length - 1].digest.slice("sha256:".length)]);
    await pulumi(estate, ["config", "rm", "--stack", "proxima", "--path", "releaseGate"]);
    // One preview, then the update without a second one (docs/adr/0056-deploy-speed.md); the pack runs in both.
    const engineRun = (args: string[]) => new Promise<number>((resolve) => {
        const p = spawn("pulumi", [...args, "--non-interactive", "--stack", "proxima", "--policy-pack", "policy", "--policy-pack-config", "policy-pack-config.example.json"], { cwd: workdir, env, stdio: "inherit" });
        p.on("close", (c) => resolve(c ?? 1));
    });
    say("pulumi preview, then pulumi up --skip-preview, --stack proxima --policy-pack policy (the release gate is left out: GitHub is not part of the local estate)");
    for (const args of [["preview"], ["up", "--yes", "--skip-preview", "--continue-on-error"]]) {
        const code = await engineRun(args);
        if (code !== 0) process.exit(code);
    }
    const deployed = path.join(dir, "deployed.json");
    fs.writeFileSync(deployed, await pulumiOk(estate, ["stack", "output", "deployments", "--json", "--stack", "proxima"]));
    say(`overview (npm run application:overview -- rednaw/hello-world --registry ${info.registry.registry} --deployed ${path.relative(REPO_ROOT, deployed)})`);
    process.stdout.write(execFileSync(process.execPath, [path.join(REPO_ROOT, "bin/image-lifecycle.js"), "overview", "rednaw/hello-world", "--registry", info.registry.registry, "--deployed", deployed], { env, encoding: "utf8" }));
    // The commands of the team's day, against this estate exactly as printed: its stack file (hosts,
    // registry) is the checkout's, its state and credentials are in the environment file.
    const facts = { checkout: workdir, env, registry: info.registry.registry, hello };
    const envPath = path.join(dir, "env.sh");
    writeEstateEnv(envPath, facts, engine);
    process.stdout.write(`\n${formatSteps(path.relative(REPO_ROOT, envPath), estateSteps(facts))}`);
    say("stop the local estate with: npm start -- --stop");
}

async function stop(): Promise<void> {
    const info = fs.existsSync(infoFile) ? (JSON.parse(fs.readFileSync(infoFile, "utf8")) as Partial<Info>) : {};
    if (!alive()) {
        // A crashed estate process leaves its hosts behind: sweep for them all the same.
        const left = await sweep(info);
        say(left ? `the local estate was not running; ended ${left} process(es) it had left behind` : "the local estate is not running");
        fs.rmSync(infoFile, { force: true });
        return;
    }
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 600 && running(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (running(pid)) {
        say(`the estate process ${pid} did not stop within 60 s; killing it`);
        process.kill(pid, "SIGKILL");
    }
    // Whatever the orderly stop missed (a dockerd that had died leaves its containerd shims and the
    // containers' processes running, orphaned) is ended here.
    const left = await sweep(info);
    if (left) say(`ended ${left} process(es) the estate had left behind`);
    for (const d of info.dirs ?? []) fs.rmSync(d, { recursive: true, force: true });
    fs.rmSync(infoFile, { force: true });
    // A new estate has new hosts and registry: the old stack state describes nothing that runs.
    fs.rmSync(path.join(dir, "pulumi-state"), { recursive: true, force: true });
    say("stopped the local estate");
}

/** Every process: pid → parent pid. */
function processTable(): Map<number, number> {
    const table = new Map<number, number>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            // The command name (2nd field) may hold spaces and parentheses: read after its last ")".
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            table.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
        } catch { /* gone meanwhile */ }
    }
    return table;
}

function mountNamespace(pid: number): string | undefined {
    try { return fs.readlinkSync(`/proc/${pid}/ns/mnt`); } catch { return undefined; }
}

/**
 * The estate's processes, from /proc: those whose command line names one of its folders (a working
 * folder alone is not enough: a person's shell may stand there), those in one of its hosts' mount
 * namespaces (dockerd, containerd and the shims started there), and every descendant of them (a
 * container's processes are children of its containerd shim). Never this process or its ancestors.
 */
function estateProcesses(dirs: string[], namespaces: string[]): number[] {
    if (dirs.length === 0 && namespaces.length === 0) return [];
    const table = processTable();
    const mine = new Set<number>();
    for (let p = process.pid; p > 1 && !mine.has(p); p = table.get(p) ?? 1) mine.add(p);
    const roots = [...table.keys()].filter((pid) => {
        if (mine.has(pid)) return false;
        let cmdline = "";
        try { cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8"); } catch { /* gone or kernel thread */ }
        const ns = mountNamespace(pid);
        return dirs.some((d) => cmdline.includes(d)) || (ns !== undefined && namespaces.includes(ns));
    });
    const found = new Set(roots);
    for (let grew = true; grew;) {
        grew = false;
        for (const [pid, parent] of table) {
            if (!found.has(pid) && found.has(parent) && !mine.has(pid)) { found.add(pid); grew = true; }
        }
    }
    return [...found];
}

/** Kills what is left of the estate's processes and waits until they are gone; returns how many there were. */
async function sweep(info: Partial<Info>): Promise<number> {
    const left = estateProcesses(info.dirs ?? [], info.namespaces ?? []);
    for (const pid of left) {
        try { process.kill(pid, "SIGKILL"); } catch { /* gone meanwhile */ }
    }
    for (let i = 0; i < 100 && left.some((pid) => running(pid) && !zombie(pid)); i++) await new Promise((r) => setTimeout(r, 100));
    return left.length;
}

/** A process that has exited and waits for its parent to reap it: it runs nothing any more. */
function zombie(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
    } catch {
        return false;
    }
}

const [command, arg] = process.argv.slice(2);
const run = command === "serve" ? serve() : command === "up" ? up(arg) : command === "stop" ? stop() : Promise.reject(new Error("usage: local-estate.ts up <engine-dir> | stop"));
run.catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
});
