import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { goTool } from "../../estate/go-tools";
import { requireBinary } from "../../estate/services";

const ROOT = path.resolve(__dirname, "../..");

interface Finding { message: string; filepath: string; line: number; column: number; kind: string }

/**
 * Runs actionlint (built from its Go module) with Debian's shellcheck over the run: scripts, in `cwd`.
 * actionlint quietly skips shellcheck when it cannot start it, so the path is given, never looked up.
 */
function actionlint(cwd: string, files: string[]): { status: number | null; findings: Finding[]; stderr: string } {
    const shellcheck = requireBinary("shellcheck", "shellcheck");
    const r = spawnSync(goTool("actionlint"), ["-format", "{{json .}}", `-shellcheck=${shellcheck}`, "-pyflakes=", ...files], { cwd, encoding: "utf8" });
    const out = r.stdout.trim();
    return { status: r.status, findings: out ? (JSON.parse(out) as Finding[]) : [], stderr: r.stderr };
}

describe(".github/workflows under actionlint + shellcheck", () => {
    it("every workflow has zero findings", () => {
        const files = fs.readdirSync(path.join(ROOT, ".github/workflows"))
            .filter((f) => /\.ya?ml$/.test(f))
            .map((f) => path.join(".github/workflows", f));
        assert.ok(files.length >= 3, files.join(","));
        const { status, findings, stderr } = actionlint(ROOT, files);
        assert.deepEqual(findings.map((f) => `${f.filepath}:${f.line}:${f.column}: ${f.message} [${f.kind}]`), []);
        assert.equal(status, 0, stderr);
    });

    it("does report a shellcheck warning and an expression error when a workflow has them (the check above can fail)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actionlint-"));
        try {
            fs.mkdirSync(path.join(dir, ".github/workflows"), { recursive: true });
            const file = ".github/workflows/broken.yml";
            fs.writeFileSync(path.join(dir, file), [
                "name: broken",
                "on:",
                "  workflow_dispatch:",
                "    inputs:",
                "      tag: { required: true }",
                "permissions: {}",
                "jobs:",
                "  j:",
                "    runs-on: ubuntu-latest",
                "    permissions: { contents: read }",
                "    steps:",
                "      - run: echo $HOME ${{ inputs.no_such_input }}",
                "",
            ].join("\n"));
            const { status, findings } = actionlint(dir, [file]);
            assert.equal(status, 1);
            assert.deepEqual(findings.map((f) => [f.kind, f.line]).sort(), [["expression", 12], ["shellcheck", 12]], JSON.stringify(findings));
            assert.match(findings.find((f) => f.kind === "shellcheck")!.message, /SC2086/);
            assert.match(findings.find((f) => f.kind === "expression")!.message, /no_such_input/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
