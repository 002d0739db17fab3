/**
 * Bad input never throws: every input of every resource in both fixture estates, replaced in turn by
 * engine unknowns and odd types, runs through the whole pack (the harness turns a throw into a test
 * failure naming the policy). Registry policies are disabled here: they are asked about well-formed
 * releases only, which their own tests cover against real registries.
 */
import * as assert from "node:assert/strict";
import { policies } from "../../policy/policies";
import { lyraEstate, proximaEstate } from "../../harness/policy-fixtures";
import { runPolicies, UNKNOWN_ARRAY, UNKNOWN_BOOLEAN, UNKNOWN_NUMBER, UNKNOWN_STRING } from "../../harness/policy";

const ODD: unknown[] = [UNKNOWN_STRING, UNKNOWN_ARRAY, UNKNOWN_NUMBER, UNKNOWN_BOOLEAN, null, 42, -1, true, "", "x", {}, [], [null], [{ label: 1 }]];
const CONFIG = { "release-tag-immutable": "disabled", "release-registry-reachable": "disabled" };

describe("policy pack on malformed and unknown inputs", function () {
    this.timeout(120000);
    for (const [stack, make] of [["proxima", proximaEstate], ["lyra", lyraEstate]] as const) {
        it(`${stack}: never throws, whatever each input holds`, async () => {
            const base = make();
            let runs = 0;
            for (let i = 0; i < base.resources.length; i++) {
                for (const key of Object.keys(base.resources[i].props)) {
                    for (const odd of ODD) {
                        const e = make();
                        e.resources[i].props[key] = structuredClone(odd);
                        const vs = await runPolicies(policies, e.resources, { config: CONFIG });
                        const proxyThrow = vs.find((v) => v.message.startsWith("can't run policy"));
                        assert.equal(proxyThrow, undefined, `${e.resources[i].name}.${key} = ${JSON.stringify(odd)}: ${proxyThrow?.message}`);
                        runs++;
                    }
                }
            }
            assert.ok(runs > 100, `only ${runs} variations ran`);
        });
    }
    it("an unknown container image or labels gives a clear violation naming preview", async () => {
        const e = proximaEstate();
        e.get("web-container").props.image = UNKNOWN_STRING;
        e.get("api-container").props.labels = UNKNOWN_ARRAY;
        const vs = await runPolicies(policies, e.resources, { config: CONFIG });
        assert.ok(vs.some((v) => v.policy === "proxima-container-pinned-by-digest" && /web-container: the image is unknown during preview/.test(v.message)));
        assert.ok(vs.some((v) => v.policy === "proxima-workload-class" && /api-container: its labels are unknown during preview/.test(v.message)));
        assert.ok(!vs.some((v) => v.message.startsWith("can't run policy")), "a policy let the SDK proxy throw on an unknown");
    });
});
