
/**
 * Hand-built estates in the shape the program registers (see components/lxcClass.ts, deployment.ts,
 * devContainer.ts): compliant by construction, so each test mutates exactly one thing.
 */
import { renderDeployRecord } from "../../lib/rules/deploy-record";
import { LIFECYCLE, OCI, KINDS, TYPES } from "../../lib/contract";
import { type ReleaseProps } from "../../lib/release/spec";

import type { CapturedResource } from "./harness";

export const PROJECT = "image-lifecycle";
export const REGISTRY = "registry.example.test:5000";
export const DIGEST_A = "a".repeat(64);
export const DIGEST_B = "b".repeat(64);

export function urn(stack: string, type: string, name: string, parentTypes: string[] = []): string {
    return `urn:pulumi:${stack}::${PROJECT}::${[...parentTypes, type].join("$")}::${name}`;
}

export const labelList = (m: Record<string, string>) => Object.entries(m).map(([label, value]) => ({ label, value }));

function res(r: Partial<CapturedResource> & Pick<CapturedResource, "type" | "urn" | "name">): CapturedResource {
    return { props: {}, dependencies: [], propertyDependencies: {}, ...r };
}

/** A mutable estate: resources by name for easy mutation, and the list for the harness. */
export class Estate {
    readonly resources: CapturedResource[] = [];
    add(r: CapturedResource): CapturedResource {
        this.resources.push(r);
        return r;
    }
    get(name: string): CapturedResource {
        const r = this.resources.find((x) => x.name === name);
        if (!r) throw new Error(`fixture has no resource ${name}`);
        return r;
    }
    remove(name: string): void {
        this.resources.splice(this.resources.indexOf(this.get(name)), 1);
    }
    /** The labels of a resource as a map, for one-line label mutations. */
    setLabel(name: string, key: string, value: string | undefined): void {
        const r = this.get(name);
        const list = (r.props.labels as { label: string; value: string }[]).filter((l) => l.label !== key);
        if (value !== undefined) list.push({ label: key, value });
        r.props.labels = list;
    }
}

export interface ClassHandles {
    lxc: CapturedResource;
    provider: CapturedResource;
    network: CapturedResource;
}

export function addClass(e: Estate, stack: string, cls: string, volumes: string[] = []): ClassHandles {
    const lxc = e.add(res({ type: TYPES.lxcClass, urn: urn(stack, TYPES.lxcClass, cls), name: cls }));
    const provider = e.add(res({
        type: TYPES.dockerProvider,
        urn: urn(stack, TYPES.dockerProvider, `${cls}-docker`, [TYPES.lxcClass]),
        name: `${cls}-docker`,
        parent: lxc.urn,
        props: { host: `ssh://deploy@${cls}.proxima.test` },
    }));
    const pref = `${provider.urn}::${cls}-provider-id`;
    const network = e.add(res({
        type: TYPES.network,
        urn: urn(stack, TYPES.network, `${cls}-network`, [TYPES.lxcClass]),
        name: `${cls}-network`,
        parent: lxc.urn,
        provider: pref,
        props: { name: `proxima-${cls}`, driver: "bridge", labels: labelList({ [LIFECYCLE.class]: cls }) },
    }));
    for (const v of volumes) {
        e.add(res({
            type: TYPES.volume,
            urn: urn(stack, TYPES.volume, `${cls}-${v}`, [TYPES.lxcClass]),
            name: `${cls}-${v}`,
            parent: lxc.urn,
            provider: pref,
            props: { name: `${cls}-${v}`, labels: labelList({ [LIFECYCLE.class]: cls }) },
        }));
    }
    return { lxc, provider, network };
}

export interface AppSpec {
    app: string;
    cls: string;
    digest?: string;
    memory?: number;
    cpus?: string;
    /** `<app>-<volume>` names of class volumes to mount. */
    volumes?: string[];
}

