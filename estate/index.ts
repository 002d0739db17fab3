/**
 * A whole estate on this machine for the real engine: a registry with login, the images of the shipped
 * stacks (two builds per app, the four OCI labels), an SSH host with its own Docker engine per Proxima
 * class and for Lyra, and a checkout of the project in a temp folder whose stacks live on a local file
 * backend. Only hosts, registry and credentials differ from the shipped stack files, and they are set
 * with `pulumi config set`, as a team would.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as YAML from "yaml";
import { configFromStackFile } from "../lib/config";
import { OCI } from "../lib/contract";
import { buildAndPush, dockerEngine, RegistryService, startRegistry } from "./services";
import { SshClient, sshClient, SshHost, startSshHost } from "./hosts";

const run = promisify(execFile);
export const REPO_ROOT = path.resolve(__dirname, "..");
export const HOSTS = ["core", "monitoring", "experimental", "lyra"] as const;
export type HostName = (typeof HOSTS)[number];

/** One pushed build of an app's image. */
export interface Build {
    tag: string;
    digest: string;
    description: string;
    created: string;
}

export interface Estate {
    registry: RegistryService;
    credentials: { username: string; password: string };
    client: SshClient;
    hosts: Record<HostName, SshHost>;
    /** repository → builds, oldest first; the last one carries the stack's tag. */
    images: Record<string, Build[]>;
    /** The project checkout the engine runs in (the shipped files, node_modules linked). */
    workdir: string;
    /** Environment for pulumi and the CLI: engine on PATH, local backend, passphrase, deployer. */
    env: NodeJS.ProcessEnv;
    stop(): Promise<void>;
}

/** Extra files the shipped apps' healthchecks and smoke commands call, as tiny shell scripts. */
const SHIMS: Record<string, string> = {
    "/bin/healthcheck": "#!/bin/sh\nexit 0\n",
    "/bin/nginx": "#!/bin/sh\necho 'nginx version: busybox-httpd (image-lifecycle test image)'\n",
    // Lyra's api dev container runs `npm run dev`: a web server on its port stands in for it.
    "/bin/npm": "#!/bin/sh\nexec httpd -f -p 3000 -h /\n",
};

/** What each shipped app's container runs: a busybox httpd on the app's port, or a sleeper. */
function commandFor(port: number | undefined): string {
    return port === undefined
        ? "exec sleep 2147483647"
        : `mkdir -p /tmp/www && echo ok > /tmp/www/index.html && exec httpd -f -p ${port} -h /tmp/www`;
}

