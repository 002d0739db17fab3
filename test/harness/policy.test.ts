import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { APP_CONTAINER_TYPE, asDockerContainer, proximaEstate } from "../../harness/policy-fixtures";
import { providerUrn, runPolicies, UNKNOWN_STRING } from "../../harness/policy";

describe("policy harness (engine shape)", () => {
    it("reading an unknown through props throws in the SDK proxy and becomes an advisory, as in the engine", async () => {
        const naive: ResourceValidationPolicy = {
            name: "naive", description: "Reads image directly.", enforcementLevel: "mandatory",
            validateResource: (args, report) => { if (String(args.props.image).includes(":latest")) report("latest"); },
        };
        const e = proximaEstate();
        e.get("web-container").props.image = UNKNOWN_STRING;
        const vs = await runPolicies([naive], e.resources);
        assert.equal(vs.length, 1);
        assert.equal(vs[0].level, "advisory");
        assert.match(vs[0].message, /can't run policy 'naive' during preview: string value at \.image/);
    });
    it("gives stack policies parent, provider and dependencies as resource objects", async () => {
        let seen: string[] = [];
        const probe: StackValidationPolicy = {
            name: "probe", description: "Looks at the graph.", enforcementLevel: "advisory",
            validateStack: (args) => {
                seen = ["web-container", "api-container"].map((name) => {
                    const c = args.resources.find((r) => r.name === name)!;
                    return [c.type, c.parent?.name, c.provider?.name, c.provider?.props.host, c.dependencies.map((d) => d.name).join("+"), (c.propertyDependencies.volumes ?? []).map((d) => d.name).join("+")].join("|");
                });
            },
        };
        const e = proximaEstate();
        asDockerContainer(e, "web");
        await runPolicies([probe], e.resources);
        assert.deepEqual(seen, [
            "docker:index/container:Container|web|core-docker|ssh://deploy@core.proxima.test|web-image+core-network+core-web-data|core-web-data",
            // The app container is dynamic: no docker provider, its endpoint is an input.
            `${APP_CONTAINER_TYPE}|api|||api-image+core-network|`,
        ]);
    });
    it("skips disabled policies and applies config levels", async () => {
        const always: ResourceValidationPolicy = {
            name: "always", description: "Always reports.", enforcementLevel: "advisory",
            validateResource: (args, report) => { if (args.name === "production") report("x"); },
        };
        const e = proximaEstate();
        assert.equal((await runPolicies([always], e.resources, { config: { always: "disabled" } })).length, 0);
        assert.equal((await runPolicies([always], e.resources, { config: { all: "mandatory" } }))[0].level, "mandatory");
    });
    it("splits a provider reference at its last ::", () => {
        assert.equal(providerUrn("urn:pulumi:s::p::pulumi:providers:docker::core-docker::abc-123"), "urn:pulumi:s::p::pulumi:providers:docker::core-docker");
    });
});
