/** `skiff volume ls`: list volumes, and which containers use which volume. */
import { renderList } from "../cli/format.ts";
import type { CommandContext } from "../cli/spec.ts";
import { listContainers } from "../runtime/container_store.ts";
import { anonymousVolumeName } from "../runtime/volumes.ts";
import { openStore, type Store } from "../store/store.ts";
import { listVolumes, type VolumeRecord } from "../store/volumes.ts";
import { labelsMatch, parseFilters } from "../engine/filters.ts";

/**
 * Names of volumes used by containers (in any state), each with the ids of
 * the containers using it.
 *
 * @example
 * ```ts
 * (await volumeUsers(store)).get("data"); // ["3f2a..."]
 * ```
 */
export async function volumeUsers(store: Store): Promise<Map<string, string[]>> {
  const users = new Map<string, string[]>();
  for (const rec of await listContainers(store)) {
    for (const m of rec.Options.mounts) {
      if (m.type !== "volume") continue;
      const name = m.name ?? await anonymousVolumeName(rec.Id, m.target);
      users.set(name, [...(users.get(name) ?? []), rec.Id]);
    }
  }
  return users;
}

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

/**
 * Keeps the volumes matching docker's `volume ls` filters: name (substring),
 * dangling (no container uses it), driver, label (`key` or `key=value`).
 */
export function filterVolumes(
  volumes: VolumeRecord[],
  filters: Map<string, string[]>,
  users: Map<string, string[]>,
): VolumeRecord[] {
  return volumes.filter((v) => {
    const names = filters.get("name");
    if (names && !names.some((n) => v.Name.includes(n))) return false;
    const dangling = filters.get("dangling");
    if (dangling) {
      const want = ["true", "1"].includes(dangling[dangling.length - 1]);
      if (users.has(v.Name) === want) return false;
    }
    const drivers = filters.get("driver");
    if (drivers && !drivers.includes(v.Driver)) return false;
    const labels = filters.get("label");
    if (labels && !labelsMatch(v.Labels, labels)) return false;
    return true;
  });
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
export default async function volumeLs(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const filters = parseFilters(ctx.flags.filter as string[], [
    "name",
    "dangling",
    "driver",
    "label",
  ]);
  const users = await volumeUsers(store);
  const volumes = filterVolumes(await listVolumes(store), filters, users);
  const out = renderList(volumes.map((v) => volumeRow(v, users.get(v.Name)?.length ?? 0)), {
    format: ctx.flags.format as string | undefined,
    quiet: ctx.flags.quiet === true,
    columns,
    defaultTable: "table {{.Driver}}\t{{.Name}}",
    quietFormat: "{{.Name}}",
  });
  await Deno.stdout.write(new TextEncoder().encode(out));
  return 0;
}
