/**
 * Storing a new image from a config and layer tars: the shared end of
 * `import`, `load` and (later) `commit` of containers.
 *
 * Each layer is read twice. The first pass stores the blob (a compressed
 * input is kept as it is, a plain tar too unless gzip is asked for) and computes the
 * diff ID; the second unpacks the blob into the layer store under its chain
 * ID (`ensureLayer`), which also refuses unsafe entries. Then the config and
 * an OCI manifest are written as blobs. The image record and tags are written
 * last (`recordImage`), so that a failure anywhere before leaves no image and
 * no tag behind, only unreferenced blobs and layers for garbage collection
 * (and the blobs this commit created are removed by `discardPrepared`).
 *
 * @module
 */
import { DigestMismatchError, InvalidArgumentError, wrap } from "../errors.ts";
import { randomSuffix } from "../store/atomic.ts";
import { blobPath, hasBlob, putBlobContent, removeBlob } from "../store/blobs.ts";
import { createHasher, sha256Bytes } from "../store/hash.ts";
import {
  getImage,
  type ImageLayer,
  type ImageRecord,
  putImage,
  updateTags,
} from "../store/images.ts";
import { chainIds, ensureLayer, layerContentSize } from "../store/layers.ts";
import type { Store } from "../store/store.ts";
import {
  compressGzip,
  type Compression,
  decompressStream,
  peekStream,
  sniffCompression,
} from "./decompress.ts";
import {
  type ImageConfig,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_LAYER_ZSTD,
  MEDIA_TYPE_OCI_MANIFEST,
  parseImageConfig,
} from "./manifest.ts";
import { unpackLayer } from "./unpack.ts";

/** A stream, or a function opening one when the layer's turn comes. */
export type StreamSource =
  | ReadableStream<Uint8Array>
  | (() => Promise<ReadableStream<Uint8Array>>);

/** A new layer for {@linkcode commitImage}. */
export interface LayerSource {
  /** The layer tar: plain, gzip or zstd (told apart by its first bytes). */
  tar: StreamSource;
  /** Expected diff ID (digest of the uncompressed tar); a mismatch fails the commit. */
  diffId?: string;
  /**
   * Expected digest of the bytes of `tar` as given (an OCI blob). When set,
   * those bytes are stored as the blob unchanged, even when not compressed.
   */
  digest?: string;
  /** Media type of the stored blob when `digest` is set (default: from its compression). */
  mediaType?: string;
  /** How errors name this layer (an archive path, a file name). */
  name?: string;
  /**
   * A directory on the store's file system holding exactly what `tar` lists, unpacked as the
   * layer store keeps layers (a build step's overlay upper directory): moved into the layer
   * store instead of unpacking the tar a second time. Used only when the blob is a plain tar.
   */
  unpacked?: string;
}

/** An entry of an image config's `history`. */
export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** What {@linkcode commitImage} stores. */
export interface CommitImageOptions {
  /**
   * The image config. An object gets `rootfs.diff_ids` filled in (base layers
   * then new layers) and `history` appended; raw bytes are stored unchanged
   * (the image id stays the same) and their `rootfs.diff_ids` must match the
   * layers exactly.
   */
  config: Record<string, unknown> | Uint8Array;
  /** Layers already in the store that the new layers go on top of (a container's image). */
  baseLayers?: ImageLayer[];
  /** New layers, bottom first. */
  layers?: LayerSource[];
  /** History entries appended to an object config's `history`. */
  history?: HistoryEntry[];
  /** Fully qualified tag names (`docker.io/library/busybox:latest`) to point at the image. */
  tags?: string[];
  /**
   * How a plain layer tar is stored as a blob: unchanged (`none`, the
   * default: fastest, as docker's and podman's stores keep layers), or
   * gzip-compressed (smaller, but compression costs about 20 s per GiB).
   * Compressed inputs are always kept as they are.
   */
  compression?: "none" | "gzip";
  /** The local image the new one was made from (docker's `Parent`, shown by `history`). */
  parent?: string;
}

