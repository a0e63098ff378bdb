/**
 * Pulling an image: manifest (through an index when needed, for the wanted
 * platform), config and layers, each verified against its digest; layers
 * stream download → digest → decompress → extract in one pass, in parallel.
 * Only a whole image is recorded and tagged.
 */
import { removeStaleScratch } from "./gc.ts";
import { runLimited } from "./run_limited.ts";
import { DigestMismatchError, InvalidArgumentError, wrap } from "../errors.ts";
import { blobPath, hasBlob, type Ingest, putBlob, readBlob, startIngest } from "../store/blobs.ts";
import {
  getImage,
  type ImageLayer,
  type ImageRecord,
  putImage,
  updateTags,
} from "../store/images.ts";
import { chainIds, ensureLayer, getLayer, layerContentSize } from "../store/layers.ts";
import type { Store } from "../store/store.ts";
import { decompressStream } from "./decompress.ts";
import { verifyDigest } from "./digest.ts";
import {
  checkImageDescriptors,
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
  parseImageConfig,
  parseManifest,
} from "./manifest.ts";
import { hostPlatform, type Platform, selectManifest } from "./platform.ts";
import type { Progress } from "./progress.ts";
import type { ImageReference } from "./reference.ts";
import { unpackLayer, type UnpackResult } from "./unpack.ts";

/** What pulling needs from a registry (RegistryClient provides it; tests may fake it). */
export interface PullSource {
  getManifest(
    repository: string,
    reference: string,
  ): Promise<{ bytes: Uint8Array; mediaType: string; digest: string }>;
  getBlob(
    repository: string,
    digest: string,
  ): Promise<{ stream: ReadableStream<Uint8Array>; size?: number }>;
}

/** Options for `pullImage`. */
export interface PullOptions {
  platform?: Platform;
  progress: Progress;
  /** Layers downloaded and unpacked at once (default 6, as podman). */
  concurrency?: number;
}

/** The result of a pull. */
export interface PullResult {
  record: ImageRecord;
  manifestDigest: string;
  /** Whether anything new was stored (Docker's "Downloaded newer image" vs "Image is up to date"). */
  changed: boolean;
}

const shortId = (digest: string) => digest.slice(7, 19);

/**
 * Pulls `ref` from `source` into the store and tags it.
 *
 * @example
 * ```ts ignore
 * const { record } = await pullImage(store, client, parseReference("busybox"), { progress });
 * ```
 */
export async function pullImage(
  store: Store,
  source: PullSource,
  ref: ImageReference,
  opts: PullOptions,
): Promise<PullResult> {
  const repo = ref.repository;
  const platform = opts.platform ?? hostPlatform();
  // What killed pulls (and other killed commands) left in the scratch areas goes first.
  await removeStaleScratch(store);
  let top = await source.getManifest(repo, ref.tagOrDigest);
  if (ref.digest && top.digest !== ref.digest) {
    throw new DigestMismatchError(
      `manifest digest mismatch for ${ref}: content hashes to ${top.digest}`,
    );
  }
  const blobsToKeep: { bytes: Uint8Array; digest: string }[] = [top];
  let parsed = parseManifest(top.bytes, top.mediaType);
  if (parsed.kind === "index") {
    const desc = selectManifest(parsed.index, platform);
    const inner = await source.getManifest(repo, desc.digest);
    if (inner.digest !== desc.digest) {
      throw new DigestMismatchError(
        `manifest digest mismatch for ${desc.digest}: content hashes to ${inner.digest}`,
      );
    }
    parsed = parseManifest(inner.bytes, inner.mediaType);
    if (parsed.kind === "index") {
      throw new InvalidArgumentError(`nested manifest index in ${ref} is not supported`);
    }
    top = inner;
    blobsToKeep.push(inner);
  }
  const manifest: ImageManifest = parsed.manifest;
  checkImageDescriptors(manifest);
  const manifestDigest = top.digest;

  // Config: small, fetched whole and verified before use; stored with the
  // manifests once every layer is in, so a refused image leaves no blob.
  const configDigest = manifest.config.digest;
  let configBytes: Uint8Array;
  if (await hasBlob(store, configDigest)) {
    configBytes = await readBlob(store, configDigest);
  } else {
    const { stream } = await source.getBlob(repo, configDigest);
    configBytes = new Uint8Array(await new Response(stream).arrayBuffer());
    await verifyDigest(configBytes, configDigest);
    blobsToKeep.push({ bytes: configBytes, digest: configDigest });
  }
  const config: ImageConfig = parseImageConfig(configBytes);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new InvalidArgumentError(
      `invalid image ${ref}: manifest has ${manifest.layers.length} layers, config has ${diffIds.length} diff IDs`,
    );
  }
  const chains = await chainIds(diffIds);

  let changed = false;
  const layers: ImageLayer[] = manifest.layers.map((d: Descriptor, i: number) => ({
    digest: d.digest,
    mediaType: d.mediaType,
    size: d.size,
    diffId: diffIds[i],
    chainId: chains[i],
  }));
  for (const l of layers) opts.progress.status(shortId(l.digest), "Pulling fs layer");
  const sizes = new Array<number>(layers.length).fill(0);
  await runLimited(
    layers.map((layer, i) => async () => {
      const id = shortId(layer.digest);
      const existing = await getLayer(store, layer.chainId);
      if (existing && await hasBlob(store, layer.digest)) {
        sizes[i] = layerContentSize(existing);
        opts.progress.status(id, "Already exists");
        return;
      }
      changed = true;
      const meta = await ensureLayer(
        store,
        { chainId: layer.chainId, diffId: layer.diffId, parent: chains[i - 1] },
        (dir) => fetchAndUnpack(store, source, repo, layer, dir, opts.progress),
      );
      if (!(await hasBlob(store, layer.digest))) {
        // The layer was unpacked by another pull or an earlier run; keep its blob too.
        await fetchBlobOnly(store, source, repo, layer);
      }
      sizes[i] = layerContentSize(meta);
      opts.progress.status(id, "Pull complete");
    }),
    opts.concurrency ?? 6,
  );

  for (const b of blobsToKeep) {
    if (!(await hasBlob(store, b.digest))) await putBlob(store, b.bytes, b.digest);
  }
  const record: ImageRecord = {
    id: configDigest,
    manifestDigest,
    manifestMediaType: top.mediaType,
    repoDigests: [`${ref.name}@${manifestDigest}`],
    layers,
    created: config.created,
    size: sizes.reduce((a, b) => a + b, 0),
    os: config.os ?? platform.os,
    architecture: config.architecture ?? platform.architecture,
    variant: config.variant,
    addedAt: new Date().toISOString(),
  };
  await updateTags(store, async (tags) => {
    // Merge repo digests with an existing record of the same image.
    const old = await getImage(store, record.id);
    if (old) {
      record.repoDigests = [...new Set([...old.repoDigests, ...record.repoDigests])];
      record.addedAt = old.addedAt;
    } else changed = true;
    await putImage(store, record);
    if (!ref.digest) {
      if (tags[ref.toString()] !== record.id) changed = true;
      tags[ref.toString()] = record.id;
    }
  });
  return { record, manifestDigest, changed };
}

