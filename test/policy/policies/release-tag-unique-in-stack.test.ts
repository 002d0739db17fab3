import { addRelease, DIGEST_B, Estate } from "../../../harness/policy-fixtures";
import { expectMessages, violationsOf } from "../check";

const P = "release-tag-unique-in-stack";

describe(P, () => {
    it("accepts distinct tags, and one digest under several tags", async () => {
        const e = new Estate();
        addRelease(e, "proxima", "a", { tag: "v1.0.0" });
        addRelease(e, "proxima", "b", { tag: "stable" });
        addRelease(e, "proxima", "c", { tag: "v1.0.0", repository: "acme/other" });
        expectMessages(await violationsOf(P, e), []);
    });
    it("reports each release claiming the same tag", async () => {
        const e = new Estate();
        addRelease(e, "proxima", "a", { tag: "v1.0.0" });
        addRelease(e, "proxima", "b", { tag: "v1.0.0", digest: DIGEST_B });
        const vs = await violationsOf(P, e);
        expectMessages(vs, [["release a", "acme/web:v1.0.0", "a, b"], ["release b", "2 releases"]]);
    });
});
