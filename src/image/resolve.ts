/**
 * Finds a local image from what a user typed: a full or short id, a name
 * with tag, or a name with digest. Short names are normalized as Docker does
 * (`busybox` is `docker.io/library/busybox:latest`).
 */
import { NotFoundError } from "../errors.ts";
import {
  findImageById,
  getImage,
  type ImageRecord,
  listImages,
  readTags,
  type TagMap,
} from "../store/images.ts";
import type { Store } from "../store/store.ts";
import { type ImageReference, parseReference } from "./reference.ts";

/** A local image and, when found by name, the reference that named it. */
export interface ResolvedImage {
  record: ImageRecord;
  ref?: ImageReference;
}

/**
 * Resolves a user's image argument to a stored image.
 *
 * @example
 * ```ts ignore
 * const { record } = await resolveLocalImage(store, "busybox");
 * ```
 */
export async function resolveLocalImage(
  store: Store,
  name: string,
  tags?: TagMap,
): Promise<ResolvedImage> {
  if (/^(sha256:)?[a-f0-9]{1,64}$/.test(name) && !(await tagExists(store, name, tags))) {
    try {
      return { record: await findImageById(store, name) };
    } catch (err) {
      if (name.startsWith("sha256:") || name.length >= 12) throw err;
    }
  }
  const ref = parseReference(name);
  const tagMap = tags ?? await readTags(store);
  if (ref.digest) {
    const repoDigest = `${ref.name}@${ref.digest}`;
    for (const id of new Set(Object.values(tagMap))) {
      const rec = await getImage(store, id);
      if (rec?.repoDigests.includes(repoDigest)) return { record: rec, ref };
    }
    for (const rec of await listImages(store)) {
      if (rec.repoDigests.includes(repoDigest)) return { record: rec, ref };
    }
    throw new NotFoundError(`No such image: ${name}`);
  }
  const id = tagMap[ref.toString()];
  const record = id ? await getImage(store, id) : undefined;
  if (!record) throw new NotFoundError(`No such image: ${name}`);
  return { record, ref };
}

async function tagExists(store: Store, name: string, tags?: TagMap): Promise<boolean> {
  if (name.startsWith("sha256:") || name.length === 64) return false;
  const map = tags ?? await readTags(store);
  try {
    return parseReference(name).toString() in map;
  } catch {
    return false;
  }
}