/** Streams one layer: response → ingest (digest) → decompress → unpack (diff ID). */
async function fetchAndUnpack(
  store: Store,
  source: PullSource,
  repo: string,
  layer: ImageLayer,
  dir: string,
  progress: Progress,
): Promise<UnpackResult> {
  const id = shortId(layer.digest);
  let body: ReadableStream<Uint8Array>;
  let ingest: Ingest | undefined;
  let drain = () => Promise.resolve();
  if (await hasBlob(store, layer.digest)) {
    body = (await Deno.open(blobPath(store, layer.digest))).readable;
  } else {
    const blob = await source.getBlob(repo, layer.digest);
    ingest = await startIngest(store, layer.digest, layer.size);
    const tee = teeToIngest(blob.stream, ingest, (n) => progress.bytes(id, n, layer.size));
    body = tee.stream;
    drain = tee.drain;
  }
  try {
    const result = await unpackLayer(await decompressStream(body), dir);
    await drain();
    if (ingest) await ingest.commit();
    progress.status(id, "Extracting complete");
    return result;
  } catch (err) {
    await ingest?.abort();
    await body.cancel().catch(() => {});
    throw wrap(err, `pull layer ${layer.digest}`);
  }
}

/** Fetches and verifies a blob without unpacking it. */
async function fetchBlobOnly(
  store: Store,
  source: PullSource,
  repo: string,
  layer: ImageLayer,
): Promise<void> {
  const blob = await source.getBlob(repo, layer.digest);
  const ingest = await startIngest(store, layer.digest, layer.size);
  try {
    for await (const chunk of blob.stream) await ingest.write(chunk);
    await ingest.commit();
  } catch (err) {
    await ingest.abort();
    throw wrap(err, `pull layer ${layer.digest}`);
  }
}

/**
 * Passes chunks through while writing them to the ingest, in order. The
 * unpacker may stop before the end of the blob (gzip trailer, tar padding):
 * `drain` then reads the rest into the ingest so the digest covers all of it.
 */
function teeToIngest(
  source: ReadableStream<Uint8Array>,
  ingest: Ingest,
  onBytes: (n: number) => void,
): { stream: ReadableStream<Uint8Array>; drain: () => Promise<void> } {
  const reader = source.getReader();
  let chain: Promise<unknown> = Promise.resolve();
  let ended = false;
  // Reads are serialized so chunks reach the ingest in stream order.
  const next = (): Promise<Uint8Array | undefined> => {
    const step = chain.then(async () => {
      if (ended) return undefined;
      const r = await reader.read();
      if (r.done) {
        ended = true;
        return undefined;
      }
      await ingest.write(r.value);
      onBytes(ingest.bytes);
      return r.value;
    });
    chain = step.catch(() => {});
    return step;
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await next();
      if (chunk) controller.enqueue(chunk);
      else controller.close();
    },
  }, { highWaterMark: 4 });
  const drain = async () => {
    while (await next());
  };
  return { stream, drain };
}
