import { createResolver } from "./components/resolver";
import { loadEstate } from "./config";
import { clientFromEnv } from "./lib/registry/client";
import { buildStack } from "./program";

// Pulumi calls the exported function and uses its result as the stack outputs.
export = async () => {
    const estate = loadEstate();
    const credentials = estate.registry.username !== undefined && estate.registry.password !== undefined
        ? { REGISTRY_USERNAME: estate.registry.username, REGISTRY_PASSWORD: estate.registry.password }
        : {};
    const api = clientFromEnv(estate.registry.host, { ...process.env, ...credentials }, { insecure: estate.registry.insecure });
    return buildStack(estate, { resolver: createResolver(api) });
};
