/** `skiff history`: the layers of an image, newest first, from its config history. */
import type { CommandContext } from "../cli/spec.ts";
import { renderList } from "../cli/format.ts";
import { ago, humanSize } from "../units.ts";
import { openStore } from "../store/store.ts";
import { getLayer } from "../store/layers.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { dockerTime, readImageConfig } from "../image/views.ts";

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
export default async function history(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const { record } = await resolveLocalImage(store, ctx.args[0]);
  const config = await readImageConfig(store, record);
  const noTrunc = ctx.flags["no-trunc"] === true;
  const human = ctx.flags.human !== false;
  const entries: {
    created?: string;
    created_by?: string;
    comment?: string;
    empty_layer?: boolean;
  }[] = config.history?.length
    ? config.history
    : record.layers.map(() => ({ created: record.created }));
  const rows: HistoryRow[] = [];
  let layerIndex = 0;
  for (const h of entries) {
    let size = 0;
    if (!h.empty_layer && layerIndex < record.layers.length) {
      size = (await getLayer(store, record.layers[layerIndex].chainId))?.size ?? 0;
      layerIndex++;
    }
    const by = h.created_by ?? "";
    rows.push({
      Comment: h.comment ?? "",
      CreatedAt: human ? dockerTime(h.created) : h.created ?? "",
      CreatedBy: noTrunc || by.length <= 45 ? by : `${by.slice(0, 44)}…`,
      CreatedSince: h.created ? (human ? ago(h.created) : h.created) : "N/A",
      ID: "<missing>",
      Size: human ? humanSize(size) : String(size),
    });
  }
  rows.reverse();
  if (rows.length) rows[0].ID = noTrunc ? record.id : record.id.slice(7, 19);
  const out = renderList(rows, {
    format: ctx.flags.format as string | undefined,
    quiet: ctx.flags.quiet === true,
    columns,
    defaultTable: "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
  });
  await Deno.stdout.write(new TextEncoder().encode(out));
  return 0;
}
