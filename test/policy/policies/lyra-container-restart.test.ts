import * as assert from "node:assert/strict";
import { expectMessages, violationsOf } from "../check";
import { lyraEstate, proximaEstate } from "../../../harness/policy-fixtures";

const P = "lyra-container-restart";

describe(P, () => {
    it("accepts restart no, and ignores Proxima's unless-stopped", async () => {
        expectMessages(await violationsOf(P, lyraEstate()), []);
        expectMessages(await violationsOf(P, proximaEstate()), []);
    });
    for (const restart of ["always", "unless-stopped"]) {
        it(`advises against restart ${restart}`, async () => {
            const e = lyraEstate();
            e.get("web-container").props.restart = restart;
            const vs = await violationsOf(P, e);
            expectMessages(vs, [["Lyra container web-container", `restart "${restart}"`, `restart "no"`]]);
            assert.equal(vs[0].level, "advisory");
        });
    }
});
