/**
 * scripts/setup.sh: the one set-up `npm start` and `.ci/run` share (the package list, root or sudo, Go's
 * minimum), and the engine's cache key (scripts/engine.sh --key) over every input under engine/.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const setup = (args: string[], opts: { env?: NodeJS.ProcessEnv; script?: string } = {}) =>
    spawnSync("bash", [opts.script ?? path.join(ROOT, "scripts/setup.sh"), ...args], { encoding: "utf8", env: opts.env ?? process.env });

describe("scripts/setup.sh (the set-up of npm start and .ci/run)", () => {
    const list = setup(["--list"]).stdout.trim();
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

    it("has one package list, the one README.md shows, with PostgreSQL for the team-state tests", () => {
        const shown = /The one\s+package list \(`bash scripts\/setup\.sh --list`\): `([^`]+)`/.exec(readme)?.[1].replace(/\s+/g, " ");
        assert.equal(shown, list);
        assert.ok(list.split(" ").includes("postgresql"));
    });

    it("is what both npm start and .ci/run call (no second list)", () => {
        assert.match(fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8"), /^bash scripts\/setup\.sh$/m);
        assert.match(fs.readFileSync(path.join(ROOT, "scripts/main.sh"), "utf8"), /^ {2}bash scripts\/setup\.sh$/m);
        for (const file of [".ci/run", "scripts/main.sh"]) assert.doesNotMatch(fs.readFileSync(path.join(ROOT, file), "utf8"), /apt-get install/, file);
    });

    it("names the exact minimum Go, the highest go line of the engine's modules, and README states it", () => {
        const lines: string[] = [];
        const walk = (d: string) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
            if (e.isDirectory()) walk(path.join(d, e.name));
            else if (e.name === "go.mod") lines.push(/^go (\S+)$/m.exec(fs.readFileSync(path.join(d, e.name), "utf8"))![1]);
        });
        walk(path.join(ROOT, "engine"));
        const highest = lines.sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).pop();
        assert.equal(setup(["--go-min"]).stdout.trim(), highest);
        assert.ok(readme.includes(`**Go ${highest} or newer**`), `README.md states Go ${highest}`);
    });

    it("installs nothing when every package is there (as after .ci/run's set-up)", () => {
        const r = setup([]);
        assert.equal(r.status, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /installing/);
    });

    it("as a user that is neither root nor allowed sudo, names the missing packages and the command to run as root", () => {
        // A copy of the script whose list has one package this machine lacks.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "setup-"));
        try {
            const script = path.join(dir, "setup.sh");
            fs.writeFileSync(script, fs.readFileSync(path.join(ROOT, "scripts/setup.sh"), "utf8").replace(/^packages="/m, 'packages="image-lifecycle-no-such-package '));
            fs.chmodSync(dir, 0o755);
            fs.chmodSync(script, 0o755);
            const asNobody = process.getuid?.() === 0
                ? spawnSync("runuser", ["-u", "nobody", "--", "env", "PATH=/usr/bin:/bin", "bash", script], { encoding: "utf8" })
                : spawnSync("bash", [script], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
            if (asNobody.stderr.includes("sudo will ask") || /installing Debian packages/.test(asNobody.stderr)) assert.fail(`this user may use sudo: ${asNobody.stderr}`);
            assert.equal(asNobody.status, 2, asNobody.stderr);
            assert.match(asNobody.stderr, /these Debian packages are missing: image-lifecycle-no-such-package\. Installing them needs root, and this user is not root and cannot use sudo\. Run as root: apt-get update && apt-get install -y --no-install-recommends image-lifecycle-no-such-package/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("scripts/engine.sh --key (the engine's cache key)", () => {
    it("changes with any file the build reads under engine/, e.g. engine/docker/shim/go.mod, and with nothing else", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-key-"));
        try {
            fs.mkdirSync(path.join(dir, "scripts"));
            for (const f of ["scripts/engine.sh", "scripts/setup.sh", "package-lock.json"]) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
            fs.cpSync(path.join(ROOT, "engine"), path.join(dir, "engine"), { recursive: true });
            fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
            const key = () => {
                const r = spawnSync("bash", [path.join(dir, "scripts/engine.sh"), "--key"], { cwd: dir, encoding: "utf8" });
                assert.equal(r.status, 0, r.stderr);
                assert.match(r.stdout, /^[0-9a-f]{12}\n$/);
                return r.stdout.trim();
            };
            const original = key();
            assert.equal(spawnSync("bash", [path.join(ROOT, "scripts/engine.sh"), "--key"], { cwd: ROOT, encoding: "utf8" }).stdout.trim(), original, "the copy has the project's key");
            fs.writeFileSync(path.join(dir, "README.md"), "not an input\n");
            // A Go test and the engine's README are built into nothing: editing them must not rebuild the engine.
            fs.writeFileSync(path.join(dir, "engine/pulumi/cmd/extra_test.go"), "package main\n");
            fs.writeFileSync(path.join(dir, "engine/README.md"), "not an input\n");
            assert.equal(key(), original);
            fs.rmSync(path.join(dir, "engine/pulumi/cmd/extra_test.go"));
            for (const f of ["engine/docker/shim/go.mod", "engine/docker/go.sum", "engine/pulumi/cmd"]) {
                const target = f.endsWith("cmd") ? path.join(dir, f, "extra.go") : path.join(dir, f);
                const before = fs.existsSync(target) ? fs.readFileSync(target) : undefined;
                fs.appendFileSync(target, "\n// changed\n");
                assert.notEqual(key(), original, `${f} is an input of the key`);
                if (before === undefined) fs.rmSync(target); else fs.writeFileSync(target, before);
                assert.equal(key(), original);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
