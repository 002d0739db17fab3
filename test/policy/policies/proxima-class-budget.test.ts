import * as assert from "node:assert/strict";
import { LIFECYCLE } from "../../../lib/contract";
import { loadStackConfig, runProgram } from "../../../harness/program";
import { expectMessages, violationsOf } from "../check";
import { APP_CONTAINER_TYPE, proximaEstate } from "../../../harness/policy-fixtures";

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
        e.setLabel("core-network", LIFECYCLE.budgetMemory, "300");
        e.setLabel("core-network", LIFECYCLE.budgetCpus, "8");
        expectMessages(await violationsOf(P, e), [["budget of 300 MB", "label on its network"]]);
    });
    it("lets network labels win over a configured budget, in both directions", async () => {
        const e = proximaEstate();
        e.setLabel("core-network", LIFECYCLE.budgetMemory, "4096");
        e.setLabel("core-network", LIFECYCLE.budgetCpus, "8");
        // Config alone would refuse 512 MB; the class's own (larger) budget accepts it.
        expectMessages(await violationsOf(P, e, budgets({ memoryMb: 100, cpus: 0.1 })), []);
        e.setLabel("core-network", LIFECYCLE.budgetMemory, "256");
        expectMessages(await violationsOf(P, e, budgets({ memoryMb: 100000, cpus: 100 })), [["budget of 256 MB", "label on its network"]]);
    });
    it("prefers the budget in the class component's outputs over labels and config", async () => {
        const e = proximaEstate();
        e.get("core").props.budget = { memoryMb: 300, cpus: 8 };
        e.setLabel("core-network", LIFECYCLE.budgetMemory, "4096");
        expectMessages(await violationsOf(P, e, budgets({ memoryMb: 100000, cpus: 100 })), [["budget of 300 MB", "the class's outputs"]]);
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

describe(`${P} on the program's real output (shipped proxima stack, real registry)`, function () {
    this.timeout(300000);
    const shipped = loadStackConfig("proxima");
    const appOf = (r: { props: Record<string, any> }) =>
        ((r.props.labels ?? []) as { label: string; value: string }[]).find((l) => l.label === LIFECYCLE.app)?.value;

    it("reads each class's budget from its registered outputs, with budgets absent from policy config", async () => {
        const resources = await runProgram("proxima");
        const noBudgets = { config: { [P]: { enforcementLevel: "mandatory" } } };
        expectMessages(await violationsOf(P, resources, noBudgets), []);
        // An app whose limit pushes experimental over its own 512 MiB, yet under the schema's default of 2048.
        const playground = resources.find((r) => r.type === APP_CONTAINER_TYPE && appOf(r) === "playground")!;
        assert.ok(playground, "no playground container in the program's output");
        const budget = shipped.classes.experimental.budget.memoryMb as number;
        // Stack policies see outputs: the app container provider's state (its inputs and what the host runs).
        playground.outputs.memory = budget + 1;
        assert.ok(Number(playground.outputs.memory) < 2048);
        const vs = await violationsOf(P, resources, noBudgets);
        expectMessages(vs, [["class experimental", "playground", `${budget + 1} MB`, `budget of ${budget} MB`, "the class's outputs"]]);
        assert.equal(vs[0].level, "mandatory");
    });
});
