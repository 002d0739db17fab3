import * as assert from "node:assert/strict";
import { expectMessages, violationsOf } from "../check";
import { proximaEstate, REGISTRY, DIGEST_A } from "../fixtures";

const P = "image-size-budget";
const MB = 1000 * 1000;

describe(P, () => {
    it("is quiet where the size is unknown", async () => expectMessages(await violationsOf(P, proximaEstate()), []));
    it("accepts a language image under 500 MB", async () => {
        const e = proximaEstate();
        e.setLabel("web-container", "image-lifecycle.size", String(499 * MB));
        expectMessages(await violationsOf(P, e), []);
    });
    it("advises on a language image over 500 MB", async () => {
        const e = proximaEstate();
        e.setLabel("web-container", "image-lifecycle.size", String(501 * MB));
        const vs = await violationsOf(P, e);
        expectMessages(vs, [["acme/web is 501.0 MB", "language image budget of 500 MB"]]);
        assert.equal(vs[0].level, "advisory");
    });
    it("holds base images to 200 MB", async () => {
        const e = proximaEstate();
        const c = e.get("web-container");
        c.props.image = `${REGISTRY}/acme/base@sha256:${DIGEST_A}`;
        e.setLabel(c.name, "image-lifecycle.size", String(250 * MB));
        expectMessages(await violationsOf(P, e), [["acme/base", "base image budget of 200 MB"]]);
    });
    it("reports a broken base pattern in config instead of throwing", async () => {
        const e = proximaEstate();
        e.setLabel("web-container", "image-lifecycle.size", String(10 * MB));
        expectMessages(await violationsOf(P, e, { config: { [P]: { baseRepositoryPattern: "(" } } }), [["not a valid regular expression"]]);
    });
});
