import { renderDeployRecord } from "../../../lib/rules/deploy-record";
import { LIFECYCLE } from "../../../lib/contract";
import { expectMessages, violationsOf } from "../check";
import { DIGEST_B, proximaEstate, REGISTRY } from "../fixtures";
import { UNKNOWN_STRING } from "../harness";

const P = "proxima-deploy-record";

describe(P, () => {
    it("accepts containers with their record command beside them", async () => expectMessages(await violationsOf(P, proximaEstate()), []));
    it("refuses a container without a record label", async () => {
        const e = proximaEstate();
        e.setLabel("web-container", LIFECYCLE.record, undefined);
        expectMessages(await violationsOf(P, e), [["container web-container", `no ${LIFECYCLE.record} label`]]);
    });
    it("refuses a container whose record command is missing", async () => {
        const e = proximaEstate();
        e.remove("web-record");
        expectMessages(await violationsOf(P, e), [["no deploy record command writes /opt/acme/web/deploy-info.yml", "no deploy-record host script beside it"]]);
    });
    it("refuses a record command that writes another path", async () => {
        const e = proximaEstate();
        e.get("web-record").props.recordPath = "/tmp/elsewhere.yml";
        expectMessages(await violationsOf(P, e), [["1 record beside it write elsewhere"]]);
    });
    it("does not take another app's record (association is by parent and path)", async () => {
        const e = proximaEstate();
        e.get("api-record").props.recordPath = e.get("web-record").props.recordPath;
        expectMessages(await violationsOf(P, e), [["container api-container", "/opt/acme/api/deploy-info.yml"]]);
    });
    it("refuses a record naming another digest", async () => {
        const e = proximaEstate();
        e.get("web-record").props.stdin = renderDeployRecord({ app: "web", image: `${REGISTRY}/acme/web`, digest: `sha256:${DIGEST_B}`, deployed_at: "x", deployed_by: "ci" });
        expectMessages(await violationsOf(P, e), [[`names sha256:${DIGEST_B}`, "container runs sha256:"]]);
    });
    it("refuses a record that is not a deploy record", async () => {
        const e = proximaEstate();
        e.get("web-record").props.stdin = "app: web\n";
        expectMessages(await violationsOf(P, e), [["not a valid record"]]);
    });
    it("accepts an unknown record body at preview (the command and path are known)", async () => {
        const e = proximaEstate();
        e.get("web-record").props.stdin = UNKNOWN_STRING;
        expectMessages(await violationsOf(P, e), []);
    });
});
