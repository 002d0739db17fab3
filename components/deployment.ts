import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AppConfig } from "../lib/config";
import { DeploymentSummary, renderDeployRecord } from "../lib/rules/deploy-record";
import { type DeployHistoryEntry, LIFECYCLE, NAMES, OCI, TYPES } from "../lib/contract";
import { DEPLOYED_AT_PLACEHOLDER, HISTORY_AT, HISTORY_DETAIL, HISTORY_PREVIOUS_DIGEST, HISTORY_PREVIOUS_TAG, specHash, verifyWaitSeconds } from "../lib/host/app-container";
import { type ContainerFields, specOf } from "../lib/host/app-container-provider";
import { AppContainer, DeployFailure } from "./appContainer";
import { runtimeArgs } from "./container";
import type { ResolvedImage } from "./resolver";
import { LxcClass } from "./lxcClass";
import { PinnedImage } from "./pinnedImage";
import { ImageResolver } from "./resolver";

export interface DeploymentArgs {
    /** The app as parsed from the stack config. */
    app: Omit<AppConfig, "class">;
    lxcClass: LxcClass;
    resolver: ImageResolver;
    /** `<org>` of `/opt/<org>/<app>/deploy-info.yml`. */
    org: string;
    /** Who the deploy record names. */
    deployedBy: string;
}

/**
 * One app on Proxima: the image resolved to a digest and pulled through its class's provider, then run
 * pinned `repo@sha256:…` on its class's network by the product's own container resource, which sets
 * the old container aside, verifies the new one, writes the deploy record and history, and puts the
 * old one back when the new one fails (ADR 0055).
 */
export class Deployment extends pulumi.ComponentResource {
    /** `host[:port]/repository@sha256:…`. */
    public readonly pinned: pulumi.Output<string>;
    /** `sha256:<64 hex>`. */
    public readonly digest: pulumi.Output<string>;
    /** The entry of the `deployments` stack output. */
    public readonly summary: pulumi.Output<DeploymentSummary>;
    /** Exactly what is written to the record (deploy time as a placeholder the host fills in). */
    public readonly record: pulumi.Output<string>;
    /** `/opt/<org>/<app>/deploy-info.yml`. */
    public readonly recordPath: string;
    /** The container on the class host. */
    public readonly container: AppContainer;
    /** Why the last deploy failed verification, and what runs instead; empty after a verified one. */
    public readonly failure: pulumi.Output<string>;

    constructor(name: string, args: DeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.deployment, name, {}, opts);
        const { app, lxcClass } = args;
        const klass = lxcClass.className;
        this.recordPath = NAMES.deployRecord(args.org, app.name);
        const resolved = new PinnedImage(`${name}-resolved`, { repository: app.repository, tag: app.tag, digest: app.digest, resolver: args.resolver }, { parent: this });
        this.pinned = resolved.pinned;
        this.digest = resolved.digest;
        const childOpts = { parent: this, provider: lxcClass.provider };

        const remote = new docker.RemoteImage(`${name}-image`, {
            name: resolved.pinned,
            // Older digests stay on the host so a rollback starts without a pull.
            keepLocally: true,
        }, childOpts);

        const labels = resolved.resolved.apply((r) => {
            const out: { label: string; value: string }[] = [
                { label: LIFECYCLE.class, value: klass },
                { label: LIFECYCLE.stack, value: "proxima" },
                { label: LIFECYCLE.app, value: app.name },
                { label: LIFECYCLE.digest, value: r.digest },
                { label: LIFECYCLE.record, value: this.recordPath },
            ];
            if (r.tag !== undefined) out.push({ label: LIFECYCLE.tag, value: r.tag });
            // Policies cannot ask the registry cheaply per container; the size learnt at resolution travels here.
            if (r.size !== undefined) out.push({ label: LIFECYCLE.size, value: String(r.size) });
            for (const key of [OCI.description, OCI.created, OCI.revision, OCI.source]) {
                if (r.labels[key] !== undefined) out.push({ label: key, value: r.labels[key] });
            }
            return out;
        });

