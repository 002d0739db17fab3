/**
 * One pass over a stack's resources that stack policies query by URN, name or parent, so every stack
 * policy stays linear in the number of resources.
 */
import type { PolicyResource } from "@pulumi/policy";
import { LIFECYCLE, type LxcClassName, TYPES } from "../../lib/contract";
import { containerView, isKnownClass, providerClass, type ProviderRef, resourceLabels, sideOfClass } from "./resources";
import { field, label, type Labels } from "./values";

export interface ContainerView {
    resource: PolicyResource;
    labels: Labels;
    target: "lyra" | "proxima";
    /** The known class its class label names, on a Proxima container; undefined otherwise (proxima-workload-class reports it). */
    proximaClass: LxcClassName | undefined;
}

export class StackIndex {
    readonly byUrn = new Map<string, PolicyResource>();
    readonly containers: ContainerView[] = [];
    /** Docker networks and volumes by their `name` input (the Docker-side name containers refer to). */
    readonly networksByName = new Map<string, PolicyResource>();
    readonly volumesByName = new Map<string, PolicyResource>();
    /** LxcClass components by class name. */
    readonly lxcClasses = new Map<string, PolicyResource>();
    /** Docker providers by their `host` input: the endpoint a product app container must share with its class. */
    readonly providersByHost = new Map<string, PolicyResource[]>();
    private readonly classes = new Map<string, string | undefined>();

    constructor(readonly resources: PolicyResource[]) {
        for (const r of resources) {
            this.byUrn.set(r.urn, r);
            if (r.type === TYPES.lxcClass) this.lxcClasses.set(r.name, r);
            if (r.type === TYPES.dockerProvider) {
                const host = field(r.props, "host");
                if (typeof host === "string") {
                    const same = this.providersByHost.get(host);
                    if (same) same.push(r);
                    else this.providersByHost.set(host, [r]);
                }
            }
            const container = containerView(r);
            if (container) {
                const cls = label(container.labels, LIFECYCLE.class);
                this.containers.push({ resource: r, ...container, proximaClass: container.target === "proxima" && isKnownClass(cls) ? cls : undefined });
            } else if (r.type === TYPES.network || r.type === TYPES.volume) {
                const name = field(r.props, "name");
                const key = typeof name === "string" ? name : r.name;
                (r.type === TYPES.network ? this.networksByName : this.volumesByName).set(key, r);
            }
        }
    }

    /** The hosts of the Docker providers that serve class `cls` (normally one: its `<class>-docker`). */
    hostsOfClass(cls: string): string[] {
        const out: string[] = [];
        for (const [host, providers] of this.providersByHost) if (providers.some((p) => this.classOf(p) === cls)) out.push(host);
        return out;
    }

    parentOf(r: PolicyResource): PolicyResource | undefined {
        if (r.parent) return r.parent;
        const urn = r.opts?.parent;
        return urn ? this.byUrn.get(urn) : undefined;
    }

    /** The class a provider reference serves, using its LxcClass parent when the provider is in the stack. */
    classOfProvider(p: ProviderRef): string | undefined {
        const registered = this.byUrn.get(p.urn);
        const parent = registered ? this.parentOf(registered) : undefined;
        return providerClass(p, parent?.type === TYPES.lxcClass ? parent.name : undefined);
    }

    /**
     * The class a resource belongs to: its class label, else the LxcClass it sits under, else the
     * class of its provider. Undefined for class-free resources (stack-wide ones such as releases).
     */
    classOf(r: PolicyResource): string | undefined {
        if (this.classes.has(r.urn)) return this.classes.get(r.urn);
        this.classes.set(r.urn, undefined); // guards against a parent cycle in malformed input
        let cls: string | undefined;
        if (r.type === TYPES.lxcClass) cls = r.name;
        else {
            const own = label(resourceLabels(r.props), LIFECYCLE.class);
            if (typeof own === "string" && sideOfClass(own)) cls = own;
            else if (r.type === TYPES.dockerProvider) cls = this.classOfProvider({ type: r.type, urn: r.urn, name: r.name, props: r.props });
            else {
                const parent = this.parentOf(r);
                cls = parent ? this.classOf(parent) : undefined;
                if (cls === undefined && r.provider) cls = this.classOfProvider(r.provider as ProviderRef);
            }
        }
        this.classes.set(r.urn, cls);
        return cls;
    }
}

/** Every resource `r` depends on: explicit dependencies and property dependencies, once each. */
export function dependenciesOf(r: PolicyResource): PolicyResource[] {
    const seen = new Map<string, PolicyResource>();
    for (const d of r.dependencies ?? []) seen.set(d.urn, d);
    for (const list of Object.values(r.propertyDependencies ?? {})) for (const d of list) seen.set(d.urn, d);
    return [...seen.values()];
}
