import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DevContainerConfig, Limits } from "../lib/config";
import { LIFECYCLE, LxcClassName, TYPES } from "../lib/contract";
import { runtimeArgs } from "./container";
import { PinnedImage } from "./pinnedImage";
import { ImageResolver } from "./resolver";

export interface DevContainerArgs {
    /** The dev container as parsed from the stack config. */
    container: Omit<DevContainerConfig, "name">;
    /** Lyra's Docker provider. */
    provider: docker.Provider;
    resolver: ImageResolver;
}

/** Seed 001's "prepare for promotion": what Proxima needs to know to run this image. */
export interface PromotionPlan {
    image: string;
    digest: string;
    tag?: string;
    /** Names only: values may be secrets and differ on Proxima. */
    envNames: string[];
    volumes: { containerPath: string; kind: "temporary" | "workspace" }[];
    resources: Limits;
    suggestedClass?: LxcClassName;
}

/**
 * An ephemeral, class-free development container on Lyra (seed 001): no restart policy, limited
 * memory and CPU, never privileged, bind mounts only below the workspace, temporary volumes
 * labelled as such, logs kept in json-file so `docker logs` works.
 */
export class DevContainer extends pulumi.ComponentResource {
    /** `host[:port]/repository@sha256:…`. */
    public readonly pinned: pulumi.Output<string>;
    /** What to carry to Proxima. */
    public readonly promotion: pulumi.Output<PromotionPlan>;
    public readonly container: docker.Container;

    constructor(name: string, args: DevContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.devContainer, name, {}, opts);
        const c = args.container;
        const childOpts = { parent: this, provider: args.provider };
        const lyraLabels = [
            { label: LIFECYCLE.class, value: "lyra" },
            { label: LIFECYCLE.stack, value: "lyra" },
            { label: LIFECYCLE.ephemeral, value: "true" },
            { label: LIFECYCLE.app, value: name },
        ];
        const resolved = new PinnedImage(`${name}-resolved`, { repository: c.repository, tag: c.tag, digest: c.digest, resolver: args.resolver }, { parent: this });
        this.pinned = resolved.pinned;
        const remote = new docker.RemoteImage(`${name}-image`, { name: resolved.pinned, keepLocally: false }, childOpts);

        const temporary: docker.Volume[] = [];
        const volumes = c.volumes.map((v, i) => {
            if (v.hostPath !== undefined) return { hostPath: v.hostPath, containerPath: v.containerPath, readOnly: v.readOnly };
            const volumeName = `lyra-${name}-tmp${i}`;
            temporary.push(new docker.Volume(`${name}-tmp${i}`, {
                name: volumeName,
                labels: lyraLabels,
            }, childOpts));
            return { volumeName, containerPath: v.containerPath, readOnly: v.readOnly };
        });

        this.container = new docker.Container(`${name}-container`, {
            ...runtimeArgs(c, resolved.resolved),
            name: `lyra-${name}`,
            image: resolved.pinned,
            labels: lyraLabels,
            restart: "no",
            ports: c.ports.map((p) => ({ internal: p.internal, external: p.external, protocol: p.protocol, ip: "127.0.0.1" })),
            volumes,
            logOpts: { "max-size": "10m" },
        }, { ...childOpts, dependsOn: [remote, ...temporary] });

        this.promotion = resolved.resolved.apply((r): PromotionPlan => ({
            image: `${r.registry}/${r.repository}`,
            digest: r.digest,
            ...(r.tag !== undefined ? { tag: r.tag } : {}),
            envNames: Object.keys(c.env).sort(),
            volumes: c.volumes.map((v) => ({ containerPath: v.containerPath, kind: v.hostPath !== undefined ? "workspace" as const : "temporary" as const })),
            resources: c.limits,
            ...(c.suggestedClass ? { suggestedClass: c.suggestedClass } : {}),
        }));
        this.registerOutputs({ pinned: this.pinned, promotion: this.promotion });
    }
}
