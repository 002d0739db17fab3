import type { ResourceValidationPolicy } from "@pulumi/policy";
import { lookupRelease, registryLookupSchema } from "../lib/tag-lookup";

/**
 * When the registry cannot answer, tag immutability is unchecked at preview. That is worth saying but
 * not worth blocking on: the promotion's own preflight asks again before it writes anything.
 */
export const releaseRegistryReachable: ResourceValidationPolicy = {
    name: "release-registry-reachable",
    description: "The registry answers at preview, so release tag immutability can be checked.",
    enforcementLevel: "advisory",
    configSchema: registryLookupSchema,
    validateResource: async (args, report) => {
        const found = await lookupRelease(args);
        if (!found) return;
        const { q, answer } = found;
        if (!answer.ok) {
            report(
                `release ${args.name}: could not ask ${q.registry} whether tag ${q.repository}:${q.tag} already exists, so immutability is unchecked: ${answer.error}. ` +
                    `Check the registry is reachable from here and REGISTRY_USERNAME / REGISTRY_PASSWORD are set; the promotion preflight checks again before writing.`,
            );
        }
    },
};
