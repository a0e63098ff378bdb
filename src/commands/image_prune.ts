/** `skiff image prune`: remove dangling images (with -a, every image no container uses). */
import { confirm } from "../cli/confirm.ts";
import type { CommandContext } from "../cli/spec.ts";
import { openStore } from "../store/store.ts";
import { listImages, removeImageRecord, tagsOf, updateTags } from "../store/images.ts";
import { collectGarbage, imagesInUse } from "../image/gc.ts";
import { humanSize, parseTimestamp } from "../units.ts";
import { labelsMatch, parseFilters } from "../engine/filters.ts";
import { readImageConfig } from "../image/views.ts";

/** Runs `skiff image prune [-a] [-f] [--filter until=...]`. */
export default async function imagePrune(ctx: CommandContext): Promise<number> {
  const all = ctx.flags.all === true;
  const warning = all
    ? "WARNING! This will remove all images without at least one container associated to them."
    : "WARNING! This will remove all dangling images.";
  if (ctx.flags.force !== true && !(await confirm(warning))) return 0;
  const store = await openStore(ctx.global);
  const filters = parseFilters(ctx.flags.filter as string[], ["until", "label"]);
  const until = filters.get("until")?.[0];
  const untilTime = until ? parseTimestamp(until) : undefined;
  const labels = filters.get("label");
  const used = await imagesInUse(store);
  const deleted: string[] = [];
  let reclaimed = 0;
  await updateTags(store, async (tags) => {
    for (const rec of await listImages(store)) {
      if (used.has(rec.id)) continue;
      const names = tagsOf(tags, rec.id);
      if (names.length && !all) continue;
      if (untilTime && new Date(rec.created ?? rec.addedAt).getTime() >= untilTime) continue;
      if (labels && !labelsMatch((await readImageConfig(store, rec)).config?.Labels, labels)) {
        continue;
      }
      for (const n of names) {
        delete tags[n];
        deleted.push(`untagged: ${n}`);
      }
      await removeImageRecord(store, rec.id);
      deleted.push(`deleted: ${rec.id}`);
      reclaimed += rec.size;
    }
  });
  await collectGarbage(store);
  if (deleted.length) console.log(["Deleted Images:", ...deleted, ""].join("\n"));
  console.log(`Total reclaimed space: ${humanSize(reclaimed)}`);
  return 0;
}
