import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..");
const script = path.join(root, "scripts", "main.sh");
const nodeDir = path.dirname(process.execPath);

function runMain(args: string[], extraPath: string[] = [], env: NodeJS.ProcessEnv = {}) {
    const pathVar = [...extraPath, nodeDir, "/usr/bin", "/bin"].join(":");
    const clean: NodeJS.ProcessEnv = { HOME: os.tmpdir(), PATH: pathVar, ...env };
    return spawnSync("bash", [script, ...args], { cwd: root, env: clean, encoding: "utf8" });
}

/**
 * For the team's stacks these check the script's own decisions: what it says without the CLI, and the
 * exact pulumi invocations it makes (recorded by a stand-in executable named `pulumi` that writes its
 * argv and backend to a file). The local estate (`npm start` with no stack) runs the real engine and
 * is tested end to end in test/e2e/main.test.ts.
 */
describe("scripts/main.sh (npm start)", function () {
    // Each run of a team stack rebuilds dist/ (npm run build:cli): 20-50 s on 2 busy cores.
    this.timeout(600000);
    it("without pulumi on PATH, turns to the engine npm run engine builds, never to a download (here without Go: says so, exit 127)", () => {
        const r = runMain(["proxima"]);
        assert.equal(r.status, 127, r.stderr);
        assert.match(r.stderr, /no pulumi on PATH: the engine from npm run engine/);
        assert.match(r.stderr, /the Go toolchain is not installed: the engine is built from Go modules and needs Go 1\.26\.6 or newer/);
        assert.doesNotMatch(r.stderr, /get\.pulumi\.com|curl|brew/);
    });

    it("without pulumi on PATH but with Go, runs the engine's own pulumi (a PostgreSQL backend that is down: pulumi's error, then what to do)", function () {
        this.timeout(3600000); // the engine is built first when it is not in the cache (bash .ci/run builds it before the tests)
        const go = spawnSync("sh", ["-c", "command -v go"], { encoding: "utf8" }).stdout.trim();
        assert.ok(go, "Go is on PATH (the README's prerequisite)");
        const cache = process.env.IMAGE_LIFECYCLE_CACHE || path.join(os.homedir(), ".cache", "image-lifecycle");
        const r = runMain(["proxima"], [path.dirname(go)], {
            IMAGE_LIFECYCLE_CACHE: cache, GOPATH: spawnSync("go", ["env", "GOPATH"], { encoding: "utf8" }).stdout.trim(), GOCACHE: spawnSync("go", ["env", "GOCACHE"], { encoding: "utf8" }).stdout.trim(),
            PULUMI_BACKEND_URL: "postgres://team:db-Secret-1@127.0.0.1:1/pulumi_state?sslmode=disable&connect_timeout=5",
            PULUMI_CONFIG_PASSPHRASE: "team-passphrase", PULUMI_SKIP_UPDATE_CHECK: "true",
        });
        assert.equal(r.status, 1, r.stderr);
        const used = /--- pulumi: (\S+)\n/.exec(r.stderr)?.[1];
        assert.match(used ?? "", new RegExp(`^${cache.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/engine/pulumi-v3\\.248\\.0-[0-9a-f]{12}/pulumi$`), r.stderr);
        assert.match(r.stderr, /failed to ping PostgreSQL/, "the built engine speaks to a postgres:// backend");
        assert.match(r.stderr, /Could not open stack proxima in the state backend postgres:\/\/team:\*\*\*@127\.0\.0\.1:1\/pulumi_state\?sslmode=disable&connect_timeout=5 \(pulumi's error above\)\. Check that the backend is reachable/);
        assert.ok(!r.stderr.includes("db-Secret-1") && !r.stdout.includes("db-Secret-1"), "the database password is never printed");
    });

    describe("the secrets passphrase on a shared (non file://) backend", () => {
        const shared = "postgres://team:db-Secret-1@db.example:5432/pulumi_state?sslmode=verify-full";
        let bin: string;
        let log: string;
        beforeEach(() => {
            bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
            log = path.join(bin, "calls.log");
            fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho "\${PULUMI_CONFIG_PASSPHRASE-unset}|\${PULUMI_CONFIG_PASSPHRASE_FILE-}|$*" >> ${JSON.stringify(log)}\n`, { mode: 0o755 });
        });
        afterEach(() => fs.rmSync(bin, { recursive: true, force: true }));

        for (const [what, env] of [["unset", {}], ["empty", { PULUMI_CONFIG_PASSPHRASE: "" }], ["an empty key file", { PULUMI_CONFIG_PASSPHRASE_FILE: "/dev/null" }]] as const) {
            it(`refuses a passphrase that is ${what}, before pulumi runs, without printing the database password`, () => {
                const r = runMain(["proxima", "--up"], [bin], { PULUMI_BACKEND_URL: shared, ...env });
                assert.equal(r.status, 2, r.stderr);
                assert.match(r.stderr, /The secrets passphrase is empty, and the state is shared \(postgres:\/\/team:\*\*\*@db\.example:5432\/pulumi_state\?sslmode=verify-full\)/);
                assert.match(r.stderr, /Set PULUMI_CONFIG_PASSPHRASE to the team's passphrase, or PULUMI_CONFIG_PASSPHRASE_FILE to a file holding it \(docs\/team\.md\), then run again\./);
                assert.ok(!r.stderr.includes("db-Secret-1"));
                assert.equal(fs.existsSync(log), false, "pulumi never ran");
            });
        }

        it("takes the passphrase from the environment", () => {
            const r = runMain(["proxima"], [bin], { PULUMI_BACKEND_URL: shared, PULUMI_CONFIG_PASSPHRASE: "team-passphrase" });
            assert.equal(r.status, 0, r.stderr);
            assert.match(fs.readFileSync(log, "utf8"), /^team-passphrase\|\|stack select --create --non-interactive proxima$/m);
            assert.match(r.stderr, /--- state: postgres:\/\/team:\*\*\*@db\.example/);
        });

        it("takes a key file, and an empty PULUMI_CONFIG_PASSPHRASE does not stand in front of it", () => {
            const key = path.join(bin, "passphrase");
            fs.writeFileSync(key, "team-passphrase\n", { mode: 0o600 });
            const r = runMain(["proxima"], [bin], { PULUMI_BACKEND_URL: shared, PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: key });
            assert.equal(r.status, 0, r.stderr);
            assert.match(fs.readFileSync(log, "utf8"), new RegExp(`^unset\\|${key}\\|stack select --create --non-interactive proxima$`, "m"));
        });

        it("still allows the empty passphrase for a local file state", () => {
            const state = path.join(bin, "state");
            const r = runMain(["proxima"], [bin], { PULUMI_BACKEND_URL: `file://${state}` });
            assert.equal(r.status, 0, r.stderr);
            assert.match(fs.readFileSync(log, "utf8"), /^\|\|stack select/m);
        });
    });

    it("refuses an unknown argument with exit 2", () => {
        const r = runMain(["staging"]);
        assert.equal(r.status, 2);
        assert.match(r.stderr, /Unknown argument "staging"/);
    });

    it("previews the chosen stack with the policy pack on a local file backend, and applies only with --up", () => {
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
        const log = path.join(bin, "calls.log");
        const state = path.join(bin, "state");
        fs.writeFileSync(
            path.join(bin, "pulumi"),
            `#!/bin/sh\necho "$PULUMI_BACKEND_URL|$PULUMI_CONFIG_PASSPHRASE|$*" >> ${JSON.stringify(log)}\n`,
            { mode: 0o755 },
        );
        try {
            const preview = runMain(["lyra"], [bin], { PULUMI_BACKEND_URL: `file://${state}` });
            assert.equal(preview.status, 0, preview.stderr);
            const calls = fs.readFileSync(log, "utf8").trim().split("\n");
            assert.deepEqual(calls, [
                `file://${state}||stack select --create --non-interactive lyra`,
                `file://${state}||preview --non-interactive --stack lyra --policy-pack policy --policy-pack-config policy-pack-config.example.json`,
            ]);
            assert.ok(fs.existsSync(state), "the local state folder is created");

            fs.rmSync(log);
            const up = runMain(["proxima", "--up"], [bin], { PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE: "s3cret" });
            assert.equal(up.status, 0, up.stderr);
            const upCalls = fs.readFileSync(log, "utf8").trim().split("\n");
            assert.equal(upCalls.length, 3);
            assert.match(upCalls[1], /\|preview --non-interactive --stack proxima --policy-pack policy /, "the policy pack judges the preview");
            // The preview above ran the policy pack; the up does not preview a second time (ADR 0056), and one
            // class host that cannot be reached does not hold back the other classes' changes (issue 16).
            assert.equal(upCalls[2], `file://${state}|s3cret|up --yes --skip-preview --continue-on-error --non-interactive --stack proxima --policy-pack policy --policy-pack-config policy-pack-config.example.json`);
        } finally {
            fs.rmSync(bin, { recursive: true, force: true });
        }
    });

    it("refuses --up without a team stack: the local estate always deploys", () => {
        const r = runMain(["--up"]);
        assert.equal(r.status, 2);
        assert.match(r.stderr, /--up goes with a team stack/);
    });

    it("defaults a team stack's state to ./.pulumi-state of the project", () => {
        const state = path.join(root, ".pulumi-state");
        const existed = fs.existsSync(state);
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
        const log = path.join(bin, "calls.log");
        fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho "$PULUMI_BACKEND_URL" >> ${JSON.stringify(log)}\n`, { mode: 0o755 });
        try {
            const r = runMain(["proxima"], [bin]);
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stderr, /empty passphrase/);
            assert.equal(fs.readFileSync(log, "utf8").split("\n")[0], `file://${state}`);
            assert.ok(fs.existsSync(state));
        } finally {
            fs.rmSync(bin, { recursive: true, force: true });
            // Leave a developer's real local state alone; remove only what this test created.
            if (!existed) fs.rmSync(state, { recursive: true, force: true });
        }
    });
});

describe("scripts/local-registry.sh (npm run registry:local)", () => {
    it("starts a real registry on loopback, is idempotent, and stops", async function () {
        const { freePort } = await import("../../estate/services");
        const port = await freePort();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-registry-"));
        const env = { ...process.env, IMAGE_LIFECYCLE_LOCAL_REGISTRY_PORT: String(port), IMAGE_LIFECYCLE_LOCAL_REGISTRY_DIR: dir };
        const sh = (arg: string) => spawnSync("bash", [path.join(root, "scripts", "local-registry.sh"), arg], { env, encoding: "utf8" });
        try {
            const first = sh("start");
            assert.equal(first.status, 0, first.stderr);
            assert.equal(first.stdout.trim(), `127.0.0.1:${port}`);
            const res = await fetch(`http://127.0.0.1:${port}/v2/`);
            assert.equal(res.status, 200);
            const pid = fs.readFileSync(path.join(dir, "registry.pid"), "utf8").trim();
            assert.equal(sh("start").status, 0);
            assert.equal(fs.readFileSync(path.join(dir, "registry.pid"), "utf8").trim(), pid, "a second start reuses the running registry");
        } finally {
            assert.equal(sh("stop").status, 0);
            fs.rmSync(dir, { recursive: true, force: true });
        }
        await assert.rejects(fetch(`http://127.0.0.1:${port}/v2/`));
    });
});
