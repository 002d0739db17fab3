import * as assert from "node:assert/strict";
import { LIFECYCLE } from "../../../lib/contract";
import { runProgram } from "../../../harness/program";
import { expectMessages, violationsOf } from "../check";
import { APP_CONTAINER_TYPE, proximaEstate, REGISTRY, DIGEST_A } from "../../../harness/policy-fixtures";

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

describe(`${P} on the program's real output (shipped proxima stack, real registry)`, function () {
    this.timeout(300000);
    const sizeOf = (r: { props: Record<string, any> }) =>
        Number(((r.props.labels ?? []) as { label: string; value: string }[]).find((l) => l.label === LIFECYCLE.size)?.value);

    it("reads the size the program put on each container: quiet under the seed's budgets, advisory over a smaller one", async () => {
        const resources = await runProgram("proxima");
        const containers = resources.filter((r) => r.type === APP_CONTAINER_TYPE);
        assert.ok(containers.length > 0 && containers.every((c) => sizeOf(c) > 0), "a container without a size label");
        expectMessages(await violationsOf(P, resources), []);
        // A language-image budget just under the largest real image: exactly the images above it are flagged.
        const largest = Math.max(...containers.map(sizeOf));
        const budgetMb = (largest - 1) / MB;
        const over = containers.filter((c) => sizeOf(c) > budgetMb * MB);
        const vs = await violationsOf(P, resources, { config: { [P]: { languageMaxMb: budgetMb } } });
        expectMessages(vs, over.map((c) => [`container ${c.name}`, `${(sizeOf(c) / MB).toFixed(1)} MB`, `language image budget of ${budgetMb} MB`]));
        assert.ok(vs.every((v) => v.level === "advisory"));
    });
});
