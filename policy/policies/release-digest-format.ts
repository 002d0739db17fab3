import type { ResourceValidationPolicy } from "@pulumi/policy";
import { checkDigestInput } from "../../lib/rules/tags";
import { isRelease } from "../lib/resources";
import { describe, field, UNKNOWN } from "../lib/values";

/** A release's digest input is 64 lowercase hex characters with no `sha256:` prefix (seed 004). */
export const releaseDigestFormat: ResourceValidationPolicy = {
    name: "release-digest-format",
    description: "Release digest inputs are 64 lowercase hex characters with no sha256: prefix.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isRelease(args.type, args.props)) return;
        const digest = field(args.props, "digest");
        if (digest === UNKNOWN) {
            report(`release ${args.name}: the digest is unknown during preview, so its format cannot be checked. Give the release the literal 64-hex digest.`);
            return;
        }
        const result = checkDigestInput(digest);
        if (!result.ok) report(`release ${args.name}: ${result.message}: digest is ${describe(digest)}. ${result.fix}`);
    },
};
