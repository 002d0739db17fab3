import { expectMessages, violationsOf } from "../check";
import { asDockerContainer, lyraEstate, proximaEstate } from "../../../harness/policy-fixtures";
import { UNKNOWN_NUMBER } from "../../../harness/policy";

const P = "container-limits";

describe(P, () => {
    it("accepts memory + cpus on both stacks", async () => {
        expectMessages(await violationsOf(P, proximaEstate()), []);
        expectMessages(await violationsOf(P, lyraEstate()), []);
    });
    it("accepts cpuQuota/cpuPeriod as a CPU limit (a plain docker container's fields)", async () => {
        const e = proximaEstate();
        const p = asDockerContainer(e, "web").props;
        delete p.cpus;
        p.cpuQuota = 50000;
        expectMessages(await violationsOf(P, e), []);
    });
    it("refuses a missing memory limit", async () => {
        const e = lyraEstate();
        delete e.get("web-container").props.memory;
        expectMessages(await violationsOf(P, e), [["container web-container", "memory is missing", "memory (MB)"]]);
    });
    it("refuses a zero memory limit", async () => {
        const e = proximaEstate();
        e.get("api-container").props.memory = 0;
        expectMessages(await violationsOf(P, e), [["memory is number 0"]]);
    });
    it("refuses cpuShares alone: a weight, not a limit", async () => {
        const e = proximaEstate();
        const p = asDockerContainer(e, "web").props;
        delete p.cpus;
        p.cpuShares = 512;
        expectMessages(await violationsOf(P, e), [["no CPU limit", "relative weight"]]);
    });
    it("refuses an app container without cpus", async () => {
        const e = proximaEstate();
        delete e.get("metrics-container").props.cpus;
        expectMessages(await violationsOf(P, e), [["container metrics-container", "no CPU limit", "Set cpus"]]);
    });
    it("refuses a non-numeric cpus", async () => {
        const e = proximaEstate();
        e.get("web-container").props.cpus = "lots";
        expectMessages(await violationsOf(P, e), [["no CPU limit"]]);
    });
    it("reports unknown limits", async () => {
        const e = proximaEstate();
        e.get("web-container").props.memory = UNKNOWN_NUMBER;
        expectMessages(await violationsOf(P, e), [["memory is unknown during preview"]]);
    });
});
