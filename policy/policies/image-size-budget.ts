import type { ResourceValidationPolicy } from "@pulumi/policy";
import { LIFECYCLE } from "../../lib/contract";
import { configWithDefaults } from "../lib/policy-config";
import { containerView, parseImage } from "../lib/resources";
import { field, label, positiveNumber } from "../lib/values";

export interface SizeBudgetConfig {
    sizeLabel: string;
    baseRepositoryPattern: string;
    baseMaxMb: number;
    languageMaxMb: number;
}

const schema = {
    properties: {
        sizeLabel: { type: "string" as const, default: LIFECYCLE.size, description: "Container label holding the image size in bytes (registry manifest: config + layers), set by the program at resolution." },
        baseRepositoryPattern: { type: "string" as const, default: "(^|/)base$", description: "Regular expression matching base image repositories." },
        baseMaxMb: { type: "number" as const, default: 200, description: "Size budget of base images in MB (seed 003)." },
        languageMaxMb: { type: "number" as const, default: 500, description: "Size budget of every other image in MB (seed 003)." },
    },
};

const MB = 1000 * 1000;

/** Seed 003's size targets. Advisory, as in the seed (CI warns); only where the size is known. */
export const imageSizeBudget: ResourceValidationPolicy = {
    name: "image-size-budget",
    description: "Images stay within their size budget (base < 200 MB, language images < 500 MB) where the size is known.",
    enforcementLevel: "advisory",
    configSchema: schema,
    validateResource: (args, report) => {
        const labels = containerView(args)?.labels;
        if (!labels) return;
        const config = configWithDefaults<SizeBudgetConfig>(schema, args.getConfig());
        const size = positiveNumber(label(labels, config.sizeLabel));
        if (typeof size !== "number") return;
        const image = field(args.props, "image");
        let repository = label(labels, LIFECYCLE.app);
        if (typeof image === "string") {
            try {
                repository = parseImage(image).repository;
            } catch {
                // An unparsable image is proxima-container-pinned-by-digest's finding; the app label will do here.
            }
        }
        let base = false;
        try {
            base = typeof repository === "string" && new RegExp(config.baseRepositoryPattern).test(repository);
        } catch {
            report(`container ${args.name}: baseRepositoryPattern ${JSON.stringify(config.baseRepositoryPattern)} is not a valid regular expression. Fix it in the policy config.`);
            return;
        }
        const budget = base ? config.baseMaxMb : config.languageMaxMb;
        if (size > budget * MB) {
            report(`container ${args.name}: image ${typeof repository === "string" ? repository : ""} is ${(size / MB).toFixed(1)} MB, over the ${base ? "base" : "language"} image budget of ${budget} MB. Trim layers (combine RUN steps, clean caches, multi-stage build).`);
        }
    },
};
