/**
 * `npm start` with no arguments, for real: the local estate, a real `pulumi up` of the shipped proxima
 * stack through the policy pack, the overview with → on what it deployed; a second run changes
 * nothing; `npm start -- --stop` stops the estate.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { engineDir, REPO_ROOT } from "./estate";

function npmStart(args: string[], engine: string) {
    return spawnSync("bash", [path.join(REPO_ROOT, "scripts/main.sh"), ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, PATH: `${engine}:${process.env.PATH}`, IMAGE_LIFECYCLE_DEPLOYER: "npm-start-test" },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        timeout: 1200000,
    });
}

describe("e2e: npm start (the local estate, real engine)", function () {
    this.timeout(2400000);
    let engine: string;

    before(async function () {
        this.timeout(3600000);
        engine = await engineDir();
    });
    after(() => { npmStart(["--stop"], engine); });

    it("deploys the shipped proxima stack on the local estate and ends with the overview", () => {
        const r = npmStart([], engine);
        assert.equal(r.status, 0, r.stdout.slice(-4000) + r.stderr.slice(-4000));
        assert.match(r.stdout, /Resources:\s+\+ 45 created/);
        // One preview (the pack stops a violation there), then the update without a preview of its own.
        assert.equal((r.stdout.match(/Previewing update/g) ?? []).length, 1, r.stdout.slice(-4000));
        assert.match(r.stdout, /Updating \(proxima\)/);
        assert.match(r.stdout, /IMAGE: rednaw\/hello-world\n\nTAG {8}CREATED {14}DESCRIPTION\n/);
        assert.match(r.stdout, /^→ 6350192 /m);
    });

    it("run again, it reports no changes", () => {
        const r = npmStart([], engine);
        assert.equal(r.status, 0, r.stdout.slice(-4000) + r.stderr.slice(-4000));
        assert.match(r.stdout, /Resources:\s+45 unchanged/);
        assert.match(r.stdout, /^→ 6350192 /m);
    });

    it("npm start -- --stop stops the estate", () => {
        const r = npmStart(["--stop"], engine);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /stopped the local estate/);
        assert.match(npmStart(["--stop"], engine).stderr, /not running/);
    });
});
