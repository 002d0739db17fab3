/**
 * Real services for integration tests: a Docker engine (Debian docker.io) and a registry — by default
 * Distribution v3 (the seeds' Docker Registry v3, built from its Go module by scripts/go-tools.sh), or
 * Debian's docker-registry (Distribution 2.8, which teams still run) — all on loopback, in temp dirs, on
 * free ports, stopped after the run. Nothing here fakes a registry or an engine.
 */
import { ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { goTool } from "./go-tools";

const run = promisify(execFile);

/** Fails with a message naming the Debian package when a binary is missing. */
export function requireBinary(binary: string, debianPackage: string): string {
    const found = spawnSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" });
    const where = found.stdout.trim();
    if (found.status !== 0 || !where) {
        throw new Error(
            `${binary} is not installed: the integration tests need the Debian package ${debianPackage}. ` +
                `Run "apt-get install -y ${debianPackage}" (or "bash .ci/run", which installs everything).`,
        );
    }
    return where;
}

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

/** Polls `check` until it holds; on timeout, fails with the tail of `logFile`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, logFile?: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (await check().catch(() => false)) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    const log = logFile && fs.existsSync(logFile) ? `\n--- ${logFile} ---\n${fs.readFileSync(logFile, "utf8").slice(-2000)}` : "";
    throw new Error(`${what} did not become ready within ${timeoutMs} ms.${log}`);
}

const children: ChildProcess[] = [];
const tempDirs: string[] = [];

/** A temp folder `image-lifecycle-<prefix>-…`, removed by stopAll at the end of the run. */
export function tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `image-lifecycle-${prefix}-`));
    tempDirs.push(dir);
    return dir;
}

/**
 * Which registry a test runs against: `v3` is Distribution v3 (paginates the tag list with `n`, `last`
 * and `Link`); `2.8` is Debian's docker-registry (ignores `n` and `last`, never sends `Link`).
 */
export type Distribution = "v3" | "2.8";

/** Both registries, for suites that run once against each. */
export const DISTRIBUTIONS: readonly Distribution[] = ["v3", "2.8"];

/** A running registry. `url` is `http://127.0.0.1:<port>`, `registry` is `127.0.0.1:<port>`. */
export interface RegistryService {
    registry: string;
    url: string;
    dataDir: string;
    distribution: Distribution;
    stop(): Promise<void>;
}

export interface RegistryOptions {
    /** Default `v3`. */
    distribution?: Distribution;
    /** Turns on htpasswd basic auth with this one user (bcrypt via Debian's apache2-utils). */
    basicAuth?: { username: string; password: string };
    /** Turns on bearer-token auth: the registry trusts tokens signed by a key whose cert is in `rootCertBundle`. */
    tokenAuth?: { realm: string; service: string; issuer: string; rootCertBundle: string };
    /** Listen on this port instead of a free one (e.g. a port the Fetch standard calls "bad", such as 5061). */
    port?: number;
}

function registryBinary(distribution: Distribution): string {
    return distribution === "v3" ? goTool("registry") : requireBinary("docker-registry", "docker-registry");
}

