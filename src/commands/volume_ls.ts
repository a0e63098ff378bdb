/** `skiff volume ls`: list volumes, and how many containers use each. */
import { renderList } from "../cli/format.ts";
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { volumeLs as spec } from "../cli/table.ts";
import { parseFilters } from "../engine/filters.ts";
import { listVolumeEntries, VOLUME_LIST_FILTERS } from "../engine/volume_list.ts";
import type { VolumeRecord } from "../store/volumes.ts";
import { exitOne } from "./exit_codes.ts";

/** A `volume ls` row, as `docker volume ls --format '{{json .}}'` prints it. */
export interface VolumeRow {
  Availability: string;
  Driver: string;
  Group: string;
  Labels: string;
  Links: string;
  Mountpoint: string;
  Name: string;
  Scope: string;
  Size: string;
  Status: string;
}

/** The `volume ls` row of a volume. */
export function volumeRow(v: VolumeRecord, links: number): VolumeRow {
  return {
    Availability: "N/A",
    Driver: v.Driver,
    Group: "N/A",
    Labels: Object.entries(v.Labels ?? {}).map(([k, val]) => `${k}=${val}`).join(","),
    Links: String(links),
    Mountpoint: v.Mountpoint,
    Name: v.Name,
    Scope: v.Scope,
    Size: "N/A",
    Status: "N/A",
  };
}

const columns = [
  { field: "Driver", header: "DRIVER" },
  { field: "Name", header: "VOLUME NAME" },
  { field: "Mountpoint", header: "MOUNTPOINT" },
  { field: "Scope", header: "SCOPE" },
  { field: "Labels", header: "LABELS" },
  { field: "Links", header: "LINKS" },
  { field: "Size", header: "SIZE" },
  { field: "Availability", header: "AVAILABILITY" },
  { field: "Group", header: "GROUP" },
  { field: "Status", header: "STATUS" },
];

/** Runs `skiff volume ls [-q] [--filter K=V] [--format F]`. */
export default async function volumeLs(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const entries = await exitOne(async () =>
    await listVolumeEntries(ctx.global, parseFilters(ctx.flags.filter, VOLUME_LIST_FILTERS))
  );
  const out = renderList(entries.map((e) => volumeRow(e.volume, e.users.length)), {
    contextType: "*formatter.volumeContext",
    format: ctx.flags.format,
    quiet: ctx.flags.quiet,
    columns,
    defaultTable: "table {{.Driver}}\t{{.Name}}",
    quietFormat: "{{.Name}}",
  });
  await Deno.stdout.write(new TextEncoder().encode(out));
  return 0;
}