        const recordPath = this.recordPath;
        const deployedBy = args.deployedBy;
        this.record = pulumi.all([resolved.image, resolved.resolved]).apply(([img, r]) => renderDeployRecord({
            app: app.name,
            image: img,
            digest: r.digest,
            ...(r.tag !== undefined ? { tag: r.tag } : {}),
            ...(r.description !== undefined ? { description: r.description } : {}),
            deployed_at: DEPLOYED_AT_PLACEHOLDER,
            deployed_by: deployedBy,
        }));
        const history = pulumi.all([resolved.image, resolved.resolved]).apply(([img, r]) => historyLines(app.name, img, r, deployedBy));
        const runtime = runtimeArgs(app, resolved.resolved);
        const hc = runtime.healthcheck;
        const fields = pulumi.all([resolved.pinned, labels, runtime.command]).apply(([image, ls, command]): ContainerFields => ({
            name: app.name,
            image,
            labels: ls,
            envs: runtime.envs,
            ...(command ? { command } : {}),
            ports: app.ports.map((p) => ({ internal: p.internal, external: p.external, protocol: p.protocol })),
            volumes: app.volumes.map((v) => ({ volumeName: NAMES.classVolume(klass, app.name, v.name), containerPath: v.containerPath, readOnly: v.readOnly })),
            networksAdvanced: [{ name: lxcClass.networkName }],
            memory: runtime.memory,
            cpus: runtime.cpus,
            restart: app.restart,
            ...(hc ? { healthcheck: hc } : {}),
            logOpts: { "max-size": "10m", "max-file": "3" },
        }));
        const field = <K extends keyof ContainerFields>(k: K) => fields.apply((f) => f[k]);
        this.container = new AppContainer(`${name}-container`, {
            endpoint: lxcClass.host,
            sshOpts: lxcClass.sshOpts,
            name: app.name,
            image: field("image"),
            labels: field("labels"),
            envs: runtime.envs,
            command: field("command"),
            ports: field("ports"),
            volumes: field("volumes"),
            networksAdvanced: field("networksAdvanced"),
            memory: runtime.memory,
            memorySwap: runtime.memory,
            cpus: runtime.cpus,
            restart: app.restart,
            healthcheck: field("healthcheck"),
            logDriver: "json-file",
            logOpts: field("logOpts"),
            privileged: false,
            recordPath,
            record: this.record,
            history,
            waitSeconds: verifyWaitSeconds(app.healthcheck),
            // Every setting in one hash: the label that tells, on the host, which settings a container runs.
            spec: fields.apply((f) => specHash(specOf(f))),
        }, {
            parent: this,
            dependsOn: [remote, lxcClass.network, ...app.volumes.map((v) => lxcClass.volumes[`${app.name}/${v.name}`]).filter((x) => x !== undefined)],
        });
        this.failure = this.container.failure;
        // Known only once the container was deployed (never during preview): a failure fails the up here.
        this.failure.apply((f) => { if (f) new DeployFailure(`${name}-failed`, f, { parent: this, dependsOn: [this.container] }); });

        // What runs, as the host reported it: after a failed verification that is the previous digest.
        this.summary = pulumi.all([resolved.image, resolved.resolved, this.container.running, this.container.failure]).apply(([img, r, running, failure]): DeploymentSummary => {
            const same = running !== undefined && running.digest === r.digest;
            return {
                class: klass,
                image: img,
                ...(same ? (r.tag !== undefined ? { tag: r.tag } : {}) : running?.tag ? { tag: running.tag } : {}),
                digest: running?.digest ?? "",
                ...(same && r.description !== undefined ? { description: r.description } : {}),
                host: lxcClass.host,
                ...(running ? { state: running.health ? `${running.status} ${running.health}` : running.status, startedAt: running.startedAt } : { state: "absent" }),
                ...(failure ? { failure } : {}),
            };
        });
        this.registerOutputs({ pinned: this.pinned, digest: this.digest, summary: this.summary, recordPath: this.recordPath });
    }
}

/** The history lines the host appends: this digest verified, this digest failed, the previous one running again. */
function historyLines(app: string, image: string, r: ResolvedImage, by: string): { verified: string; failed: string; restored: string } {
    const base = { app, image, digest: r.digest, ...(r.tag !== undefined ? { tag: r.tag } : {}), ...(r.description !== undefined ? { description: r.description } : {}), at: HISTORY_AT, by };
    const line = (e: DeployHistoryEntry) => JSON.stringify(e);
    return {
        verified: line({ ...base, outcome: "verified" }),
        failed: line({ ...base, outcome: "failed", detail: HISTORY_DETAIL }),
        restored: line({ app, image, digest: HISTORY_PREVIOUS_DIGEST, tag: HISTORY_PREVIOUS_TAG, at: HISTORY_AT, by, outcome: "rolled-back" }),
    };
}
