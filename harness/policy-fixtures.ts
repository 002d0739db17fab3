
/**
 * Hand-built estates in the shape the program registers (see components/lxcClass.ts, deployment.ts,
 * appContainer.ts, devContainer.ts): compliant by construction, so each test mutates exactly one thing.
 */
import { renderDeployRecord } from "../lib/rules/deploy-record";
import { type DeployHistoryEntry, LIFECYCLE, OCI, KINDS, TYPES } from "../lib/contract";
import {
    DEPLOYED_AT_PLACEHOLDER, HISTORY_AT, HISTORY_DETAIL, HISTORY_PREVIOUS_DIGEST, HISTORY_PREVIOUS_TAG, specHash, VERIFY_MIN_SECONDS,
} from "../lib/host/app-container";
import { type AppContainerInputs, type ContainerFields, specOf } from "../lib/host/app-container-provider";
import { type ReleaseProps } from "../lib/release/spec";

import type { CapturedResource } from "./policy";

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

/** The type token of the program's app containers (components/appContainer.ts: a named dynamic resource). */
export const APP_CONTAINER_TYPE = `${TYPES.dynamic}/${PROJECT}:AppContainer`;
/** The docker provider's pulled image, which an app container depends on. */
export const REMOTE_IMAGE_TYPE = "docker:index/remoteImage:RemoteImage";

const DEPLOYMENT_TYPE = TYPES.deployment;

/** The labels components/deployment.ts puts on an app's container. */
function appLabels(spec: AppSpec, digest: string, recordPath: string): { label: string; value: string }[] {
    return labelList({
        [LIFECYCLE.class]: spec.cls,
        [LIFECYCLE.stack]: "proxima",
        [LIFECYCLE.app]: spec.app,
        [LIFECYCLE.digest]: digest,
        [LIFECYCLE.record]: recordPath,
        [LIFECYCLE.tag]: "v1.0.0",
        [OCI.description]: "add healthcheck",
        [OCI.created]: "2026-01-25T01:10:00Z",
        [OCI.revision]: "6350192" + "0".repeat(33),
    });
}

/**
 * A Proxima Deployment as components/deployment.ts registers it: the component, the pulled image on the
 * class's provider, and the product's own app container (a dynamic resource: no docker provider; it
 * reaches the class host by `endpoint`, writes its own deploy record and depends on the image, the
 * class network and the class volumes it mounts).
 */
export function addApp(e: Estate, stack: string, c: ClassHandles, spec: AppSpec): CapturedResource {
    const digest = `sha256:${spec.digest ?? DIGEST_A}`;
    const deployment = e.add(res({ type: DEPLOYMENT_TYPE, urn: urn(stack, DEPLOYMENT_TYPE, spec.app), name: spec.app }));
    const recordPath = `/opt/acme/${spec.app}/deploy-info.yml`;
    const repository = `${REGISTRY}/acme/${spec.app}`;
    const image = `${repository}@${digest}`;
    const volumes = (spec.volumes ?? []).map((v) => `${spec.cls}-${v}`);
    const volumeUrns = volumes.map((v) => e.get(v).urn);
    const pulled = e.add(res({
        type: REMOTE_IMAGE_TYPE,
        urn: urn(stack, REMOTE_IMAGE_TYPE, `${spec.app}-image`, [DEPLOYMENT_TYPE]),
        name: `${spec.app}-image`,
        parent: deployment.urn,
        provider: `${c.provider.urn}::${spec.cls}-provider-id`,
        props: { name: image, keepLocally: true },
    }));
    const memory = spec.memory ?? 256;
    const fields: ContainerFields = {
        name: spec.app,
        image,
        labels: appLabels(spec, digest, recordPath),
        envs: [],
        ports: [],
        volumes: volumes.map((v) => ({ volumeName: v, containerPath: "/data", readOnly: false })),
        networksAdvanced: [{ name: `proxima-${spec.cls}` }],
        memory,
        cpus: spec.cpus ?? "0.5",
        restart: "unless-stopped",
        logOpts: { "max-size": "10m", "max-file": "3" },
    };
    const line = (entry: DeployHistoryEntry) => JSON.stringify(entry);
    const entry = { app: spec.app, image: repository, digest, tag: "v1.0.0", at: HISTORY_AT, by: "ci" };
    const props: AppContainerInputs = {
        kind: KINDS.appContainer,
        endpoint: String(c.provider.props.host),
        sshOpts: [],
        ...fields,
        memorySwap: memory,
        logDriver: "json-file",
        privileged: false,
        recordPath,
        record: renderDeployRecord({ app: spec.app, image: repository, digest, tag: "v1.0.0", deployed_at: DEPLOYED_AT_PLACEHOLDER, deployed_by: "ci" }),
        history: {
            verified: line({ ...entry, outcome: "verified" }),
            failed: line({ ...entry, outcome: "failed", detail: HISTORY_DETAIL }),
            restored: line({ ...entry, digest: HISTORY_PREVIOUS_DIGEST, tag: HISTORY_PREVIOUS_TAG, outcome: "rolled-back" }),
        },
        waitSeconds: VERIFY_MIN_SECONDS,
        spec: specHash(specOf(fields)),
    };
    return e.add(res({
        type: APP_CONTAINER_TYPE,
        urn: urn(stack, APP_CONTAINER_TYPE, `${spec.app}-container`, [DEPLOYMENT_TYPE]),
        name: `${spec.app}-container`,
        parent: deployment.urn,
        props: { ...props },
        dependencies: [pulled.urn, c.network.urn, ...volumeUrns],
    }));
}

/**
 * Replaces an app's container by a plain docker container, as a hand-written program might register it:
 * same name, labels, image, network, volumes and limits, on the class's docker provider, writing no
 * deploy record. Returns it.
 */
export function asDockerContainer(e: Estate, app: string): CapturedResource {
    const old = e.get(`${app}-container`);
    const p = old.props as unknown as AppContainerInputs;
    const cls = p.labels.find((l) => l.label === LIFECYCLE.class)!.value;
    const provider = e.get(`${cls}-docker`);
    const stack = old.urn.split("::")[0].slice("urn:pulumi:".length);
    e.remove(old.name);
    return e.add(res({
        type: TYPES.container,
        urn: urn(stack, TYPES.container, old.name, [DEPLOYMENT_TYPE]),
        name: old.name,
        parent: old.parent,
        provider: `${provider.urn}::${cls}-provider-id`,
        props: {
            name: p.name,
            image: p.image,
            labels: p.labels,
            networksAdvanced: p.networksAdvanced,
            volumes: p.volumes.map((v) => ({ volumeName: v.volumeName, containerPath: v.containerPath })),
            restart: p.restart,
            memory: p.memory,
            cpus: p.cpus,
            privileged: false,
        },
        dependencies: old.dependencies,
        propertyDependencies: { volumes: old.dependencies.filter((d) => e.resources.find((r) => r.urn === d)?.type === TYPES.volume) },
    }));
}

export function addRelease(e: Estate, stack: string, name: string, inputs: Partial<ReleaseProps> = {}): CapturedResource {
    const props: ReleaseProps = { kind: KINDS.release, registry: REGISTRY, repository: "acme/web", digest: DIGEST_A, tag: "v1.0.0", ...inputs };
    const type = `${TYPES.dynamic}/image-lifecycle:Release`;
    return e.add(res({ type, urn: urn(stack, type, name, ["image-lifecycle:release:Release"]), name, props: { ...props } }));
}

/**
 * Proxima: core (web with a data volume, api) and monitoring (metrics), each app run by the product's own
 * container; a release; the production gate.
 */
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
