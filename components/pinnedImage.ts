import * as pulumi from "@pulumi/pulumi";
import { pinnedReference } from "../lib/rules/reference";
import { ImageResolver, ResolvedImage } from "./resolver";
import { TYPES } from "../lib/contract";

export interface PinnedImageArgs {
    /** Repository path in the registry, e.g. `rednaw/hello-world`. */
    repository: string;
    /** The human choice; resolved to a digest at preview time. */
    tag?: string;
    /** `sha256:<64 hex>`; wins over `tag` (rollback by digest). */
    digest?: string;
    /** Asks the registry; the program passes one built on the shared registry client. */
    resolver: ImageResolver;
}

/**
 * A tag (or digest) resolved through the registry at preview time: the pinned reference
 * `repo@sha256:…` plus the image's OCI labels. Creates no cloud resources; it is the one place the
 * program asks the registry which digest a tag means.
 */
export class PinnedImage extends pulumi.ComponentResource {
    /** `host[:port]/repository@sha256:…`, the only form a Proxima container runs. */
    public readonly pinned: pulumi.Output<string>;
    /** `host[:port]/repository`. */
    public readonly image: pulumi.Output<string>;
    /** `sha256:<64 hex>`. */
    public readonly digest: pulumi.Output<string>;
    /** Everything resolution learnt: digest, tag, OCI labels. */
    public readonly resolved: pulumi.Output<ResolvedImage>;

    constructor(name: string, args: PinnedImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.pinnedImage, name, {}, opts);
        this.resolved = pulumi.output(args.resolver(args.repository, args));
        this.digest = this.resolved.digest;
        this.image = this.resolved.apply((r) => `${r.registry}/${r.repository}`);
        this.pinned = this.resolved.apply((r) => pinnedReference(r.registry, r.repository, r.digest));
        this.registerOutputs({ pinned: this.pinned, image: this.image, digest: this.digest });
    }
}
