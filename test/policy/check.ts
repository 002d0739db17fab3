/** Assertions shared by the per-policy tests: run one policy, expect exactly these messages. */
import * as assert from "node:assert/strict";
import { policies } from "../../policy/policies";
import { type CapturedResource, type RunOptions, runPolicy, type Violation } from "../../harness/policy";
import type { Estate } from "../../harness/policy-fixtures";

export async function violationsOf(policy: string, estate: Estate | CapturedResource[], opts?: RunOptions): Promise<Violation[]> {
    return runPolicy(policies, policy, Array.isArray(estate) ? estate : estate.resources, opts);
}

/** Exactly one violation per entry, each containing every substring of its entry, in order. */
export function expectMessages(vs: Violation[], expected: string[][]): void {
    assert.equal(vs.length, expected.length, `expected ${expected.length} violation(s), got:\n${vs.map((v) => `  ${v.policy}: ${v.message}`).join("\n")}`);
    expected.forEach((subs, i) => {
        for (const s of subs) assert.ok(vs[i].message.includes(s), `violation ${i} lacks "${s}": ${vs[i].message}`);
    });
}
