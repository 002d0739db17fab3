import * as assert from "node:assert/strict";
import { expectMessages, violationsOf } from "../check";
import { asDockerContainer, DIGEST_A, proximaEstate, REGISTRY } from "../../../harness/policy-fixtures";
import { UNKNOWN_STRING } from "../../../harness/policy";

const P = "proxima-container-pinned-by-digest";
const withImage = async (image: unknown) => {
    const e = proximaEstate();
    e.get("web-container").props.image = image;
    return violationsOf(P, e);
};

describe(P, () => {
    it("accepts repo@sha256:<64 hex>", async () => expectMessages(await violationsOf(P, proximaEstate()), []));
    it("refuses latest", async () => {
        const vs = await withImage(`${REGISTRY}/acme/web:latest`);
        expectMessages(vs, [["container web-container", "by tag latest", "Pin it by digest"]]);
        assert.equal(vs[0].level, "mandatory");
    });
    it("refuses a bare tag", async () => expectMessages(await withImage(`${REGISTRY}/acme/web:v1.0.0`), [["by tag v1.0.0"]]));
    it("refuses an image with neither tag nor digest (implied latest)", async () => expectMessages(await withImage(`${REGISTRY}/acme/web`), [["latest (implied)"]]));
    it("refuses a malformed reference", async () => expectMessages(await withImage(`${REGISTRY}/acme/web@sha256:${DIGEST_A.slice(1)}`), [["not a valid reference"]]));
    it("refuses a missing image", async () => expectMessages(await withImage(undefined), [["image is missing"]]));
    it("reports an unknown image at preview", async () => expectMessages(await withImage(UNKNOWN_STRING), [["unknown during preview"]]));
    it("judges a plain docker container on Proxima alike", async () => {
        const e = proximaEstate();
        asDockerContainer(e, "web").props.image = `${REGISTRY}/acme/web:latest`;
        expectMessages(await violationsOf(P, e), [["container web-container", "by tag latest"]]);
    });
    it("leaves Lyra containers alone", async () => {
        const e = proximaEstate();
        const c = e.get("web-container");
        c.props.image = `${REGISTRY}/acme/web:dev`;
        e.setLabel(c.name, "image-lifecycle.stack", "lyra");
        e.setLabel(c.name, "image-lifecycle.class", "lyra");
        expectMessages(await violationsOf(P, e), []);
    });
});
