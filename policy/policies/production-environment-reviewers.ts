import type { ResourceValidationPolicy } from "@pulumi/policy";

import { describe, field, list, UNKNOWN } from "../lib/values";
import { TYPES } from "../../lib/contract";

/** Seed 004: the `production` environment gates promotion, and a gate with no reviewers never opens. */
export const productionEnvironmentReviewers: ResourceValidationPolicy = {
    name: "production-environment-reviewers",
    description: "The GitHub production environment has at least one required reviewer.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== TYPES.repositoryEnvironment || field(args.props, "environment") !== "production") return;
        const where = `environment production (${args.name})`;
        const reviewers = list(field(args.props, "reviewers"));
        if (reviewers === UNKNOWN) {
            report(`${where}: reviewers are unknown during preview, so the approval gate cannot be checked. Use literal user or team IDs.`);
            return;
        }
        let count = 0;
        let unknown = false;
        for (const r of reviewers ?? []) {
            for (const key of ["users", "teams"]) {
                const ids = list(field(r, key));
                if (ids === UNKNOWN) unknown = true;
                else for (const id of ids ?? []) if (id === UNKNOWN || (typeof id === "number" && id > 0)) count++;
            }
        }
        if (count === 0 && !unknown) {
            report(`${where}: reviewers is ${reviewers === undefined ? describe(undefined) : "empty"}, so promotions would wait forever or pass unreviewed. Add at least one user or team ID under reviewers.`);
        }
    },
};
