/** `skiff ps` / `container ls`: list containers with Docker's columns, filters and formats. */
import type { CommandContext } from "../cli/spec.ts";
import { renderList } from "../cli/format.ts";
import { storeLayout } from "../store/store.ts";
import { resolveStorePaths } from "../store/paths.ts";
import { type ContainerRecord, listContainers } from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import { containerRow } from "../runtime/views.ts";
import { writableLayerSize } from "../runtime/size.ts";
import { getImage } from "../store/images.ts";
import { humanSize } from "../units.ts";
import { labelsMatch, parseFilters } from "../engine/filters.ts";
import { InvalidArgumentError } from "../errors.ts";

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

/** Runs `skiff ps [OPTIONS]`. */
export default async function ps(ctx: CommandContext): Promise<number> {
  const store = storeLayout(resolveStorePaths(ctx.global));
  const filters = parseFilters(ctx.flags.filter as string[], [
    "id",
    "name",
    "label",
    "status",
    "exited",
    "ancestor",
  ]);
  const statuses = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];
  for (const st of filters.get("status") ?? []) {
    if (!statuses.includes(st)) throw new InvalidArgumentError(`invalid filter 'status=${st}'`);
  }
  let recs: ContainerRecord[] = await listContainers(store);
  const last = ctx.flags.latest === true ? 1 : (ctx.flags.last as number);
  const all = ctx.flags.all === true || last > 0;
  if (last > 0) recs = recs.slice(0, last);
  const states = await Promise.all(recs.map((r) => currentState(store, r)));
  const now = Date.now();
  const noTrunc = ctx.flags["no-trunc"] === true;
  const rows = [];
  for (let i = 0; i < recs.length; i++) {
    const rec = recs[i], state = states[i];
    const status = filters.get("status");
    if (
      !all && !status && state.Status !== "running" && state.Status !== "paused" &&
      state.Status !== "restarting"
    ) continue;
    if (status && !status.includes(state.Status)) continue;
    const ids = filters.get("id");
    if (ids && !ids.some((p) => rec.Id.startsWith(p))) continue;
    const names = filters.get("name");
    if (names && !names.some((n) => rec.Name.includes(n))) continue;
    const exited = filters.get("exited");
    if (exited && !(state.Status === "exited" && exited.includes(String(state.ExitCode)))) continue;
    const ancestor = filters.get("ancestor");
    if (ancestor && !ancestor.some((a) => rec.ImageName === a || rec.Image.includes(a))) continue;
    const labels = filters.get("label");
    if (labels && !labelsMatch(rec.Labels, labels)) continue;
    const row = containerRow(rec, state, { noTrunc, now });
    if (ctx.flags.size === true) {
      // Docker's "writable size (virtual size)": the upper layer, then with the image.
      const rw = await writableLayerSize(store, rec.Id);
      const image = await getImage(store, rec.Image).catch(() => undefined);
      row.Size = `${humanSize(rw)} (virtual ${humanSize(rw + (image?.size ?? 0))})`;
    }
    rows.push(row);
  }
  const out = renderList(rows, {
    format: ctx.flags.format as string | undefined,
    quiet: ctx.flags.quiet === true,
    columns,
    defaultTable: ctx.flags.size
      ? "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}\t{{.Size}}"
      : "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
  });
  await Deno.stdout.write(new TextEncoder().encode(out));
  return 0;
}
