/**
 * The team's shared state (docs/team.md) under the real engine: the proxima stack's state in a real
 * PostgreSQL (TLS verify-full, the least-privilege role of scripts/team-state.sql), applied with the
 * team's command `npm start -- proxima --up` (scripts/main.sh) against real SSH class hosts and a real
 * registry; two checkouts applying at once; secrets never in plain text; an unreachable database.
 */
import * as assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Postgres, startPostgres } from "../../estate/postgres";
import { checkout, configureStack, engineDir, Estate, estateEnv, pulumi, pulumiOk, REPO_ROOT, Services, startServices } from "../../estate";

const HOSTS = ["core", "monitoring", "experimental"] as const;

interface Result { code: number; stdout: string; stderr: string }

/** `npm start -- <args>` in a checkout, as a team member runs it (scripts/main.sh). */
function npmStart(workdir: string, env: NodeJS.ProcessEnv, args: string[]): { child: ChildProcess; done: Promise<Result> } {
    const child = spawn("bash", [path.join(workdir, "scripts/main.sh"), ...args], { cwd: workdir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => { stdout += d; });
    child.stderr!.on("data", (d) => { stderr += d; });
    const done = new Promise<Result>((resolve) => child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr })));
    return { child, done };
}

/** What runs on the class hosts and their deploy records: equal before and after means nothing changed there. */
async function hostsSnapshot(services: Services): Promise<string> {
    const parts: string[] = [];
    for (const name of HOSTS) {
        const host = services.hosts[name];
        const ids = (await host.docker(["ps", "-aq"])).trim();
        parts.push(`${name}: ${ids ? (await host.docker(["inspect", "-f", "{{.Name}} {{.Id}} {{.State.StartedAt}} {{.Config.Image}}", ...ids.split(/\s+/)])).trim() : ""}`);
        const records = execFileSync("find", [host.opt, "-name", "deploy-info.yml", "-printf", "%p %T@\n"], { encoding: "utf8" }).split("\n").filter(Boolean).sort();
        parts.push(...records.map((r) => `${name}: ${r}`), ...records.map((r) => fs.readFileSync(r.split(" ")[0], "utf8")));
    }
    return parts.join("\n");
}

