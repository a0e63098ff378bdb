/**
 * `save`: images from the store as a streamed tar, in one of two formats.
 *
 * - `docker-archive`, as `docker save` wrote it before version 25 and as
 *   containers/image's docker/tarfile reads it: `manifest.json`
 *   (`[{Config, RepoTags, Layers}]`), the config as `<config-hex>.json`, each
 *   layer uncompressed as `<diffid-hex>/layer.tar` (with the legacy `VERSION`
 *   and `json` beside it) and `repositories`.
 * - `oci-archive`: a tar of an OCI image layout (`oci-layout`, `index.json`
 *   with one entry per name, annotated with `org.opencontainers.image.ref.name`
 *   and containerd's `io.containerd.image.name`, and `blobs/sha256/...`).
 *
 * Layers are streamed from their blobs one at a time (decompressed for the
 * docker format, with the diff ID checked on the way); nothing larger than a
 * manifest is held in memory.
 *
 * @module
 */
import { DigestMismatchError, NotFoundError } from "../errors.ts";
import { blobPath, hasBlob, readBlob } from "../store/blobs.ts";
import { createHasher } from "../store/hash.ts";
import type { ImageLayer, ImageRecord } from "../store/images.ts";
import { getLayer } from "../store/layers.ts";
import type { Store } from "../store/store.ts";
import { decompressStream } from "./decompress.ts";
import { familiarName, parseReference } from "./reference.ts";
import { type TarEntry, writeTarEntries } from "./tar_write.ts";

/** One image to save and the names it is saved under. */
export interface SaveItem {
  record: ImageRecord;
  /** Fully qualified names (`docker.io/library/busybox:latest`); empty for an untagged save. */
  names: string[];
}

/** The archive formats `save` writes. */
export type ArchiveFormat = "docker-archive" | "oci-archive";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_TO_OCI: Record<string, string> = {
  "application/vnd.docker.image.rootfs.diff.tar.gzip":
    "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/vnd.docker.image.rootfs.diff.tar": "application/vnd.oci.image.layer.v1.tar",
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip":
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
};

/**
 * Streams a tar archive of `items` in `format`. Errors (a missing blob, a
 * layer whose content no longer matches its diff ID) make the stream error.
 *
 * @example
 * ```ts ignore
 * const out = await Deno.create("busybox.tar");
 * await saveArchive(store, [{ record, names: ["docker.io/library/busybox:latest"] }],
 *   "docker-archive").pipeTo(out.writable);
 * ```
 */
export function saveArchive(
  store: Store,
  items: SaveItem[],
  format: ArchiveFormat,
): ReadableStream<Uint8Array> {
  const merged = mergeItems(items);
  return writeTarEntries(
    format === "oci-archive" ? ociEntries(store, merged) : dockerEntries(store, merged),
  );
}

/** Joins items naming the same image, keeping names in order and unique. */
function mergeItems(items: SaveItem[]): SaveItem[] {
  const byId = new Map<string, SaveItem>();
  for (const it of items) {
    const have = byId.get(it.record.id);
    if (have) {
      for (const n of it.names) if (!have.names.includes(n)) have.names.push(n);
    } else byId.set(it.record.id, { record: it.record, names: [...it.names] });
  }
  return [...byId.values()];
}

const hexOf = (digest: string) => digest.slice(digest.indexOf(":") + 1);

async function requireBlob(store: Store, digest: string): Promise<void> {
  if (!(await hasBlob(store, digest))) {
    throw new NotFoundError(`blob ${digest} is missing from the store`);
  }
}

/** Uncompressed size of a layer: from the layer store, else by reading the blob once. */
async function uncompressedSize(store: Store, layer: ImageLayer): Promise<number> {
  const meta = await getLayer(store, layer.chainId);
  if (meta && meta.diffId === layer.diffId) return meta.size;
  let size = 0;
  const file = await Deno.open(blobPath(store, layer.digest));
  for await (const c of await decompressStream(file.readable)) size += c.length;
  return size;
}

