import type { ResourceValidationPolicy } from "@pulumi/policy";
import { containerView, parseImage } from "../lib/resources";
import { describe, field, UNKNOWN } from "../lib/values";

/** Proxima runs digests, never tags: `repo@sha256:<64 hex>` (tags are for humans, digests for machines). */
export const proximaContainerPinnedByDigest: ResourceValidationPolicy = {
    name: "proxima-container-pinned-by-digest",
    description: "Every Proxima container runs an image pinned by digest (repo@sha256:...), never latest or a bare tag.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (containerView(args)?.target !== "proxima") return;
        const where = `container ${args.name}`;
        const image = field(args.props, "image");
        if (image === UNKNOWN) {
            report(`${where}: the image is unknown during preview, so its digest pin cannot be checked. Resolve the tag to a digest in the program before creating the container.`);
            return;
        }
        if (typeof image !== "string" || image === "") {
            report(`${where}: image is ${describe(image)}. Set it to repo@sha256:<64 hex>.`);
            return;
        }
        let ref;
        try {
            ref = parseImage(image);
        } catch (e) {
            report(`${where}: image "${image}" is not a valid reference (${(e as Error).message}). Use repo@sha256:<64 hex>.`);
            return;
        }
        if (!ref.digest) {
            const tag = ref.tag ?? "latest (implied)";
            report(`${where}: image "${image}" runs by tag ${tag}, which can move. Pin it by digest: resolve the tag and use ${ref.repository}@sha256:<64 hex>.`);
        }
    },
};
