import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { parseDeployRecord } from "../../lib/rules/deploy-record";
import { LIFECYCLE } from "../../lib/contract";
import { isHostScript, parseImage } from "../lib/resources";
import { StackIndex } from "../lib/stack";
import { field, label, UNKNOWN } from "../lib/values";

// The record of a container: a host script beside it (same parent, the app's Deployment) whose role is
// "deploy-record" and whose recordPath is the path in the container's record label. Matching on the
// path rather than on a resource name keeps two apps' records apart even if names change.
function recordCommandFor(index: StackIndex, container: PolicyResource, recordPath: string): { siblings: number; match?: PolicyResource } {
    const parent = index.parentOf(container);
    const siblings = parent ? (index.childrenByParent.get(parent.urn) ?? []).filter((r) => isHostScript(r.type, r.props, "deploy-record")) : [];
    const match = siblings.find((r) => {
        const path = field(r.props, "recordPath");
        return path === UNKNOWN || path === recordPath;
    });
    return { siblings: siblings.length, ...(match ? { match } : {}) };
}

/** Seed 002: every deployment writes /opt/<org>/<app>/deploy-info.yml, so the host says what runs and why. */
export const proximaDeployRecord: StackValidationPolicy = {
    name: "proxima-deploy-record",
    description: "Every Proxima container has a deploy record host script writing the path in its record label with its digest.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const index = new StackIndex(args.resources);
        for (const c of index.containers) {
            if (c.target !== "proxima") continue;
            const r = c.resource;
            const where = `container ${r.name}`;
            const recordPath = label(c.labels, LIFECYCLE.record);
            if (recordPath === UNKNOWN) {
                report(`${where}: its labels are unknown during preview, so its deploy record cannot be checked. Set the ${LIFECYCLE.record} label to a literal path.`, r.urn);
                continue;
            }
            if (typeof recordPath !== "string" || recordPath === "") {
                report(`${where}: no ${LIFECYCLE.record} label, so no deploy record can be found for it. Deploy it through a Deployment, which labels it and writes /opt/<org>/<app>/deploy-info.yml.`, r.urn);
                continue;
            }
            const { siblings, match } = recordCommandFor(index, r, recordPath);
            if (!match) {
                report(
                    `${where}: no deploy record command writes ${recordPath}` +
                        (siblings ? ` (${siblings} record${siblings > 1 ? "s" : ""} beside it write elsewhere)` : " (no deploy-record host script beside it)") +
                        `. Deploy it through a Deployment, which writes the record on the class host.`,
                    r.urn,
                );
                continue;
            }
            // The record must describe what runs: same digest as the container's pinned image.
            const stdin = field(match.props, "stdin");
            const image = field(r.props, "image");
            if (typeof stdin !== "string" || typeof image !== "string") continue;
            let running: string | undefined;
            try {
                running = parseImage(image).digest;
            } catch {
                continue; // proxima-container-pinned-by-digest reports a malformed image
            }
            let recorded: string;
            try {
                recorded = parseDeployRecord(stdin, `record of ${r.name}`).digest;
            } catch (e) {
                report(`${where}: its deploy record (${match.name}) is not a valid record: ${(e as Error).message}`, r.urn);
                continue;
            }
            if (running && recorded !== running) {
                report(`${where}: its deploy record (${match.name}) names ${recorded} but the container runs ${running}. Render the record from the same resolved digest as the container.`, r.urn);
            }
        }
    },
};
