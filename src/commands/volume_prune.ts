/** `skiff volume prune`: remove volumes no container uses (anonymous ones only unless -a). */
import { confirm } from "../cli/confirm.ts";
import type { CommandContext } from "../cli/spec.ts";
import { humanSize } from "../units.ts";
import { withLock } from "../store/lock.ts";
import { openStore } from "../store/store.ts";
import { listVolumes, removeVolume } from "../store/volumes.ts";
import { parseFilters } from "../engine/filters.ts";
import { filterVolumes, volumeUsers } from "./volume_ls.ts";

async function diskUsage(path: string): Promise<number> {
  let total = 0;
  try {
    for await (const e of Deno.readDir(path)) {
      const p = `${path}/${e.name}`;
      const st = await Deno.lstat(p);
      if (st.isDirectory) total += await diskUsage(p);
      else if (st.isFile) total += st.size;
    }
  } catch {
    // gone or unreadable: counts as nothing
  }
  return total;
}

/** Runs `skiff volume prune [-a] [-f] [--filter label=...]`. */
export default async function volumePrune(ctx: CommandContext): Promise<number> {
  const all = ctx.flags.all === true;
  const filters = parseFilters(ctx.flags.filter as string[], ["label", "all"]);
  const allFilter = filters.get("all")?.at(-1);
  const everything = all || allFilter === "true" || allFilter === "1";
  filters.delete("all");
  const what = everything ? "all local volumes" : "anonymous local volumes";
  const warning = `WARNING! This will remove ${what} not used by at least one container.`;
  if (ctx.flags.force !== true && !(await confirm(warning))) return 0;
  const store = await openStore(ctx.global);
  const deleted: string[] = [];
  let reclaimed = 0;
  await withLock(`${store.locks}/names.lock`, async () => {
    const users = await volumeUsers(store);
    for (const v of filterVolumes(await listVolumes(store), filters, users)) {
      if (users.has(v.Name) || (!everything && !v.Anonymous)) continue;
      const size = await diskUsage(v.Mountpoint);
      await removeVolume(store, v.Name);
      deleted.push(v.Name);
      reclaimed += size;
    }
  });
  if (deleted.length) console.log(["Deleted Volumes:", ...deleted, ""].join("\n"));
  console.log(`Total reclaimed space: ${humanSize(reclaimed)}`);
  return 0;
}
