/** `skiff ps` / `container ls`: list containers with Docker's columns, filters and formats. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { ps as spec } from "../cli/table_containers.ts";
import { renderList } from "../cli/format.ts";
import { listContainerRows, type ListedContainer } from "../engine/container_list.ts";
import { exitOne } from "./exit_codes.ts";

const columns = [
  { field: "ID", header: "CONTAINER ID" },
  { field: "Image", header: "IMAGE" },
  { field: "Command", header: "COMMAND" },
  { field: "CreatedAt", header: "CREATED AT" },
  { field: "RunningFor", header: "CREATED" },
  { field: "Status", header: "STATUS" },
  { field: "State", header: "STATE" },
  { field: "Ports", header: "PORTS" },
  { field: "Names", header: "NAMES" },
  { field: "Labels", header: "LABELS" },
  { field: "Mounts", header: "MOUNTS" },
  { field: "Networks", header: "NETWORKS" },
  { field: "Size", header: "SIZE" },
  { field: "LocalVolumes", header: "LOCAL VOLUMES" },
];

const methods = [{
  name: "Label",
  header: "LABEL",
  call: (row: ListedContainer, key: unknown) => row.labels[String(key)] ?? "",
}];

const TABLE = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}";

/**
 * Runs `render`; a template error is worded as docker's `ps` words its own ("failed to parse
 * template: ..." or "failed to execute template: ..."; the other lists say "template parsing
 * error").
 */
function psTemplateWords(render: () => string): string {
  try {
    return render();
  } catch (err) {
    const prefix = "template parsing error: ";
    if (err instanceof Error && err.message.startsWith(prefix)) {
      const rest = err.message.slice(prefix.length);
      const what = / executing "/.test(rest) ? "execute" : "parse";
      err.message = `failed to ${what} template: ${rest}`;
    }
    throw err;
  }
}

/** Runs `skiff ps [OPTIONS]`; a bad filter exits 1, as Docker's does. */
export default async function ps(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const f = ctx.flags;
  const rows = await exitOne(() =>
    listContainerRows(ctx.global, {
      all: f.all || f.external, // every container in the store is skiff's own
      last: f.last,
      latest: f.latest,
      filters: f.filter,
      // docker's CLI asks for sizes when a format names .Size
      size: f.size || (f.format ?? "").includes(".Size"),
      noTrunc: f["no-trunc"],
    })
  );
  const out = psTemplateWords(() =>
    renderList(rows, {
      contextType: "*formatter.ContainerContext",
      format: f.format,
      quiet: f.quiet,
      columns,
      methods,
      defaultTable: f.size ? `${TABLE}\t{{.Names}}\t{{.Size}}` : `${TABLE}\t{{.Names}}`,
    })
  );
  await Deno.stdout.write(new TextEncoder().encode(out));
  return 0;
}
