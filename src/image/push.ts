/**
 * Pushing a local image to a registry, as docker's distribution push and
 * containers/image's copy do it: each layer is first looked up in the target
 * repository (`HEAD`), then mounted from another repository of the same
 * registry that the store knows holds it, and only then uploaded; then the
 * config, then the manifest under the tag.
 *
 * The stored manifest bytes are pushed unchanged when every layer blob is
 * the stored one, so the manifest digest is preserved across registries.
 * A layer whose compressed blob is gone from the store is regenerated as
 * gzip from its unpacked directory; the manifest then names the new blob.
 *
 * @module
 */
import { runLimited } from "./run_limited.ts";
import { InvalidArgumentError, NotFoundError, UnavailableError, wrap } from "../errors.ts";
import { randomSuffix } from "../store/atomic.ts";
import { blobPath, hasBlob, putBlobContent, readBlob } from "../store/blobs.ts";
import { createHasher } from "../store/hash.ts";
import { getImage, type ImageRecord, listImages, putImage, updateTags } from "../store/images.ts";
import { getLayer, layerDir } from "../store/layers.ts";
import type { Store } from "../store/store.ts";
import type { Progress } from "./progress.ts";
import type { ImageReference } from "./reference.ts";

/** What pushing needs from a registry (RegistryClient provides it). */
export interface PushTarget {
  /** The registry as named in references (`localhost:5000`, `docker.io`). */
  readonly registry: string;
  blobExists(repo: string, digest: string): Promise<boolean>;
  mountBlob(repo: string, digest: string, fromRepo: string): Promise<boolean>;
  uploadBlob(
    repo: string,
    digest: string,
    size: number,
    data: Uint8Array | ReadableStream<Uint8Array>,
  ): Promise<void>;
  putManifest(repo: string, ref: string, bytes: Uint8Array, mediaType: string): Promise<string>;
}

/** Options for {@linkcode pushImage}. */
export interface PushOptions {
  progress: Progress;
  /** Layers handled at once (docker's default is 5). */
  concurrency?: number;
}

/** The result of a push. */
export interface PushResult {
  /** Digest of the manifest pushed. */
  digest: string;
  /** Size in bytes of the manifest pushed. */
  size: number;
  /** How each layer got there, by layer digest: "exists", "mounted", "pushed". */
  layers: Record<string, "exists" | "mounted" | "pushed">;
}

interface LayerDesc {
  mediaType: string;
  digest: string;
  size: number;
  [k: string]: unknown;
}

interface ManifestDoc {
  schemaVersion: number;
  mediaType?: string;
  config: LayerDesc;
  layers: LayerDesc[];
  [k: string]: unknown;
}

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";

const shortId = (digest: string) => digest.slice(7, 19);

/**
 * Repositories of `registry` that the store records as holding `digest`:
 * those named in the repo digests of every local image with that layer
 * (the image being pushed first). Used as cross-repository mount sources.
 *
 * @example
 * ```ts ignore
 * await mountSources(store, record, "localhost:5000", layer.digest, "me/app");
 * // ["library/busybox"]
 * ```
 */
export async function mountSources(
  store: Store,
  record: ImageRecord,
  registry: string,
  digest: string,
  exceptRepo: string,
  others?: ImageRecord[],
): Promise<string[]> {
  const out: string[] = [];
  const add = (rec: ImageRecord) => {
    if (!rec.layers.some((l) => l.digest === digest)) return;
    for (const rd of rec.repoDigests) {
      const name = rd.slice(0, rd.indexOf("@"));
      const slash = name.indexOf("/");
      if (slash === -1 || name.slice(0, slash) !== registry) continue;
      const repo = name.slice(slash + 1);
      if (repo !== exceptRepo && !out.includes(repo)) out.push(repo);
    }
  };
  add(record);
  for (const rec of others ?? await listImages(store)) if (rec.id !== record.id) add(rec);
  return out;
}

/**
 * Pushes a local image to `ref` (a tag) on `target` and records the new
 * repo digest on the image.
 *
 * @example
 * ```ts ignore
 * const client = new RegistryClient(ref.registry);
 * const { digest } = await pushImage(store, client, record, ref, { progress });
 * ```
 */
