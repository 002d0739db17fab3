import * as assert from "node:assert/strict";
import { BUDGET_LABELS } from "../../../policy/policies/proxima-class-budget";
import { expectMessages, violationsOf } from "../check";
import { proximaEstate } from "../fixtures";

const P = "proxima-class-budget";
const budgets = (core: { memoryMb: number; cpus: number }) => ({ config: { [P]: { budgets: { core, monitoring: { memoryMb: 1024, cpus: 1 } } } } });

describe(P, () => {
    it("accepts limits within the default budgets", async () => expectMessages(await violationsOf(P, proximaEstate()), []));
    it("refuses memory over a configured budget, naming the containers and the sum", async () => {
        const vs = await violationsOf(P, proximaEstate(), budgets({ memoryMb: 500, cpus: 4 }));
        expectMessages(vs, [["class core", "web-container, api-container", "512 MB", "budget of 500 MB", "policy config"]]);
        assert.equal(vs[0].level, "mandatory");
    });
    it("refuses CPUs over budget", async () =>
        expectMessages(await violationsOf(P, proximaEstate(), budgets({ memoryMb: 4096, cpus: 0.9 })), [["1 CPUs", "budget of 0.9 CPUs"]]));
    it("fits exactly at the budget (no float drift)", async () => {
        const e = proximaEstate();
        e.get("web-container").props.cpus = "0.1";
        e.get("api-container").props.cpus = "0.2";
        expectMessages(await violationsOf(P, e, budgets({ memoryMb: 512, cpus: 0.3 })), []);
    });
    it("prefers budget labels on the class network over config", async () => {
        const e = proximaEstate();
        e.setLabel("core-network", BUDGET_LABELS.memoryMb, "300");
        e.setLabel("core-network", BUDGET_LABELS.cpus, "8");
        expectMessages(await violationsOf(P, e), [["budget of 300 MB", "label on its network"]]);
    });
    it("refuses a class without any budget", async () => {
        const vs = await violationsOf(P, proximaEstate(), { config: { [P]: { budgets: { core: { memoryMb: 4096, cpus: 4 } } } } });
        expectMessages(vs, [["class monitoring: no budget is declared"]]);
    });
    it("ignores containers without limits (container-limits reports them)", async () => {
        const e = proximaEstate();
        delete e.get("web-container").props.memory;
        expectMessages(await violationsOf(P, e, budgets({ memoryMb: 256, cpus: 4 })), []);
    });
});
