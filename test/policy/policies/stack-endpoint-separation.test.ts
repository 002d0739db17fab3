import * as assert from "node:assert/strict";
import { LIFECYCLE } from "../../../lib/contract";
import { expectMessages, violationsOf } from "../check";
import { asDockerContainer, lyraEstate, proximaEstate } from "../../../harness/policy-fixtures";

const P = "stack-endpoint-separation";
const LYRA_HOST = "unix:///var/run/docker.sock";
const hosts = { config: { [P]: { lyraHosts: [LYRA_HOST], proximaHosts: ["ssh://deploy@core.proxima.test", "ssh://deploy@monitoring.proxima.test"] } } };

describe(P, () => {
    it("accepts each stack on its own endpoints", async () => {
        expectMessages(await violationsOf(P, proximaEstate()), []);
        expectMessages(await violationsOf(P, proximaEstate(), hosts), []);
        expectMessages(await violationsOf(P, lyraEstate()), []);
        expectMessages(await violationsOf(P, lyraEstate(), hosts), []);
    });
    it("refuses a plain Proxima docker container on Lyra's provider", async () => {
        const e = proximaEstate();
        asDockerContainer(e, "web").provider = "urn:pulumi:proxima::image-lifecycle::pulumi:providers:docker::lyra-docker::id";
        const vs = await violationsOf(P, e);
        expectMessages(vs, [["web-container is a Proxima resource", "provider lyra-docker", "Lyra endpoint", "<class>-docker provider"]]);
        assert.equal(vs[0].level, "mandatory");
    });
    it("refuses a Lyra container on a class provider", async () => {
        const e = lyraEstate();
        e.get("web-container").provider = "urn:pulumi:lyra::image-lifecycle::image-lifecycle:proxima:LxcClass$pulumi:providers:docker::core-docker::id";
        expectMessages(await violationsOf(P, e), [["web-container is a Lyra resource", "core-docker", "Proxima endpoint", "lyra-docker"]]);
    });
    it("refuses by host when the config lists the endpoints", async () => {
        const e = lyraEstate();
        e.get("lyra-docker").props.host = "ssh://deploy@core.proxima.test";
        const vs = await violationsOf(P, e, { config: { [P]: { proximaHosts: ["ssh://deploy@core.proxima.test"] } } });
        // The temporary volume carries Lyra labels too, so it is reported as well.
        expectMessages(vs, [["web-tmp0 is a Lyra resource", "(host ssh://deploy@core.proxima.test)"], ["web-container is a Lyra resource"]]);
    });
    it("judges labelled volumes and networks, not unlabelled ones", async () => {
        const e = proximaEstate();
        e.get("core-network").provider = "urn:pulumi:proxima::image-lifecycle::pulumi:providers:docker::lyra-docker::id";
        e.get("monitoring-network").provider = "urn:pulumi:proxima::image-lifecycle::pulumi:providers:docker::lyra-docker::id";
        e.setLabel("monitoring-network", LIFECYCLE.class, undefined);
        expectMessages(await violationsOf(P, e), [["core-network is a Proxima resource"]]);
    });

    describe("an app container's endpoint (it has no provider)", () => {
        it("leaves a Proxima app container of a known class to proxima-class-isolation, even on a Lyra host", async () => {
            const e = proximaEstate();
            e.get("web-container").props.endpoint = LYRA_HOST;
            expectMessages(await violationsOf(P, e, hosts), []);
            expectMessages(await violationsOf("proxima-class-isolation", e), [["container web-container (class core)", `endpoint ${LYRA_HOST}`]]);
        });
        it("refuses a Proxima app container of no known class on a Lyra host", async () => {
            const e = proximaEstate();
            e.setLabel("web-container", LIFECYCLE.class, "batch");
            e.get("web-container").props.endpoint = LYRA_HOST;
            expectMessages(await violationsOf(P, e, hosts), [["web-container is a Proxima container", `its endpoint ${LYRA_HOST} is a Lyra host`, "Set endpoint to its class's host"]]);
        });
        it("refuses a Lyra app container on a Proxima host", async () => {
            const e = proximaEstate();
            e.setLabel("web-container", LIFECYCLE.stack, "lyra");
            e.setLabel("web-container", LIFECYCLE.class, "lyra");
            expectMessages(await violationsOf(P, e, hosts), [["web-container is a Lyra container", "its endpoint ssh://deploy@core.proxima.test is a Proxima host", "lyra-docker provider"]]);
        });
        it("says nothing of an endpoint the config does not list", async () => {
            const e = proximaEstate();
            e.setLabel("web-container", LIFECYCLE.class, undefined);
            e.get("web-container").props.endpoint = LYRA_HOST;
            expectMessages(await violationsOf(P, e), []);
        });
    });
});
