/** `skiff system prune`: remove unused data, asking first as `docker system prune` does. */
import { confirm } from "../cli/confirm.ts";
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { systemPrune as spec } from "../cli/table.ts";
import { checkSystemPrune, pruneSystem } from "../engine/system_prune.ts";
import { humanSize } from "../units.ts";

/** Docker's warning: what will be removed, one line each. */
export function pruneWarning(all: boolean, volumes: boolean): string {
  return [
    "WARNING! This will remove:",
    "  - all stopped containers",
    "  - all networks not used by at least one container",
    ...(volumes ? ["  - all volumes not used by at least one container"] : []),
    all
      ? "  - all images without at least one container associated to them"
      : "  - all dangling images",
    all ? "  - all build cache" : "  - all dangling build cache",
    "",
  ].join("\n");
}

/** Runs `skiff system prune [-a] [--volumes] [--filter F] [-f]`. */
export default async function systemPrune(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const f = ctx.flags;
  const req = checkSystemPrune({ all: f.all, volumes: f.volumes, filters: f.filter });
  if (!f.force && !(await confirm(pruneWarning(f.all, f.volumes)))) return 0;
  const r = await pruneSystem(ctx.global, req);
  for (const err of r.containers.errors) console.error(`Error: ${err.message}`);
  const sections: string[] = [];
  if (r.containers.deleted.length) {
    sections.push(["Deleted Containers:", ...r.containers.deleted, ""].join("\n"));
  }
  if (r.networks.length) sections.push(["Deleted Networks:", ...r.networks, ""].join("\n"));
  if (r.volumes?.deleted.length) {
    sections.push(["Deleted Volumes:", ...r.volumes.deleted, ""].join("\n"));
  }
  if (r.images.deleted.length) {
    const lines = r.images.deleted.map((d) =>
      "Untagged" in d ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`
    );
    sections.push(["Deleted Images:", ...lines, ""].join("\n"));
  }
  if (r.buildCache.deleted.length) {
    sections.push(["Deleted build cache objects:", ...r.buildCache.deleted, ""].join("\n"));
  }
  for (const s of sections) console.log(s);
  const total = r.containers.reclaimed + (r.volumes?.reclaimed ?? 0) + r.images.reclaimed +
    r.buildCache.reclaimed;
  console.log(`Total reclaimed space: ${humanSize(total)}`);
  return r.containers.errors.length ? 1 : 0;
}
