import * as assert from "node:assert/strict";
import { LIFECYCLE } from "../../../lib/contract";
import { expectMessages, violationsOf } from "../check";
import { proximaEstate } from "../../../harness/policy-fixtures";

const P = "proxima-experimental-class";

describe(P, () => {
    it("is quiet for core and monitoring", async () => expectMessages(await violationsOf(P, proximaEstate()), []));
    it("gives an advisory for an experimental app", async () => {
        const e = proximaEstate();
        e.setLabel("api-container", LIFECYCLE.class, "experimental");
        const vs = await violationsOf(P, e);
        expectMessages(vs, [["container api-container (app api)", "experimental", "rarely"]]);
        assert.equal(vs[0].level, "advisory");
    });
    it("can be made mandatory by config", async () => {
        const e = proximaEstate();
        e.setLabel("api-container", LIFECYCLE.class, "experimental");
        const vs = await violationsOf(P, e, { config: { [P]: "mandatory" } });
        assert.equal(vs[0].level, "mandatory");
    });
});
