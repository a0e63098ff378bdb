/** `skiff network ls`: list networks as Docker does. */
import { renderList } from "../cli/format.ts";
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { networkLs as spec } from "../cli/table_networks.ts";
import { parseFilters } from "../engine/filters.ts";
import {
  listNetworkObjects,
  NETWORK_LIST_FILTERS,
  type NetworkInspect,
} from "../engine/networks.ts";

/** A `network ls` row, as `docker network ls --format '{{json .}}'` prints it. */
export interface NetworkRow {
  CreatedAt: string;
  Driver: string;
  ID: string;
  IPv6: string;
  Internal: string;
  Labels: string;
  Name: string;
  Scope: string;
}

/** Docker's `2024-05-19 20:15:37.123456789 +0000 UTC` time format. */
function dockerTime(iso: string): string {
  const d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  return d.toISOString().replace("T", " ").replace(/Z$/, " +0000 UTC");
}

/** The `network ls` row of a network; the id cut to 12 digits unless `noTrunc`. */
export function networkRow(n: NetworkInspect, noTrunc: boolean): NetworkRow {
  return {
    CreatedAt: dockerTime(n.Created),
    Driver: n.Driver,
    ID: noTrunc ? n.Id : n.Id.slice(0, 12),
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    Labels: Object.entries(n.Labels).map(([k, v]) => `${k}=${v}`).join(","),
    Name: n.Name,
    Scope: n.Scope,
  };
}

const columns = [
  { field: "ID", header: "NETWORK ID" },
  { field: "Name", header: "NAME" },
  { field: "Driver", header: "DRIVER" },
  { field: "Scope", header: "SCOPE" },
  { field: "IPv6", header: "IPV6" },
  { field: "Internal", header: "INTERNAL" },
  { field: "Labels", header: "LABELS" },
  { field: "CreatedAt", header: "CREATED" },
];

/** Runs `skiff network ls [-q] [--no-trunc] [--filter K=V] [--format F]`. */
export default async function networkLs(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const filters = parseFilters(ctx.flags.filter, NETWORK_LIST_FILTERS);
  const nets = await listNetworkObjects(ctx.global, filters);
  const out = renderList(nets.map((n) => networkRow(n, ctx.flags["no-trunc"])), {
    contextType: "*formatter.networkContext",
    format: ctx.flags.format,
    quiet: ctx.flags.quiet,
    columns,
    defaultTable: "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
    quietFormat: "{{.ID}}",
  });
  await Deno.stdout.write(new TextEncoder().encode(out));
  return 0;
}
