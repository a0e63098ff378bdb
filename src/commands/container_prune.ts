/** `skiff container prune`: remove every stopped (exited or created) container. */
import { confirm } from "../cli/confirm.ts";
import type { CommandContext } from "../cli/spec.ts";
import { InvalidArgumentError } from "../errors.ts";
import { humanSize } from "../cli/units.ts";
import { openStore } from "../store/store.ts";
import { containerDir, type ContainerRecord, listContainers } from "../runtime/container_store.ts";
import { removeContainer } from "../runtime/remove.ts";
import { currentState } from "../runtime/state.ts";
import { parseFilters } from "./images.ts";

/**
 * Parses an `until` filter value: a duration before now ("10m", "1h30m"),
 * Unix seconds, or a timestamp; returns milliseconds since the epoch.
 *
 * @example
 * ```ts
 * parseUntil("2024-01-02T03:04:05Z"); // 1704164645000
 * ```
 */
export function parseUntil(value: string, now = Date.now()): number {
  if (/^(\d+(\.\d+)?(h|m|s|ms))+$/.test(value)) {
    const mult: Record<string, number> = { h: 3600e3, m: 60e3, s: 1e3, ms: 1 };
    let ms = 0;
    for (const [, n, , unit] of value.matchAll(/(\d+(\.\d+)?)(ms|h|m|s)/g)) {
      ms += Number(n) * mult[unit];
    }
    return now - ms;
  }
  const t = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : new Date(value).getTime();
  if (isNaN(t)) {
    throw new InvalidArgumentError(`failed to parse value as time or duration: "${value}"`);
  }
  return t;
}

/** Whether a record matches `label=k`, `label=k=v`, `label!=...` filters as Docker's prune does. */
function labelsMatch(rec: ContainerRecord, want: string[], negate: string[]): boolean {
  const has = (l: string) => {
    const eq = l.indexOf("=");
    const k = eq < 0 ? l : l.slice(0, eq);
    return k in rec.Labels && (eq < 0 || rec.Labels[k] === l.slice(eq + 1));
  };
  return want.every(has) && !negate.some(has);
}

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
  const untils = (filters.get("until") ?? []).map((u) => parseUntil(u));
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
    if (!labelsMatch(rec, filters.get("label") ?? [], filters.get("label_not") ?? [])) continue;
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
