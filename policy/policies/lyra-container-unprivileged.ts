import type { ResourceValidationPolicy } from "@pulumi/policy";
import { containerView } from "../lib/resources";
import { field, UNKNOWN } from "../lib/values";

/** Seed 001: Lyra containers stay isolated from the host; a privileged container is the host. */
export const lyraContainerUnprivileged: ResourceValidationPolicy = {
    name: "lyra-container-unprivileged",
    description: "Lyra containers never run privileged.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (containerView(args)?.target !== "lyra") return;
        const privileged = field(args.props, "privileged");
        if (privileged === UNKNOWN) report(`Lyra container ${args.name}: privileged is unknown during preview. Leave it unset or set it to false.`);
        else if (privileged === true) report(`Lyra container ${args.name}: privileged gives it the host's devices and capabilities. Remove privileged: true.`);
    },
};
