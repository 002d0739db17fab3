import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");

/** The image-lifecycle CLI's own flags (the Pulumi CLI's, cosign's and docker's are commands lib builds, not hints). */
const CLI_FLAG = /--(registry|insecure|deployed|stack|file|name|to|digest|digests|image|tag|width|apply|keep-last|min-age|no-cache|allow-non-semver|justification|smoke-command)(?![\w-])/;

function sources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
        const p = path.join(dir, d.name);
        return d.isDirectory() ? sources(p) : d.name.endsWith(".ts") ? [p] : [];
    });
}

/** Code lines only: doc comments and line comments may name the CLI that uses a function. */
function codeLines(file: string): { line: number; text: string }[] {
    return fs.readFileSync(file, "utf8").split("\n").map((text, i) => ({ line: i + 1, text })).filter(({ text }) => {
        const t = text.trim();
        return !(t.startsWith("//") || t.startsWith("*") || t.startsWith("/*"));
    }).map(({ line, text }) => ({ line, text: text.replace(/\s\/\/ .*$/, "") }));
}

describe("library and program messages name facts, not image-lifecycle flags (ADR 0053)", () => {
    it("no string in lib/, components/, policy/ or the program mentions a CLI flag", () => {
        const files = [...sources(path.join(ROOT, "lib")), ...sources(path.join(ROOT, "components")), ...sources(path.join(ROOT, "policy")),
            ...["program.ts", "index.ts", "pulumi-config.ts"].map((f) => path.join(ROOT, f)).filter((f) => fs.existsSync(f))];
        // A flag that is a whole string literal ("--name", next to its value) is an argument lib passes to
        // another program (docker create), not a hint in a message; messages carry flags inside prose.
        const argv = /(["'])--[\w-]+\1/g;
        const found = files.flatMap((f) => codeLines(f).filter(({ text }) => CLI_FLAG.test(text.replace(argv, ""))).map(({ line, text }) => `${path.relative(ROOT, f)}:${line}: ${text.trim()}`));
        assert.deepEqual(found, []);
    });
});
