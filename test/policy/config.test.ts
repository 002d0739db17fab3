/**
 * The example `--policy-pack-config` file: every key names a policy (or `all`), every property is in
 * that policy's configSchema with the right JSON type, and its numbers match the shipped stacks.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyConfigSchema } from "@pulumi/policy";
import { CLASSES } from "../../lib/contract";
import { policies } from "../../policy/policies";
import { loadStackConfig } from "../../harness/program";
import { configOf, levelOf } from "../../harness/policy";

const FILE = path.join(__dirname, "..", "..", "policy-pack-config.example.json");
const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

function jsonType(v: unknown): string {
    if (Array.isArray(v)) return "array";
    if (v === null) return "null";
    if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
    return typeof v;
}

/** The few JSON-schema rules our schemas use: type, items, properties, required. */
function conforms(value: unknown, schema: Record<string, any>, at: string, problems: string[]): void {
    const t = jsonType(value);
    if (schema.type && !(schema.type === t || (schema.type === "number" && t === "integer"))) {
        problems.push(`${at}: expected ${schema.type}, got ${t}`);
        return;
    }
    if (t === "array" && schema.items) (value as unknown[]).forEach((v, i) => conforms(v, schema.items, `${at}[${i}]`, problems));
    if (t === "object" && schema.properties) {
        for (const [k, v] of Object.entries(value as object)) {
            if (schema.properties[k]) conforms(v, schema.properties[k], `${at}.${k}`, problems);
        }
        for (const k of schema.required ?? []) if (!(k in (value as object))) problems.push(`${at}: missing ${k}`);
    }
}

describe("policy-pack-config.example.json", () => {
    const config = JSON.parse(fs.readFileSync(FILE, "utf8")) as Record<string, any>;

    it("configures only existing policies, with valid levels and schema-conforming properties", () => {
        const problems: string[] = [];
        for (const [name, entry] of Object.entries(config)) {
            const p = policies.find((x) => x.name === name);
            if (!p && name !== "all") { problems.push(`${name}: no such policy`); continue; }
            if (typeof entry === "string") { if (!LEVELS.includes(entry)) problems.push(`${name}: bad level ${entry}`); continue; }
            if (entry.enforcementLevel !== undefined && !LEVELS.includes(entry.enforcementLevel)) problems.push(`${name}: bad level ${entry.enforcementLevel}`);
            const schema: PolicyConfigSchema | undefined = p?.configSchema;
            for (const [k, v] of Object.entries(entry)) {
                if (k === "enforcementLevel") continue;
                const s = schema?.properties[k];
                if (!s) problems.push(`${name}.${k}: not in the policy's configSchema`);
                else conforms(v, s as Record<string, any>, `${name}.${k}`, problems);
            }
        }
        assert.deepEqual(problems, []);
    });

    it("every policy has a name, one-sentence description and a deliberate level; schema defaults conform", () => {
        const names = new Set<string>();
        for (const p of policies) {
            assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)+$/, `${p.name} is not kebab-case`);
            assert.ok(!names.has(p.name), `duplicate ${p.name}`);
            names.add(p.name);
            assert.ok(/^[A-Z].*\.$/.test(p.description) && !/[.!?] [A-Z]/.test(p.description), `${p.name}: description is not one sentence`);
            assert.ok(p.enforcementLevel === "mandatory" || p.enforcementLevel === "advisory", `${p.name} has no level of its own`);
            const problems: string[] = [];
            for (const [k, s] of Object.entries(p.configSchema?.properties ?? {})) {
                if (s.default !== undefined) conforms(s.default, s as Record<string, any>, `${p.name}.${k} default`, problems);
            }
            assert.deepEqual(problems, []);
        }
    });

    it("budgets equal the shipped proxima stack's class budgets", () => {
        const stack = loadStackConfig("proxima");
        for (const c of CLASSES) {
            assert.deepEqual(config["proxima-class-budget"].budgets[c], stack.classes[c].budget, `budget of ${c}`);
        }
    });

    it("endpoints and workspace match the shipped stacks", () => {
        const proxima = loadStackConfig("proxima");
        const lyra = loadStackConfig("lyra");
        const endpoints = config["stack-endpoint-separation"];
        assert.deepEqual([...endpoints.proximaHosts].sort(), CLASSES.map((c) => proxima.classes[c].host).sort());
        assert.deepEqual(endpoints.lyraHosts, [lyra.lyra.host]);
        assert.deepEqual(config["lyra-host-binds-in-workspace"].workspaceRoots, [lyra.lyra.workspace]);
    });

    it("overrides levels and properties the way the engine does (all < policy, defaults < file)", () => {
        const budget = policies.find((p) => p.name === "proxima-class-budget")!;
        assert.equal(levelOf(budget, { all: "advisory" }, "mandatory"), "advisory");
        assert.equal(levelOf(budget, { all: "advisory", [budget.name]: { enforcementLevel: "disabled" } }, "mandatory"), "disabled");
        assert.equal(levelOf(budget, {}, "advisory"), "mandatory");
        const cfg = configOf(budget, config);
        assert.deepEqual(cfg.budgets, config["proxima-class-budget"].budgets);
        assert.ok(!("enforcementLevel" in cfg));
    });
});