export async function pushImage(
  store: Store,
  target: PushTarget,
  record: ImageRecord,
  ref: ImageReference,
  opts: PushOptions,
): Promise<PushResult> {
  if (ref.digest) {
    throw new InvalidArgumentError(`cannot push a digest reference: ${ref}`);
  }
  const repo = ref.repository;
  const tag = ref.tag ?? "latest";
  const progress = opts.progress;

  let manifestBytes: Uint8Array | undefined;
  let mediaType = record.manifestMediaType || OCI_MANIFEST;
  if (record.manifestDigest && await hasBlob(store, record.manifestDigest)) {
    manifestBytes = await readBlob(store, record.manifestDigest);
  }
  const doc: ManifestDoc = manifestBytes
    ? JSON.parse(new TextDecoder().decode(manifestBytes))
    : await synthesizeManifest(store, record);
  if (!manifestBytes) mediaType = doc.mediaType ?? OCI_MANIFEST;
  if (!Array.isArray(doc.layers) || !doc.config) {
    throw new InvalidArgumentError(`invalid stored manifest for image ${record.id}`);
  }
  if (!(await hasBlob(store, doc.config.digest))) {
    throw new NotFoundError(`config blob ${doc.config.digest} of image ${record.id} not found`);
  }

  // The config first, alone: a registry that wants credentials is learnt once, before the
  // layers go out in parallel.
  const configExists = await target.blobExists(repo, doc.config.digest);
  const others = await listImages(store);
  const results: Record<string, "exists" | "mounted" | "pushed"> = {};
  let rewritten = false;
  const newDiffIds = new Map<number, string>();
  const unique = [...new Map(doc.layers.map((l, i) => [l.digest, i])).values()];
  for (const i of unique) progress.status(shortId(doc.layers[i].digest), "Preparing");

  await runLimited(
    unique.map((i) => async () => {
      let layer = doc.layers[i];
      const id = shortId(layer.digest);
      const remote = await findRemote(store, target, repo, layer, record, others, progress, id);
      if (remote) {
        results[layer.digest] = remote;
        return;
      }
      if (!(await hasBlob(store, layer.digest))) {
        const regenerated = await regenerateLayer(store, record, i, layer, mediaType);
        // Every occurrence of the old blob names the new one.
        doc.layers.forEach((l, j) => {
          if (l.digest !== layer.digest) return;
          if (regenerated.diffId !== record.layers[j]?.diffId) {
            newDiffIds.set(j, regenerated.diffId);
          }
          Object.assign(l, regenerated.desc);
        });
        layer = doc.layers[i];
        rewritten = true;
      }
      await uploadLayer(store, target, repo, layer, progress, id);
      results[layer.digest] = "pushed";
    }),
    opts.concurrency ?? 5,
  );

  if (newDiffIds.size > 0) {
    // Regenerated tars differ from the originals: the pushed image gets a config naming them.
    const config = JSON.parse(new TextDecoder().decode(await readBlob(store, doc.config.digest)));
    for (const [j, diffId] of newDiffIds) config.rootfs.diff_ids[j] = diffId;
    const bytes = new TextEncoder().encode(JSON.stringify(config));
    doc.config = { ...doc.config, digest: await putBlobContent(store, bytes), size: bytes.length };
  }

  // The config blob: small, uploaded from memory so it can be retried.
  if (newDiffIds.size > 0 || !configExists) {
    const bytes = await readBlob(store, doc.config.digest);
    await target.uploadBlob(repo, doc.config.digest, bytes.length, bytes);
  }

  if (rewritten || !manifestBytes) {
    manifestBytes = new TextEncoder().encode(JSON.stringify(doc));
  }
  const digest = await target.putManifest(repo, tag, manifestBytes, mediaType);
  await putBlobContent(store, manifestBytes);
  // A rewritten config is another image: the local record does not describe it.
  if (newDiffIds.size === 0) {
    await recordPush(store, record, ref, digest, mediaType, doc, rewritten);
  }
  progress.done();
  return { digest, size: manifestBytes.length, layers: results };
}

/** HEAD, then mount: how the layer is already in `repo`, or undefined when it must be uploaded. */
async function findRemote(
  store: Store,
  target: PushTarget,
  repo: string,
  layer: LayerDesc,
  record: ImageRecord,
  others: ImageRecord[],
  progress: Progress,
  id: string,
): Promise<"exists" | "mounted" | undefined> {
  if (await target.blobExists(repo, layer.digest)) {
    progress.status(id, "Layer already exists");
    return "exists";
  }
  const sources = await mountSources(
    store,
    record,
    target.registry,
    layer.digest,
    repo,
    others,
  );
  for (const from of sources) {
    let mounted = false;
    try {
      mounted = await target.mountBlob(repo, layer.digest, from);
    } catch (err) {
      // A repository we may not read is not an error: upload instead.
      if (!(err instanceof UnavailableError) && !(err instanceof NotFoundError)) throw err;
    }
    if (mounted) {
      progress.status(id, `Mounted from ${from}`);
      return "mounted";
    }
  }
  return undefined;
}

