import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { isAppContainer, isKnownClass, mountSources, type ProviderRef } from "../lib/resources";
import { dependenciesOf, StackIndex } from "../lib/stack";
import { describe, field, list, UNKNOWN } from "../lib/values";
import { LYRA, NAMES } from "../../lib/contract";

// Network modes that share a namespace with the host or with another container, whatever its class.
const SHARED_NETWORK_MODE = /^(host|container:.*)$/;

/**
 * Seed 000: nothing may depend across classes. Each class is its own Docker endpoint with its own
 * network and volumes, so a container's provider (an app container's endpoint), networks, volumes and
 * dependencies must all be of its class. A Lyra provider on a docker container is left to
 * `stack-endpoint-separation`, and a missing class to `proxima-workload-class`, so each fault is
 * reported once.
 */
export const proximaClassIsolation: StackValidationPolicy = {
    name: "proxima-class-isolation",
    description: "A Proxima container's provider or endpoint, networks, volumes and dependencies all belong to its own class.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const index = new StackIndex(args.resources);
        // Resources whose class a property check already judged; the dependency check skips them.
        const judged = new Map<string, Set<string>>();
        const judge = (owner: string, dep: PolicyResource | undefined) => {
            if (!dep) return;
            let set = judged.get(owner);
            if (!set) judged.set(owner, (set = new Set()));
            set.add(dep.urn);
        };

        for (const c of index.containers) {
            const cls = c.proximaClass;
            if (!cls) continue;
            const r = c.resource;
            const where = `container ${r.name} (class ${cls})`;

            if (isAppContainer(r.type, r.props)) {
                // The product's own container has no docker provider: it reaches its class host by its
                // endpoint, which must be the host of its class's provider. This rule judges every other
                // endpoint (another class's, Lyra's, none), so stack-endpoint-separation leaves it alone.
                const endpoint = field(r.props, "endpoint");
                const hosts = index.hostsOfClass(cls);
                const fix = `Set endpoint to ${hosts.length === 1 ? hosts[0] : `the host of the ${NAMES.classProvider(cls)} provider`}, the Docker endpoint of LxcClass ${cls}.`;
                if (typeof endpoint !== "string") {
                    report(`${where}: its endpoint is ${describe(endpoint)}, so class isolation cannot be checked. ${fix}`, r.urn);
                } else {
                    const owners = index.providersByHost.get(endpoint) ?? [];
                    const classes = owners.map((p) => index.classOf(p));
                    if (!classes.includes(cls)) {
                        const other = classes.find((oc) => oc !== undefined);
                        const whose = other === LYRA ? "Lyra's Docker endpoint" : other ? `the ${other} class's Docker endpoint` : "the Docker endpoint of no class in this stack";
                        report(`${where}: endpoint ${endpoint} is ${whose}. ${fix}`, r.urn);
                    }
                    for (const p of owners) judge(r.urn, p);
                }
            } else if (r.provider) {
                const p = r.provider as ProviderRef;
                judge(r.urn, index.byUrn.get(p.urn));
                const pc = index.classOfProvider(p);
                if (pc === undefined) {
                    report(`${where}: provider ${p.name} belongs to no class. Create the container with the ${NAMES.classProvider(cls)} provider of LxcClass ${cls}.`, r.urn);
                } else if (pc !== cls && pc !== LYRA) {
                    report(`${where}: provider ${p.name} is the ${pc} class's Docker endpoint. Create the container with the ${NAMES.classProvider(cls)} provider of LxcClass ${cls}.`, r.urn);
                }
            } else {
                report(`${where}: it uses the default Docker provider, which belongs to no class. Create it with the ${NAMES.classProvider(cls)} provider of LxcClass ${cls}.`, r.urn);
            }

            const mode = field(r.props, "networkMode");
            if (typeof mode === "string" && SHARED_NETWORK_MODE.test(mode)) {
                report(`${where}: networkMode "${mode}" shares a network namespace outside the class. Attach it to network ${NAMES.classNetwork(cls)} instead.`, r.urn);
            }
            const networks = list(field(r.props, "networksAdvanced"));
            if (networks === UNKNOWN) {
                report(`${where}: its networks are unknown during preview, so class isolation cannot be checked. Use literal network names.`, r.urn);
            } else {
                for (const n of networks ?? []) {
                    const name = field(n, "name");
                    if (typeof name !== "string") {
                        report(`${where}: a network name is ${describe(name)}, so class isolation cannot be checked. Use the literal name ${NAMES.classNetwork(cls)}.`, r.urn);
                        continue;
                    }
                    const net = index.networksByName.get(name);
                    judge(r.urn, net);
                    const nc = net ? index.classOf(net) : NAMES.classOfNetwork(name);
                    if (nc !== cls) {
                        report(`${where}: network "${name}" ${nc ? `belongs to class ${nc}` : "belongs to no class"}. Attach it only to ${NAMES.classNetwork(cls)}.`, r.urn);
                    }
                }
            }

            const names = mountSources(r.props, "volume");
            if (names === UNKNOWN) {
                report(`${where}: its volumes are unknown during preview, so class isolation cannot be checked. Use literal volume names.`, r.urn);
            } else {
                for (const name of names) {
                    if (typeof name !== "string") {
                        report(`${where}: a volume name is ${describe(name)}, so class isolation cannot be checked. Use a literal ${cls}-<app>-<volume> name.`, r.urn);
                        continue;
                    }
                    const vol = index.volumesByName.get(name);
                    judge(r.urn, vol);
                    const vc = vol ? index.classOf(vol) : undefined;
                    if (vc !== cls) {
                        report(`${where}: volume "${name}" ${vc ? `belongs to class ${vc}` : "is not a volume of any class"}. Mount only volumes created by LxcClass ${cls}.`, r.urn);
                    }
                }
            }
        }

        // Dependencies: any resource with a Proxima class that depends on one of another Proxima class.
        for (const r of args.resources) {
            const cls = index.classOf(r);
            if (!isKnownClass(cls)) continue;
            const skip = judged.get(r.urn);
            for (const d of dependenciesOf(r)) {
                if (skip?.has(d.urn)) continue;
                const dc = index.classOf(d);
                if (isKnownClass(dc) && dc !== cls) {
                    report(`${r.name} (class ${cls}) depends on ${d.name} (class ${dc}); nothing may depend across classes. Remove the dependsOn or the reference, or move both into one class.`, r.urn);
                }
            }
        }
    },
};
