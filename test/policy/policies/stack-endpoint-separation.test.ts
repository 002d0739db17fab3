import { LIFECYCLE } from "../../../lib/contract";
import { expectMessages, violationsOf } from "../check";
import { lyraEstate, proximaEstate } from "../fixtures";

const P = "stack-endpoint-separation";

describe(P, () => {
    it("accepts each stack on its own endpoints", async () => {
        expectMessages(await violationsOf(P, proximaEstate()), []);
        expectMessages(await violationsOf(P, lyraEstate()), []);
    });
    it("refuses a Proxima container on Lyra's provider", async () => {
        const e = proximaEstate();
        e.get("web-container").provider = "urn:pulumi:proxima::image-lifecycle::pulumi:providers:docker::lyra-docker::id";
        expectMessages(await violationsOf(P, e), [["web-container is a Proxima resource", "provider lyra-docker", "Lyra endpoint"]]);
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
});
