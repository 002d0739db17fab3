import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configWithDefaults } from "../lib/policy-config";
import { containerTarget, declaredSide, isAppContainer, isKnownClass, providerClass, type ProviderRef, resourceLabels, sideOfClass } from "../lib/resources";
import { field, label } from "../lib/values";
import { LIFECYCLE, NAMES, TYPES } from "../../lib/contract";

export interface EndpointConfig {
    lyraHosts: string[];
    proximaHosts: string[];
}

const schema = {
    properties: {
        lyraHosts: { type: "array" as const, items: { type: "string" as const }, default: [], description: "Docker host URLs of Lyra (a provider's host input)." },
        proximaHosts: { type: "array" as const, items: { type: "string" as const }, default: [], description: "Docker host URLs of Proxima's class endpoints." },
    },
};

const DOCKER_TYPES = new Set<string>([TYPES.container, TYPES.network, TYPES.volume]);

/**
 * Seed 001: Lyra's workflow must not interfere with Proxima. A Docker resource's side (its stack or
 * class label) must match its provider's side, known from the provider's name and parent (the
 * program's contract) and, when configured, its `host`. An app container has no provider: its
 * `endpoint` is judged against the configured hosts, unless it is a Proxima one of a known class,
 * whose endpoint proxima-class-isolation holds to its class's host.
 */
export const stackEndpointSeparation: ResourceValidationPolicy = {
    name: "stack-endpoint-separation",
    description: "No Lyra resource targets a Proxima Docker endpoint and no Proxima resource targets Lyra.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: (args, report) => {
        if (isAppContainer(args.type, args.props)) {
            // The product's own container reaches its host by its endpoint input, not a docker provider.
            const labels = resourceLabels(args.props);
            const side = containerTarget(labels);
            // proxima-class-isolation holds a Proxima app container of a known class to its class's host
            // (which judges a Lyra host too); judging it here as well would report one fault twice.
            if (side === "proxima" && isKnownClass(label(labels, LIFECYCLE.class))) return;
            const { lyraHosts, proximaHosts } = configWithDefaults<EndpointConfig>(schema, args.getConfig());
            const endpoint = field(args.props, "endpoint");
            const endpointSide = typeof endpoint !== "string" ? undefined : lyraHosts.includes(endpoint) ? "lyra" : proximaHosts.includes(endpoint) ? "proxima" : undefined;
            if (endpointSide && endpointSide !== side) {
                report(
                    `${args.name} is a ${side === "lyra" ? "Lyra" : "Proxima"} container but its endpoint ${endpoint} is a ${endpointSide === "lyra" ? "Lyra" : "Proxima"} host. ` +
                        (side === "lyra" ? `Run it on Lyra with the ${NAMES.lyraProvider} provider (a DevContainer).` : `Set endpoint to its class's host (a Deployment takes it from its LxcClass).`),
                );
            }
            return;
        }
        if (!DOCKER_TYPES.has(args.type) || !args.provider) return;
        const labels = resourceLabels(args.props);
        // Networks and volumes only say their side by label; unlabelled ones have no side to check.
        if (args.type !== TYPES.container && declaredSide(labels) === undefined) return;
        const side = containerTarget(labels, args.provider as ProviderRef);
        const provider = args.provider as ProviderRef;
        const { lyraHosts, proximaHosts } = configWithDefaults<EndpointConfig>(schema, args.getConfig());
        const host = field(provider.props, "host");
        let providerSide: "lyra" | "proxima" | undefined;
        if (typeof host === "string" && lyraHosts.includes(host)) providerSide = "lyra";
        else if (typeof host === "string" && proximaHosts.includes(host)) providerSide = "proxima";
        else providerSide = sideOfClass(providerClass(provider));
        if (providerSide && providerSide !== side) {
            const at = typeof host === "string" ? ` (host ${host})` : "";
            report(
                `${args.name} is a ${side === "lyra" ? "Lyra" : "Proxima"} resource but its provider ${provider.name}${at} is a ${providerSide === "lyra" ? "Lyra" : "Proxima"} endpoint. ` +
                    (side === "lyra" ? `Create it with the ${NAMES.lyraProvider} provider.` : `Create it with its class's ${NAMES.classProvider("<class>")} provider.`),
            );
        }
    },
};