describe("e2e: the team's state in PostgreSQL (real engine, real PostgreSQL, SSH hosts, real registry)", function () {
    this.timeout(1800000);
    let services: Services;
    let pg: Postgres;
    let engine: string;
    const password = randomBytes(12).toString("hex");
    const passphrase = `team-${randomBytes(12).toString("hex")}`;
    let url: string;
    let a: Pick<Estate, "workdir" | "env">;
    let b: Pick<Estate, "workdir" | "env">;

    /** A checkout set up as a team member's: the team's backend URL and passphrase in the environment. */
    async function member(dir: string): Promise<Pick<Estate, "workdir" | "env">> {
        const workdir = checkout(fs.mkdtempSync(path.join(os.tmpdir(), `image-lifecycle-${dir}-`)));
        // main.sh runs `npm ci` when package-lock.json is newer than node_modules (here linked to the
        // project's): the copy keeps the original's time, as a clone with installed modules would.
        const lock = fs.statSync(path.join(REPO_ROOT, "package-lock.json"));
        fs.utimesSync(path.join(workdir, "package-lock.json"), lock.atime, new Date(fs.statSync(path.join(REPO_ROOT, "node_modules")).mtimeMs - 60000));
        const env = await estateEnv(engine, workdir, path.join(workdir, "unused-state"), services.dockerHost);
        env.PULUMI_BACKEND_URL = url;
        env.PULUMI_CONFIG_PASSPHRASE = passphrase;
        env.REGISTRY_USERNAME = services.credentials.username;
        env.REGISTRY_PASSWORD = services.credentials.password;
        env.IMAGE_LIFECYCLE_DEPLOYER = "team-state-e2e";
        return { workdir, env };
    }

    before(async function () {
        this.timeout(3600000);
        engine = await engineDir();
        pg = await startPostgres();
        // docs/team.md, "The database": the admin's one-time set-up.
        await pg.psqlFile(path.join(REPO_ROOT, "scripts/team-state.sql"), { password });
        url = `postgres://pulumi_state:${password}@127.0.0.1:${pg.port}/pulumi_state?sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile)}&connect_timeout=10`;
        services = await startServices();
        a = await member("team-a");
        // docs/team.md, "A stack on the shared backend": the stack's hosts, registry and credentials.
        await configureStack({ ...services, ...a }, "proxima");
        const hello = services.images["rednaw/hello-world"];
        await pulumiOk(a, ["config", "set", "--stack", "proxima", "--path", "--", "releases.hello-world-v1-0-0.digest", hello[hello.length - 1].digest.slice("sha256:".length)]);
        // GitHub cannot be reached from here, and its provider cannot be built (docs/adr/0004).
        await pulumiOk(a, ["config", "rm", "--stack", "proxima", "--path", "releaseGate"]);
        // The second team member's checkout: the same committed stack file (config, secrets salt).
        b = await member("team-b");
        fs.copyFileSync(path.join(a.workdir, "Pulumi.proxima.yaml"), path.join(b.workdir, "Pulumi.proxima.yaml"));
    });
    after(async function () {
        this.timeout(300000);
        await services?.stop();
        await pg?.stop();
    });

    it("npm start -- proxima --up deploys with the state in PostgreSQL, in the role's own schema", async () => {
        const r = await npmStart(a.workdir, a.env, ["proxima", "--up"]).done;
        assert.equal(r.code, 0, r.stdout.slice(-6000) + r.stderr.slice(-3000));
        assert.match(r.stdout, /Resources:\s+\+ 35 created/);
        assert.match(r.stderr, /--- state: postgres:\/\/pulumi_state:\*\*\*@127\.0\.0\.1:/);
        assert.ok(!r.stdout.includes(password) && !r.stderr.includes(password), "the database password is never printed");
        // The state is in the database, in the table Pulumi created in the role's schema.
        const keys = (await pg.psql("SELECT key FROM pulumi.pulumi_state ORDER BY key", "pulumi_state")).split("\n");
        // The backend keys its rows by the database path, then Pulumi's own layout.
        assert.ok(keys.includes("pulumi_state/.pulumi/stacks/image-lifecycle/proxima.json"), keys.join("\n"));
        assert.equal(await pg.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'pulumi_state'", "pulumi_state"), "pulumi_state\n");
        assert.equal((await pg.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", "pulumi_state")).trim(), "0");
        const running = (await services.hosts.core.docker(["ps", "--format", "{{.Names}}"])).trim().split("\n").sort();
        assert.deepEqual(running, ["giftfinder-api", "hello-world"]);
    });

    it("run again, the same command changes nothing", async () => {
        const before = await hostsSnapshot(services);
        const r = await npmStart(a.workdir, a.env, ["proxima", "--up"]).done;
        assert.equal(r.code, 0, r.stdout.slice(-6000) + r.stderr.slice(-3000));
        assert.match(r.stdout, /Resources:\s+35 unchanged/);
        assert.doesNotMatch(r.stdout, /[~+-] \d+ (updated|created|deleted|replaced)/);
        assert.equal(await hostsSnapshot(services), before);
    });

    it("pulumi stack export holds no secret in plain text, and neither does the database", async () => {
        const exported = await pulumiOk(a, ["stack", "export", "--stack", "proxima"]);
        // Each row's JSON holds the file's bytes in base64 under "data": decoded, they are what Pulumi wrote.
        const rows = (await pg.psql("SELECT data->>'data' FROM pulumi.pulumi_state", "pulumi_state")).split("\n").filter(Boolean);
        const dump = rows.map((b64) => Buffer.from(b64, "base64").toString("utf8")).join("\n");
        assert.match(dump, /"ciphertext"/, "the decoded checkpoint holds the secrets, encrypted");
        const stackFile = fs.readFileSync(path.join(a.workdir, "Pulumi.proxima.yaml"), "utf8");
        for (const [what, text] of [["stack export", exported], ["database", dump], ["Pulumi.proxima.yaml", stackFile]] as const) {
            assert.ok(!text.includes(services.credentials.password), `${what} holds the registry password in plain text`);
        }
        assert.match(exported, /"ciphertext"/);
        assert.match(stackFile, /registryPassword:\s+secure: /);
        // The secret is in the state all the same: with the passphrase it decrypts.
        const shown = await pulumiOk(a, ["stack", "export", "--stack", "proxima", "--show-secrets"]);
        assert.ok(shown.includes(services.credentials.password), "--show-secrets with the passphrase shows the secret (so it is there, encrypted)");
        // Without the passphrase, nobody reads it.
        const wrong = await pulumi({ ...a, env: { ...a.env, PULUMI_CONFIG_PASSPHRASE: "not-the-team-passphrase" } }, ["stack", "export", "--stack", "proxima", "--show-secrets"]);
        assert.notEqual(wrong.code, 0);
        assert.match(wrong.stderr, /incorrect passphrase/);
    });

    it("two up at once from two checkouts: one applies, the other refuses with Pulumi's lock message, nothing is lost", async () => {
        const beforeState = JSON.parse(await pulumiOk(a, ["stack", "export", "--stack", "proxima"])) as { deployment: { resources: { urn: string }[] } };
        const urns = beforeState.deployment.resources.map((r) => r.urn).sort();
        const hosts = await hostsSnapshot(services);
        const first = npmStart(a.workdir, a.env, ["proxima", "--up"]);
        // The moment the first `up` holds the stack's lock in the database, the second checkout applies.
        let locked = "";
        for (let i = 0; i < 3000 && !locked; i++) {
            locked = (await pg.psql("SELECT key FROM pulumi.pulumi_state WHERE key LIKE 'pulumi_state/.pulumi/locks/%'", "pulumi_state")).trim();
            if (!locked) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(locked, "the first up took a lock in the database");
        const second = await pulumi(b, ["up", "--yes", "--stack", "proxima", "--policy-pack", "policy", "--policy-pack-config", "policy-pack-config.example.json"]);
        const firstDone = await first.done;
        assert.equal(firstDone.code, 0, firstDone.stdout.slice(-4000) + firstDone.stderr.slice(-3000));
        assert.notEqual(second.code, 0, second.stdout);
        assert.match(second.stderr, /the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`\./);
        // Nothing lost: the same resources, no lock left, the hosts as they were, and the second checkout
        // now applies with nothing to change.
        const after = JSON.parse(await pulumiOk(b, ["stack", "export", "--stack", "proxima"])) as typeof beforeState & { deployment: { pending_operations?: unknown[] } };
        assert.deepEqual(after.deployment.resources.map((r) => r.urn).sort(), urns);
        assert.deepEqual(after.deployment.pending_operations ?? [], []);
        assert.equal((await pg.psql("SELECT count(*) FROM pulumi.pulumi_state WHERE key LIKE 'pulumi_state/.pulumi/locks/%'", "pulumi_state")).trim(), "0");
        const again = await pulumi(b, ["up", "--yes", "--expect-no-changes", "--stack", "proxima", "--policy-pack", "policy", "--policy-pack-config", "policy-pack-config.example.json"]);
        assert.equal(again.code, 0, again.stdout.slice(-4000) + again.stderr.slice(-3000));
        assert.match(again.stdout, /35 unchanged/);
        assert.equal(await hostsSnapshot(services), hosts);
    });

    it("an unreachable database: a clear error naming the backend (no password), exit 1, nothing changed on the hosts", async () => {
        const before = await hostsSnapshot(services);
        await pg.stop();
        const r = await npmStart(a.workdir, a.env, ["proxima", "--up"]).done;
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /Could not open stack proxima in the state backend postgres:\/\/pulumi_state:\*\*\*@127\.0\.0\.1:\d+\/pulumi_state\?.* Check that the backend is reachable and the URL, user, password and TLS settings are right \(docs\/team\.md\), then run again\./);
        assert.match(r.stderr, /failed to ping PostgreSQL|connection refused/);
        assert.ok(!r.stdout.includes(password) && !r.stderr.includes(password), "the database password is never printed");
        assert.doesNotMatch(r.stdout, /Previewing|Updating/);
        assert.equal(await hostsSnapshot(services), before);
    });

    it("a shared backend with an empty passphrase is refused before anything runs", async () => {
        const r = await npmStart(a.workdir, { ...a.env, PULUMI_CONFIG_PASSPHRASE: "" }, ["proxima", "--up"]).done;
        assert.equal(r.code, 2);
        assert.match(r.stderr, /The secrets passphrase is empty, and the state is shared \(postgres:\/\/pulumi_state:\*\*\*@/);
        assert.doesNotMatch(r.stderr, /--- state:/);
    });
});
