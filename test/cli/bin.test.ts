import { strict as assert } from "node:assert";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { COMMANDS } from "../../cli/main";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "image-lifecycle.js");
const MAIN = path.join(ROOT, "dist", "cli", "main.js");

/** Newest modification time under `dir` of files ending in `ext`. */
function newest(dir: string, ext: string): number {
    let t = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) t = Math.max(t, newest(p, ext));
        else if (entry.name.endsWith(ext)) t = Math.max(t, fs.statSync(p).mtimeMs);
    }
    return t;
}

describe("bin/image-lifecycle.js (the compiled CLI a user runs)", function () {
    this.timeout(120000);

    before(function () {
        // tsconfig.cli.json also compiles the program and the policy pack (ADR 0055): minutes on a loaded machine.
        this.timeout(600000);
        // `npm test` builds dist/ first; a targeted mocha run rebuilds it here when the sources are newer.
        const sources = Math.max(newest(path.join(ROOT, "cli"), ".ts"), newest(path.join(ROOT, "lib"), ".ts"));
        if (!fs.existsSync(MAIN) || fs.statSync(MAIN).mtimeMs < sources) {
            execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.cli.json")], { cwd: ROOT });
        }
    });

    it("prints the package version with --version", async () => {
        const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
        assert.equal((await run("node", [BIN, "--version"])).stdout, `${version}\n`);
    });

    it("runs dist/cli/main.js and loads neither ts-node nor the TypeScript compiler", () => {
        // Run the real bin in a process that reports, at exit, every module it loaded.
        const probe = `process.argv = [process.argv[0], ${JSON.stringify(BIN)}, "--help"];
process.on("exit", () => { process.stderr.write(JSON.stringify(Object.keys(require.cache))); });
require(${JSON.stringify(BIN)});`;
        const r = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        const loaded = JSON.parse(r.stderr) as string[];
        assert.ok(loaded.includes(MAIN), `expected ${MAIN} among ${loaded.join(", ")}`);
        assert.deepEqual(loaded.filter((m) => /[/\\](ts-node|typescript)[/\\]/.test(m) || m.endsWith(".ts")), []);
        assert.match(r.stdout, /^Usage: image-lifecycle <command> \[options\]/);
    });

    it("lists every command in --help, exits 2 without a command", async () => {
        const { stdout } = await run("node", [BIN, "--help"]);
        for (const name of Object.keys(COMMANDS)) assert.match(stdout, new RegExp(`^  ${name} `, "m"));
        const none = spawnSync(process.execPath, [BIN], { encoding: "utf8" });
        assert.equal(none.status, 2);
    });

    it("answers a flag typo with one line naming the nearest flag and the usage line, exit 2", () => {
        const r = spawnSync(process.execPath, [BIN, "overview", "team/app", "--jsn"], { encoding: "utf8" });
        assert.equal(r.status, 2);
        assert.equal(r.stdout, "");
        assert.equal(r.stderr, [
            "overview: Unknown option --jsn. Did you mean --json?",
            "Usage: image-lifecycle overview <repository> [options]",
            `Run "image-lifecycle overview --help" for every option.`,
            "",
        ].join("\n"));
    });

    it("says plainly why --keep-last -1 is wrong instead of reading -1 as a flag", () => {
        const r = spawnSync(process.execPath, [BIN, "cleanup", "team/app", "--keep-last", "-1"], { encoding: "utf8" });
        assert.equal(r.status, 2);
        assert.equal(r.stderr, `cleanup: --keep-last is how many of the newest builds to keep: a whole number, 0 or more; got "-1".\n`);
    });

    it("under --json, an error is one JSON object on stderr with the exit code's meaning", () => {
        const r = spawnSync(process.execPath, [BIN, "overview", "team/app:v1", "--registry", "127.0.0.1:5000", "--json"], { encoding: "utf8" });
        assert.equal(r.status, 2);
        assert.equal(r.stdout, "");
        assert.deepEqual(JSON.parse(r.stderr), { error: { command: "overview", message: `overview takes a repository, not one image: drop the tag from "team/app:v1".`, exitCode: 2, meaning: "bad usage or input" } });
    });

    it("says how to build it when dist/ is missing", () => {
        // A copy of bin/ beside no dist/: exactly what a clone without `npm ci` looks like.
        const tmp = fs.mkdtempSync(path.join(ROOT, ".bin-test-"));
        try {
            fs.mkdirSync(path.join(tmp, "bin"));
            fs.copyFileSync(BIN, path.join(tmp, "bin", "image-lifecycle.js"));
            const r = spawnSync(process.execPath, [path.join(tmp, "bin", "image-lifecycle.js"), "--help"], { encoding: "utf8" });
            assert.equal(r.status, 2);
            assert.match(r.stderr, /^image-lifecycle is not built \(.*dist\/cli\/main\.js is missing\)\. Run "npm ci" or "npm run build:cli" in /);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
});
