/**
 * Removing images: `rmi` (untag, and delete what no tag or container keeps; one report per
 * name) and `image prune` (dangling images, or with `all` every image no container uses).
 *
 * @module
 */
import { emitImageEvent } from "./events.ts";
import { FailedPreconditionError } from "../errors.ts";
import { collectGarbage, imagesInUse } from "../image/gc.ts";
import { familiarName, parseReference } from "../image/reference.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { readImageConfig } from "../image/views.ts";
import { listImages, removeImageRecord, tagsOf, updateTags } from "../store/images.ts";
import { openStore, type Store } from "../store/store.ts";
import { parseTimestamp } from "../units.ts";
import { eachTarget, type StoreOptions, type TargetReport } from "./engine_types.ts";
import { type Filters, labelsMatch } from "./filters.ts";

/** One step of a removal, as Docker's API reports it: a name untagged or an image deleted. */
export type ImageDeleteItem = { Untagged: string } | { Deleted: string };

/** The filter keys `image prune` takes. */
export const IMAGE_PRUNE_FILTERS = ["until", "label", "label!"] as const;

/**
 * Removes each named image: a name that is one of several tags is only untagged; otherwise
 * every tag goes and, unless a container uses it, the image. Without `force`, an image with
 * several tags named by id, or one a container uses, is refused. Unreferenced layers and blobs
 * are collected once at the end.
 *
 * @example
 * ```ts ignore
 * for (const r of await removeImages({}, ["busybox", "nope"])) console.log(r.ok);
 * ```
 */
export async function removeImages(
  where: StoreOptions,
  names: readonly string[],
  opts: { force?: boolean } = {},
): Promise<TargetReport<ImageDeleteItem[]>[]> {
  const store = await openStore(where);
  const reports = await eachTarget(names, async (name) => {
    // the events name the image by its id, even when only a tag goes
    const { record } = await resolveLocalImage(store, name);
    const items = await removeOne(store, name, opts.force === true);
    await imageRemovalEvents(store, items, record.id);
    return items;
  });
  await collectGarbage(store);
  return reports;
}

async function removeOne(store: Store, name: string, force: boolean): Promise<ImageDeleteItem[]> {
  const { record, ref } = await resolveLocalImage(store, name);
  const inUse = (await imagesInUse(store)).get(record.id);
  const short = record.id.slice(7, 19);
  return await updateTags(store, async (tags) => {
    const names = tagsOf(tags, record.id);
    // A name that is one of several tags only untags.
    if (ref && !ref.digest && names.length > 1 && names.includes(ref.toString())) {
      delete tags[ref.toString()];
      return [{ Untagged: familiarName(ref) }];
    }
    if (!ref && names.length > 1 && !force) {
      throw new FailedPreconditionError(
        `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`,
      );
    }
    if (inUse && !force) {
      throw new FailedPreconditionError(
        `conflict: unable to remove repository reference "${name}" (must force) - container ${
          inUse[0].slice(0, 12)
        } is using its referenced image ${short}`,
      );
    }
    const out: ImageDeleteItem[] = [];
    for (const n of names) {
      delete tags[n];
      out.push({ Untagged: familiarName(parseReference(n)) });
    }
    if (!inUse) {
      for (const d of record.repoDigests) out.push({ Untagged: familiarName(parseReference(d)) });
      await removeImageRecord(store, record.id);
      out.push({ Deleted: record.id });
    }
    return out;
  });
}

/** What `image prune` removed (tags by full name, then the image) and the bytes it freed. */
export interface ImagePruneReport {
  deleted: ImageDeleteItem[];
  reclaimed: number;
}

/**
 * Removes images no container uses: untagged ones, or every one with `all`; `until` keeps
 * images created at or after the timestamp, `label` keeps those not matching, `label!` those
 * matching.
 *
 * @example
 * ```ts ignore
 * const { deleted, reclaimed } = await pruneImages({}, { all: true, filters: new Map() });
 * ```
 */
export async function pruneImages(
  where: StoreOptions,
  opts: { all?: boolean; filters?: Filters },
): Promise<ImagePruneReport> {
  const store = await openStore(where);
  const filters: Filters = opts.filters ?? new Map();
  const until = filters.get("until")?.[0];
  const untilTime = until ? parseTimestamp(until) : undefined;
  const labels = filters.get("label");
  const notLabels = filters.get("label!"); // `label!=key[=value]`: those are kept
  const used = await imagesInUse(store);
  const deleted: ImageDeleteItem[] = [];
  let reclaimed = 0;
  await updateTags(store, async (tags) => {
    for (const rec of await listImages(store)) {
      if (used.has(rec.id)) continue;
      const names = tagsOf(tags, rec.id);
      if (names.length && !opts.all) continue;
      if (untilTime && new Date(rec.created ?? rec.addedAt).getTime() >= untilTime) continue;
      if (labels || notLabels) {
        const config = (await readImageConfig(store, rec)).config;
        if (!labelsMatch(config?.Labels, labels ?? [], notLabels ?? [])) continue;
      }
      for (const n of names) {
        delete tags[n];
        deleted.push({ Untagged: n });
      }
      await removeImageRecord(store, rec.id);
      deleted.push({ Deleted: rec.id });
      reclaimed += rec.size;
    }
  });
  await collectGarbage(store);
  // each image's untags come before its Deleted: the id is the next Deleted's
  for (let i = 0; i < deleted.length; i++) {
    const item = deleted[i];
    if ("Deleted" in item) await emitImageEvent(store, "delete", item.Deleted, item.Deleted);
    else {
      const next = deleted.slice(i).find((d) => "Deleted" in d) as { Deleted: string } | undefined;
      await emitImageEvent(store, "untag", next?.Deleted ?? item.Untagged, item.Untagged);
    }
  }
  return { deleted, reclaimed };
}

/** Docker's events for what a removal did: `untag` for each name, then `delete`; `id` is the image's. */
async function imageRemovalEvents(
  store: Store,
  items: ImageDeleteItem[],
  id: string,
): Promise<void> {
  for (const item of items) {
    if ("Untagged" in item) await emitImageEvent(store, "untag", id, item.Untagged);
    else await emitImageEvent(store, "delete", item.Deleted, item.Deleted);
  }
}