/** The apps of the shipped proxima stack and the dev containers of the shipped lyra stack, as written. */
function shippedApps(): { repository: string; tag?: unknown; ports?: { internal?: number; external?: number }[] }[] {
    return ["proxima", "lyra"].flatMap((stack) => {
        const raw = configFromStackFile(YAML.parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8"))) as Record<string, any>;
        return Object.values({ ...raw.apps, ...raw.devContainers }) as any[];
    });
}

/** Fails, naming them, when ports the stacks publish are taken (e.g. by containers of an aborted run). */
async function portsFree(ports: number[]): Promise<void> {
    const net = await import("node:net");
    const taken: number[] = [];
    for (const port of ports) {
        const free = await new Promise<boolean>((resolve) => {
            const server = net.createServer();
            server.once("error", () => resolve(false));
            server.listen(port, "0.0.0.0", () => server.close(() => resolve(true)));
        });
        if (!free) taken.push(port);
    }
    if (taken.length) {
        throw new Error(`Ports ${taken.join(", ")} are in use, and the shipped stacks publish them on the test hosts. Stop what holds them (an aborted run's containers: look for dockerd processes under /tmp/image-lifecycle-host-*), then run again.`);
    }
}

/** Copies the project (tracked files) into a temp checkout with node_modules linked, and builds its dist/ as `npm ci` would. */
export function checkout(dir: string): string {
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8" }).split("\0").filter(Boolean)
        .filter((f) => fs.existsSync(path.join(REPO_ROOT, f)));
    // A checkout that is refreshed (npm start's) loses the files an earlier copy brought and the tree
    // no longer has: a moved module left behind would still be found by require. Only files this
    // function copied are removed, never what a run wrote there (records, state).
    const manifest = path.join(dir, ".checkout-files");
    const before = fs.existsSync(manifest) ? fs.readFileSync(manifest, "utf8").split("\n").filter(Boolean) : codeFilesIn(dir);
    const now = new Set(files);
    for (const f of before) if (!now.has(f)) fs.rmSync(path.join(dir, f), { force: true });
    for (const f of files) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.copyFileSync(path.join(REPO_ROOT, f), path.join(dir, f));
    }
    fs.writeFileSync(manifest, `${files.join("\n")}\n`);
    if (!fs.existsSync(path.join(dir, "node_modules"))) fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
    // What `npm ci` does in a fresh checkout (prepare → build:cli), before every engine run in it: dist/
    // holds the program and the policy pack the engine runs (docs/adr/0056-deploy-speed.md), the CLI and
    // the release provider it requires from the project directory (docs/adr/0052-release-provider-module.md).
    execFileSync(process.execPath, [path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.cli.json"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
    return dir;
}

/** TypeScript and JavaScript files below `dir` (not node_modules): what a checkout copied before it kept a manifest. */
function codeFilesIn(dir: string, rel = ""): string[] {
    const here = path.join(dir, rel);
    if (!fs.existsSync(here)) return [];
    return fs.readdirSync(here, { withFileTypes: true }).flatMap((e) => {
        const f = path.posix.join(rel, e.name);
        if (e.isDirectory()) return e.name === "node_modules" ? [] : codeFilesIn(dir, f);
        return e.isFile() && /\.(ts|js)$/.test(e.name) ? [f] : [];
    });
}

/** The engine folder from `npm run engine` (IMAGE_LIFECYCLE_ENGINE when set). */
export async function engineDir(): Promise<string> {
    if (process.env.IMAGE_LIFECYCLE_ENGINE) return process.env.IMAGE_LIFECYCLE_ENGINE;
    const { stdout } = await run("bash", [path.join(REPO_ROOT, "scripts/engine.sh")], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
    return stdout.trim().split("\n").pop()!;
}

/** The running parts of an estate, without a checkout (what `npm start` keeps running between runs). */
export type Services = Pick<Estate, "registry" | "credentials" | "client" | "hosts" | "images" | "stop"> & {
    /** The engine that built the images; the release's sanity check runs there. */
    dockerHost: string;
};

/** Starts the estate: services, a checkout of the project, and the environment to run the engine in. */
export async function startEstate(engine: string): Promise<Estate> {
    const services = await startServices();
    const workdir = checkout(fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-checkout-")));
    const state = path.join(workdir, ".pulumi-state");
    fs.mkdirSync(state);
    return { ...services, workdir, env: await estateEnv(engine, workdir, state, services.dockerHost) };
}

/** Environment for pulumi and the CLI: engine first on PATH, a local file backend, no update checks or downloads. */
export async function estateEnv(engine: string, workdir: string, state: string, dockerHost?: string): Promise<NodeJS.ProcessEnv> {
    return {
        ...process.env,
        PATH: engine ? `${engine}:${process.env.PATH}` : process.env.PATH,
        PULUMI_BACKEND_URL: `file://${state}`,
        PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_HOME: path.join(workdir, ".pulumi-home"),
        IMAGE_LIFECYCLE_DEPLOYER: process.env.IMAGE_LIFECYCLE_DEPLOYER ?? "e2e-deployer",
        // The release's sanity check runs the promoted image on the test engine.
        DOCKER_HOST: dockerHost ?? (await dockerEngine()).host,
        NO_COLOR: "1",
    };
}

/** Starts the registry and hosts and pushes two builds of every image the shipped proxima and lyra stacks name. */
export async function startServices(): Promise<Services> {
    const apps = shippedApps();
    // The hosts share this machine's network namespace, so the apps' published ports must be free here.
    // Checked first: nothing is started that would then have to be stopped.
    await portsFree(apps.flatMap((a) => (a.ports ?? []).flatMap((p) => (p.external !== undefined ? [Number(p.external)] : []))));
    const credentials = { username: "deploy", password: `pw-${process.pid}-${Date.now()}` };
    const registry = await startRegistry({ basicAuth: credentials });
    const client = await sshClient();
    const started: SshHost[] = [];
    // Whatever fails after the first start stops what was started: a leaked dockerd keeps the
    // test process alive after its failure, and the next run finds the ports taken.
    const stopAll = async () => {
        await Promise.all(started.map((h) => h.stop()));
        await registry.stop();
    };
    try {
        for (const name of HOSTS) started.push(await startSshHost(name, client));
        const hosts = Object.fromEntries(started.map((h) => [h.name, h])) as Record<HostName, SshHost>;

        const { docker } = await dockerEngine();
        await docker(["login", "-u", credentials.username, "--password-stdin", registry.registry], { input: credentials.password });
        const images: Record<string, Build[]> = {};
        const wanted = new Map<string, { tag: string; port?: number }>();
        for (const app of apps) {
            if (app.tag !== undefined) wanted.set(app.repository, { tag: String(app.tag), port: app.ports?.[0]?.internal });
        }
        let minute = 0;
        for (const [repository, { tag, port }] of wanted) {
            images[repository] = [];
            for (const [i, t] of [`${tag.slice(0, 6)}0`, tag].entries()) {
                const when = new Date(Date.UTC(2026, 0, 25, 1, minute++)).toISOString().replace(/\.\d+Z$/, "Z");
                const description = i === 0 ? `initial deploy of ${repository}` : `add healthcheck to ${repository}`;
                const digest = await buildAndPush({
                    repository: `${registry.registry}/${repository}`,
                    tags: [t],
                    cmd: commandFor(port),
                    payload: `${repository} build ${i}`,
                    files: SHIMS,
                    labels: {
                        [OCI.description]: description,
                        [OCI.created]: when,
                        [OCI.revision]: `${t}${"0".repeat(40 - t.length)}`,
                        [OCI.source]: `https://github.com/example/${repository}`,
                    },
                });
                images[repository].push({ tag: t, digest, description, created: when });
            }
        }
        return {
            registry, credentials, client, hosts, images, dockerHost: (await dockerEngine()).host,
            stop: stopAll,
        };
    } catch (e) {
        await stopAll();
        throw e;
    }
}

/** Result of one pulumi command. */
export interface PulumiRun {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs the pulumi CLI in the estate's checkout; never throws on a non-zero exit. */
export async function pulumi(estate: Pick<Estate, "workdir" | "env">, args: string[], timeoutMs = 900000): Promise<PulumiRun> {
    try {
        const { stdout, stderr } = await run("pulumi", ["--non-interactive", ...args], { cwd: estate.workdir, env: estate.env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
        return { code: 0, stdout, stderr };
    } catch (e) {
        const err = e as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? String(e) };
    }
}

/** Like {@link pulumi}, but throws with the output when the command fails. */
export async function pulumiOk(estate: Pick<Estate, "workdir" | "env">, args: string[]): Promise<string> {
    const r = await pulumi(estate, args);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${r.code}):\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-3000)}`);
    return r.stdout;
}

/** Config for one stack: hosts, registry and credentials of this estate, through `pulumi config set`. */
export async function configureStack(estate: Pick<Estate, "registry" | "credentials" | "hosts" | "client" | "workdir" | "env">, stack: "proxima" | "lyra"): Promise<void> {
    await pulumiOk(estate, ["stack", "select", "--create", stack]);
    const set = (key: string, value: string, ...flags: string[]) => pulumiOk(estate, ["config", "set", "--stack", stack, "--path", ...flags, "--", key, value]);
    await set("registry.host", estate.registry.registry);
    await set("registry.username", estate.credentials.username);
    await pulumiOk(estate, ["config", "set", "--stack", stack, "--secret", "--", "registryPassword", estate.credentials.password]);
    const names = stack === "proxima" ? (["core", "monitoring", "experimental"] as const) : (["lyra"] as const);
    for (const name of names) {
        const prefix = stack === "proxima" ? `classes.${name}` : "lyra";
        await set(`${prefix}.host`, estate.hosts[name].endpoint);
        for (const [i, opt] of estate.client.sshOpts.entries()) await set(`${prefix}.sshOpts[${i}]`, opt);
    }
}
