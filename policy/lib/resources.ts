/**
 * How the policies recognise this product's resources. Types are the engine's type tokens; roles come
 * from inputs (labels, the release `kind` marker), never from guessing at URNs.
 */
import { CLASSES, KINDS, LIFECYCLE, LYRA, type LxcClassName, NAMES, TYPES } from "../../lib/contract";
import { type ImageReference, parseReference } from "../../lib/rules/reference";
import { field, label, labelsOf, type Labels, list, UNKNOWN } from "./values";

/** The minimum a policy needs of a provider: what the engine passes as `args.provider`. */
export interface ProviderRef {
    type: string;
    urn: string;
    name: string;
    props: Record<string, unknown>;
}

/** The last `::` segment of a URN: the resource name. */
export function urnName(urn: string): string {
    const i = urn.lastIndexOf("::");
    return i >= 0 ? urn.slice(i + 2) : urn;
}

/** The qualified type of a URN (`parentType$type`), which names the types of the parent chain. */
export function urnQualifiedType(urn: string): string {
    const parts = urn.split("::");
    return parts.length >= 4 ? parts[parts.length - 2] : "";
}

export function isKnownClass(value: unknown): value is LxcClassName {
    return typeof value === "string" && (CLASSES as readonly string[]).includes(value);
}

/**
 * A container's image as policies read it (repository, tag, digest); throws lib/reference's error for a
 * malformed one. An image without a registry host is parsed against a placeholder host, because which
 * registry serves it is no policy's question.
 */
export function parseImage(image: string): ImageReference {
    return parseReference(image, "registry.invalid");
}

function isDynamic(type: string): boolean {
    return type === `${TYPES.dynamic}:Resource` || type.startsWith(`${TYPES.dynamic}/`);
}

/** True for the dynamic resource that writes a release tag (marked with `kind: KINDS.release`). */
export function isRelease(type: string, props: unknown): boolean {
    return isDynamic(type) && field(props, "kind") === KINDS.release;
}

/** True for a Proxima app's container that the product runs itself (marked with `kind: KINDS.appContainer`). */
export function isAppContainer(type: string, props: unknown): boolean {
    return isDynamic(type) && field(props, "kind") === KINDS.appContainer;
}

/**
 * True for a container: the docker provider's, or the product's own app container, whose inputs use the
 * docker provider's field names (image, labels, envs, ports, volumes, networksAdvanced, memory, cpus, …).
 */
export function isContainer(type: string, props: unknown): boolean {
    return type === TYPES.container || isAppContainer(type, props);
}

/** The side a class names: `lyra` for Lyra's pseudo-class, `proxima` for a Proxima class, else undefined. */
export function sideOfClass(cls: unknown): "lyra" | "proxima" | undefined {
    if (cls === LYRA) return "lyra";
    return isKnownClass(cls) ? "proxima" : undefined;
}

/** The side a resource's labels declare: its stack label, else the side of its class label; undefined when neither says. */
export function declaredSide(labels: Labels): "lyra" | "proxima" | undefined {
    const stack = label(labels, LIFECYCLE.stack);
    if (stack === LYRA || stack === "proxima") return stack;
    return sideOfClass(label(labels, LIFECYCLE.class));
}

/**
 * Which host a container targets. Its labels decide (`declaredSide`); without them, the `lyra-docker`
 * provider means Lyra and anything else is treated as Proxima, so that the Proxima rules (known class,
 * pinned digest, record) fail closed on an unlabelled container.
 */
export function containerTarget(labels: Labels, provider?: ProviderRef): "lyra" | "proxima" {
    return declaredSide(labels) ?? (provider?.name === NAMES.lyraProvider ? "lyra" : "proxima");
}

/**
 * What a container mounts of one kind, from both of the provider's inputs: `bind` gives host paths
 * (`volumes[].hostPath`, bind `mounts[].source`), `volume` gives Docker volume names (`volumes[].volumeName`,
 * volume `mounts[].source`). Entries are as read (possibly UNKNOWN or not strings); UNKNOWN when either list is.
 */
export function mountSources(props: unknown, kind: "bind" | "volume"): unknown[] | typeof UNKNOWN {
    const volumes = list(field(props, "volumes"));
    const mounts = list(field(props, "mounts"));
    if (volumes === UNKNOWN || mounts === UNKNOWN) return UNKNOWN;
    const key = kind === "bind" ? "hostPath" : "volumeName";
    const out: unknown[] = [];
    for (const v of volumes ?? []) if (field(v, key) !== undefined) out.push(field(v, key));
    for (const m of mounts ?? []) if (field(m, "type") === kind) out.push(field(m, "source"));
    return out;
}

/** A container's labels and the host it targets; undefined for a resource that is not a container. */
export function containerView(r: { type: string; props: unknown; provider?: ProviderRef }): { labels: Labels; target: "lyra" | "proxima" } | undefined {
    if (!isContainer(r.type, r.props)) return undefined;
    const labels = resourceLabels(r.props);
    return { labels, target: containerTarget(labels, r.provider) };
}

/** A Docker resource's labels (container, network or volume), read safely. */
export function resourceLabels(props: unknown): Labels {
    return labelsOf(field(props, "labels"));
}

/**
 * The Proxima class a Docker provider serves: the class of its LxcClass parent (read from `parentName`
 * when the caller knows it) or, failing that, its `<class>-docker` name with an LxcClass in its URN's
 * parent chain. `lyra` for Lyra's provider; undefined for any other provider (the default one included).
 */
export function providerClass(provider: ProviderRef, parentName?: string): string | undefined {
    if (provider.name === NAMES.lyraProvider) return LYRA;
    const parented = urnQualifiedType(provider.urn).split("$").includes(TYPES.lxcClass);
    if (parented && parentName !== undefined) return parentName;
    const named = NAMES.classOfProvider(provider.name);
    if (named !== undefined && (parented || isKnownClass(named))) return named;
    return undefined;
}
