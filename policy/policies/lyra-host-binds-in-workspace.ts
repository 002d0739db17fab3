import * as path from "node:path";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configWithDefaults } from "../lib/policy-config";
import { containerView, mountSources } from "../lib/resources";
import { describe, UNKNOWN } from "../lib/values";

export interface WorkspaceConfig {
    workspaceRoots: string[];
}

const schema = {
    properties: {
        workspaceRoots: {
            type: "array" as const,
            items: { type: "string" as const },
            default: ["/home", "/srv/lyra"],
            description: "Absolute host directories Lyra containers may bind-mount (source code and promotion artifacts).",
        },
    },
};

/** True when `hostPath` is one of `roots` or inside one, after resolving `..`. */
export function insideRoots(hostPath: string, roots: string[]): boolean {
    if (!path.posix.isAbsolute(hostPath)) return false;
    const p = path.posix.normalize(hostPath).replace(/\/+$/, "") || "/";
    return roots.some((root) => {
        const r = path.posix.normalize(root).replace(/\/+$/, "") || "/";
        return p === r || p.startsWith(r === "/" ? "/" : `${r}/`);
    });
}

/** Seed 001: host contamination is avoided; only the workspace (source code) is shared with the host. */
export const lyraHostBindsInWorkspace: ResourceValidationPolicy = {
    name: "lyra-host-binds-in-workspace",
    description: "Lyra containers bind-mount host paths only inside the configured workspace roots.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, report) => {
        if (containerView(args)?.target !== "lyra") return;
        const { workspaceRoots } = configWithDefaults<WorkspaceConfig>(schema, args.getConfig());
        const where = `Lyra container ${args.name}`;
        const binds = mountSources(args.props, "bind");
        if (binds === UNKNOWN) {
            report(`${where}: its volumes are unknown during preview, so host binds cannot be checked. Use literal host paths under ${workspaceRoots.join(" or ")}.`);
            return;
        }
        for (const hostPath of binds) {
            if (typeof hostPath !== "string" || !insideRoots(hostPath, workspaceRoots)) {
                report(`${where}: host bind ${describe(hostPath)} is outside the workspace (${workspaceRoots.join(", ")}). Bind only source code under the workspace, or use a Docker volume.`);
            }
        }
    },
};
