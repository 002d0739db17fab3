import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

// The layers of docs/architecture.md, read off the import statements of the tracked sources. A type-only
// import is no edge: it vanishes from the compiled code and cannot make a cycle at run time.

const ROOT = path.join(__dirname, "..");

interface Edge {
    from: string;
    to: string;
}

function sources(): string[] {
    const out = execFileSync("git", ["ls-files", "*.ts"], { cwd: ROOT, encoding: "utf8" });
    return out.split("\n").filter((f) => f !== "" && !f.startsWith("test/") && !f.startsWith("policy/node_modules/") && fs.existsSync(path.join(ROOT, f)));
}

/** Every value import (and require of a literal) of `file`: repo-relative targets for local modules, the package name otherwise. */
function importsOf(file: string): string[] {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    const specs: string[] = [];
    const statement = /^(?:import|export)\s+(type\s+)?(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']/gm;
    for (const m of text.matchAll(statement)) if (m[1] === undefined) specs.push(m[2]);
    for (const m of text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) specs.push(m[1]);
    return specs.map((s) => {
        if (!s.startsWith(".")) return s;
        const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), s));
        for (const candidate of [`${base}.ts`, `${base}/index.ts`, base]) if (fs.existsSync(path.join(ROOT, candidate))) return candidate;
        return base;
    });
}

const FILES = sources();
const EDGES: Edge[] = FILES.flatMap((from) => importsOf(from).map((to) => ({ from, to })));

function offending(from: RegExp, to: RegExp): string[] {
    return EDGES.filter((e) => from.test(e.from) && to.test(e.to)).map((e) => `${e.from} → ${e.to}`);
}

describe("architecture (docs/architecture.md): who may import whom", () => {
    it("reads the sources it judges (a broken reader would pass every rule)", () => {
        assert.ok(FILES.includes("lib/contract.ts") && FILES.includes("program.ts"), "the tracked sources were not found");
        assert.ok(EDGES.some((e) => e.from === "program.ts" && e.to === "lib/contract.ts"), "program.ts's import of lib/contract was not seen");
        assert.ok(EDGES.some((e) => e.from === "lib/config/parse.ts" && e.to === "zod"), "a package import was not seen");
    });

    it("lib/ never imports the program, components, policy pack, CLI or the Pulumi SDK", () => {
        assert.deepEqual(offending(/^lib\//, /^(components|policy|cli|bench|scripts)\/|^(program|index|pulumi-config)\.ts$|^@pulumi\//), []);
    });

    it("the policy pack and the CLI never import the program or components", () => {
        assert.deepEqual(offending(/^(policy|cli)\//, /^components\/|^(program|index|pulumi-config)\.ts$/), []);
    });

    it("the CLI needs no Pulumi SDK at run time (it starts as fast as node)", () => {
        assert.deepEqual(offending(/^cli\//, /^@pulumi\//), []);
    });

    it("pure rules (lib/rules, lib/contract) reach no registry, no process and no other room but the sanitiser", () => {
        assert.deepEqual(offending(/^lib\/(rules\/|contract\.ts)/, /^lib\/(registry|release|host|config)\/|^lib\/format\/(?!text\.ts$)|^node:(http|https|net|child_process)$/), []);
    });

    it("formatting (lib/format) reads nothing from the network or the host", () => {
        assert.deepEqual(offending(/^lib\/format\//, /^lib\/(registry|release|host|config)\/|^node:(http|https|net|child_process|fs)$/), []);
    });

    it("no module imports itself through a cycle", () => {
        const next = new Map<string, string[]>();
        for (const e of EDGES) if (FILES.includes(e.to)) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
        const state = new Map<string, "open" | "done">();
        const cycles: string[] = [];
        const visit = (file: string, trail: string[]): void => {
            if (state.get(file) === "done") return;
            if (state.get(file) === "open") {
                cycles.push([...trail.slice(trail.indexOf(file)), file].join(" → "));
                return;
            }
            state.set(file, "open");
            for (const to of next.get(file) ?? []) visit(to, [...trail, file]);
            state.set(file, "done");
        };
        for (const f of FILES) visit(f, []);
        assert.deepEqual(cycles, []);
    });
});
