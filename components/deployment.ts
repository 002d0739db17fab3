import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AppConfig } from "../lib/config";
import { DeploymentSummary, renderDeployRecord } from "../lib/rules/deploy-record";
import { LIFECYCLE, NAMES, OCI, TYPES } from "../lib/contract";
import { DEPLOYED_AT_PLACEHOLDER, deployRecordScript, verifyScript, verifyWaitSeconds } from "../lib/host/scripts";
import { runtimeArgs } from "./container";
import { HostScript } from "./hostScript";
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
 * One app on Proxima: the image resolved to a digest, pulled and run pinned `repo@sha256:…` through
 * its class's provider on its class's network, then the deploy record written and the container
 * verified on the class host.
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
    public readonly container: docker.Container;

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

        const hc = app.healthcheck;
        this.container = new docker.Container(`${name}-container`, {
            ...runtimeArgs(app, resolved.resolved),
            name: app.name,
            image: resolved.pinned,
            labels,
            ports: app.ports.map((p) => ({ internal: p.internal, external: p.external, protocol: p.protocol })),
            networksAdvanced: [{ name: lxcClass.networkName }],
            volumes: app.volumes.map((v) => ({ volumeName: NAMES.classVolume(klass, app.name, v.name), containerPath: v.containerPath, readOnly: v.readOnly })),
            restart: app.restart,
            logOpts: { "max-size": "10m", "max-file": "3" },
        }, {
            ...childOpts,
            dependsOn: [remote, lxcClass.network, ...app.volumes.map((v) => lxcClass.volumes[`${app.name}/${v.name}`]).filter((x) => x !== undefined)],
        });

        const image = resolved.image;
        this.record = pulumi.all([image, resolved.resolved]).apply(([img, r]) => renderDeployRecord({
            app: app.name,
            image: img,
            digest: r.digest,
            ...(r.tag !== undefined ? { tag: r.tag } : {}),
            ...(r.description !== undefined ? { description: r.description } : {}),
            deployed_at: DEPLOYED_AT_PLACEHOLDER,
            deployed_by: args.deployedBy,
        }));
        const host = { endpoint: lxcClass.host, sshOpts: lxcClass.sshOpts };
        // Verified first: a container that does not run (or never turns healthy) leaves the old record.
        const verify = new HostScript(`${name}-verify`, {
            ...host,
            role: "verify",
            script: verifyScript(app.name, hc !== undefined && hc.test[0] !== "NONE", verifyWaitSeconds(hc && hc.test[0] !== "NONE" ? hc : undefined)),
            triggers: [this.container.id, resolved.digest],
        }, { parent: this, dependsOn: [this.container] });
        new HostScript(`${name}-record`, {
            ...host,
            role: "deploy-record",
            recordPath: this.recordPath,
            script: deployRecordScript(this.recordPath),
            stdin: this.record,
            // A new digest (or tag, description, deployer) changes the record: it is rewritten with a fresh deploy time.
            triggers: [resolved.digest],
        }, { parent: this, dependsOn: [verify] });

        this.summary = pulumi.all([image, resolved.resolved]).apply(([img, r]): DeploymentSummary => ({
            class: klass,
            image: img,
            ...(r.tag !== undefined ? { tag: r.tag } : {}),
            digest: r.digest,
            ...(r.description !== undefined ? { description: r.description } : {}),
            host: lxcClass.host,
        }));
        this.registerOutputs({ pinned: this.pinned, digest: this.digest, summary: this.summary, recordPath: this.recordPath });
    }
}
