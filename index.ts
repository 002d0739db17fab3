import { createResolver } from "./components/resolver";
import { loadEstate } from "./pulumi-config";
import { RegistryClient } from "./lib/registry/client";
import { buildStack } from "./program";

// Pulumi calls the exported function and uses its result as the stack outputs.
export = async () => {
    // loadEstate has already merged REGISTRY_USERNAME / REGISTRY_PASSWORD into the estate.
    const estate = loadEstate();
    const { host, insecure, username, password } = estate.registry;
    const credentials = username !== undefined && password !== undefined ? { credentials: { username, password } } : {};
    const api = new RegistryClient({ registry: host, insecure, ...credentials });
    return buildStack(estate, { resolver: createResolver(api) });
};
