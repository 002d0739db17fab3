import type { ResourceValidationPolicy } from "@pulumi/policy";
import { checkDigestInput, checkTagCharset, MESSAGES } from "../../lib/rules";
import { configWithDefaults } from "../lib/config";
import { isRelease } from "../lib/resources";
import { lookupTag, type TagQuery } from "../lib/tag-lookup";
import { field } from "../lib/values";

export interface RegistryLookupConfig {
    timeoutMs: number;
}

export const registryLookupSchema = {
    properties: {
        timeoutMs: { type: "integer" as const, minimum: 100, default: 10000, description: "Per-request timeout when asking the registry about a release tag." },
    },
};

/**
 * The registry question for a release, or undefined when its inputs are unusable; other policies
 * (tag policy, digest format) report those, so the registry is not asked about a malformed release.
 */
export function releaseQuery(props: unknown, timeoutMs: number): (TagQuery & { digest: string }) | undefined {
    const registry = field(props, "registry");
    const repository = field(props, "repository");
    const tag = field(props, "tag");
    const digest = field(props, "digest");
    if (typeof registry !== "string" || registry === "" || typeof repository !== "string" || repository === "") return undefined;
    if (!checkTagCharset(tag).ok || !checkDigestInput(digest).ok) return undefined;
    return { registry, repository, tag: tag as string, digest: digest as string, insecure: field(props, "insecure") === true, timeoutMs };
}

/** A release tag already in the registry on another digest may not be moved (seed 004: immutability). */
export const releaseTagImmutable: ResourceValidationPolicy = {
    name: "release-tag-immutable",
    description: "A release may not claim a tag that already points at another digest in the registry.",
    enforcementLevel: "mandatory",
    configSchema: registryLookupSchema,
    validateResource: async (args, report) => {
        if (!isRelease(args.type, args.props)) return;
        const config = configWithDefaults<RegistryLookupConfig>(registryLookupSchema, args.getConfig());
        const q = releaseQuery(args.props, config.timeoutMs);
        if (!q) return;
        const answer = await lookupTag(q);
        const wanted = `sha256:${q.digest}`;
        if (answer.ok && answer.digest !== undefined && answer.digest !== wanted) {
            report(
                `release ${args.name}: ${MESSAGES.tagExists}: ${q.registry}/${q.repository}:${q.tag} points at ${answer.digest}, not ${wanted}. ` +
                    `Tags are immutable: promote this digest under a new tag (e.g. the next patch version).`,
            );
        }
    },
};
