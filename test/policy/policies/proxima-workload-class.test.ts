import { LIFECYCLE } from "../../../lib/contract";
import { expectMessages, violationsOf } from "../check";
import { proximaEstate } from "../../../harness/policy-fixtures";
import { UNKNOWN_ARRAY } from "../../../harness/policy";

const P = "proxima-workload-class";

describe(P, () => {
    it("accepts core and monitoring containers", async () => expectMessages(await violationsOf(P, proximaEstate()), []));
    it("refuses a container without a class label", async () => {
        const e = proximaEstate();
        e.setLabel("web-container", LIFECYCLE.class, undefined);
        expectMessages(await violationsOf(P, e), [["container web-container", "is missing", "core, monitoring, experimental"]]);
    });
    it("refuses an unknown class", async () => {
        const e = proximaEstate();
        e.setLabel("web-container", LIFECYCLE.class, "batch");
        expectMessages(await violationsOf(P, e), [[`"batch"`]]);
    });
    it("refuses an unlabelled container outright (fails closed as Proxima)", async () => {
        const e = proximaEstate();
        e.get("web-container").props.labels = [];
        expectMessages(await violationsOf(P, e), [["is missing"]]);
    });
    it("reports unknown labels", async () => {
        const e = proximaEstate();
        e.get("web-container").props.labels = UNKNOWN_ARRAY;
        expectMessages(await violationsOf(P, e), [["unknown during preview"]]);
    });
    it("survives malformed label entries", async () => {
        const e = proximaEstate();
        e.get("web-container").props.labels = [{ label: 3, value: null }, "x"];
        expectMessages(await violationsOf(P, e), [["is missing"]]);
    });
});
