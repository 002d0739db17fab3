import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { completion } from "../../cli/completion";
import { CliIO, EXIT } from "../../cli/io";

const ROOT = path.resolve(__dirname, "..", "..");
const MAIN = path.join(ROOT, "dist", "cli", "main.js");

function capture() {
    let out = "";
    let err = "";
    const io: CliIO = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, isTTY: false, env: {} };
    return { io, out: () => out, err: () => err };
}

describe("cli/completion (run by a real bash against the compiled CLI)", function () {
    this.timeout(120000);
    let dir: string;
    let bin: string;

    before(() => {
        if (!fs.existsSync(MAIN)) execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.cli.json")], { cwd: ROOT });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-lifecycle-completion-"));
        // image-lifecycle on PATH, as npm link puts it there.
        bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        fs.symlinkSync(path.join(ROOT, "bin", "image-lifecycle.js"), path.join(bin, "image-lifecycle"));
        fs.copyFileSync(path.join(ROOT, "Pulumi.proxima.yaml"), path.join(dir, "Pulumi.proxima.yaml"));
        fs.copyFileSync(path.join(ROOT, "Pulumi.lyra.yaml"), path.join(dir, "Pulumi.lyra.yaml"));
        fs.writeFileSync(path.join(dir, "other.yaml"), "config:\n  image-lifecycle:apps:\n    alpha: {}\n    beta: {}\n");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** What bash offers for the words typed so far (the last one being completed). */
    function complete(words: string[]): string[] {
        const script = execFileSync(process.execPath, [path.join(ROOT, "bin", "image-lifecycle.js"), "completion", "bash"], { encoding: "utf8" });
        const line = words.map((w) => `'${w}'`).join(" ");
        const r = spawnSync("bash", ["--norc", "--noprofile", "-c", `${script}\nCOMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _image_lifecycle; printf '%s\\n' "\${COMPREPLY[@]}"`], {
            cwd: dir,
            encoding: "utf8",
            env: { PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin` },
        });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.split("\n").filter(Boolean);
    }

    it("completes commands, then each command's flags", () => {
        assert.deepEqual(complete(["image-lifecycle", "st"]), ["status"]);
        assert.deepEqual(complete(["image-lifecycle", "p"]), ["preflight", "promote"]);
        assert.deepEqual(complete(["image-lifecycle", "overview", "--d"]), ["--deployed", "--digests"]);
        assert.deepEqual(complete(["image-lifecycle", "cleanup", "--keep"]), ["--keep-last"]);
        assert.deepEqual(complete(["image-lifecycle", "completion", ""]), ["bash", "zsh"]);
    });

    it("completes app names from the stack file, honouring --file on the line", () => {
        assert.deepEqual(complete(["image-lifecycle", "deploy", ""]), ["hello-world", "giftfinder-api", "metrics", "uptime", "playground"]);
        assert.deepEqual(complete(["image-lifecycle", "rollback", "gi"]), ["giftfinder-api"]);
        assert.deepEqual(complete(["image-lifecycle", "deploy", "--file", "other.yaml", ""]), ["alpha", "beta"]);
    });

    it("completes stacks from the stack files here and file names after --file", () => {
        assert.deepEqual(complete(["image-lifecycle", "status", "--stack", ""]), ["lyra", "proxima"]);
        assert.deepEqual(complete(["image-lifecycle", "status", "--file", "oth"]), ["other.yaml"]);
    });

    it("the zsh script parses in a real zsh (skipped where zsh is not installed: .ci/run does not install it)", function () {
        const zsh = spawnSync("sh", ["-c", "command -v zsh"], { encoding: "utf8" }).stdout.trim();
        if (!zsh) this.skip();
        const script = path.join(dir, "_image-lifecycle.zsh");
        fs.writeFileSync(script, execFileSync(process.execPath, [path.join(ROOT, "bin", "image-lifecycle.js"), "completion", "zsh"], { encoding: "utf8" }));
        const r = spawnSync(zsh, ["-n", script], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
    });

    it("prints a zsh script that loads the same function through bashcompinit, and refuses another shell", async () => {
        const z = capture();
        assert.equal(await completion(["zsh"], z.io), EXIT.ok);
        assert.match(z.out(), /^#compdef image-lifecycle\n/);
        assert.match(z.out(), /bashcompinit/);
        assert.match(z.out(), /complete -F _image_lifecycle image-lifecycle\n$/);
        const bad = capture();
        assert.equal(await completion(["fish"], bad.io), EXIT.usage);
        assert.match(bad.err(), /^completion: say which shell: bash or zsh \(got "fish"\)\./);
    });
});
