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
    /** A dynamic `import()`: it counts for the layers, but runs after both modules loaded, so it makes no load cycle. */
    lazy?: boolean;
}

function sources(): string[] {
    const out = execFileSync("git", ["ls-files", "*.ts"], { cwd: ROOT, encoding: "utf8" });
    return out.split("\n").filter((f) => f !== "" && !f.startsWith("test/") && !f.startsWith("policy/node_modules/") && fs.existsSync(path.join(ROOT, f)));
}

/** Every value import (static, `require` or dynamic `import()` of a literal) of `file`: repo-relative targets for local modules, the package name otherwise. */
function importsOf(file: string): Edge[] {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    const specs: { spec: string; lazy?: boolean }[] = [];
    const statement = /^(?:import|export)\s+(type\s+)?(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']/gm;
    for (const m of text.matchAll(statement)) if (m[1] === undefined) specs.push({ spec: m[2] });
    for (const m of text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) specs.push({ spec: m[1] });
    for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) specs.push({ spec: m[1], lazy: true });
    return specs.map(({ spec, lazy }) => {
        const edge = (to: string): Edge => (lazy ? { from: file, to, lazy } : { from: file, to });
        if (!spec.startsWith(".")) return edge(spec);
        const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        for (const candidate of [`${base}.ts`, `${base}/index.ts`, base]) if (fs.existsSync(path.join(ROOT, candidate))) return edge(candidate);
        return edge(base);
    });
}

const FILES = sources();
const EDGES: Edge[] = FILES.flatMap(importsOf);

function offending(from: RegExp, to: RegExp, edges: Edge[] = EDGES): string[] {
    return edges.filter((e) => from.test(e.from) && to.test(e.to)).map((e) => `${e.from} → ${e.to}`);
}

/** Product, scripts and benches never import test code: what `npm start` or a bench runs is not a test. */
const intoTests = (edges: Edge[] = EDGES) => offending(/^(?!test\/)/, /^test\//, edges);

/** The code the program, the CLI and the policy pack are built from (tsconfig.cli.json). */
const PRODUCT = /^(lib|components|policy|cli)\/|^(program|index|pulumi-config)\.ts$/;

describe("architecture (docs/architecture.md): who may import whom", () => {
    it("reads the sources it judges (a broken reader would pass every rule)", () => {
        assert.ok(FILES.includes("lib/contract.ts") && FILES.includes("program.ts"), "the tracked sources were not found");
        assert.ok(EDGES.some((e) => e.from === "program.ts" && e.to === "lib/contract.ts"), "program.ts's import of lib/contract was not seen");
        assert.ok(EDGES.some((e) => e.from === "lib/config/parse.ts" && e.to === "zod"), "a package import was not seen");
        assert.ok(EDGES.some((e) => e.from === "cli/main.ts" && e.to === "cli/status.ts" && e.lazy), "a dynamic import was not seen");
    });

    it("nothing outside test/ imports from test/ (the local estate and the harnesses have rooms of their own)", () => {
        // The rule must be able to fail: an edge such as the one npm start once had is caught.
        assert.deepEqual(intoTests([{ from: "scripts/local-estate.ts", to: "test/e2e/estate.ts" }]), ["scripts/local-estate.ts → test/e2e/estate.ts"]);
        assert.deepEqual(intoTests(), []);
    });

    it("product code never imports the estate, the harnesses, the benches or the scripts", () => {
        assert.deepEqual(offending(PRODUCT, /^(estate|harness|bench|scripts)\//), []);
    });

    it("the estate (estate/) builds on lib/ only: no program, components, policy pack, CLI or harness", () => {
        assert.deepEqual(offending(/^estate\//, /^(components|policy|cli|harness|bench|scripts)\/|^(program|index|pulumi-config)\.ts$|^@pulumi\//), []);
    });

    it("lib/ never imports the program, components, policy pack, CLI or the Pulumi SDK", () => {
        assert.deepEqual(offending(/^lib\//, /^(components|policy|cli|bench|scripts|estate|harness)\/|^(program|index|pulumi-config)\.ts$|^@pulumi\//), []);
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
        for (const e of EDGES) if (!e.lazy && FILES.includes(e.to)) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
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
