/**
 * Image records (`images/<id>.json`) and tags (`repositories.json`). An
 * image's id is its config digest. A record is written only after all of its
 * layers are in the store, so a listed image is always whole.
 */
import { NotFoundError } from "../errors.ts";
import { readJson, writeJsonAtomic } from "./atomic.ts";
import { withLock } from "./lock.ts";
import type { Store } from "./store.ts";

/** One layer of an image: its blob and its unpacked form. */
export interface ImageLayer {
  /** Digest of the (usually compressed) blob as in the manifest. */
  digest: string;
  mediaType: string;
  size: number;
  diffId: string;
  chainId: string;
}

/** What the store keeps about an image. */
export interface ImageRecord {
  /** Config digest: `sha256:<hex>`. */
  id: string;
  manifestDigest: string;
  manifestMediaType: string;
  /** `docker.io/library/busybox@sha256:...` for each repository it was pulled from or pushed to. */
  repoDigests: string[];
  layers: ImageLayer[];
  /** Config `created`, when present. */
  created?: string;
  /** Sum of unpacked layer sizes. */
  size: number;
  os: string;
  architecture: string;
  variant?: string;
  /** When this store got the image. */
  addedAt: string;
  /** The local image it was made from (commit, build): docker's `Parent`. */
  parent?: string;
}

/** Tag name (fully qualified, e.g. docker.io/library/busybox:latest) to image id. */
export type TagMap = Record<string, string>;

function recordPath(store: Store, id: string): string {
  return `${store.images}/${id.replace("sha256:", "")}.json`;
}

/** Reads one image record by full id. */
export function getImage(store: Store, id: string): Promise<ImageRecord | undefined> {
  return readJson<ImageRecord>(recordPath(store, id));
}

/** Writes (or replaces) an image record. */
export async function putImage(store: Store, record: ImageRecord): Promise<void> {
  await writeJsonAtomic(recordPath(store, record.id), record);
}

/** Removes an image record; its blobs and layers are left to garbage collection. */
export async function removeImageRecord(store: Store, id: string): Promise<void> {
  await Deno.remove(recordPath(store, id)).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
}

/** Every image record in the store. */
export async function listImages(store: Store): Promise<ImageRecord[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(store.images)) {
      if (entry.name.endsWith(".json") && !entry.name.startsWith(".")) names.push(entry.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  const records = await Promise.all(
    names.map((n) => readJson<ImageRecord>(`${store.images}/${n}`).catch(() => undefined)),
  );
  return records.filter((r): r is ImageRecord => r !== undefined);
}

/** Reads the tag map; readers take no lock (writes are atomic renames). */
export async function readTags(store: Store): Promise<TagMap> {
  return (await readJson<TagMap>(`${store.root}/repositories.json`)) ?? {};
}

/**
 * Changes the tag map under its lock: `change` edits the map in place.
 *
 * @example
 * ```ts ignore
 * await updateTags(store, (tags) => { tags["docker.io/library/busybox:latest"] = id; });
 * ```
 */
export async function updateTags<T>(
  store: Store,
  change: (tags: TagMap) => T | Promise<T>,
): Promise<T> {
  return await withLock(`${store.locks}/repositories.lock`, async () => {
    const tags = await readTags(store);
    const result = await change(tags);
    await writeJsonAtomic(`${store.root}/repositories.json`, tags);
    return result;
  });
}

/** Tags pointing at an image id. */
export function tagsOf(tags: TagMap, id: string): string[] {
  return Object.keys(tags).filter((t) => tags[t] === id).sort();
}

/**
 * Finds an image by full id, `sha256:` prefix, or short hex id prefix
 * (at least one character, unique).
 */
export async function findImageById(store: Store, idOrPrefix: string): Promise<ImageRecord> {
  const hex = idOrPrefix.replace(/^sha256:/, "");
  if (!/^[a-f0-9]{1,64}$/.test(hex)) throw new NotFoundError(`No such image: ${idOrPrefix}`);
  if (hex.length === 64) {
    const rec = await getImage(store, `sha256:${hex}`);
    if (rec) return rec;
    throw new NotFoundError(`No such image: ${idOrPrefix}`);
  }
  const matches: string[] = [];
  for await (const entry of Deno.readDir(store.images)) {
    if (entry.name.startsWith(hex) && entry.name.endsWith(".json")) matches.push(entry.name);
  }
  if (matches.length === 0) throw new NotFoundError(`No such image: ${idOrPrefix}`);
  if (matches.length > 1) {
    throw new NotFoundError(`image id prefix "${idOrPrefix}" is ambiguous`);
  }
  return (await readJson<ImageRecord>(`${store.images}/${matches[0]}`))!;
}