/** An image whose content is stored but which is not recorded or tagged yet. */
export interface PreparedImage {
  /** The record `recordImage` will write. */
  record: ImageRecord;
  /** The config document as stored. */
  config: ImageConfig;
  /** Blobs this preparation added to the store (removed by `discardPrepared`). */
  createdBlobs: string[];
}

/** A layer blob as stored by the first pass. */
interface IngestedLayer {
  digest: string;
  mediaType: string;
  size: number;
  diffId: string;
}

/**
 * Stores an image and points `tags` at it; returns its record (`record.id`
 * is the image id, the config digest).
 *
 * @example
 * ```ts ignore
 * const record = await commitImage(store, {
 *   config: { architecture: "amd64", os: "linux", config: { Cmd: ["sh"] } },
 *   layers: [{ tar: (await Deno.open("rootfs.tar")).readable }],
 *   history: [{ created: new Date().toISOString(), created_by: "import" }],
 *   tags: ["docker.io/library/mine:latest"],
 * });
 * ```
 */
export async function commitImage(
  store: Store,
  opts: CommitImageOptions,
): Promise<ImageRecord> {
  const prepared = await prepareImage(store, opts);
  try {
    await recordImage(store, prepared, opts.tags ?? []);
  } catch (err) {
    await discardPrepared(store, [prepared]);
    throw err;
  }
  return prepared.record;
}

/**
 * Stores an image's layers, config and manifest without recording it, so
 * that several images (one archive) can be verified before any is recorded.
 * On failure the blobs it added are removed again.
 *
 * @example
 * ```ts ignore
 * const prepared = await prepareImage(store, { config: bytes, layers });
 * await recordImage(store, prepared, ["docker.io/library/busybox:latest"]);
 * ```
 */
export async function prepareImage(
  store: Store,
  opts: CommitImageOptions,
): Promise<PreparedImage> {
  const created: string[] = [];
  try {
    return await prepare(store, opts, created);
  } catch (err) {
    await Promise.all(created.map((d) => removeBlob(store, d).catch(() => {})));
    throw err;
  }
}

