/**
 * bench:status — `image-lifecycle status` of the shipped proxima stack on a local estate (after a real
 * `pulumi up`), against reading the same facts the plain way in the same run: per host `docker ps` and
 * one `docker inspect` per container over ssh, each app's record and history with `cat` over ssh, and
 * per app `crane digest` of its tag and `crane config` of its digest. SSH connections are counted from
 * each host's sshd log (one "Accepted publickey" per login).
 * Last line: `ratio=<peer ms / status ms> status_ssh=<n> peer_ssh=<n> peer_crane=<n>`.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { goTool } from "../estate/go-tools";
import { configureStack, engineDir, HostName, pulumiOk, REPO_ROOT, startEstate } from "../estate";

const run = promisify(execFile);
const HOSTS: HostName[] = ["core", "monitoring", "experimental"];
const APPS: Record<string, { host: HostName; repository: string }> = {
    "hello-world": { host: "core", repository: "rednaw/hello-world" },
    "giftfinder-api": { host: "core", repository: "giftfinder/api" },
    metrics: { host: "monitoring", repository: "giftfinder/metrics-exporter" },
    uptime: { host: "monitoring", repository: "giftfinder/uptime" },
    playground: { host: "experimental", repository: "giftfinder/playground" },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
    const rounds = Number(process.env.ROUNDS ?? 5);
    const estate = await startEstate(await engineDir());
    try {
        estate.env.REGISTRY_USERNAME = estate.credentials.username;
        estate.env.REGISTRY_PASSWORD = estate.credentials.password;
        await configureStack(estate, "proxima");
        const hello = estate.images["rednaw/hello-world"];
        await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--", "releases.hello-world-v1-0-0.digest", hello.at(-1)!.digest.slice("sha256:".length)]);
        await pulumiOk(estate, ["config", "rm", "--stack", "proxima", "--path", "releaseGate"]);
        process.stderr.write("--- pulumi up of the shipped proxima stack\n");
        await pulumiOk(estate, ["up", "--yes", "--stack", "proxima", "--policy-pack", "policy", "--policy-pack-config", "policy-pack-config.example.json"]);

        const logins = () => HOSTS.reduce((n, h) => n + (fs.readFileSync(path.join(estate.hosts[h].root, "sshd.log"), "utf8").match(/Accepted publickey/g) ?? []).length, 0);
        const ssh = (h: HostName, ...cmd: string[]) => run("ssh", [...estate.client.sshOpts, "-p", String(estate.hosts[h].port), "root@127.0.0.1", ...cmd], { maxBuffer: 16 << 20 });
        const dockerConfig = fs.mkdtempSync(path.join(estate.workdir, ".crane-"));
        const craneEnv = { ...process.env, DOCKER_CONFIG: dockerConfig };
        const crane = (...args: string[]) => run(goTool("crane"), [...args, "--insecure"], { env: craneEnv, maxBuffer: 16 << 20 });
        await run(goTool("crane"), ["auth", "login", estate.registry.registry, "-u", estate.credentials.username, "-p", estate.credentials.password], { env: craneEnv });

        const ours: number[] = [];
        const peer: number[] = [];
        let oursSsh = 0;
        let peerSsh = 0;
        let peerCrane = 0;
        for (let i = 0; i < rounds; i++) {
            let before = logins();
            let t = process.hrtime.bigint();
            await run(process.execPath, [path.join(REPO_ROOT, "bin/image-lifecycle.js"), "status", "--json"], { cwd: estate.workdir, env: estate.env, maxBuffer: 16 << 20 });
            ours.push(Number(process.hrtime.bigint() - t) / 1e6);
            oursSsh = logins() - before;

            before = logins();
            let cranes = 0;
            t = process.hrtime.bigint();
            for (const h of HOSTS) {
                const ids = (await ssh(h, "docker", "ps", "-aq")).stdout.trim().split(/\s+/).filter(Boolean);
                for (const id of ids) await ssh(h, "docker", "inspect", id);
                for (const [app, a] of Object.entries(APPS)) {
                    if (a.host !== h) continue;
                    await ssh(h, "cat", `/opt/giftfinder/${app}/deploy-info.yml`);
                    await ssh(h, "sh", "-c", `'cat /opt/giftfinder/${app}/deploy-history.jsonl 2>/dev/null || true'`);
                }
            }
            for (const a of Object.values(APPS)) {
                const tag = estate.images[a.repository].at(-1)!.tag;
                const digest = (await crane("digest", `${estate.registry.registry}/${a.repository}:${tag}`)).stdout.trim();
                await crane("config", `${estate.registry.registry}/${a.repository}@${digest}`);
                // And the tags of its repository, for the newer images status lists.
                await crane("ls", `${estate.registry.registry}/${a.repository}`);
                cranes += 3;
            }
            peer.push(Number(process.hrtime.bigint() - t) / 1e6);
            peerSsh = logins() - before;
            peerCrane = cranes;
        }
        const o = median(ours);
        const p = median(peer);
        process.stdout.write(`status (one ssh connection per host, registry in parallel): median ${o.toFixed(0)} ms over ${rounds} runs, ${oursSsh} ssh connections\n`);
        process.stdout.write(`docker over ssh per container/file + crane per app:        median ${p.toFixed(0)} ms over ${rounds} runs, ${peerSsh} ssh connections, ${peerCrane} crane calls (tags not followed to their configs: the peer does less than status)\n`);
        process.stdout.write(`ratio=${(p / o).toFixed(2)} status_ssh=${oursSsh} peer_ssh=${peerSsh} peer_crane=${peerCrane}\n`);
    } finally {
        await estate.stop();
    }
}

main().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
});
