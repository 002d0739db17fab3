import type { ResourceValidationPolicy } from "@pulumi/policy";
import { MESSAGES, toFullDigest } from "../../lib/rules/tags";
import { lookupRelease, registryLookupSchema } from "../lib/tag-lookup";

/** A release tag already in the registry on another digest may not be moved (seed 004: immutability). */
export const releaseTagImmutable: ResourceValidationPolicy = {
    name: "release-tag-immutable",
    description: "A release may not claim a tag that already points at another digest in the registry.",
    enforcementLevel: "mandatory",
    configSchema: registryLookupSchema,
    validateResource: async (args, report) => {
        const found = await lookupRelease(args);
        if (!found) return;
        const { q, answer } = found;
        const wanted = toFullDigest(q.digest);
        if (answer.ok && answer.digest !== undefined && answer.digest !== wanted) {
            report(
                `release ${args.name}: ${MESSAGES.tagExists}: ${q.registry}/${q.repository}:${q.tag} points at ${answer.digest}, not ${wanted}. ` +
                    `Tags are immutable: promote this digest under a new tag (e.g. the next patch version).`,
            );
        }
    },
};
