import * as assert from "node:assert/strict";
import { renderDeployRecord } from "../../../lib/rules/deploy-record";
import { LIFECYCLE } from "../../../lib/contract";
import { expectMessages, violationsOf } from "../check";
import { asDockerContainer, DIGEST_B, lyraEstate, proximaEstate, REGISTRY } from "../../../harness/policy-fixtures";
import { UNKNOWN_ARRAY, UNKNOWN_STRING } from "../../../harness/policy";

const P = "proxima-deploy-record";

describe(P, () => {
    it("accepts app containers that write the record their label names, with their digest", async () => {
        expectMessages(await violationsOf(P, proximaEstate()), []);
        expectMessages(await violationsOf(P, lyraEstate()), []);
    });
    it("refuses a container without a record label", async () => {
        const e = proximaEstate();
        e.setLabel("web-container", LIFECYCLE.record, undefined);
        const vs = await violationsOf(P, e);
        expectMessages(vs, [["container web-container", `no ${LIFECYCLE.record} label`, "Deploy it through a Deployment"]]);
        assert.equal(vs[0].level, "mandatory");
    });
    it("reports labels unknown during preview", async () => {
        const e = proximaEstate();
        e.get("web-container").props.labels = UNKNOWN_ARRAY;
        expectMessages(await violationsOf(P, e), [["container web-container", "its labels are unknown during preview", `Set the ${LIFECYCLE.record} label to a literal path`]]);
    });
    it("refuses a plain docker container on Proxima: nothing writes its record", async () => {
        const e = proximaEstate();
        asDockerContainer(e, "web");
        expectMessages(await violationsOf(P, e), [[
            "container web-container",
            "it is a plain docker container, so nothing writes its deploy record /opt/acme/web/deploy-info.yml",
            "Deploy it through a Deployment",
        ]]);
    });
    it("refuses an app container that writes its record elsewhere than its label says", async () => {
        const e = proximaEstate();
        e.get("web-container").props.recordPath = "/tmp/elsewhere.yml";
        expectMessages(await violationsOf(P, e), [[
            "container web-container",
            `it writes its deploy record to "/tmp/elsewhere.yml", not to /opt/acme/web/deploy-info.yml as its ${LIFECYCLE.record} label says`,
        ]]);
    });
    it("does not take another app's record path (each container is held to its own label)", async () => {
        const e = proximaEstate();
        e.get("api-container").props.recordPath = e.get("web-container").props.recordPath;
        expectMessages(await violationsOf(P, e), [["container api-container", `"/opt/acme/web/deploy-info.yml", not to /opt/acme/api/deploy-info.yml`]]);
    });
    it("refuses an app container without a record path", async () => {
        const e = proximaEstate();
        delete e.get("web-container").props.recordPath;
        expectMessages(await violationsOf(P, e), [["container web-container", "it writes its deploy record to missing"]]);
    });
    it("refuses an app container without a record", async () => {
        const e = proximaEstate();
        delete e.get("web-container").props.record;
        expectMessages(await violationsOf(P, e), [["container web-container", "its record input is missing, so it writes no deploy record to /opt/acme/web/deploy-info.yml", "Deploy it through a Deployment"]]);
    });
    it("refuses a record naming another digest", async () => {
        const e = proximaEstate();
        e.get("web-container").props.record = renderDeployRecord({ app: "web", image: `${REGISTRY}/acme/web`, digest: `sha256:${DIGEST_B}`, deployed_at: "x", deployed_by: "ci" });
        expectMessages(await violationsOf(P, e), [["container web-container", `its deploy record names sha256:${DIGEST_B}`, "container runs sha256:", "same resolved digest"]]);
    });
    it("refuses a record that is not a deploy record", async () => {
        const e = proximaEstate();
        e.get("web-container").props.record = "app: web\n";
        expectMessages(await violationsOf(P, e), [["container web-container", "not a valid record", "Deploy it through a Deployment"]]);
    });
    it("accepts an unknown record body or path at preview (known at pulumi up)", async () => {
        const e = proximaEstate();
        e.get("web-container").props.record = UNKNOWN_STRING;
        e.get("api-container").props.recordPath = UNKNOWN_STRING;
        expectMessages(await violationsOf(P, e), []);
    });
    it("reads the record from what the stack policy sees: the container's outputs", async () => {
        const e = proximaEstate();
        const c = e.get("web-container");
        c.outputs = { ...c.props, record: "app: web\n" };
        expectMessages(await violationsOf(P, e), [["container web-container", "not a valid record"]]);
    });
});
