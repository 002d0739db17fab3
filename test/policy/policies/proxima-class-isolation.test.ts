import * as assert from "node:assert/strict";
import { TYPES } from "../../../lib/contract";
import { expectMessages, violationsOf } from "../check";
import { asDockerContainer, type Estate, proximaEstate, urn } from "../../../harness/policy-fixtures";
import { UNKNOWN_ARRAY, UNKNOWN_STRING } from "../../../harness/policy";

const P = "proxima-class-isolation";

/** A Lyra docker provider in the Proxima stack (as a merged or hand-written program could register it). */
function addLyraProvider(e: Estate): string {
    const host = "unix:///var/run/docker.sock";
    e.add({ type: TYPES.dockerProvider, urn: urn("proxima", TYPES.dockerProvider, "lyra-docker"), name: "lyra-docker", props: { host }, dependencies: [], propertyDependencies: {} });
    return host;
}

describe(P, () => {
    it("accepts containers whose endpoint, network, volumes and dependencies are of their class", async () =>
        expectMessages(await violationsOf(P, proximaEstate()), []));

    describe("an app container's endpoint (it has no docker provider)", () => {
        it("refuses the endpoint of another class, naming the class's own host", async () => {
            const e = proximaEstate();
            e.get("web-container").props.endpoint = e.get("monitoring-docker").props.host;
            const vs = await violationsOf(P, e);
            expectMessages(vs, [[
                "container web-container (class core)",
                "endpoint ssh://deploy@monitoring.proxima.test is the monitoring class's Docker endpoint",
                "Set endpoint to ssh://deploy@core.proxima.test, the Docker endpoint of LxcClass core",
            ]]);
            assert.equal(vs[0].level, "mandatory");
        });
        it("refuses an endpoint that is no class's in the stack", async () => {
            const e = proximaEstate();
            e.get("web-container").props.endpoint = "ssh://deploy@elsewhere.test";
            expectMessages(await violationsOf(P, e), [[
                "container web-container (class core)",
                "endpoint ssh://deploy@elsewhere.test is the Docker endpoint of no class in this stack",
                "Set endpoint to ssh://deploy@core.proxima.test",
            ]]);
        });
        it("refuses Lyra's endpoint, once (stack-endpoint-separation leaves a classed app container to this rule)", async () => {
            const e = proximaEstate();
            e.get("web-container").props.endpoint = addLyraProvider(e);
            expectMessages(await violationsOf(P, e), [["container web-container (class core)", "endpoint unix:///var/run/docker.sock is Lyra's Docker endpoint", "Set endpoint to ssh://deploy@core.proxima.test"]]);
            expectMessages(await violationsOf("stack-endpoint-separation", e, { config: { "stack-endpoint-separation": { lyraHosts: ["unix:///var/run/docker.sock"] } } }), []);
        });
        it("accepts an endpoint that two providers share, one of them its class's", async () => {
            const e = proximaEstate();
            e.get("monitoring-docker").props.host = e.get("core-docker").props.host;
            e.get("metrics-container").props.endpoint = e.get("core-docker").props.host;
            expectMessages(await violationsOf(P, e), []);
        });
        it("reports an unknown or missing endpoint instead of passing it", async () => {
            const e = proximaEstate();
            e.get("web-container").props.endpoint = UNKNOWN_STRING;
            delete e.get("metrics-container").props.endpoint;
            expectMessages(await violationsOf(P, e), [
                ["container web-container (class core)", "its endpoint is unknown during preview, so class isolation cannot be checked", "Set endpoint to ssh://deploy@core.proxima.test"],
                ["container metrics-container (class monitoring)", "its endpoint is missing", "Set endpoint to ssh://deploy@monitoring.proxima.test"],
            ]);
        });
        it("names the class provider when the class's host is not known", async () => {
            const e = proximaEstate();
            e.get("core-docker").props.host = UNKNOWN_STRING;
            expectMessages(await violationsOf(P, e), [
                ["container web-container (class core)", "the Docker endpoint of no class in this stack", "Set endpoint to the host of the core-docker provider"],
                ["container api-container (class core)", "the Docker endpoint of no class in this stack"],
            ]);
        });
    });

    describe("a plain docker container (hand-written) is judged by its provider", () => {
        it("accepts its class's provider", async () => {
            const e = proximaEstate();
            asDockerContainer(e, "web");
            expectMessages(await violationsOf(P, e), []);
        });
        it("refuses the provider of another class", async () => {
            const e = proximaEstate();
            asDockerContainer(e, "web").provider = `${e.get("monitoring-docker").urn}::id`;
            const vs = await violationsOf(P, e);
            expectMessages(vs, [["container web-container (class core)", "provider monitoring-docker is the monitoring class's", "core-docker"]]);
            assert.equal(vs[0].level, "mandatory");
        });
        it("refuses the default provider", async () => {
            const e = proximaEstate();
            delete asDockerContainer(e, "web").provider;
            expectMessages(await violationsOf(P, e), [["container web-container (class core)", "default Docker provider", "core-docker"]]);
        });
        it("refuses a provider of no class", async () => {
            const e = proximaEstate();
            asDockerContainer(e, "web").provider = "urn:pulumi:proxima::image-lifecycle::pulumi:providers:docker::default_5_2_0::id";
            expectMessages(await violationsOf(P, e), [["provider default_5_2_0 belongs to no class", "core-docker"]]);
        });
        it("leaves a Lyra provider to stack-endpoint-separation", async () => {
            const e = proximaEstate();
            asDockerContainer(e, "web").provider = "urn:pulumi:proxima::image-lifecycle::pulumi:providers:docker::lyra-docker::id";
            expectMessages(await violationsOf(P, e), []);
        });
        it("refuses host networking", async () => {
            const e = proximaEstate();
            asDockerContainer(e, "web").props.networkMode = "host";
            expectMessages(await violationsOf(P, e), [[`networkMode "host"`, "proxima-core"]]);
        });
        it("refuses a volume mount (mounts[type=volume]) of no class", async () => {
            const e = proximaEstate();
            asDockerContainer(e, "web").props.mounts = [{ type: "volume", source: "scratch", target: "/x" }];
            expectMessages(await violationsOf(P, e), [[`volume "scratch" is not a volume of any class`]]);
        });
    });

    it("refuses the network of another class", async () => {
        const e = proximaEstate();
        e.get("web-container").props.networksAdvanced = [{ name: "proxima-monitoring" }];
        expectMessages(await violationsOf(P, e), [[`network "proxima-monitoring" belongs to class monitoring`, "proxima-core"]]);
    });
    it("refuses an unknown-to-the-stack network outside the class naming", async () => {
        const e = proximaEstate();
        e.get("web-container").props.networksAdvanced = [{ name: "shared" }];
        expectMessages(await violationsOf(P, e), [[`network "shared" belongs to no class`]]);
    });
    it("refuses a volume of another class, once (not again as a dependency)", async () => {
        const e = proximaEstate();
        const c = e.get("web-container");
        const vol = e.get("monitoring-metrics-data");
        c.props.volumes = [{ volumeName: "monitoring-metrics-data", containerPath: "/data", readOnly: false }];
        c.dependencies = [e.get("web-image").urn, e.get("core-network").urn, vol.urn];
        expectMessages(await violationsOf(P, e), [[`volume "monitoring-metrics-data" belongs to class monitoring`, "LxcClass core"]]);
    });
    it("refuses a dependsOn across classes", async () => {
        const e = proximaEstate();
        e.get("web-container").dependencies.push(e.get("metrics-container").urn);
        expectMessages(await violationsOf(P, e), [["web-container (class core) depends on metrics-container (class monitoring)"]]);
    });
    it("refuses an app container depending on another class's pulled image", async () => {
        const e = proximaEstate();
        e.get("web-container").dependencies.push(e.get("metrics-image").urn);
        expectMessages(await violationsOf(P, e), [["web-container (class core) depends on metrics-image (class monitoring)"]]);
    });
    it("refuses a cross-class dependency between non-container resources", async () => {
        const e = proximaEstate();
        e.get("core-network").dependencies.push(e.get("monitoring-network").urn);
        expectMessages(await violationsOf(P, e), [["core-network (class core) depends on monitoring-network (class monitoring)"]]);
    });
    it("reports unknown networks and non-string names instead of throwing", async () => {
        const e = proximaEstate();
        e.get("web-container").props.networksAdvanced = UNKNOWN_ARRAY;
        e.get("api-container").props.networksAdvanced = [{ name: 42 }];
        expectMessages(await violationsOf(P, e), [["web-container", "networks are unknown"], ["api-container", "network name is number 42"]]);
    });
    it("reports unknown volumes and non-string volume names instead of throwing", async () => {
        const e = proximaEstate();
        e.get("web-container").props.volumes = UNKNOWN_ARRAY;
        e.get("metrics-container").props.volumes = [{ volumeName: 7, containerPath: "/data" }];
        expectMessages(await violationsOf(P, e), [["web-container", "volumes are unknown during preview"], ["metrics-container", "a volume name is number 7", "monitoring-<app>-<volume>"]]);
    });
});
