import * as assert from "node:assert/strict";
import { expectMessages, violationsOf } from "../check";
import { proximaEstate } from "../fixtures";
import { UNKNOWN_ARRAY } from "../harness";

const P = "proxima-class-isolation";

describe(P, () => {
    it("accepts containers whose provider, network, volumes and dependencies are of their class", async () =>
        expectMessages(await violationsOf(P, proximaEstate()), []));

    it("refuses the provider of another class", async () => {
        const e = proximaEstate();
        e.get("web-container").provider = `${e.get("monitoring-docker").urn}::id`;
        const vs = await violationsOf(P, e);
        expectMessages(vs, [["container web-container (class core)", "provider monitoring-docker is the monitoring class's", "core-docker"]]);
        assert.equal(vs[0].level, "mandatory");
    });
    it("refuses the default provider", async () => {
        const e = proximaEstate();
        delete e.get("web-container").provider;
        expectMessages(await violationsOf(P, e), [["default Docker provider"]]);
    });
    it("refuses a provider of no class", async () => {
        const e = proximaEstate();
        e.get("web-container").provider = "urn:pulumi:proxima::image-lifecycle::pulumi:providers:docker::default_5_2_0::id";
        expectMessages(await violationsOf(P, e), [["provider default_5_2_0 belongs to no class"]]);
    });
    it("leaves a Lyra provider to stack-endpoint-separation", async () => {
        const e = proximaEstate();
        e.get("web-container").provider = "urn:pulumi:proxima::image-lifecycle::pulumi:providers:docker::lyra-docker::id";
        expectMessages(await violationsOf(P, e), []);
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
    it("refuses host networking", async () => {
        const e = proximaEstate();
        e.get("web-container").props.networkMode = "host";
        expectMessages(await violationsOf(P, e), [[`networkMode "host"`]]);
    });
    it("refuses a volume of another class, once (not again as a dependency)", async () => {
        const e = proximaEstate();
        const c = e.get("web-container");
        const vol = e.get("monitoring-metrics-data");
        c.props.volumes = [{ volumeName: "monitoring-metrics-data", containerPath: "/data" }];
        c.dependencies = [e.get("core-network").urn, vol.urn];
        c.propertyDependencies = { volumes: [vol.urn] };
        expectMessages(await violationsOf(P, e), [[`volume "monitoring-metrics-data" belongs to class monitoring`, "LxcClass core"]]);
    });
    it("refuses a volume mount (mounts[type=volume]) of no class", async () => {
        const e = proximaEstate();
        e.get("web-container").props.mounts = [{ type: "volume", source: "scratch", target: "/x" }];
        expectMessages(await violationsOf(P, e), [[`volume "scratch" is not a volume of any class`]]);
    });
    it("refuses a dependsOn across classes", async () => {
        const e = proximaEstate();
        e.get("web-container").dependencies.push(e.get("metrics-container").urn);
        expectMessages(await violationsOf(P, e), [["web-container (class core) depends on metrics-container (class monitoring)"]]);
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
});
