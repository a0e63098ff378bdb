/** `skiff image prune`: remove dangling images (with -a, every image no container uses). */
import { confirm } from "../cli/confirm.ts";
import type { CommandContext } from "../cli/spec.ts";
import { openStore } from "../store/store.ts";
import { listImages, removeImageRecord, tagsOf, updateTags } from "../store/images.ts";
import { collectGarbage, imagesInUse } from "../image/gc.ts";
import { humanSize } from "../cli/units.ts";
import { parseFilters } from "./images.ts";
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
  const untilTime = until ? parseUntil(until) : undefined;
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

/** Docker's label filter: every `key`, `key=value` must match and no `!key`, `key!=value`. */
function labelsMatch(have: Record<string, string> | undefined, wanted: string[]): boolean {
  const labels = have ?? {};
  return wanted.every((w) => {
    const neq = w.indexOf("!=");
    if (neq > 0) return labels[w.slice(0, neq)] !== w.slice(neq + 2);
    const eq = w.indexOf("=");
    if (eq < 0) return w in labels;
    return labels[w.slice(0, eq)] === w.slice(eq + 1);
  });
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
