import type { StackValidationPolicy } from "@pulumi/policy";
import { isRelease } from "../lib/resources";
import { field } from "../lib/values";

/** Two releases in one stack claiming the same image tag would race; the second would move the tag. */
export const releaseTagUniqueInStack: StackValidationPolicy = {
    name: "release-tag-unique-in-stack",
    description: "No two releases in a stack claim the same registry, repository and tag.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const claims = new Map<string, { urn: string; name: string }[]>();
        for (const r of args.resources) {
            if (!isRelease(r.type, r.props)) continue;
            const registry = field(r.props, "registry");
            const repository = field(r.props, "repository");
            const tag = field(r.props, "tag");
            if (typeof registry !== "string" || typeof repository !== "string" || typeof tag !== "string") continue;
            const key = `${registry}/${repository}:${tag}`;
            const list = claims.get(key);
            if (list) list.push({ urn: r.urn, name: r.name });
            else claims.set(key, [{ urn: r.urn, name: r.name }]);
        }
        for (const [ref, list] of claims) {
            if (list.length < 2) continue;
            const names = list.map((c) => c.name).join(", ");
            for (const c of list) {
                report(`release ${c.name}: ${ref} is claimed by ${list.length} releases in this stack (${names}). Give each release its own tag; a tag names one digest.`, c.urn);
            }
        }
    },
};
