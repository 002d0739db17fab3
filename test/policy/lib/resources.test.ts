import * as assert from "node:assert/strict";
import { LIFECYCLE, KINDS } from "../../../lib/contract";

import { containerTarget, isRelease, providerClass, urnName, urnQualifiedType } from "../../../policy/lib/resources";
import { labelsOf } from "../../../policy/lib/values";
import { labelList } from "../fixtures";

const prov = (urn: string) => ({ type: "pulumi:providers:docker", urn, name: urnName(urn), props: {} });

describe("policy/lib/resources", () => {
    it("finds releases by kind marker on any dynamic resource type, nothing else", () => {
        assert.equal(isRelease("pulumi-nodejs:dynamic:Resource", { kind: KINDS.release }), true);
        assert.equal(isRelease("pulumi-nodejs:dynamic/image-lifecycle:Release", { kind: KINDS.release }), true);
        assert.equal(isRelease("pulumi-nodejs:dynamic:Resource", { kind: "other" }), false);
        assert.equal(isRelease("docker:index/container:Container", { kind: KINDS.release }), false);
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
