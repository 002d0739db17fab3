import * as pulumi from "@pulumi/pulumi";
import { createResolver, resolveUpFront, unpullableImages } from "./components/resolver";
import { loadEstate, registryPasswordSource } from "./pulumi-config";
import { registryAccess, registryClient } from "./lib/registry/access";
import { HostToReach, unreachableHosts } from "./lib/host/reach";
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
    const api = registryClient(access, from ? { credentialsFrom: from } : {});
    const resolver = createResolver(api);
    const hosts: HostToReach[] = estate.stack === "proxima"
        ? Object.entries(estate.classes).flatMap(([name, c]) => (c ? [{ role: `class ${name}`, setting: `classes.${name}.host`, endpoint: c.host, sshOpts: c.sshOpts }] : []))
        : [{ role: "Lyra", setting: "lyra.host", endpoint: estate.lyra.host, sshOpts: estate.lyra.sshOpts }];
    const images = estate.stack === "proxima" ? estate.apps : estate.devContainers;
    const [, unreachable] = await Promise.all([resolveUpFront(resolver, images), unreachableHosts(hosts)]);
    const unpullable = await unpullableImages(api, await Promise.all(images.map((i) => resolver(i.repository, i))));
    // Not fatal: the other resources still register (the failing ones fail on their own), and the run fails at its end.
    for (const message of [...unreachable, ...unpullable]) void pulumi.log.error(message);
    return buildStack(estate, { resolver, access });
};
