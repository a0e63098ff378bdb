/** `skiff system df`: disk usage of images, containers, volumes, as `docker system df` prints it. */
import { renderList, tabwrite } from "../cli/format.ts";
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { systemDf as spec } from "../cli/table.ts";
import { type DfSummary, diskUsageReport, summarize } from "../engine/system_df.ts";
import { familiarRepository, parseReference } from "../image/reference.ts";
import { ago, humanSize } from "../units.ts";

/** A summary line as Docker's template sees it (every field a string). */
export interface DfRow {
  Type: string;
  TotalCount: string;
  Active: string;
  Size: string;
  Reclaimable: string;
}

/**
 * The row of a summary line: the reclaimable size with its share of the total, as Docker
 * words it ("1.2MB (100%)"); without the share when nothing is there or for the build cache.
 *
 * @example
 * ```ts
 * dfRow({ type: "Images", total: 2, active: 1, size: 2000, reclaimable: 500 }).Reclaimable; // "500B (25%)"
 * ```
 */
export function dfRow(s: DfSummary): DfRow {
  const share = s.size > 0 && s.type !== "Build Cache"
    ? ` (${Math.floor((s.reclaimable * 100) / s.size)}%)`
    : "";
  return {
    Type: s.type,
    TotalCount: String(s.total),
    Active: String(s.active),
    Size: humanSize(s.size),
    Reclaimable: `${humanSize(s.reclaimable)}${share}`,
  };
}

const columns = [
  { field: "Type", header: "TYPE" },
  { field: "TotalCount", header: "TOTAL" },
  { field: "Active", header: "ACTIVE" },
  { field: "Size", header: "SIZE" },
  { field: "Reclaimable", header: "RECLAIMABLE" },
];

/** Runs `skiff system df [-v] [--format F]`. */
export default async function systemDf(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const report = await diskUsageReport(ctx.global);
  if (!ctx.flags.verbose) {
    Deno.stdout.writeSync(new TextEncoder().encode(renderList(summarize(report).map(dfRow), {
      format: ctx.flags.format,
      columns,
      defaultTable: "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
    })));
    return 0;
  }
  const images = report.images.flatMap((i) => {
    const names = i.tags.length ? i.tags : ["<none>:<none>"];
    return names.map((n) => {
      const ref = n === "<none>:<none>" ? undefined : parseReference(n);
      return [
        ref ? familiarRepository(ref) : "<none>",
        ref?.tag ?? "<none>",
        i.id.replace("sha256:", "").slice(0, 12),
        ago(i.created),
        humanSize(i.size),
        humanSize(i.sharedSize),
        humanSize(i.size - i.sharedSize),
        String(i.containers),
      ].join("\t");
    });
  });
  const containers = report.containers.map((c) =>
    [
      c.row.ID,
      c.row.Image,
      c.row.Command,
      c.row.LocalVolumes,
      humanSize(c.sizeRw),
      c.row.RunningFor,
      c.row.Status,
      c.row.Names,
    ].join("\t")
  );
  const volumes = report.volumes.map((v) =>
    [v.name, String(v.links), humanSize(v.size)].join("\t")
  );
  const cache = (report.buildCache?.records ?? []).map((r) =>
    [
      r.id,
      r.type,
      humanSize(r.size),
      ago(r.created),
      ago(r.lastUsed),
      String(r.usage),
      r.shared ? "true" : "false",
    ].join("\t")
  );
  const table = (head: string, rows: string[]) => tabwrite([head, ...rows].join("\n") + "\n");
  const out = [
    "Images space usage:\n\n",
    table(
      "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS",
      images,
    ),
    "\nContainers space usage:\n\n",
    table(
      "CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES",
      containers,
    ),
    "\nLocal Volumes space usage:\n\n",
    table("VOLUME NAME\tLINKS\tSIZE", volumes),
    `\nBuild cache usage: ${humanSize(report.buildCache?.size ?? 0)}\n\n`,
    table("CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED", cache),
  ];
  Deno.stdout.writeSync(new TextEncoder().encode(out.join("")));
  return 0;
}
