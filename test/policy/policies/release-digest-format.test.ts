import { MESSAGES } from "../../../lib/rules/tags";
import { addRelease, DIGEST_A, Estate } from "../../../harness/policy-fixtures";
import { expectMessages, violationsOf } from "../check";
import { UNKNOWN_STRING } from "../../../harness/policy";

const P = "release-digest-format";
const one = (digest: unknown) => {
    const e = new Estate();
    addRelease(e, "proxima", "rel", { digest: digest as string });
    return violationsOf(P, e);
};

describe(P, () => {
    it("accepts 64 lowercase hex", async () => expectMessages(await one(DIGEST_A), []));
    it("refuses a sha256: prefix and says to remove it", async () =>
        expectMessages(await one(`sha256:${DIGEST_A}`), [[MESSAGES.digest, "Remove the sha256: prefix"]]));
    it("refuses a short digest", async () => expectMessages(await one("abc123"), [[MESSAGES.digest, `"abc123"`]]));
    it("refuses upper-case hex", async () => expectMessages(await one("A".repeat(64)), [[MESSAGES.digest]]));
    it("refuses a missing digest", async () => expectMessages(await one(undefined), [[MESSAGES.digest, "missing"]]));
    it("reports an unknown digest", async () => expectMessages(await one(UNKNOWN_STRING), [["unknown during preview"]]));
});
