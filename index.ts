import * as pulumi from "@pulumi/pulumi";
import { createResolver, resolveUpFront } from "./components/resolver";
import { loadEstate, registryPasswordSource } from "./pulumi-config";
import { registryAccess, registryClient } from "./lib/registry/access";
import { buildStack } from "./program";

// Pulumi calls the exported function and uses its result as the stack outputs.
export = async () => {
    // loadEstate has already merged REGISTRY_USERNAME / REGISTRY_PASSWORD into the estate.
    let estate: ReturnType<typeof loadEstate>;
    try {
        estate = loadEstate();
    } catch (e) {
        // One line per problem, in the product's words: no stack trace, no "unhandled exception".
        throw new pulumi.RunError((e as Error).message);
    }
    const access = registryAccess(estate.registry);
    const from = registryPasswordSource();
    const resolver = createResolver(registryClient(access, from ? { credentialsFrom: from } : {}));
    await resolveUpFront(resolver, estate.stack === "proxima" ? estate.apps : estate.devContainers);
    return buildStack(estate, { resolver, access });
};
