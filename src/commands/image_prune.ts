/** `skiff image prune`: remove dangling images (with -a, every image no container uses). */
import type { CommandContext } from "../cli/spec.ts";
import { openStore } from "../store/store.ts";
import { listImages, removeImageRecord, tagsOf, updateTags } from "../store/images.ts";
import { collectGarbage, imagesInUse } from "../image/gc.ts";
import { humanSize } from "../cli/units.ts";
import { parseFilters } from "./images.ts";

/** Runs `skiff image prune [-a] [-f] [--filter until=...]`. */
export default async function imagePrune(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const all = ctx.flags.all === true;
  const filters = parseFilters(ctx.flags.filter as string[], ["until", "label"]);
  const until = filters.get("until")?.[0];
  const untilTime = until ? parseUntil(until) : undefined;
  const used = await imagesInUse(store);
  const deleted: string[] = [];
  let reclaimed = 0;
  await updateTags(store, async (tags) => {
    for (const rec of await listImages(store)) {
      if (used.has(rec.id)) continue;
      const names = tagsOf(tags, rec.id);
      if (names.length && !all) continue;
      if (untilTime && new Date(rec.created ?? rec.addedAt).getTime() >= untilTime) continue;
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

function parseUntil(value: string): number {
  const m = /^(\d+)(h|m|s)$/.exec(value);
  if (m) {
    const mult = { h: 3600e3, m: 60e3, s: 1e3 }[m[2] as "h" | "m" | "s"];
    return Date.now() - Number(m[1]) * mult;
  }
  const t = /^\d+$/.test(value) ? Number(value) * 1000 : new Date(value).getTime();
  if (isNaN(t)) throw new Error(`invalid until filter: ${value}`);
  return t;
}
