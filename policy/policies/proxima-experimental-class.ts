import type { ResourceValidationPolicy } from "@pulumi/policy";
import { LIFECYCLE } from "../../lib/contract";
import { containerView } from "../lib/resources";
import { label } from "../lib/values";

/** Seed 000 lists `experimental` as "rarely": allowed, but worth a second look at every preview. */
export const proximaExperimentalClass: ResourceValidationPolicy = {
    name: "proxima-experimental-class",
    description: "Proxima workloads in the experimental class are flagged, since that class is for rare use.",
    enforcementLevel: "advisory",
    validateResource: (args, report) => {
        const container = containerView(args);
        if (container?.target !== "proxima") return;
        const { labels } = container;
        if (label(labels, LIFECYCLE.class) === "experimental") {
            const app = label(labels, LIFECYCLE.app);
            report(`container ${args.name}${typeof app === "string" ? ` (app ${app})` : ""} runs in the experimental class, which is meant to be used rarely. Move it to core or monitoring once it is relied on, or remove it.`);
        }
    },
};
