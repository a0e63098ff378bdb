/** `skiff container prune`: remove every stopped (exited or created) container. */
import { confirm } from "../cli/confirm.ts";
import type { CommandContext } from "../cli/spec.ts";
import { InvalidArgumentError } from "../errors.ts";
import { humanSize, parseTimestamp } from "../units.ts";
import { openStore } from "../store/store.ts";
import { containerDir, listContainers } from "../runtime/container_store.ts";
import { removeContainer } from "../runtime/remove.ts";
import { currentState } from "../runtime/state.ts";
import { labelsMatch, parseFilters } from "../engine/filters.ts";

/** Bytes under a directory (files counted once by inode), not following symlinks. */
async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const seen = new Set<string>();
  const walk = async (d: string) => {
    let entries: Deno.DirEntry[] = [];
    try {
      entries = await Array.fromAsync(Deno.readDir(d));
    } catch {
      return;
    }
    for (const e of entries) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (e.isFile) {
        const st = await Deno.lstat(p).catch(() => undefined);
        if (!st) continue;
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
        total += st.size;
      }
    }
  };
  await walk(dir);
  return total;
}

/** Runs `skiff container prune [-f] [--filter until=...] [--filter label=...]`. */
export default async function containerPrune(ctx: CommandContext): Promise<number> {
  const raw = ((ctx.flags.filter as string[] | undefined) ?? []).map((f) =>
    f.replace(/^label!=/, "label_not=")
  );
  const filters = parseFilters(raw, ["until", "label", "label_not"]);
  const untils = (filters.get("until") ?? []).map((u) => parseTimestamp(u));
  if (untils.length > 1) throw new InvalidArgumentError("more than one until filter specified");
  if (
    ctx.flags.force !== true &&
    !(await confirm("WARNING! This will remove all stopped containers."))
  ) return 0;
  const store = await openStore(ctx.global);
  const deleted: string[] = [];
  let reclaimed = 0;
  let failed = false;
  for (const rec of await listContainers(store)) {
    const state = await currentState(store, rec);
    if (!["exited", "created", "dead"].includes(state.Status)) continue;
    if (untils.length && new Date(rec.Created).getTime() >= untils[0]) continue;
    if (!labelsMatch(rec.Labels, filters.get("label") ?? [], filters.get("label_not") ?? [])) {
      continue;
    }
    const size = await diskUsage(`${containerDir(store, rec.Id)}/upper`);
    try {
      await removeContainer(store, rec, { force: false, volumes: false });
      deleted.push(rec.Id);
      reclaimed += size;
    } catch (err) {
      failed = true;
      console.error(`Error: ${(err as Error).message}`);
    }
  }
  if (deleted.length) console.log(["Deleted Containers:", ...deleted, ""].join("\n"));
  console.log(`Total reclaimed space: ${humanSize(reclaimed)}`);
  return failed ? 1 : 0;
}
