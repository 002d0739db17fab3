/**
 * Pushes small synthetic OCI images through the real registry API (blob uploads + manifest PUT), for
 * tests and benchmarks that need many images or exact shapes faster than `docker build` gives them.
 */
import { RegistryClient } from "../lib/registry/client";
import { MEDIA_TYPES } from "../lib/registry/types";

export interface SyntheticImage {
    /** The image config JSON (architecture, os, config.Labels, rootfs…). */
    config: object;
    /** One layer's bytes, and its media type (default: uncompressed tar). */
    layer: Buffer;
    layerMediaType?: string;
    /** A layer already uploaded to the repository, to skip the upload. */
    layerDigest?: string;
}

/** Uploads the config (and the layer unless given), PUTs the manifest under `reference`; returns its digest and bytes. */
export async function pushOciImage(client: RegistryClient, repository: string, reference: string, image: SyntheticImage): Promise<{ digest: string; manifest: Buffer }> {
    const config = Buffer.from(JSON.stringify(image.config));
    const layerDigest = image.layerDigest ?? (await client.uploadBlob(repository, image.layer));
    const configDigest = await client.uploadBlob(repository, config);
    const manifest = Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
        layers: [{ mediaType: image.layerMediaType ?? "application/vnd.oci.image.layer.v1.tar", digest: layerDigest, size: image.layer.length }],
    }));
    const digest = await client.putManifest(repository, reference, { bytes: manifest, mediaType: MEDIA_TYPES.ociManifest });
    return { digest, manifest };
}
