/**
 * Hand-made images for tests that play an attacker: any layer bytes, any media types, pushed
 * to a test registry or packed as a `docker save` archive or an OCI layout tar for `load`;
 * and a look at what a store holds afterwards.
 *
 * ```ts
 * import { pushRawImage } from "./raw_image.ts";
 * const reg = await startRegistry();
 * const ref = await pushRawImage(reg.host, "evil", { layers: [{ bytes: await buildTar([...]) }] });
 * ```
 *
 * @module
 */
import { buildTar } from "../fixtures/tar/build.ts";
import { RegistryClient } from "../../src/image/registry.ts";
import { sha256Digest } from "../../src/image/digest.ts";

/** OCI manifest media type. */
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
/** OCI config media type. */
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
/** OCI uncompressed layer media type. */
export const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";

const enc = new TextEncoder();

/** One layer of a raw image: its (uncompressed) tar and the media type to declare. */
export interface RawLayer {
  bytes: Uint8Array;
  /** Default: OCI uncompressed tar. */
  mediaType?: string;
}

/** A raw image: layers, and the config's declared media type. */
export interface RawImage {
  layers: RawLayer[];
  /** Default: OCI config. */
  configMediaType?: string;
}

/** The blobs of a raw image, with digests. */
export interface RawBlobs {
  config: Uint8Array;
  configDigest: string;
  layers: { bytes: Uint8Array; digest: string; mediaType: string }[];
  manifest: Uint8Array;
  manifestDigest: string;
}

/**
 * Builds the config (diff IDs of the layers) and the OCI manifest of a raw image.
 *
 * @example
 * ```ts
 * const blobs = await rawBlobs({ layers: [{ bytes: tar }] });
 * ```
 */
export async function rawBlobs(img: RawImage): Promise<RawBlobs> {
  const layers = await Promise.all(img.layers.map(async (l) => ({
    bytes: l.bytes,
    digest: await sha256Digest(l.bytes),
    mediaType: l.mediaType ?? OCI_LAYER,
  })));
  const config = enc.encode(JSON.stringify({
    architecture: Deno.build.arch === "x86_64" ? "amd64" : "arm64",
    os: "linux",
    config: { Cmd: ["sh"] },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
  }));
  const configDigest = await sha256Digest(config);
  const manifest = enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: img.configMediaType ?? OCI_CONFIG,
      digest: configDigest,
      size: config.length,
    },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.bytes.length })),
  }));
  return { config, configDigest, layers, manifest, manifestDigest: await sha256Digest(manifest) };
}

/**
 * Pushes a raw image to `host` as `repo:latest` and returns the reference and its blobs.
 *
 * @example
 * ```ts
 * const { ref } = await pushRawImage(reg.host, "evil", { layers: [{ bytes: tar }] });
 * ```
 */
export async function pushRawImage(
  host: string,
  repo: string,
  img: RawImage,
): Promise<{ ref: string; blobs: RawBlobs }> {
  const blobs = await rawBlobs(img);
  const client = new RegistryClient(host);
  for (const l of blobs.layers) await client.uploadBlob(repo, l.digest, l.bytes.length, l.bytes);
  await client.uploadBlob(repo, blobs.configDigest, blobs.config.length, blobs.config);
  await client.putManifest(repo, "latest", blobs.manifest, OCI_MANIFEST);
  return { ref: `${host}/${repo}:latest`, blobs };
}

/**
 * A `docker save` style archive of a raw image, tagged `name` (media types do not appear in
 * this format).
 *
 * @example
 * ```ts
 * const tar = await dockerArchive({ layers: [{ bytes }] }, "evil:latest");
 * ```
 */
export async function dockerArchive(img: RawImage, name: string): Promise<Uint8Array> {
  const b = await rawBlobs(img);
  const layerNames = b.layers.map((l) => `${l.digest.slice(7)}/layer.tar`);
  return await buildTar([
    ...b.layers.map((l, i) => ({ name: layerNames[i], data: l.bytes })),
    { name: `${b.configDigest.slice(7)}.json`, data: b.config },
    {
      name: "manifest.json",
      data: JSON.stringify([{
        Config: `${b.configDigest.slice(7)}.json`,
        RepoTags: [name],
        Layers: layerNames,
      }]),
    },
  ]);
}

/**
 * An OCI image layout tar of a raw image, named `name` (a full reference) in its index.
 *
 * @example
 * ```ts
 * const tar = await ociArchive({ layers: [{ bytes, mediaType: "x" }] }, "docker.io/library/evil:1");
 * ```
 */
export async function ociArchive(img: RawImage, name: string): Promise<Uint8Array> {
  const b = await rawBlobs(img);
  const blob = (digest: string, data: Uint8Array) => ({
    name: `blobs/sha256/${digest.slice(7)}`,
    data,
  });
  return await buildTar([
    { name: "oci-layout", data: '{"imageLayoutVersion":"1.0.0"}' },
    ...b.layers.map((l) => blob(l.digest, l.bytes)),
    blob(b.configDigest, b.config),
    blob(b.manifestDigest, b.manifest),
    {
      name: "index.json",
      data: JSON.stringify({
        schemaVersion: 2,
        manifests: [{
          mediaType: OCI_MANIFEST,
          digest: b.manifestDigest,
          size: b.manifest.length,
          annotations: { "io.containerd.image.name": name },
        }],
      }),
    },
  ]);
}

/**
 * Every path under the store's data root except its empty skeleton directories and the
 * layer lock files (which are kept by design), relative to the root, sorted: what a refused
 * command must not leave behind.
 *
 * @example
 * ```ts
 * assertEquals(await storeContents(store.root), []);
 * ```
 */
export async function storeContents(root: string): Promise<string[]> {
  const skeleton = new Set([
    "blobs",
    "blobs/sha256",
    "ingest",
    "layers",
    "layers/l",
    "images",
    "containers",
    "volumes",
    "networks",
    "tmp",
    "locks",
  ]);
  const out: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(rel ? `${root}/${rel}` : root)) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory && !e.isSymlink) await walk(p);
      if (skeleton.has(p) || /^locks\/layer-[0-9a-f]{64}\.lock$/.test(p)) continue;
      out.push(p);
    }
  };
  await walk("");
  return out.sort();
}
