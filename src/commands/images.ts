/** `skiff images` / `skiff image ls`: list local images. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { images as spec } from "../cli/table.ts";
import { renderList } from "../cli/format.ts";
import { parseFilters } from "../engine/filters.ts";
import { IMAGE_LIST_FILTERS, listImageRows } from "../engine/image_list.ts";
import { exitOne } from "./exit_codes.ts";

const columns = [
  { field: "Repository", header: "REPOSITORY" },
  { field: "Tag", header: "TAG" },
  { field: "Digest", header: "DIGEST" },
  { field: "ID", header: "IMAGE ID" },
  { field: "CreatedSince", header: "CREATED" },
  { field: "CreatedAt", header: "CREATED AT" },
  { field: "Size", header: "SIZE" },
  { field: "VirtualSize", header: "VIRTUAL SIZE" },
  { field: "SharedSize", header: "SHARED SIZE" },
  { field: "UniqueSize", header: "UNIQUE SIZE" },
  { field: "Containers", header: "CONTAINERS" },
];

/** Runs `skiff images [OPTIONS] [REPOSITORY[:TAG]]`. */
export default async function images(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const rows = await exitOne(async () =>
    await listImageRows(ctx.global, {
      reference: ctx.args[0],
      filters: parseFilters(ctx.flags.filter, IMAGE_LIST_FILTERS),
      noTrunc: ctx.flags["no-trunc"],
      uniqueIds: ctx.flags.quiet,
    })
  );
  const defaultTable = ctx.flags.digests
    ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
  const out = renderList(rows, {
    contextType: "*formatter.imageContext",
    format: ctx.flags.format,
    quiet: ctx.flags.quiet,
    columns,
    defaultTable,
  });
  await Deno.stdout.write(new TextEncoder().encode(out));
  return 0;
}
