import { createResolver } from "./components/resolver";
import { loadEstate } from "./pulumi-config";
import { registryAccess, registryClient } from "./lib/registry/access";
import { buildStack } from "./program";

// Pulumi calls the exported function and uses its result as the stack outputs.
export = async () => {
    // loadEstate has already merged REGISTRY_USERNAME / REGISTRY_PASSWORD into the estate.
    const estate = loadEstate();
    const access = registryAccess(estate.registry);
    return buildStack(estate, { resolver: createResolver(registryClient(access)), access });
};
