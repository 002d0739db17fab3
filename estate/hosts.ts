/**
 * Real SSH hosts on this machine, each the way production reaches a Proxima class or Lyra: an OpenSSH
 * server on a loopback port with its own host key and key-only login, in front of its own `dockerd`.
 * Each host runs in a mount namespace of its own where `/run` and `/opt` are the host's folders, so the
 * `docker` CLI of an SSH session talks to that host's engine (its `/var/run/docker.sock`), a deploy
 * record in `/opt/<org>/<app>/` lands on that host alone, and `/home` (Lyra's workspace) is the host's
 * own too. Nothing leaves loopback.
 */
import { ChildProcess, execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { freePort, requireBinary, tempDir, waitFor } from "./services";

const run = promisify(execFile);

/** The client side: one key pair and one known_hosts file for every host of a run. */
export interface SshClient {
    dir: string;
    identity: string;
    knownHosts: string;
    /** `ssh` options that log in with the key and check the host key strictly. */
    sshOpts: string[];
}

export interface SshHost {
    name: string;
    /** `ssh://root@127.0.0.1:<port>`: what a stack's `host` is set to. */
    endpoint: string;
    port: number;
    /** The host's folders as seen from outside its namespace. */
    root: string;
    /** The host's `/opt`, from outside. */
    opt: string;
    /** The host's `/home`, from outside (Lyra's workspace lives there). */
    home: string;
    /** `unix://…/docker.sock` of the host's engine, from outside (for assertions). */
    dockerHost: string;
    /** Runs the docker CLI against this host's engine directly (not over SSH). */
    docker(args: string[]): Promise<string>;
    /**
     * Stops the host's Docker engine with `signal` (SIGTERM as `systemctl restart docker` does, SIGKILL as
     * a crash) and waits for its supervisor to start it again, as systemd does on a real host. Containers
     * stop with the engine (no live-restore) and come back according to their restart policy.
     */
    restartEngine(signal?: NodeJS.Signals): Promise<void>;
    stop(): Promise<void>;
}

/** Creates the client key pair and an empty known_hosts file. */
export async function sshClient(dir = tempDir("ssh-client")): Promise<SshClient> {
    requireBinary("ssh", "openssh-client");
    const identity = path.join(dir, "id_ed25519");
    if (!fs.existsSync(identity)) await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "image-lifecycle-test", "-f", identity]);
    const knownHosts = path.join(dir, "known_hosts");
    if (!fs.existsSync(knownHosts)) fs.writeFileSync(knownHosts, "");
    return {
        dir,
        identity,
        knownHosts,
        sshOpts: [
            "-i", identity,
            "-o", "IdentitiesOnly=yes",
            "-o", `UserKnownHostsFile=${knownHosts}`,
            "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=10",
        ],
    };
}

let poolIndex = 0;

/**
 * Starts one host: sshd on a free loopback port and a dockerd, both in a new mount namespace whose
 * `/run` and `/opt` are the host's own. Its host key is added to the client's known_hosts.
 */
