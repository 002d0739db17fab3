import type { ResourceValidationPolicy } from "@pulumi/policy";
import { checkTagCharset, checkTagPolicy } from "../../lib/rules/tags";
import { isRelease } from "../lib/resources";
import { describe, field, UNKNOWN } from "../lib/values";

/** Release tags are vX.Y.Z (prereleases allowed), stable or latest, unless bypassed with a justification. */
export const releaseTagPolicy: ResourceValidationPolicy = {
    name: "release-tag-policy",
    description: "Release tags follow the tag policy (vX.Y.Z, prereleases, stable, latest) or carry allowNonSemver with a justification.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isRelease(args.type, args.props)) return;
        const where = `release ${args.name}`;
        const tag = field(args.props, "tag");
        if (tag === UNKNOWN) {
            report(`${where}: the tag is unknown during preview, so the tag policy cannot be checked. Give the release a literal tag.`);
            return;
        }
        const charset = checkTagCharset(tag);
        if (!charset.ok) {
            report(`${where}: ${charset.message}: tag is ${describe(tag)}. ${charset.fix}`);
            return;
        }
        const allow = field(args.props, "allowNonSemver");
        const justification = field(args.props, "justification");
        const result = checkTagPolicy(tag as string, {
            allowNonSemver: allow === true,
            justification: typeof justification === "string" ? justification : undefined,
        });
        if (!result.ok) report(`${where}: ${result.message}: tag "${String(tag)}". ${result.fix}`);
    },
};
