/**
 * bench:deploy — the shipped proxima stack deployed by the product (the real engine, the policy pack,
 * the way scripts/main.sh drives it: one preview, then `up --skip-preview`) against an Ansible playbook
 * of our own that does the same work (bench/ansible/deploy.yml: tag → digest and labels on the
 * controller; on each class host docker_login, network, volumes, containers pinned by digest with the
 * same settings, the wait for running/healthy and the deploy record), on the same local estate: the
 * same three class hosts (own dockerd each), SSH key and known_hosts, registry and images.
 *
 *   npm run bench:deploy            (BENCH_RUNS=5; installs Debian's ansible and python3-docker if missing)
 *
 * Measures, each side alternated round by round, medians of BENCH_RUNS:
 *   no-op      `pulumi up --skip-preview` with nothing changed   vs  `ansible-playbook` reporting changed=0
 *   refresh    `pulumi up --skip-preview --refresh` (reads every resource on the hosts)  vs  the same
 *              Ansible no-op (Ansible always reads the hosts)
 *   preview    `pulumi preview` (with the pack)                   vs  `ansible-playbook --check --diff`
 *   rollback   CLI `deploy <app> --to <other tag> --yes` + `pulumi up --skip-preview`  vs  the playbook
 *              with that app's tag changed (one container replaced, killed on both sides, verified, recorded)
 *   cpu        user+system CPU of the no-op's process tree on this machine (engine, plugins, ssh clients /
 *              ansible, its workers, ssh clients); the hosts' sshd and dockerd are not counted on either side
 *
 * Last line: `noop_ratio= refresh_ratio= preview_ratio= rollback_ratio= cpu_ratio=` (product / Ansible).
 * Needs root (the estate's hosts), the engine (`npm run engine`) and the Go-built registry
 * (`bash scripts/go-tools.sh`), as `.ci/run` leaves them.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { configFromStackFile, parseConfig, ProximaEstate } from "../lib/config";
import { OCI } from "../lib/contract";
import { checkout, configureStack, engineDir, estateEnv, pulumi, pulumiOk, REPO_ROOT, startServices } from "../estate";
import { stopAll } from "../estate/services";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** The app rolled back and forth: no healthcheck, so Docker's healthcheck interval does not set the time on either side. */
const ROLLBACK_APP = process.env.BENCH_ROLLBACK_APP ?? "metrics";
const PREFIX = "bench-ansible-";
const PORT_OFFSET = 10000;
const POLICY = ["--policy-pack", "policy", "--policy-pack-config", "policy-pack-config.example.json"];

const say = (m: string) => process.stderr.write(`--- ${m}\n`);
const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Sample { wall: number; cpu: number; stdout: string; stderr: string; code: number }