/** Starts a fresh registry. Tests that change global registry state should start their own. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RegistryService> {
    const distribution = opts.distribution ?? "v3";
    const binary = registryBinary(distribution);
    const dir = tempDir(`registry-${distribution}`);
    const port = opts.port ?? (await freePort());
    const dataDir = path.join(dir, "data");
    let auth = "";
    if (opts.basicAuth) {
        requireBinary("htpasswd", "apache2-utils");
        const htpasswd = path.join(dir, "htpasswd");
        await run("htpasswd", ["-Bbc", htpasswd, opts.basicAuth.username, opts.basicAuth.password]);
        auth = `auth:\n  htpasswd:\n    realm: image-lifecycle-test\n    path: ${htpasswd}\n`;
    }
    if (opts.tokenAuth) {
        const t = opts.tokenAuth;
        auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.rootCertBundle}\n`;
    }
    const config = path.join(dir, "config.yml");
    fs.writeFileSync(
        config,
        `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${dataDir}\n  delete:\n    enabled: true\n` +
            `http:\n  addr: 127.0.0.1:${port}\n${auth}`,
    );
    const logFile = path.join(dir, "registry.log");
    const out = fs.openSync(logFile, "a");
    // v3 traces every request with OpenTelemetry and, unless told otherwise, exports the spans over OTLP
    // to localhost:4318, where nothing listens here: "none" keeps it from trying (2.8 has no tracing).
    const env = { ...process.env, OTEL_TRACES_EXPORTER: "none" };
    const child = spawn(binary, ["serve", config], { stdio: ["ignore", out, out], env });
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    // node:http, not fetch: fetch refuses "bad ports" such as 5061, which tests use on purpose.
    await waitFor(`registry ${distribution} (${binary})`, () => new Promise<boolean>((resolve) => {
        const req = http.get(`${url}/v2/`, (res) => {
            res.resume();
            resolve(res.statusCode === 200 || res.statusCode === 401);
        });
        req.on("error", () => resolve(false));
    }), 15000, logFile);
    return {
        registry: `127.0.0.1:${port}`,
        url,
        dataDir,
        distribution,
        stop: () => stopChild(child),
    };
}

async function stopChild(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { child.kill("SIGKILL"); }, 10000);
        child.once("exit", () => { clearTimeout(timer); resolve(); });
        child.kill("SIGTERM");
    });
}

/** A running Docker engine on its own unix socket. */
export interface DockerEngine {
    /** `unix:///…/docker.sock`, for DOCKER_HOST or a docker provider's `host`. */
    host: string;
    /** Runs the docker CLI against this engine. */
    docker(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<{ stdout: string; stderr: string }>;
}

let engine: Promise<DockerEngine> | undefined;
const sharedRegistries = new Map<Distribution, Promise<RegistryService>>();

/** The one Docker engine of this test run, started on first use. */
export function dockerEngine(): Promise<DockerEngine> {
    engine ??= startDockerEngine();
    return engine;
}

/** A registry shared by tests that only add their own repositories, one per distribution (default v3); started on first use. */
export function sharedTestRegistry(distribution: Distribution = "v3"): Promise<RegistryService> {
    let shared = sharedRegistries.get(distribution);
    if (!shared) {
        shared = startRegistry({ distribution });
        sharedRegistries.set(distribution, shared);
    }
    return shared;
}

async function startDockerEngine(): Promise<DockerEngine> {
    const dockerd = requireBinary("dockerd", "docker.io");
    requireBinary("docker", "docker.io");
    if (process.getuid && process.getuid() !== 0) {
        throw new Error("dockerd needs root: run the integration tests as root (CI does), or with sudo.");
    }
    const dir = tempDir("docker");
    const socket = path.join(dir, "docker.sock");
    const logFile = path.join(dir, "dockerd.log");
    const out = fs.openSync(logFile, "a");
    const child = spawn(dockerd, [
        "--host", `unix://${socket}`,
        "--data-root", path.join(dir, "data"),
        "--exec-root", path.join(dir, "exec"),
        "--pidfile", path.join(dir, "docker.pid"),
        "--bridge=none", "--iptables=false", "--ip6tables=false",
    ], { stdio: ["ignore", out, out] });
    children.push(child);
    const host = `unix://${socket}`;
    const docker: DockerEngine["docker"] = async (args, opts = {}) => {
        const p = run("docker", args, {
            env: { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: "0", DOCKER_CLI_HINTS: "false" },
            timeout: opts.timeoutMs ?? 120000,
            maxBuffer: 64 * 1024 * 1024,
        });
        if (opts.input !== undefined) p.child.stdin?.end(opts.input);
        return p;
    };
    await waitFor("dockerd", async () => { await docker(["version"], { timeoutMs: 5000 }); return true; }, 30000, logFile);
    return { host, docker };
}

/** What a test image carries. */
export interface TestImage {
    /** `host:port/repository`. */
    repository: string;
    tags: string[];
    labels?: Record<string, string>;
    /** Default command; a `sh -c` string. */
    cmd?: string;
    /** Extra bytes so distinct builds get distinct digests and sizes. */
    payload?: string;
    healthcheck?: string;
    /** Extra executable files, by absolute path in the image (e.g. a shim `/bin/healthcheck`). */
    files?: Record<string, string>;
}

/** Builds a `FROM scratch` + busybox-static image on the real engine, pushes every tag, returns the digest. */
export async function buildAndPush(image: TestImage): Promise<string> {
    requireBinary("busybox", "busybox-static");
    const { docker } = await dockerEngine();
    const ctx = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-build-"));
    try {
        fs.copyFileSync(busyboxPath(), path.join(ctx, "busybox"));
        fs.writeFileSync(path.join(ctx, "payload"), image.payload ?? `${image.repository} ${image.tags.join(",")} ${Date.now()}`);
        const extra = Object.entries(image.files ?? {}).map(([target, content], i) => {
            fs.writeFileSync(path.join(ctx, `file${i}`), content, { mode: 0o755 });
            return `COPY file${i} ${target}\n`;
        }).join("");
        const labels = Object.entries(image.labels ?? {})
            .map(([k, v]) => `LABEL ${JSON.stringify(k)}=${JSON.stringify(v)}`)
            .join("\n");
        const health = image.healthcheck ? `HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD ${image.healthcheck}\n` : "";
        fs.writeFileSync(
            path.join(ctx, "Dockerfile"),
            `FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCOPY payload /payload\n${extra}${labels}\n${health}` +
                `CMD ["/bin/sh", "-c", ${JSON.stringify(image.cmd ?? "cat /payload")}]\n`,
        );
        const first = `${image.repository}:${image.tags[0]}`;
        await docker(["build", "-q", ...image.tags.flatMap((t) => ["-t", `${image.repository}:${t}`]), ctx]);
        let digest = "";
        for (const tag of image.tags) {
            const { stdout } = await docker(["push", `${image.repository}:${tag}`]);
            const m = /digest: (sha256:[0-9a-f]{64})/.exec(stdout);
            if (!m) throw new Error(`docker push ${first} printed no digest:\n${stdout}`);
            digest = m[1];
        }
        return digest;
    } finally {
        fs.rmSync(ctx, { recursive: true, force: true });
    }
}

function busyboxPath(): string {
    for (const p of ["/bin/busybox", "/usr/bin/busybox"]) {
        if (fs.existsSync(p)) return fs.realpathSync(p);
    }
    throw new Error("busybox is not installed: the integration tests need the Debian package busybox-static.");
}

/** Stops everything this run started and removes the temp dirs. Called by the root hook. */
export async function stopAll(): Promise<void> {
    await Promise.all(children.splice(0).map(stopChild));
    for (const dir of tempDirs.splice(0)) {
        try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* mounts left by a killed dockerd */ }
    }
    engine = undefined;
    sharedRegistries.clear();
}

process.on("exit", () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});