export async function startSshHost(name: string, client: SshClient, rootDir?: string): Promise<SshHost> {
    const sshd = requireBinary("sshd", "openssh-server");
    requireBinary("unshare", "util-linux");
    const dockerd = requireBinary("dockerd", "docker.io");
    if (process.getuid && process.getuid() !== 0) throw new Error("SSH test hosts need root (mount namespaces, dockerd): run as root, as CI does.");
    const root = rootDir ?? tempDir(`host-${name}`);
    const opt = path.join(root, "opt");
    const home = path.join(root, "home");
    const runDir = path.join(root, "run");
    for (const d of [opt, home, path.join(runDir, "sshd"), path.join(root, "docker")]) fs.mkdirSync(d, { recursive: true });
    fs.chmodSync(path.join(runDir, "sshd"), 0o755);
    const hostKey = path.join(root, "ssh_host_ed25519_key");
    if (!fs.existsSync(hostKey)) await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", hostKey]);
    fs.copyFileSync(`${client.identity}.pub`, path.join(root, "authorized_keys"));
    const port = await freePort();
    const config = path.join(root, "sshd_config");
    fs.writeFileSync(config, [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${hostKey}`,
        `AuthorizedKeysFile ${path.join(root, "authorized_keys")}`,
        `PidFile ${path.join(root, "sshd.pid")}`,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        // The temp folders are not root-only all the way up; the keys themselves are.
        "StrictModes no",
        "AllowTcpForwarding no",
        "X11Forwarding no",
        "PrintMotd no",
        `SetEnv IMAGE_LIFECYCLE_TEST_HOST=${name}`,
        "",
    ].join("\n"));
    // Distinct address pools: the hosts' engines share this machine's network namespace.
    poolIndex += 1;
    const pool = `base=10.${100 + (poolIndex % 100)}.0.0/16,size=24`;
    // Its own default bridge (Lyra's dev containers use it; ports are published through docker-proxy
    // on loopback, no iptables): a fixed name like docker0 would be shared by every host's engine.
    const bridge = `il${process.pid % 10000}h${poolIndex % 100}`;
    const bridgeNet = `10.${200 + (poolIndex % 50)}.${process.pid % 250}`;
    requireBinary("ip", "iproute2");
    await run("ip", ["link", "del", bridge]).catch(() => undefined); // left by an aborted run
    await run("ip", ["link", "add", "name", bridge, "type", "bridge"]);
    await run("ip", ["addr", "add", `${bridgeNet}.1/24`, "dev", bridge]);
    await run("ip", ["link", "set", bridge, "up"]);
    const stopping = path.join(root, "stopping");
    const supervisor = [
        "set -eu",
        `mount --bind '${opt}' /opt`,
        `mount --bind '${runDir}' /run`,
        `mount --bind '${home}' /home`,
        // Restarted when it dies, as systemd's Restart=always does, until the supervisor itself is stopped.
        `rm -f '${stopping}'`,
        `while :; do '${dockerd}' --data-root '${path.join(root, "docker")}' --exec-root /run/docker --pidfile /run/docker.pid` +
            ` --bridge=${bridge} --iptables=false --ip6tables=false --default-address-pool ${pool} >> '${path.join(root, "dockerd.log")}' 2>&1;` +
            ` [ -e '${stopping}' ] && exit 0; sleep 0.5; done &`,
        "dpid=$!",
        `'${sshd}' -D -e -f '${config}' > '${path.join(root, "sshd.log")}' 2>&1 &`,
        "spid=$!",
        `trap 'touch "${stopping}"; kill $spid 2>/dev/null; kill $(cat /run/docker.pid 2>/dev/null) 2>/dev/null; wait $dpid 2>/dev/null; exit 0' TERM INT`,
        "wait",
    ].join("\n");
    // Its own process group, so that an abnormal exit of the test run can take sshd and dockerd with it.
    const child: ChildProcess = spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", supervisor], { stdio: "ignore", detached: true });
    live.add(child);
    const dockerHost = `unix://${path.join(runDir, "docker.sock")}`;
    const docker = async (args: string[]) => (await run("docker", args, { env: { ...process.env, DOCKER_HOST: dockerHost }, maxBuffer: 16 * 1024 * 1024 })).stdout;
    await waitFor(`dockerd of ${name}`, async () => { await docker(["version"]); return true; }, 60000, path.join(root, "dockerd.log"));
    const pub = fs.readFileSync(`${hostKey}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
    fs.appendFileSync(client.knownHosts, `[127.0.0.1]:${port} ${pub}\n`);
    const endpoint = `ssh://root@127.0.0.1:${port}`;
    await waitFor(`sshd of ${name}`, async () => {
        const { stdout } = await run("ssh", [...client.sshOpts, "-p", String(port), "root@127.0.0.1", "docker", "info", "--format", "{{.DockerRootDir}}"]);
        return stdout.trim() === path.join(root, "docker");
    }, 60000, path.join(root, "sshd.log"));
    return {
        name, endpoint, port, root, opt, home, dockerHost, docker,
        async restartEngine(signal: NodeJS.Signals = "SIGTERM") {
            const pidFile = path.join(runDir, "docker.pid");
            const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
            process.kill(pid, signal);
            await waitFor(`dockerd of ${name} to be restarted`, async () => {
                const now = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, "utf8").trim()) : pid;
                if (now === pid) return false;
                await docker(["version"]);
                return true;
            }, 60000, path.join(root, "dockerd.log"));
        },
        async stop() {
            if (!live.has(child)) return;
            live.delete(child);
            // Containers first, so the engine stops without waiting for them.
            await docker(["ps", "-aq"]).then((ids) => ids.trim() ? docker(["rm", "-f", ...ids.trim().split(/\s+/)]) : "").catch(() => "");
            await new Promise<void>((resolve) => {
                const timer = setTimeout(() => { killGroup(child, "SIGKILL"); resolve(); }, 20000);
                child.once("exit", () => { clearTimeout(timer); resolve(); });
                child.kill("SIGTERM");
            });
            await run("ip", ["link", "del", bridge]).catch(() => undefined);
        },
    };
}

const live = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
    try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch { /* already gone */ }
}

process.on("exit", () => {
    for (const c of live) if (c.exitCode === null) killGroup(c, "SIGKILL");
});
// A run stopped by a signal skips "exit" handlers unless a handler exits; take the hosts along.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
        for (const c of live) if (c.exitCode === null) killGroup(c, "SIGKILL");
        process.exit(signal === "SIGINT" ? 130 : 143);
    });
}