/** Runs a command under GNU time: wall seconds and the user+system CPU of it and every child it waited for. */
function timed(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Sample> {
    const out = path.join(os.tmpdir(), `bench-deploy-time-${process.pid}`);
    return new Promise((resolve) => {
        const started = performance.now();
        const child = spawn("/usr/bin/time", ["-f", "%U %S", "-o", out, cmd, ...args], { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => { stdout += d; });
        child.stderr.on("data", (d: Buffer) => { stderr += d; });
        child.on("close", (code) => {
            const wall = (performance.now() - started) / 1000;
            const [user, sys] = fs.readFileSync(out, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
            resolve({ wall, cpu: user + sys, stdout, stderr, code: code ?? 1 });
        });
    });
}

/** Runs that did work where none was expected: counted and printed, not fatal (the run still took its time). */
const surprises: string[] = [];

/** A failed command stops the bench; a check that fails (e.g. changes in a no-op) is reported at the end. */
function must(s: Sample, what: string, check?: (s: Sample) => string | undefined): Sample {
    if (s.code !== 0) throw new Error(`${what}: exit ${s.code}\n${s.stdout.slice(-5000)}\n${s.stderr.slice(-3000)}`);
    const problem = check?.(s);
    if (problem) {
        surprises.push(`${what}: ${problem}`);
        say(`${what}: ${problem}\n${s.stdout.slice(-2500)}`);
    }
    return s;
}

/** Pulumi's summary must show nothing created, updated, replaced or deleted. */
const pulumiNoChange = (s: Sample) => (/\b\d+ (to )?(create|update|replace|delete)|\+ \d+ created|~ \d+ updated|\+-\d+ replaced|- \d+ deleted/.test(s.stdout) ? "changes where none were expected" : undefined);
/** Ansible's recap must show changed=0 on every host. */
const ansibleNoChange = (s: Sample) => (/changed=[1-9]/.test(s.stdout) ? "changed>0 where nothing changed" : undefined);

function ensureAnsible(): void {
    const ok = () => {
        try {
            execFileSync("ansible-playbook", ["--version"], { stdio: "ignore" });
            execFileSync("python3", ["-c", "import docker"], { stdio: "ignore" });
            return true;
        } catch {
            return false;
        }
    };
    if (ok()) return;
    say("installing Debian's ansible and python3-docker (apt-get)");
    const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
    const apt = (args: string[]) => execFileSync(sudo.length ? "sudo" : "apt-get", [...(sudo.length ? ["apt-get"] : []), ...args], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    apt(["update", "-qq"]);
    apt(["install", "-y", "-qq", "--no-install-recommends", "ansible", "python3-docker"]);
    if (!ok()) throw new Error("ansible-playbook or python3's docker module is still missing after apt-get install ansible python3-docker.");
}

/** Docker's `--health-*` durations in Ansible's spelling (the stack file's forms are already that). */
function ansibleApps(estate: ProximaEstate, tags: Record<string, string> = {}) {
    return Object.fromEntries(estate.apps.map((a) => [a.name, {
        class: a.class,
        repository: a.repository,
        tag: tags[a.name] ?? a.tag,
        env: a.env,
        ...(a.command ? { command: a.command } : {}),
        limits: a.limits,
        restart: a.restart,
        ...(a.healthcheck ? {
            healthcheck: true,
            docker_healthcheck: {
                test: a.healthcheck.test,
                ...(a.healthcheck.interval ? { interval: a.healthcheck.interval } : {}),
                ...(a.healthcheck.timeout ? { timeout: a.healthcheck.timeout } : {}),
                ...(a.healthcheck.retries !== undefined ? { retries: a.healthcheck.retries } : {}),
                ...(a.healthcheck.startPeriod ? { start_period: a.healthcheck.startPeriod } : {}),
            },
        } : {}),
        volumes: a.volumes.map((v) => ({ name: v.name })),
        binds: a.volumes.map((v) => `${PREFIX}${a.class}-${a.name}-${v.name}:${v.containerPath}${v.readOnly ? ":ro" : ""}`),
        published: a.ports.map((p) => `${(p.external ?? p.internal) + PORT_OFFSET}:${p.internal}${p.protocol && p.protocol !== "tcp" ? `/${p.protocol}` : ""}`),
    }]));
}

async function main(): Promise<void> {
    if (process.getuid?.() !== 0) throw new Error("bench:deploy starts the local estate's SSH hosts and Docker engines: run it as root.");
    ensureAnsible();
    const engine = await engineDir();
    say("starting the estate: registry, class hosts core/monitoring/experimental (+lyra), sample images");
    const services = await startServices();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-deploy-"));
    try {
        const workdir = checkout(path.join(dir, "checkout"));
        const state = path.join(dir, "state");
        fs.mkdirSync(state);
        const env = await estateEnv(engine, workdir, state, services.dockerHost);
        env.REGISTRY_USERNAME = services.credentials.username;
        env.REGISTRY_PASSWORD = services.credentials.password;
        const estate = { ...services, workdir, env };
        await configureStack(estate, "proxima");
        const hello = services.images["rednaw/hello-world"];
        await pulumiOk(estate, ["config", "set", "--stack", "proxima", "--path", "--", "releases.hello-world-v1-0-0.digest", hello[hello.length - 1].digest.slice("sha256:".length)]);
        await pulumi(estate, ["config", "rm", "--stack", "proxima", "--path", "releaseGate"]);

        // The Ansible side reads the same stack file, with the estate's registry and hosts.
        const stackFile = YAML.parse(fs.readFileSync(path.join(workdir, "Pulumi.proxima.yaml"), "utf8"));
        const parsed = parseConfig({ ...configFromStackFile(stackFile), registryPassword: services.credentials.password }, "proxima") as ProximaEstate;
        const rollback = parsed.apps.find((a) => a.name === ROLLBACK_APP);
        if (!rollback) throw new Error(`BENCH_ROLLBACK_APP=${ROLLBACK_APP} is not an app of the proxima stack.`);
        const builds = services.images[rollback.repository].map((b) => b.tag);
        const inventory = path.join(dir, "inventory.yml");
        fs.writeFileSync(inventory, YAML.stringify({
            classes: {
                hosts: Object.fromEntries((["core", "monitoring", "experimental"] as const).map((c) => [c, { ansible_host: "127.0.0.1", ansible_port: services.hosts[c].port }])),
                vars: {
                    ansible_user: "root",
                    ansible_ssh_private_key_file: services.client.identity,
                    ansible_ssh_common_args: `-o IdentitiesOnly=yes -o UserKnownHostsFile=${services.client.knownHosts} -o StrictHostKeyChecking=yes`,
                    ansible_python_interpreter: "/usr/bin/python3",
                },
            },
        }));
        const varsFor = (tags: Record<string, string>) => {
            const file = path.join(dir, `vars-${Object.values(tags).join("-") || "shipped"}.json`);
            fs.writeFileSync(file, JSON.stringify({
                registry_url: `http://${services.registry.registry}`,
                registry_host: services.registry.registry,
                registry_username: services.credentials.username,
                registry_password: services.credentials.password,
                apps: ansibleApps(parsed, tags),
                bench_prefix: PREFIX,
                bench_port_offset: PORT_OFFSET,
                record_root: `/opt/${parsed.org}-${PREFIX.replace(/-$/, "")}`,
                deployed_by: env.IMAGE_LIFECYCLE_DEPLOYER,
                verify_seconds: 120,
                oci_keys: [OCI.description, OCI.created, OCI.revision, OCI.source],
            }));
            return file;
        };
        // Ansible tuned as its docs advise: pipelining (modules through the open session, no file
        // transfer; the estate's sshd has no sftp subsystem, and the fallbacks cost seconds per task) and
        // its default ControlPersist connection reuse, in a folder of its own.
        const ansibleEnv: NodeJS.ProcessEnv = {
            ...process.env, ANSIBLE_PIPELINING: "True", ANSIBLE_SSH_TRANSFER_METHOD: "piped",
            ANSIBLE_HOST_KEY_CHECKING: "True", ANSIBLE_NOCOLOR: "1", ANSIBLE_RETRY_FILES_ENABLED: "0",
            ANSIBLE_LOCALHOST_WARNING: "False", ANSIBLE_INVENTORY_UNPARSED_WARNING: "False", ANSIBLE_CONTROL_PATH_DIR: path.join(dir, "cp"),
        };
        const playbook = path.join(REPO_ROOT, "bench", "ansible", "deploy.yml");
        const ansible = (vars: string, ...extra: string[]) => timed("ansible-playbook", ["-i", inventory, "-e", `@${vars}`, ...extra, playbook], { cwd: dir, env: ansibleEnv });
        const pulumiTimed = (...args: string[]) => timed("pulumi", ["--non-interactive", ...args, "--stack", "proxima", ...POLICY], { cwd: workdir, env });
        const cli = (...args: string[]) => execFileSync(process.execPath, [path.join(workdir, "bin", "image-lifecycle.js"), ...args], { cwd: workdir, env, encoding: "utf8" });
        const shipped = varsFor({});

        say("first deploy of both sides (not timed)");
        must(await pulumiTimed("preview"), "first preview");
        must(await pulumiTimed("up", "--yes", "--skip-preview"), "first pulumi up");
        must(await ansible(shipped), "first ansible-playbook");
        // The second run of each side settles anything the first left to do (e.g. docker_login's first write).
        must(await pulumiTimed("up", "--yes", "--skip-preview"), "second pulumi up", pulumiNoChange);
        must(await ansible(shipped), "second ansible-playbook", ansibleNoChange);

        const m: Record<string, number[]> = {};
        const add = (k: string, v: number) => (m[k] ??= []).push(v);
        let current = builds[builds.length - 1];
        for (let round = 1; round <= RUNS; round++) {
            const target = builds.find((t) => t !== current)!;
            const project = async () => {
                const noop = must(await pulumiTimed("up", "--yes", "--skip-preview"), "project no-op", pulumiNoChange);
                add("p_noop", noop.wall);
                add("p_cpu", noop.cpu);
                add("p_refresh", must(await pulumiTimed("up", "--yes", "--skip-preview", "--refresh"), "project refresh", pulumiNoChange).wall);
                add("p_preview", must(await pulumiTimed("preview"), "project preview", pulumiNoChange).wall);
                const t0 = performance.now();
                cli("deploy", ROLLBACK_APP, "--to", target, "--yes");
                const up = must(await pulumiTimed("up", "--yes", "--skip-preview"), "project rollback");
                add("p_rollback", (performance.now() - t0) / 1000);
                if (!/replaced|updated|created/.test(up.stdout)) surprises.push(`project rollback to ${target} changed nothing`);
            };
            const theirs = async () => {
                const noop = must(await ansible(shipped), "ansible no-op", ansibleNoChange);
                add("a_noop", noop.wall);
                add("a_cpu", noop.cpu);
                add("a_preview", must(await ansible(shipped, "--check", "--diff"), "ansible --check --diff", ansibleNoChange).wall);
                const back = must(await ansible(varsFor({ [ROLLBACK_APP]: target })), "ansible rollback");
                if (!/changed=[1-9]/.test(back.stdout)) surprises.push(`ansible rollback to ${target} changed nothing`);
                add("a_rollback", back.wall);
                // Back to the shipped state for the next round's no-op (not timed).
                must(await ansible(shipped), "ansible back to the shipped tags");
            };
            // Alternate who goes first, so load from the rest of the machine falls on both alike.
            if (round % 2) { await project(); await theirs(); } else { await theirs(); await project(); }
            // The product's side now runs `target`; the shipped tags again next round for its no-op.
            cli("deploy", ROLLBACK_APP, "--to", builds[builds.length - 1], "--yes");
            must(await pulumiTimed("up", "--yes", "--skip-preview"), "project back to the shipped tag");
            current = builds[builds.length - 1];
            const last = (k: string) => m[k][m[k].length - 1].toFixed(1);
            say(`round ${round}/${RUNS}: project noop ${last("p_noop")} s refresh ${last("p_refresh")} s preview ${last("p_preview")} s rollback ${last("p_rollback")} s cpu ${last("p_cpu")} s | ansible noop ${last("a_noop")} s check ${last("a_preview")} s rollback ${last("a_rollback")} s cpu ${last("a_cpu")} s (load ${os.loadavg()[0].toFixed(1)})`);
        }
        const md = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, median(v)]));
        const rows: [string, string, string, number, number][] = [
            ["no-op", "pulumi up --skip-preview", "ansible-playbook (changed=0)", md.p_noop, md.a_noop],
            ["refresh", "pulumi up --skip-preview --refresh", "ansible-playbook (changed=0)", md.p_refresh, md.a_noop],
            ["preview", "pulumi preview", "ansible-playbook --check --diff", md.p_preview, md.a_preview],
            ["rollback", `deploy ${ROLLBACK_APP} --to + up --skip-preview`, "ansible-playbook, one tag changed", md.p_rollback, md.a_rollback],
            ["cpu (no-op)", "user+sys of the no-op", "user+sys of the no-op", md.p_cpu, md.a_cpu],
        ];
        process.stdout.write(`\nmedians of ${RUNS} alternated runs (load average now ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}):\n`);
        for (const [what, p, a, pv, av] of rows) process.stdout.write(`${what.padEnd(12)} project ${pv.toFixed(2).padStart(6)} s  ansible ${av.toFixed(2).padStart(6)} s  ratio ${(pv / av).toFixed(2)}   (${p} | ${a})\n`);
        if (surprises.length) process.stdout.write(`${surprises.length} run(s) did work where none was expected:\n  ${surprises.join("\n  ")}\n`);
        const r = (a: number, b: number) => (a / b).toFixed(2);
        process.stdout.write(`noop_ratio=${r(md.p_noop, md.a_noop)} refresh_ratio=${r(md.p_refresh, md.a_noop)} preview_ratio=${r(md.p_preview, md.a_preview)} rollback_ratio=${r(md.p_rollback, md.a_rollback)} cpu_ratio=${r(md.p_cpu, md.a_cpu)}\n`);
    } finally {
        await services.stop();
        await stopAll();
    }
}

main().then(() => process.exit(0), (e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
});