/** A Proxima Deployment: component, container and its record command, as components/deployment.ts registers them. */
export function addApp(e: Estate, stack: string, c: ClassHandles, spec: AppSpec): CapturedResource {
    const deploymentType = "image-lifecycle:proxima:Deployment";
    const digest = `sha256:${spec.digest ?? DIGEST_A}`;
    const deployment = e.add(res({ type: deploymentType, urn: urn(stack, deploymentType, spec.app), name: spec.app }));
    const recordPath = `/opt/acme/${spec.app}/deploy-info.yml`;
    const volumes = (spec.volumes ?? []).map((v) => `${spec.cls}-${v}`);
    const volumeUrns = volumes.map((v) => e.get(v).urn);
    const container = e.add(res({
        type: TYPES.container,
        urn: urn(stack, TYPES.container, `${spec.app}-container`, [deploymentType]),
        name: `${spec.app}-container`,
        parent: deployment.urn,
        provider: `${c.provider.urn}::${spec.cls}-provider-id`,
        props: {
            name: spec.app,
            image: `${REGISTRY}/acme/${spec.app}@${digest}`,
            labels: labelList({
                [LIFECYCLE.class]: spec.cls,
                [LIFECYCLE.stack]: "proxima",
                [LIFECYCLE.app]: spec.app,
                [LIFECYCLE.digest]: digest,
                [LIFECYCLE.record]: recordPath,
                [LIFECYCLE.tag]: "v1.0.0",
                [OCI.description]: "add healthcheck",
                [OCI.created]: "2026-01-25T01:10:00Z",
                [OCI.revision]: "6350192" + "0".repeat(33),
            }),
            networksAdvanced: [{ name: `proxima-${spec.cls}` }],
            volumes: volumes.map((v) => ({ volumeName: v, containerPath: "/data" })),
            restart: "unless-stopped",
            memory: spec.memory ?? 256,
            cpus: spec.cpus ?? "0.5",
            privileged: false,
        },
        dependencies: [c.network.urn, ...volumeUrns],
        propertyDependencies: { volumes: volumeUrns },
    }));
    e.add(res({
        type: HOST_SCRIPT_TYPE,
        urn: urn(stack, HOST_SCRIPT_TYPE, `${spec.app}-record`, [deploymentType]),
        name: `${spec.app}-record`,
        parent: deployment.urn,
        props: {
            kind: KINDS.hostScript,
            role: "deploy-record",
            endpoint: `ssh://deploy@${spec.cls}.proxima.test`,
            sshOpts: [],
            recordPath,
            script: `set -eu\ntarget='${recordPath}'\ntmp=$(mktemp)\ncat > "$tmp"\nmv -f "$tmp" "$target"\n`,
            triggers: [digest],
            stdin: renderDeployRecord({ app: spec.app, image: `${REGISTRY}/acme/${spec.app}`, digest, tag: "v1.0.0", deployed_at: "@DEPLOYED_AT@", deployed_by: "ci" }),
        },
        dependencies: [container.urn],
    }));
    return container;
}

/** The type token of the program's host scripts (a named dynamic resource). */
export const HOST_SCRIPT_TYPE = "pulumi-nodejs:dynamic/image-lifecycle:HostScript";

export function addRelease(e: Estate, stack: string, name: string, inputs: Partial<ReleaseProps> = {}): CapturedResource {
    const props: ReleaseProps = { kind: KINDS.release, registry: REGISTRY, repository: "acme/web", digest: DIGEST_A, tag: "v1.0.0", ...inputs };
    const type = `${TYPES.dynamic}/image-lifecycle:Release`;
    return e.add(res({ type, urn: urn(stack, type, name, ["image-lifecycle:release:Release"]), name, props: { ...props } }));
}

/** Proxima: core (web with a data volume, api) and monitoring (metrics), a release, the production gate. */
export function proximaEstate(): Estate {
    const e = new Estate();
    const core = addClass(e, "proxima", "core", ["web-data"]);
    const monitoring = addClass(e, "proxima", "monitoring", ["metrics-data"]);
    addApp(e, "proxima", core, { app: "web", cls: "core", volumes: ["web-data"] });
    addApp(e, "proxima", core, { app: "api", cls: "core", digest: DIGEST_B });
    addApp(e, "proxima", monitoring, { app: "metrics", cls: "monitoring", volumes: ["metrics-data"] });
    addRelease(e, "proxima", "web-v1.0.0");
    e.add(res({
        type: TYPES.repositoryEnvironment,
        urn: urn("proxima", TYPES.repositoryEnvironment, "production"),
        name: "production",
        props: { repository: "acme", environment: "production", reviewers: [{ users: [1234] }] },
    }));
    return e;
}

/** Lyra: its provider, one dev container with a workspace bind and a temporary volume. */
export function lyraEstate(): Estate {
    const e = new Estate();
    const devType = "image-lifecycle:lyra:DevContainer";
    const provider = e.add(res({ type: TYPES.dockerProvider, urn: urn("lyra", TYPES.dockerProvider, "lyra-docker"), name: "lyra-docker", props: { host: "unix:///var/run/docker.sock" } }));
    const pref = `${provider.urn}::lyra-provider-id`;
    const dev = e.add(res({ type: devType, urn: urn("lyra", devType, "web"), name: "web" }));
    const lyraLabels = { [LIFECYCLE.class]: "lyra", [LIFECYCLE.stack]: "lyra", [LIFECYCLE.ephemeral]: "true" };
    const tmp = e.add(res({
        type: TYPES.volume, urn: urn("lyra", TYPES.volume, "web-tmp0", [devType]), name: "web-tmp0", parent: dev.urn, provider: pref,
        props: { name: "lyra-web-tmp0", labels: labelList({ ...lyraLabels, [LIFECYCLE.app]: "web" }) },
    }));
    e.add(res({
        type: TYPES.container, urn: urn("lyra", TYPES.container, "web-container", [devType]), name: "web-container", parent: dev.urn, provider: pref,
        props: {
            name: "lyra-web",
            image: `${REGISTRY}/acme/web@sha256:${DIGEST_A}`,
            labels: labelList({ ...lyraLabels, [LIFECYCLE.app]: "web" }),
            restart: "no",
            privileged: false,
            memory: 512,
            cpus: "1",
            volumes: [{ hostPath: "/home/dev/src/web", containerPath: "/src" }, { volumeName: "lyra-web-tmp0", containerPath: "/tmp/work" }],
        },
        dependencies: [tmp.urn],
    }));
    return e;
}
