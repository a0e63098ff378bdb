/** `skiff history`: the layers of an image, newest first, from its config history. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { history as spec } from "../cli/table.ts";
import { renderList } from "../cli/format.ts";
import { ago, humanSize } from "../units.ts";
import { dockerTime } from "../image/views.ts";
import { imageHistory } from "../engine/image_inspect.ts";

/** One row of `docker history --format '{{json .}}'`. */
interface HistoryRow {
  Comment: string;
  CreatedAt: string;
  CreatedBy: string;
  CreatedSince: string;
  ID: string;
  Size: string;
}

const columns = [
  { field: "ID", header: "IMAGE" },
  { field: "CreatedSince", header: "CREATED" },
  { field: "CreatedAt", header: "CREATED AT" },
  { field: "CreatedBy", header: "CREATED BY" },
  { field: "Size", header: "SIZE" },
  { field: "Comment", header: "COMMENT" },
];

/** Runs `skiff history [OPTIONS] IMAGE`. */
export default async function history(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const noTrunc = ctx.flags["no-trunc"];
  const human = ctx.flags.human;
  const rows: HistoryRow[] = (await imageHistory(ctx.global, ctx.args[0])).map((h) => ({
    Comment: h.comment,
    CreatedAt: human ? dockerTime(h.created) : h.created ?? "",
    CreatedBy: noTrunc || h.createdBy.length <= 45 ? h.createdBy : `${h.createdBy.slice(0, 44)}…`,
    CreatedSince: h.created ? (human ? ago(h.created) : h.created) : "N/A",
    ID: h.id === undefined ? "<missing>" : noTrunc ? h.id : h.id.slice(7, 19),
    Size: human ? humanSize(h.size) : String(h.size),
  }));
  const out = renderList(rows, {
    format: ctx.flags.format,
    quiet: ctx.flags.quiet,
    columns,
    defaultTable: "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
  });
  await Deno.stdout.write(new TextEncoder().encode(out));
  return 0;
}
