import { expectMessages, violationsOf } from "../check";
import { lyraEstate } from "../../../harness/policy-fixtures";
import { UNKNOWN_BOOLEAN } from "../../../harness/policy";

const P = "lyra-container-unprivileged";

describe(P, () => {
    it("accepts unprivileged containers", async () => expectMessages(await violationsOf(P, lyraEstate()), []));
    it("refuses privileged: true", async () => {
        const e = lyraEstate();
        e.get("web-container").props.privileged = true;
        expectMessages(await violationsOf(P, e), [["Lyra container web-container", "Remove privileged: true"]]);
    });
    it("reports an unknown privileged flag", async () => {
        const e = lyraEstate();
        e.get("web-container").props.privileged = UNKNOWN_BOOLEAN;
        expectMessages(await violationsOf(P, e), [["unknown during preview"]]);
    });
});