/** The uncompressed layer tar, failing at its end if it does not hash to the diff ID. */
async function layerTar(store: Store, layer: ImageLayer): Promise<ReadableStream<Uint8Array>> {
  const file = await Deno.open(blobPath(store, layer.digest));
  const plain = await decompressStream(file.readable);
  const hasher = await createHasher();
  const reader = plain.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await reader.read();
      if (r.done) {
        const actual = hasher.digest();
        if (actual !== layer.diffId) {
          controller.error(
            new DigestMismatchError(
              `layer ${layer.digest} no longer matches its diff ID ${layer.diffId}: got ${actual}`,
            ),
          );
          return;
        }
        controller.close();
        return;
      }
      hasher.update(r.value);
      controller.enqueue(r.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

async function* dockerEntries(store: Store, items: SaveItem[]): AsyncGenerator<TarEntry> {
  const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const written = new Set<string>();
  for (const { record, names } of items) {
    const layers: string[] = [];
    let parent = "";
    for (const layer of record.layers) {
      const dir = hexOf(layer.diffId);
      layers.push(`${dir}/layer.tar`);
      if (!written.has(dir)) {
        written.add(dir);
        await requireBlob(store, layer.digest);
        const size = await uncompressedSize(store, layer);
        yield { name: dir, type: "dir" };
        yield { name: `${dir}/VERSION`, data: "1.0" };
        const v1: Record<string, unknown> = { id: dir, created: "1970-01-01T00:00:00Z" };
        if (parent) v1.parent = parent;
        yield { name: `${dir}/json`, data: JSON.stringify(v1) };
        yield { name: `${dir}/layer.tar`, stream: await layerTar(store, layer), size };
      }
      parent = dir;
    }
    const configName = `${hexOf(record.id)}.json`;
    if (!written.has(configName)) {
      written.add(configName);
      yield { name: configName, data: await readBlob(store, record.id) };
    }
    const repoTags = names.map((n) => familiarName(parseReference(n)));
    manifest.push({
      Config: configName,
      RepoTags: repoTags.length ? repoTags : null,
      Layers: layers,
    });
    for (const n of names) {
      const ref = parseReference(n);
      const repo = familiarName(parseReference(ref.name)).replace(/:latest$/, "");
      if (ref.tag && parent) (repositories[repo] ??= {})[ref.tag] = parent;
    }
  }
  yield { name: "manifest.json", data: JSON.stringify(manifest) + "\n" };
  yield { name: "repositories", data: JSON.stringify(repositories) + "\n" };
}

/** The image's manifest as an OCI manifest: the stored one when it is OCI, else converted. */
async function ociManifest(
  store: Store,
  record: ImageRecord,
): Promise<{ bytes: Uint8Array; digest: string }> {
  if (record.manifestMediaType === OCI_MANIFEST && await hasBlob(store, record.manifestDigest)) {
    return { bytes: await readBlob(store, record.manifestDigest), digest: record.manifestDigest };
  }
  const config = await readBlob(store, record.id);
  const doc = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: record.id, size: config.length },
    layers: record.layers.map((l) => ({
      mediaType: DOCKER_TO_OCI[l.mediaType] ?? l.mediaType,
      digest: l.digest,
      size: l.size,
    })),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(doc));
  const hasher = await createHasher();
  hasher.update(bytes);
  return { bytes, digest: hasher.digest() };
}

async function* ociEntries(store: Store, items: SaveItem[]): AsyncGenerator<TarEntry> {
  yield { name: "oci-layout", data: JSON.stringify({ imageLayoutVersion: "1.0.0" }) };
  yield { name: "blobs", type: "dir" };
  yield { name: "blobs/sha256", type: "dir" };
  const written = new Set<string>();
  const index: Record<string, unknown>[] = [];
  for (const { record, names } of items) {
    for (const layer of record.layers) {
      if (written.has(layer.digest)) continue;
      written.add(layer.digest);
      await requireBlob(store, layer.digest);
      const path = blobPath(store, layer.digest);
      const size = (await Deno.stat(path)).size;
      const file = await Deno.open(path);
      yield { name: `blobs/sha256/${hexOf(layer.digest)}`, stream: file.readable, size };
    }
    if (!written.has(record.id)) {
      written.add(record.id);
      yield { name: `blobs/sha256/${hexOf(record.id)}`, data: await readBlob(store, record.id) };
    }
    const manifest = await ociManifest(store, record);
    if (!written.has(manifest.digest)) {
      written.add(manifest.digest);
      yield { name: `blobs/sha256/${hexOf(manifest.digest)}`, data: manifest.bytes };
    }
    const desc = { mediaType: OCI_MANIFEST, digest: manifest.digest, size: manifest.bytes.length };
    if (names.length === 0) index.push(desc);
    for (const n of names) {
      index.push({
        ...desc,
        annotations: {
          "io.containerd.image.name": n,
          "org.opencontainers.image.ref.name": n,
        },
      });
    }
  }
  yield {
    name: "index.json",
    data: JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: index }) + "\n",
  };
}
