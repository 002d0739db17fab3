import type { StackValidationPolicy } from "@pulumi/policy";
import { parseDeployRecord } from "../../lib/rules/deploy-record";
import { LIFECYCLE } from "../../lib/contract";
import { isAppContainer, parseImage } from "../lib/resources";
import { StackIndex } from "../lib/stack";
import { describe, field, label, UNKNOWN } from "../lib/values";

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
            // The product's app container writes its record itself (its `recordPath` and `record` inputs);
            // a plain docker container has nothing that writes one.
            if (!isAppContainer(r.type, r.props)) {
                report(
                    `${where}: it is a plain docker container, so nothing writes its deploy record ${recordPath}. ` +
                        `Deploy it through a Deployment, which runs it as an app container that writes the record on the class host.`,
                    r.urn,
                );
                continue;
            }
            const written = field(r.props, "recordPath");
            if (written !== UNKNOWN && written !== recordPath) {
                report(`${where}: it writes its deploy record to ${describe(written)}, not to ${recordPath} as its ${LIFECYCLE.record} label says. Deploy it through a Deployment, which sets both from one path.`, r.urn);
                continue;
            }
            // The record must describe what runs: same digest as the container's pinned image.
            const record = field(r.props, "record");
            if (record === UNKNOWN) continue; // rendered from the resolved digest, known at `pulumi up`
            if (typeof record !== "string") {
                report(`${where}: its record input is ${describe(record)}, so it writes no deploy record to ${recordPath}. Deploy it through a Deployment, which renders the record from the resolved image.`, r.urn);
                continue;
            }
            const image = field(r.props, "image");
            if (typeof image !== "string") continue; // proxima-container-pinned-by-digest reports it
            let running: string | undefined;
            try {
                running = parseImage(image).digest;
            } catch {
                continue; // proxima-container-pinned-by-digest reports a malformed image
            }
            let recorded: string;
            try {
                recorded = parseDeployRecord(record, `record of ${r.name}`).digest;
            } catch (e) {
                report(`${where}: its deploy record is not a valid record: ${(e as Error).message} Deploy it through a Deployment, which renders the record from the resolved image.`, r.urn);
                continue;
            }
            if (running && recorded !== running) {
                report(`${where}: its deploy record names ${recorded} but the container runs ${running}. Render the record from the same resolved digest as the container.`, r.urn);
            }
        }
    },
};
