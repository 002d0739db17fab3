import * as assert from "node:assert/strict";
import { LIFECYCLE, KINDS } from "../../../lib/contract";

import { containerTarget, containerView, isAppContainer, isContainer, isRelease, providerClass, urnName, urnQualifiedType } from "../../../policy/lib/resources";
import { labelsOf } from "../../../policy/lib/values";
import { APP_CONTAINER_TYPE, labelList } from "../../../harness/policy-fixtures";

const prov = (urn: string) => ({ type: "pulumi:providers:docker", urn, name: urnName(urn), props: {} });

describe("policy/lib/resources", () => {
    it("finds releases by kind marker on any dynamic resource type, nothing else", () => {
        assert.equal(isRelease("pulumi-nodejs:dynamic:Resource", { kind: KINDS.release }), true);
        assert.equal(isRelease("pulumi-nodejs:dynamic/image-lifecycle:Release", { kind: KINDS.release }), true);
        assert.equal(isRelease("pulumi-nodejs:dynamic:Resource", { kind: "other" }), false);
        assert.equal(isRelease("docker:index/container:Container", { kind: KINDS.release }), false);
    });
    it("finds app containers by kind marker on a dynamic resource; containers are those and the docker provider's", () => {
        const app = { kind: KINDS.appContainer };
        assert.equal(isAppContainer(APP_CONTAINER_TYPE, app), true);
        assert.equal(isAppContainer("pulumi-nodejs:dynamic:Resource", app), true);
        assert.equal(isAppContainer(APP_CONTAINER_TYPE, { kind: KINDS.release }), false);
        assert.equal(isAppContainer("docker:index/container:Container", app), false);
        assert.equal(isContainer("docker:index/container:Container", {}), true);
        assert.equal(isContainer(APP_CONTAINER_TYPE, app), true);
        assert.equal(isContainer(APP_CONTAINER_TYPE, {}), false);
        assert.equal(isContainer("docker:index/network:Network", app), false);
    });
    it("views an app container by its labels (it has no provider to tell its side)", () => {
        const labels = (m: Record<string, string>) => labelList(m);
        assert.equal(containerView({ type: APP_CONTAINER_TYPE, props: { kind: KINDS.appContainer, labels: labels({ [LIFECYCLE.stack]: "lyra" }) } })?.target, "lyra");
        assert.equal(containerView({ type: APP_CONTAINER_TYPE, props: { kind: KINDS.appContainer, labels: labels({ [LIFECYCLE.class]: "core" }) } })?.target, "proxima");
        assert.equal(containerView({ type: APP_CONTAINER_TYPE, props: { kind: KINDS.appContainer } })?.target, "proxima");
        assert.equal(containerView({ type: APP_CONTAINER_TYPE, props: { kind: KINDS.release } }), undefined);
    });
    it("reads names and parent types from URNs", () => {
        const urn = "urn:pulumi:proxima::image-lifecycle::image-lifecycle:proxima:LxcClass$pulumi:providers:docker::core-docker";
        assert.equal(urnName(urn), "core-docker");
        assert.equal(urnQualifiedType(urn), "image-lifecycle:proxima:LxcClass$pulumi:providers:docker");
    });
    it("provider class: parent name, else <class>-docker under an LxcClass or a known class; lyra-docker is lyra", () => {
        assert.equal(providerClass(prov("urn:pulumi:s::p::image-lifecycle:proxima:LxcClass$pulumi:providers:docker::x-docker"), "core"), "core");
        assert.equal(providerClass(prov("urn:pulumi:s::p::pulumi:providers:docker::monitoring-docker")), "monitoring");
        assert.equal(providerClass(prov("urn:pulumi:s::p::pulumi:providers:docker::batch-docker")), undefined);
        assert.equal(providerClass(prov("urn:pulumi:s::p::pulumi:providers:docker::lyra-docker")), "lyra");
        assert.equal(providerClass(prov("urn:pulumi:s::p::pulumi:providers:docker::default_5_2_0")), undefined);
    });
    it("container side: stack label, then class label, then provider; otherwise Proxima", () => {
        const l = (m: Record<string, string>) => labelsOf(labelList(m));
        assert.equal(containerTarget(l({ [LIFECYCLE.stack]: "lyra" })), "lyra");
        assert.equal(containerTarget(l({ [LIFECYCLE.class]: "core" }), prov("urn:pulumi:s::p::pulumi:providers:docker::lyra-docker")), "proxima");
        assert.equal(containerTarget(l({}), prov("urn:pulumi:s::p::pulumi:providers:docker::lyra-docker")), "lyra");
        assert.equal(containerTarget(l({})), "proxima");
    });
});
