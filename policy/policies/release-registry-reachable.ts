import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configWithDefaults } from "../lib/config";
import { isRelease } from "../lib/resources";
import { lookupTag } from "../lib/tag-lookup";
import { type RegistryLookupConfig, registryLookupSchema, releaseQuery } from "./release-tag-immutable";

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
        if (!isRelease(args.type, args.props)) return;
        const config = configWithDefaults<RegistryLookupConfig>(registryLookupSchema, args.getConfig());
        const q = releaseQuery(args.props, config.timeoutMs);
        if (!q) return;
        const answer = await lookupTag(q);
        if (!answer.ok) {
            report(
                `release ${args.name}: could not ask ${q.registry} whether tag ${q.repository}:${q.tag} already exists, so immutability is unchecked: ${answer.error}. ` +
                    `Check the registry is reachable from here and REGISTRY_USERNAME / REGISTRY_PASSWORD are set; the promotion preflight checks again before writing.`,
            );
        }
    },
};
