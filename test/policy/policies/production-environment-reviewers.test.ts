import { expectMessages, violationsOf } from "../check";
import { proximaEstate } from "../../../harness/policy-fixtures";
import { UNKNOWN_ARRAY } from "../../../harness/policy";

const P = "production-environment-reviewers";
const withReviewers = (reviewers: unknown) => {
    const e = proximaEstate();
    e.get("production").props.reviewers = reviewers;
    return violationsOf(P, e);
};

describe(P, () => {
    it("accepts a user reviewer", async () => expectMessages(await violationsOf(P, proximaEstate()), []));
    it("accepts a team reviewer", async () => expectMessages(await withReviewers([{ teams: [77] }]), []));
    it("refuses no reviewers", async () => expectMessages(await withReviewers(undefined), [["environment production (production)", "reviewers is missing", "at least one"]]));
    it("refuses empty reviewer lists", async () => expectMessages(await withReviewers([{ users: [], teams: [] }]), [["reviewers is empty"]]));
    it("reports unknown reviewers", async () => expectMessages(await withReviewers(UNKNOWN_ARRAY), [["unknown during preview"]]));
    it("ignores other environments", async () => {
        const e = proximaEstate();
        const env = e.get("production");
        env.props.environment = "staging";
        env.props.reviewers = [];
        expectMessages(await violationsOf(P, e), []);
    });
});