/** Streams one stored layer blob to `repo`, retrying network failures. */
async function uploadLayer(
  store: Store,
  target: PushTarget,
  repo: string,
  layer: LayerDesc,
  progress: Progress,
  id: string,
): Promise<void> {
  progress.status(id, "Pushing");
  const path = blobPath(store, layer.digest);
  const size = (await Deno.stat(path)).size;
  for (let attempt = 1;; attempt++) {
    const file = await Deno.open(path);
    try {
      await target.uploadBlob(repo, layer.digest, size, file.readable);
      break;
    } catch (err) {
      try {
        file.close();
      } catch { /* closed by the stream */ }
      // Streams cannot be replayed by the client; retry network failures here.
      const transient = err instanceof UnavailableError &&
        /cannot reach|timed out|reading/.test(err.message);
      if (!transient || attempt >= 3) throw wrap(err, `push layer ${layer.digest}`);
      await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
    }
  }
  progress.status(id, "Pushed");
}

/**
 * Rebuilds a gzip layer blob from the unpacked layer directory and stores
 * it; returns its descriptor and the diff ID of the tar it compressed (which
 * differs from the original one when the original tar was written by another
 * tool: the config must then be rewritten).
 */
async function regenerateLayer(
  store: Store,
  record: ImageRecord,
  index: number,
  layer: LayerDesc,
  manifestMediaType: string,
): Promise<{ desc: LayerDesc; diffId: string }> {
  const stored = record.layers[index];
  const meta = stored ? await getLayer(store, stored.chainId) : undefined;
  if (!stored || !meta) {
    throw new NotFoundError(
      `layer ${layer.digest} of image ${record.id} is neither stored nor unpacked`,
    );
  }
  const { diffLayerTar }: typeof import("./layer_diff.ts") = await import(
    new URL("./layer_diff.ts", import.meta.url).href
  );
  const { compressGzip }: typeof import("./decompress.ts") = await import(
    new URL("./decompress.ts", import.meta.url).href
  );
  const tarHasher = await createHasher();
  const tar = diffLayerTar(`${layerDir(store, stored.chainId)}/diff`).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        tarHasher.update(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
  const tmp = `${store.ingest}/regen-${randomSuffix()}`;
  const gzHasher = await createHasher();
  let size = 0;
  const file = await Deno.open(tmp, { write: true, createNew: true });
  try {
    await compressGzip(tar).pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          gzHasher.update(chunk);
          size += chunk.length;
          controller.enqueue(chunk);
        },
      }),
    ).pipeTo(file.writable);
    const diffId = tarHasher.digest();
    const digest = gzHasher.digest();
    await Deno.rename(tmp, blobPath(store, digest));
    const gzipType = manifestMediaType === DOCKER_MANIFEST ? DOCKER_LAYER_GZIP : OCI_LAYER_GZIP;
    return { desc: { ...layer, mediaType: gzipType, digest, size }, diffId };
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** A manifest for an image that has none stored (made locally). */
async function synthesizeManifest(store: Store, record: ImageRecord): Promise<ManifestDoc> {
  const config = await readBlob(store, record.id);
  const docker = record.manifestMediaType === DOCKER_MANIFEST;
  return {
    schemaVersion: 2,
    mediaType: docker ? DOCKER_MANIFEST : OCI_MANIFEST,
    config: {
      mediaType: docker ? DOCKER_CONFIG : OCI_CONFIG,
      digest: record.id,
      size: config.length,
    },
    layers: record.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
}

/** Adds the pushed repo digest to the image record (and the new manifest if rewritten). */
async function recordPush(
  store: Store,
  record: ImageRecord,
  ref: ImageReference,
  digest: string,
  mediaType: string,
  doc: ManifestDoc,
  rewritten: boolean,
): Promise<void> {
  // The tag lock serializes record updates with pulls and other pushes.
  await updateTags(store, async () => {
    const current = (await getImage(store, record.id)) ?? record;
    const repoDigest = `${ref.name}@${digest}`;
    if (rewritten || !current.manifestDigest) {
      current.manifestDigest = digest;
      current.manifestMediaType = mediaType;
      current.layers = current.layers.map((l, i) => ({
        ...l,
        digest: doc.layers[i]?.digest ?? l.digest,
        mediaType: doc.layers[i]?.mediaType ?? l.mediaType,
        size: doc.layers[i]?.size ?? l.size,
      }));
    }
    if (!current.repoDigests.includes(repoDigest)) current.repoDigests.push(repoDigest);
    await putImage(store, current);
  });
}
