import type { ResourceValidationPolicy } from "@pulumi/policy";
import { CLASSES, LIFECYCLE } from "../../lib/contract";
import { containerView, isKnownClass } from "../lib/resources";
import { describe, label, UNKNOWN } from "../lib/values";

/** Seed 000: every promoted workload is assigned one responsibility class. */
export const proximaWorkloadClass: ResourceValidationPolicy = {
    name: "proxima-workload-class",
    description: "Every Proxima container carries a known class label (core, monitoring or experimental).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const container = containerView(args);
        if (container?.target !== "proxima") return;
        const { labels } = container;
        const cls = label(labels, LIFECYCLE.class);
        if (cls === UNKNOWN) {
            report(`container ${args.name}: its labels are unknown during preview, so its class cannot be checked. Set the ${LIFECYCLE.class} label to a literal class.`);
        } else if (!isKnownClass(cls)) {
            report(`container ${args.name}: label ${LIFECYCLE.class} is ${describe(cls)}; expected one of ${CLASSES.join(", ")}. Deploy the app through the LxcClass it belongs to.`);
        }
    },
};
