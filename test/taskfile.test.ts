/**
 * Taskfile.yml: the seeds' command names (seed 002's Task layer) over the CLI, run by Task itself, built
 * from its Go module by scripts/go-tools.sh, against a real registry.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { OCI } from "../lib/contract";
import { RegistryClient } from "../lib/registry/client";
import { goTool } from "../estate/go-tools";
import { pushOciImage } from "../estate/oci";
import { startRegistry, RegistryService } from "../estate/services";

const ROOT = path.resolve(__dirname, "..");
const NAMES = ["application:overview", "application:deploy", "application:rollback", "application:status", "images:cleanup", "release:preflight", "release:promote"];

function task(args: string[]) {
    return spawnSync(goTool("task"), ["--taskfile", path.join(ROOT, "Taskfile.yml"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 60000, env: { ...process.env, NO_COLOR: "1" } });
}

describe("Taskfile.yml (Task from its Go module)", () => {
    it("task --list names the seeds' seven commands, each with its description", () => {
        const r = task(["--list"]);
        assert.equal(r.status, 0, r.stderr);
        const listed = [...r.stdout.matchAll(/^\* ([\w:]+):\s+\S/gm)].map((m) => m[1]);
        assert.deepEqual(listed.sort(), [...NAMES].sort(), r.stdout);
    });

    it("every task calls the CLI command of the same name in package.json's npm scripts", () => {
        const pkg = require(path.join(ROOT, "package.json")) as { scripts: Record<string, string> };
        for (const name of NAMES) {
            const r = task(["--dry", name, "--", "--help"]);
            assert.equal(r.status, 0, r.stderr);
            // --dry prints the command it would run: the npm script's, with the arguments after `--`.
            assert.ok(r.stderr.includes(`${pkg.scripts[name]} --help`), `${name}: ${r.stderr}`);
        }
    });

    describe("against a real registry", () => {
        let reg: RegistryService;
        const repo = "rednaw/hello-world";

        before(async () => {
            reg = await startRegistry();
            const client = new RegistryClient({ registry: reg.registry });
            const push = (tag: string, created: string, description: string) => pushOciImage(client, repo, tag, {
                config: { architecture: "amd64", os: "linux", config: { Labels: { [OCI.created]: created, [OCI.description]: description, [OCI.revision]: tag.padEnd(40, "0") } } },
                layer: Buffer.from(`${repo} ${tag}`),
            });
            await push("eb53023", "2026-01-25T01:01:00Z", "initial deploy");
            await push("6350192", "2026-01-25T01:10:00Z", "add healthcheck + fix nginx proxy header");
        });
        after(() => reg?.stop());

        it("task application:overview -- <image> --registry <host:port> prints the seed's table, newest first", () => {
            const r = task(["application:overview", "--", repo, "--registry", reg.registry]);
            assert.equal(r.status, 0, r.stdout + r.stderr);
            assert.match(r.stdout, /IMAGE: rednaw\/hello-world\n\nTAG {8}CREATED {14}DESCRIPTION\n--- {8}-{7} {14}-{11}\n {2}6350192 {2}2026-01-25 01:10 {5}add healthcheck \+ fix nginx proxy header\n {2}eb53023 {2}2026-01-25 01:01 {5}initial deploy\n/);
        });

        it("a failing CLI command fails the task, with the CLI's message", () => {
            const r = task(["application:overview", "--", "no/such-repo", "--registry", reg.registry]);
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /no\/such-repo/);
        });
    });
});
