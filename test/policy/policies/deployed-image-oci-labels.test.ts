import { LIFECYCLE, OCI } from "../../../lib/contract";
import { expectMessages, violationsOf } from "../check";
import { lyraEstate, proximaEstate } from "../../../harness/policy-fixtures";
import { UNKNOWN_ARRAY, UNKNOWN_STRING } from "../../../harness/policy";

const P = "deployed-image-oci-labels";

describe(P, () => {
    it("accepts Proxima containers with description, created and revision; ignores Lyra", async () => {
        expectMessages(await violationsOf(P, proximaEstate()), []);
        expectMessages(await violationsOf(P, lyraEstate()), []);
    });
    it("refuses missing and empty labels in one message", async () => {
        const e = proximaEstate();
        e.setLabel("web-container", OCI.description, undefined);
        e.setLabel("web-container", OCI.revision, " ");
        expectMessages(await violationsOf(P, e), [["container web-container", `labels ${OCI.description}, ${OCI.revision}`, "CI"]]);
    });
    it("requires the labels the config lists", async () => {
        const vs = await violationsOf(P, proximaEstate(), { config: { [P]: { requiredLabels: [OCI.source] } } });
        expectMessages(vs, [[OCI.source], [OCI.source], [OCI.source]]);
    });
    it("accepts a label whose value is unknown at preview, reports an unknown label list", async () => {
        const e = proximaEstate();
        e.setLabel("web-container", OCI.created, UNKNOWN_STRING);
        e.get("api-container").props.labels = UNKNOWN_ARRAY;
        expectMessages(await violationsOf(P, e), [["container api-container", "unknown during preview"]]);
    });
    it("fails closed on an unlabelled container", async () => {
        const e = proximaEstate();
        e.setLabel("web-container", LIFECYCLE.stack, undefined);
        e.setLabel("web-container", LIFECYCLE.class, undefined);
        e.setLabel("web-container", OCI.created, undefined);
        expectMessages(await violationsOf(P, e), [[OCI.created]]);
    });
});
