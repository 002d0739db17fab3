import type { ResourceValidationPolicy } from "@pulumi/policy";
import { containerView } from "../lib/resources";
import { field, UNKNOWN } from "../lib/values";

// Policies that bring a container back after a reboot or a `docker stop`: the opposite of ephemeral.
const PERSISTENT = new Set(["always", "unless-stopped"]);

/** Seed 001: Lyra containers are temporary; advisory because a restarting dev container harms no other host. */
export const lyraContainerRestart: ResourceValidationPolicy = {
    name: "lyra-container-restart",
    description: "Lyra containers are ephemeral: no restart policy that revives them (always, unless-stopped).",
    enforcementLevel: "advisory",
    validateResource: (args, report) => {
        if (containerView(args)?.target !== "lyra") return;
        const restart = field(args.props, "restart");
        if (restart === UNKNOWN) report(`Lyra container ${args.name}: restart is unknown during preview. Set restart to "no" or "on-failure".`);
        else if (typeof restart === "string" && PERSISTENT.has(restart)) {
            report(`Lyra container ${args.name}: restart "${restart}" keeps an ephemeral dev container coming back. Use restart "no" (or "on-failure").`);
        }
    },
};
