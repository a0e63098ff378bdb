/** `skiff history`: the layers of an image, newest first, from its config history. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { history as spec } from "../cli/table.ts";
import { renderList } from "../cli/format.ts";
import { ago, humanSize } from "../units.ts";
import { imageHistory } from "../engine/image_inspect.ts";
import { exitOne } from "./exit_codes.ts";
import { taggedNotFound } from "./image_words.ts";

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

/** Docker's RFC 3339 time of a history row, to the second (`2023-11-14T22:13:20Z`). */
function rfc3339(iso: string | undefined): string {
  const t = iso ? new Date(iso) : undefined;
  return t && !isNaN(t.getTime()) ? t.toISOString().replace(/\.\d+Z$/, "Z") : "";
}

/** Runs `skiff history [OPTIONS] IMAGE`. */
export default async function history(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const noTrunc = ctx.flags["no-trunc"];
  const human = ctx.flags.human;
  const rows: HistoryRow[] =
    (await exitOne(() => taggedNotFound(ctx.args[0], () => imageHistory(ctx.global, ctx.args[0]))))
      .map((
        h,
      ) => ({
        Comment: h.comment,
        CreatedAt: rfc3339(h.created),
        CreatedBy: noTrunc || h.createdBy.length <= 45
          ? h.createdBy
          : `${h.createdBy.slice(0, 44)}…`,
        CreatedSince: h.created ? (human ? ago(h.created) : rfc3339(h.created)) : "N/A",
        ID: h.id === undefined ? "<missing>" : noTrunc ? h.id : h.id.slice(7, 19),
        Size: human ? humanSize(h.size) : String(h.size),
      }));
  const out = renderList(rows, {
    contextType: "*formatter.historyContext",
    format: ctx.flags.format,
    quiet: ctx.flags.quiet,
    columns,
    // with -H=false docker's table shows the time itself, under CREATED AT
    defaultTable: `table {{.ID}}\t{{.${
      human ? "CreatedSince" : "CreatedAt"
    }}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}`,
  });
  await Deno.stdout.write(new TextEncoder().encode(out));
  return 0;
}
