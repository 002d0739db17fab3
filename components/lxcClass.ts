import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Limits } from "../lib/config";
import { LIFECYCLE, LxcClassName, NAMES, TYPES } from "../lib/contract";
import type { DockerRegistryAuth } from "../lib/registry/access";

export interface LxcClassArgs {
    /** Docker endpoint of the class's LXC container, `ssh://user@host[:port]`. */
    host: string;
    sshOpts?: string[];
    budget: Limits;
    /** Registry login the class's Docker endpoint pulls with (lib/registry/access.ts); the password is made secret here, once. */
    registryAuth?: DockerRegistryAuth;
    /** Volumes the class owns, one per app volume; named `<class>-<app>-<volume>`. */
    volumes?: { app: string; volume: string }[];
}

/**
 * One LXC responsibility class on Proxima (seed 000): its own Docker endpoint (provider), network and
 * volumes, all labelled with the class. The resource name is the class name.
 */
export class LxcClass extends pulumi.ComponentResource {
    /** The class name: `core`, `monitoring` or `experimental`. */
    public readonly className: LxcClassName;
    /** The class's Docker endpoint; every container of the class uses it. */
    public readonly provider: docker.Provider;
    /** `proxima-<class>`: the only network containers of the class join. */
    public readonly network: docker.Network;
    /** The Docker name of the class network. */
    public readonly networkName: string;
    /** Class-owned volumes by `<app>/<volume>`. */
    public readonly volumes: Record<string, docker.Volume>;
    /** The endpoint, for deploy records and the `deployments` output. */
    public readonly host: string;
    /** The class budget the config was checked against. */
    public readonly budget: Limits;
    /** Options for the `ssh` client reaching the host (the docker provider and the host scripts use them alike). */
    public readonly sshOpts: string[];

    constructor(name: LxcClassName, args: LxcClassArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.lxcClass, name, {}, opts);
        this.className = name;
        this.host = args.host;
        this.budget = args.budget;
        this.sshOpts = args.sshOpts ?? [];
        const classLabel = [{ label: LIFECYCLE.class, value: name }];
        this.provider = new docker.Provider(NAMES.classProvider(name), {
            host: args.host,
            sshOpts: this.sshOpts,
            ...(args.registryAuth ? {
                registryAuth: [{
                    address: args.registryAuth.address,
                    ...(args.registryAuth.username ? { username: args.registryAuth.username } : {}),
                    ...(args.registryAuth.password !== undefined ? { password: pulumi.secret(args.registryAuth.password) } : {}),
                }],
            } : {}),
        }, { parent: this });
        this.networkName = NAMES.classNetwork(name);
        this.network = new docker.Network(`${name}-network`, {
            name: this.networkName,
            driver: "bridge",
            // Only the class: the docker provider replaces a network whose labels change, and a fixed-name
            // network that still has containers cannot be replaced. The budget is a registered output.
            labels: classLabel,
        }, { parent: this, provider: this.provider });
        this.volumes = {};
        for (const v of args.volumes ?? []) {
            const volumeName = NAMES.classVolume(name, v.app, v.volume);
            this.volumes[`${v.app}/${v.volume}`] = new docker.Volume(volumeName, {
                name: volumeName,
                labels: [...classLabel, { label: LIFECYCLE.app, value: v.app }],
            }, { parent: this, provider: this.provider, retainOnDelete: true });
        }
        // The budget travels with the class: stack policies read it from these outputs.
        this.registerOutputs({ networkName: this.networkName, host: this.host, budget: { memoryMb: args.budget.memoryMb, cpus: args.budget.cpus } });
    }
}