async function prepare(
  store: Store,
  opts: CommitImageOptions,
  created: string[],
): Promise<PreparedImage> {
  const base = opts.baseLayers ?? [];
  const sources = opts.layers ?? [];
  let declared: string[] | undefined;
  if (opts.config instanceof Uint8Array) {
    declared = parseImageConfig(opts.config).rootfs.diff_ids;
    if (declared.length !== base.length + sources.length) {
      throw new InvalidArgumentError(
        `invalid image config: it lists ${declared.length} layers, the image has ${
          base.length + sources.length
        }`,
      );
    }
    for (let i = 0; i < base.length; i++) {
      if (declared[i] !== base[i].diffId) {
        throw new DigestMismatchError(
          `layer diff ID mismatch: config lists ${declared[i]}, base layer is ${base[i].diffId}`,
        );
      }
    }
  }

  // Pass 1: blobs and diff IDs.
  const ingested: IngestedLayer[] = [];
  for (let i = 0; i < sources.length; i++) {
    const src = sources[i];
    const want = src.diffId ?? declared?.[base.length + i];
    const layer = await ingestLayer(store, src, opts.compression ?? "none", created);
    if (want !== undefined && layer.diffId !== want) {
      throw new DigestMismatchError(
        `layer diff ID mismatch${src.name ? ` for ${src.name}` : ""}: expected ${want}, ` +
          `content hashes to ${layer.diffId}`,
      );
    }
    ingested.push(layer);
  }

  // Pass 2: unpacked layers by chain ID.
  const diffIds = [...base.map((l) => l.diffId), ...ingested.map((l) => l.diffId)];
  const chains = await chainIds(diffIds);
  const layers: ImageLayer[] = [...base];
  let size = 0;
  for (let i = 0; i < diffIds.length; i++) {
    const isNew = i >= base.length;
    const blob = isNew ? ingested[i - base.length] : undefined;
    const meta = await ensureLayer(
      store,
      { chainId: chains[i], diffId: diffIds[i], parent: chains[i - 1] },
      async (dir) => {
        if (!blob) {
          throw new InvalidArgumentError(`base layer ${diffIds[i]} is not in the store`);
        }
        const unpacked = sources[i - base.length].unpacked;
        if (unpacked !== undefined && blob.mediaType === MEDIA_TYPE_OCI_LAYER) {
          await Deno.remove(dir);
          await Deno.rename(unpacked, dir);
          return { diffId: blob.diffId, size: blob.size, contentSize: await contentSizeOf(dir) };
        }
        const file = await Deno.open(blobPath(store, blob.digest));
        try {
          return await unpackLayer(await decompressStream(file.readable), dir);
        } catch (err) {
          const name = sources[i - base.length].name;
          throw name ? wrap(err, `layer ${name}`) : err;
        }
      },
    );
    size += layerContentSize(meta);
    if (blob) layers.push({ ...blob, chainId: chains[i] });
  }

  // Config and manifest.
  let configBytes: Uint8Array;
  if (opts.config instanceof Uint8Array) configBytes = opts.config;
  else {
    const doc: Record<string, unknown> = { ...opts.config };
    doc.rootfs = { type: "layers", diff_ids: diffIds };
    const history = Array.isArray(doc.history) ? [...doc.history] : [];
    history.push(...(opts.history ?? []));
    if (history.length > 0) doc.history = history;
    configBytes = new TextEncoder().encode(JSON.stringify(doc));
  }
  const config = parseImageConfig(configBytes);
  const configDigest = await putBlobTracked(store, configBytes, created);
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    config: { mediaType: MEDIA_TYPE_OCI_CONFIG, digest: configDigest, size: configBytes.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  const manifestDigest = await putBlobTracked(
    store,
    new TextEncoder().encode(JSON.stringify(manifest)),
    created,
  );
  const record: ImageRecord = {
    id: configDigest,
    manifestDigest,
    manifestMediaType: MEDIA_TYPE_OCI_MANIFEST,
    repoDigests: [],
    layers,
    created: config.created,
    size,
    os: config.os,
    architecture: config.architecture,
    variant: config.variant,
    addedAt: new Date().toISOString(),
    ...(opts.parent ? { parent: opts.parent } : {}),
  };
  if (record.variant === undefined) delete record.variant;
  if (record.created === undefined) delete record.created;
  return { record, config, createdBlobs: created };
}

/**
 * Writes the record of a prepared image and points `tags` (fully qualified
 * names) at it. An existing record of the same image keeps its repo digests
 * and the time it was first added.
 *
 * @example
 * ```ts ignore
 * await recordImage(store, prepared, ["docker.io/library/busybox:latest"]);
 * ```
 */
export async function recordImage(
  store: Store,
  prepared: PreparedImage,
  tags: string[],
): Promise<void> {
  const record = prepared.record;
  await updateTags(store, async (map) => {
    const old = await getImage(store, record.id);
    if (old) {
      record.repoDigests = [...new Set([...old.repoDigests, ...record.repoDigests])];
      record.addedAt = old.addedAt;
    }
    await putImage(store, record);
    for (const t of tags) map[t] = record.id;
  });
  prepared.createdBlobs.length = 0;
}

/**
 * Removes the blobs that prepared (but unrecorded) images added, after a
 * later step failed. Unpacked layers are left to garbage collection.
 */
export async function discardPrepared(store: Store, prepared: PreparedImage[]): Promise<void> {
  for (const p of prepared) {
    await Promise.all(p.createdBlobs.map((d) => removeBlob(store, d).catch(() => {})));
    p.createdBlobs.length = 0;
  }
}

async function putBlobTracked(
  store: Store,
  bytes: Uint8Array,
  created: string[],
): Promise<string> {
  const digest = await sha256Bytes(bytes);
  if (await hasBlob(store, digest)) return digest;
  await putBlobContent(store, bytes);
  created.push(digest);
  return digest;
}

/** A pass-through stream that calls `onChunk` (and waits for it) before handing each chunk on. */
function tap(
  stream: ReadableStream<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void | Promise<void>,
): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await reader.read();
      if (r.done) {
        controller.close();
        return;
      }
      await onChunk(r.value);
      controller.enqueue(r.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

async function writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  let off = 0;
  while (off < chunk.length) off += await file.write(chunk.subarray(off));
}

const MEDIA_TYPES: Record<Compression, string> = {
  gzip: MEDIA_TYPE_OCI_LAYER_GZIP,
  zstd: MEDIA_TYPE_OCI_LAYER_ZSTD,
  none: MEDIA_TYPE_OCI_LAYER,
};

/**
 * Pass 1 for one layer: stores its blob (verified when a digest is expected)
 * and returns the blob's descriptor with the layer's diff ID.
 */
async function ingestLayer(
  store: Store,
  src: LayerSource,
  compression: "none" | "gzip",
  created: string[],
): Promise<IngestedLayer> {
  const input = typeof src.tar === "function" ? await src.tar() : src.tar;
  const { head, stream } = await peekStream(input, 4);
  const kind = sniffCompression(head);
  const asIs = src.digest !== undefined || kind !== "none" || compression === "none";
  const tmp = `${store.ingest}/layer-${randomSuffix()}`;
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
  const blobHash = await createHasher();
  const diffHash = await createHasher();
  let blobSize = 0;
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      file.close();
    }
  };
  try {
    if (asIs) {
      const tapped = tap(stream, async (c) => {
        blobHash.update(c);
        blobSize += c.length;
        await writeAll(file, c);
      });
      const plain = kind === "none" ? tapped : await decompressStream(tapped);
      for await (const c of plain) diffHash.update(c);
    } else {
      const tapped = tap(stream, (c) => diffHash.update(c));
      for await (const c of compressGzip(tapped)) {
        blobHash.update(c);
        blobSize += c.length;
        await writeAll(file, c);
      }
    }
    close();
    const digest = blobHash.digest();
    if (src.digest !== undefined && digest !== src.digest) {
      throw new DigestMismatchError(
        `digest mismatch for ${src.digest}${
          src.name ? ` (${src.name})` : ""
        }: content hashes to ${digest}`,
      );
    }
    if (await hasBlob(store, digest)) await Deno.remove(tmp);
    else {
      await Deno.rename(tmp, blobPath(store, digest));
      created.push(digest);
    }
    return {
      digest,
      mediaType: asIs ? src.mediaType ?? MEDIA_TYPES[kind] : MEDIA_TYPE_OCI_LAYER_GZIP,
      size: blobSize,
      diffId: diffHash.digest(),
    };
  } catch (err) {
    close();
    await Deno.remove(tmp).catch(() => {});
    await stream.cancel().catch(() => {});
    if (src.name && !(err instanceof DigestMismatchError)) throw wrap(err, `layer ${src.name}`);
    throw err;
  }
}

/**
 * The size Docker reports for an unpacked layer: its regular files' and symlinks' sizes, a
 * hard-linked file once; directories and whiteouts (character devices) count nothing.
 */
async function contentSizeOf(dir: string): Promise<number> {
  let total = 0;
  const seen = new Set<string>();
  const walk = async (d: string): Promise<void> => {
    for await (const e of Deno.readDir(d)) {
      const path = `${d}/${e.name}`;
      const st = await Deno.lstat(path);
      if (st.isDirectory) await walk(path);
      else if (st.isSymlink) total += st.size;
      else if (st.isFile) {
        if ((st.nlink ?? 1) > 1) {
          const key = `${st.dev}:${st.ino}`;
          if (seen.has(key)) continue;
          seen.add(key);
        }
        total += st.size;
      }
    }
  };
  await walk(dir);
  return total;
}
