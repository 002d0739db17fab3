import type { ResourceValidationPolicy } from "@pulumi/policy";
import { REQUIRED_OCI_LABELS } from "../../lib/contract";
import { configWithDefaults } from "../lib/policy-config";
import { containerView } from "../lib/resources";
import { label, UNKNOWN } from "../lib/values";

export interface OciLabelsConfig {
    requiredLabels: string[];
}

const schema = {
    properties: {
        requiredLabels: {
            type: "array" as const,
            items: { type: "string" as const },
            default: [...REQUIRED_OCI_LABELS],
            description: "Labels every deployed (Proxima) container must carry with a non-empty value.",
        },
    },
};

/** Seed 002: description, created and revision give every deployed digest its context. */
export const deployedImageOciLabels: ResourceValidationPolicy = {
    name: "deployed-image-oci-labels",
    description: "Every Proxima container carries the required OCI labels (description, created, revision) with values.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, report) => {
        const container = containerView(args);
        if (container?.target !== "proxima") return;
        const { labels } = container;
        const { requiredLabels } = configWithDefaults<OciLabelsConfig>(schema, args.getConfig());
        if (labels.unknown) {
            report(`container ${args.name}: its labels are unknown during preview, so the OCI labels cannot be checked. Copy the image's OCI labels onto the container as literal values.`);
            return;
        }
        const missing = requiredLabels.filter((key) => {
            const v = label(labels, key);
            return v !== UNKNOWN && (typeof v !== "string" || v.trim() === "");
        });
        if (missing.length) {
            report(`container ${args.name}: missing or empty label${missing.length > 1 ? "s" : ""} ${missing.join(", ")}. Build the image in CI with the OCI labels from git and copy them onto the container.`);
        }
    },
};
