import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { parseDeployRecord } from "../../lib/rules/deploy-record";
import { LIFECYCLE } from "../../lib/contract";
import { isAppContainer, parseImage } from "../lib/resources";
import { StackIndex } from "../lib/stack";
import { field, label, UNKNOWN } from "../lib/values";

// The record of a container: the product's app container writes it itself (its `recordPath` and
// `record` inputs); matching on the path in the container's record label keeps two apps' records apart.
function recordOf(container: PolicyResource, recordPath: string): { path: unknown; record: unknown } | undefined {
    if (!isAppContainer(container.type, container.props)) return undefined;
    const path = field(container.props, "recordPath");
    return path === UNKNOWN || path === recordPath ? { path, record: field(container.props, "record") } : { path, record: undefined };
}

/** Seed 002: every deployment writes /opt/<org>/<app>/deploy-info.yml, so the host says what runs and why. */
export const proximaDeployRecord: StackValidationPolicy = {
    name: "proxima-deploy-record",
    description: "Every Proxima container writes a deploy record at the path in its record label, naming its digest.",
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
            const own = recordOf(r, recordPath);
            if (!own || (own.path !== UNKNOWN && own.path !== recordPath)) {
                report(
                    `${where}: nothing writes its deploy record ${recordPath}` +
                        (own ? ` (it writes ${typeof own.path === "string" ? own.path : "no record"})` : " (a plain docker container writes none)") +
                        `. Deploy it through a Deployment, which writes the record on the class host.`,
                    r.urn,
                );
                continue;
            }
            // The record must describe what runs: same digest as the container's pinned image.
            const stdin = own.record;
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
                report(`${where}: its deploy record is not a valid record: ${(e as Error).message}`, r.urn);
                continue;
            }
            if (running && recorded !== running) {
                report(`${where}: its deploy record names ${recorded} but the container runs ${running}. Render the record from the same resolved digest as the container.`, r.urn);
            }
        }
    },
};
