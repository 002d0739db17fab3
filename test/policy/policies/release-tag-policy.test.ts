import * as assert from "node:assert/strict";
import { MESSAGES } from "../../../lib/rules/tags";
import { addRelease, Estate } from "../../../harness/policy-fixtures";
import { expectMessages, violationsOf } from "../check";
import { UNKNOWN_STRING } from "../../../harness/policy";

const P = "release-tag-policy";
const one = (inputs: Parameters<typeof addRelease>[3]) => {
    const e = new Estate();
    addRelease(e, "proxima", "rel", inputs);
    return violationsOf(P, e);
};

describe(P, () => {
    for (const tag of ["v1.2.3", "v1.0.0-rc.1", "v2.3.4-beta.2", "stable", "latest"]) {
        it(`accepts ${tag}`, async () => expectMessages(await one({ tag }), []));
    }
    for (const tag of ["v1.2", "1.0.0", "my-feature", "release-2024"]) {
        it(`refuses ${tag} with the seed's message`, async () => {
            const vs = await one({ tag });
            expectMessages(vs, [[`release rel`, MESSAGES.tagPolicy, `"${tag}"`, "vX.Y.Z"]]);
            assert.equal(vs[0].level, "mandatory");
        });
    }
    it("refuses invalid characters with the charset message", async () =>
        expectMessages(await one({ tag: "bad tag!" }), [[MESSAGES.tagCharset, `"bad tag!"`]]));
    it("accepts a bypass with a justification", async () =>
        expectMessages(await one({ tag: "emergency-hotfix", allowNonSemver: true, justification: "CVE fix, see #12" }), []));
    it("refuses a bypass without a justification", async () =>
        expectMessages(await one({ tag: "emergency-hotfix", allowNonSemver: true, justification: "  " }), [[MESSAGES.tagPolicy, "justification"]]));
    it("reports an unknown tag instead of throwing", async () =>
        expectMessages(await one({ tag: UNKNOWN_STRING }), [["unknown during preview"]]));
    it("reports a non-string tag", async () =>
        expectMessages(await one({ tag: 7 as unknown as string }), [[MESSAGES.tagCharset, "number 7"]]));
    it("can be made advisory by config", async () => {
        const e = new Estate();
        addRelease(e, "proxima", "rel", { tag: "v1.2" });
        const vs = await violationsOf(P, e, { config: { [P]: { enforcementLevel: "advisory" } } });
        assert.equal(vs[0].level, "advisory");
    });
});
