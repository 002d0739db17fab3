/**
 * The shape of a release (a promotion of a digest to a tag) as it appears on the Pulumi resource
 * that writes the tag. The policy pack reads these inputs, so they live here, beside the rules.
 */

/** Marker input that lets policies find release resources among dynamic resources. */
export const RELEASE_KIND = "image-lifecycle:release";

/** Inputs of the release resource, as policies see them in `props`. */
export interface ReleaseInputs {
    kind: typeof RELEASE_KIND;
    /** `host[:port]`. */
    registry: string;
    repository: string;
    /** 64 lowercase hex, no `sha256:` prefix (seed 004). */
    digest: string;
    tag: string;
    allowNonSemver?: boolean;
    justification?: string;
    /** Shell command run in the promoted image for the sanity check. */
    smokeCommand?: string;
    /** Break-glass: let `pulumi destroy` delete the tag from the registry. The reason is recorded. */
    deleteTagOnDestroy?: { reason: string };
    insecure?: boolean;
}
