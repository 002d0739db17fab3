import type { StackValidationPolicy } from "@pulumi/policy";
import { CLASSES, LIFECYCLE } from "../../lib/contract";
import { configWithDefaults } from "../lib/policy-config";
import { cpuLimit, memoryLimit } from "../lib/limits";
import { isKnownClass, resourceLabels } from "../lib/resources";
import { StackIndex } from "../lib/stack";
import { field, label, positiveNumber } from "../lib/values";

export interface ClassBudget {
    memoryMb: number;
    cpus: number;
}

export interface ClassBudgetConfig {
    budgets: Record<string, ClassBudget>;
}

const budgetSchema = {
    type: "object" as const,
    properties: { memoryMb: { type: "number" as const, exclusiveMinimum: 0 }, cpus: { type: "number" as const, exclusiveMinimum: 0 } },
    required: ["memoryMb", "cpus"],
};

export const classBudgetSchema = {
    properties: {
        budgets: {
            type: "object" as const,
            description: "Per-class budgets (memory in MB, CPUs), used when a class's network does not publish budget labels.",
            properties: Object.fromEntries(CLASSES.map((c) => [c, budgetSchema])),
            default: {
                core: { memoryMb: 8192, cpus: 4 },
                monitoring: { memoryMb: 4096, cpus: 2 },
                experimental: { memoryMb: 2048, cpus: 1 },
            },
        },
    },
};

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The sum of the declared limits of a class's containers fits the class budget. */
export const proximaClassBudget: StackValidationPolicy = {
    name: "proxima-class-budget",
    description: "The memory and CPU limits of a class's containers add up to no more than the class budget.",
    enforcementLevel: "mandatory",
    configSchema: classBudgetSchema,
    validateStack: (args, report) => {
        const config = configWithDefaults<ClassBudgetConfig>(classBudgetSchema, args.getConfig());
        const index = new StackIndex(args.resources);
        const sums = new Map<string, { memory: number; cpus: number; names: string[]; at: string }>();
        for (const c of index.containers) {
            const cls = c.proximaClass;
            if (!cls) continue;
            const s = sums.get(cls) ?? { memory: 0, cpus: 0, names: [], at: c.resource.urn };
            sums.set(cls, s);
            s.names.push(c.resource.name);
            // Missing or unknown limits are container-limits' finding; they add nothing here.
            const m = memoryLimit(c.resource.props);
            const cpu = cpuLimit(c.resource.props);
            if (typeof m === "number") s.memory += m;
            if (typeof cpu === "number") s.cpus += cpu;
        }
        const published = new Map<string, { budget: Partial<ClassBudget>; urn: string; source: string }>();
        // The class's registered outputs carry its budget (what the engine shows stack policies).
        for (const [cls, lxc] of index.lxcClasses) {
            const budget = field(lxc.props, "budget");
            const memory = positiveNumber(field(budget, "memoryMb"));
            const cpus = positiveNumber(field(budget, "cpus"));
            if (memory === undefined && cpus === undefined) continue;
            published.set(cls, {
                urn: lxc.urn,
                source: "the class's outputs",
                budget: { ...(typeof memory === "number" ? { memoryMb: memory } : {}), ...(typeof cpus === "number" ? { cpus } : {}) },
            });
        }
        // Earlier versions published it as labels on the class network.
        for (const net of index.networksByName.values()) {
            const cls = index.classOf(net);
            if (!isKnownClass(cls) || published.has(cls)) continue;
            const labels = resourceLabels(net.props);
            const memory = positiveNumber(label(labels, LIFECYCLE.budgetMemory));
            const cpus = positiveNumber(label(labels, LIFECYCLE.budgetCpus));
            published.set(cls, {
                urn: net.urn,
                source: "label on its network",
                budget: { ...(typeof memory === "number" ? { memoryMb: memory } : {}), ...(typeof cpus === "number" ? { cpus } : {}) },
            });
        }
        for (const [cls, s] of sums) {
            const fromNet = published.get(cls);
            const configured = config.budgets?.[cls];
            const memoryBudget = fromNet?.budget.memoryMb ?? configured?.memoryMb;
            const cpuBudget = fromNet?.budget.cpus ?? configured?.cpus;
            const memorySource = fromNet?.budget.memoryMb !== undefined ? fromNet.source : "policy config";
            const cpuSource = fromNet?.budget.cpus !== undefined ? fromNet.source : "policy config";
            // Reported on the class itself when it is in the stack: the budget belongs to the class.
            const at = index.lxcClasses.get(cls)?.urn ?? fromNet?.urn ?? s.at;
            if (memoryBudget === undefined || cpuBudget === undefined) {
                report(`class ${cls}: no budget is declared. Declare the class through LxcClass (its outputs carry the budget) or set budgets.${cls} in the policy config.`, at);
                continue;
            }
            if (s.memory > memoryBudget) {
                report(`class ${cls}: containers ${s.names.join(", ")} ask for ${round(s.memory)} MB of memory, over the class budget of ${memoryBudget} MB (${memorySource}). Lower their memory limits or raise the budget.`, at);
            }
            if (s.cpus > cpuBudget + 1e-9) {
                report(`class ${cls}: containers ${s.names.join(", ")} ask for ${round(s.cpus)} CPUs, over the class budget of ${cpuBudget} CPUs (${cpuSource}). Lower their cpus limits or raise the budget.`, at);
            }
        }
    },
};
