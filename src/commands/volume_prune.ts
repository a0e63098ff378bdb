/** `skiff volume prune`: remove volumes no container uses (anonymous ones only unless -a). */
import type { CommandContext } from "../cli/spec.ts";
import { humanSize } from "../cli/units.ts";
import { withLock } from "../store/lock.ts";
import { openStore } from "../store/store.ts";
import { listVolumes, removeVolume } from "../store/volumes.ts";
import { parseFilters } from "./images.ts";
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

async function confirm(all: boolean): Promise<boolean> {
  const what = all ? "all local volumes" : "anonymous local volumes";
  await Deno.stdout.write(
    new TextEncoder().encode(
      `WARNING! This will remove ${what} not used by at least one container.\n` +
        "Are you sure you want to continue? [y/N] ",
    ),
  );
  const buf = new Uint8Array(64);
  const n = await Deno.stdin.read(buf);
  const answer = new TextDecoder().decode(buf.subarray(0, n ?? 0)).trim().toLowerCase();
  return answer === "y" || answer === "yes";
}

/** Runs `skiff volume prune [-a] [-f] [--filter label=...]`. */
export default async function volumePrune(ctx: CommandContext): Promise<number> {
  const all = ctx.flags.all === true;
  const filters = parseFilters(ctx.flags.filter as string[], ["label", "all"]);
  const allFilter = filters.get("all")?.at(-1);
  const everything = all || allFilter === "true" || allFilter === "1";
  filters.delete("all");
  if (ctx.flags.force !== true && Deno.stdin.isTerminal() && !(await confirm(everything))) {
    return 0;
  }
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
