import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cpuLimit, memoryLimit } from "../lib/limits";

import { describe, field, UNKNOWN } from "../lib/values";
import { isContainer } from "../lib/resources";

/** Seed 001 and 000: containers use limited CPU and memory, so one cannot starve its neighbours. */
export const containerLimits: ResourceValidationPolicy = {
    name: "container-limits",
    description: "Every container, on Lyra and on Proxima, declares a memory limit and a CPU limit.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isContainer(args.type, args.props)) return;
        const where = `container ${args.name}`;
        const memory = memoryLimit(args.props);
        if (memory === UNKNOWN) report(`${where}: memory is unknown during preview, so its limit cannot be checked. Set a literal memory limit in MB.`);
        else if (memory === undefined) report(`${where}: memory is ${describe(field(args.props, "memory"))}; a memory limit is required. Set memory (MB), e.g. memory: 256.`);
        const cpu = cpuLimit(args.props);
        if (cpu === UNKNOWN) report(`${where}: the CPU limit is unknown during preview, so it cannot be checked. Set a literal cpus value.`);
        else if (cpu === undefined) {
            const shares = field(args.props, "cpuShares") !== undefined ? " (cpuShares is a relative weight, not a limit)" : "";
            report(`${where}: no CPU limit${shares}. Set cpus, e.g. cpus: "0.5".`);
        }
    },
};
