/** `skiff images` / `skiff image ls`: list local images. */
import type { CommandContext } from "../cli/spec.ts";
import { renderList } from "../cli/format.ts";
import { storeLayout } from "../store/store.ts";
import { resolveStorePaths } from "../store/paths.ts";
import { type ImageRecord, listImages, readTags } from "../store/images.ts";
import { type ImageRow, imageRows, readImageConfig } from "../image/views.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { labelsMatch, parseFilters } from "../engine/filters.ts";

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

function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(
    /\?/g,
    ".",
  );
  return new RegExp(`^${re}$`);
}

/** Runs `skiff images [OPTIONS] [REPOSITORY[:TAG]]`. */
export default async function images(ctx: CommandContext): Promise<number> {
  // Reading needs no directories created: a fresh store simply lists nothing.
  const store = storeLayout(resolveStorePaths(ctx.global));
  const filters = parseFilters(ctx.flags.filter as string[], [
    "dangling",
    "reference",
    "before",
    "since",
    "label",
  ]);
  const [records, tags] = await Promise.all([listImages(store), readTags(store)]);
  let rows: ImageRow[] = imageRows(records, tags, { noTrunc: ctx.flags["no-trunc"] === true });
  const byShortId = new Map<string, ImageRecord>(
    records.map((r) => [ctx.flags["no-trunc"] ? r.id : r.id.slice(7, 19), r]),
  );
  const repoArg = ctx.args[0];
  if (repoArg) {
    const colon = repoArg.lastIndexOf(":");
    const [repo, tag] = colon > repoArg.lastIndexOf("/")
      ? [repoArg.slice(0, colon), repoArg.slice(colon + 1)]
      : [repoArg, undefined];
    rows = rows.filter((r) =>
      (r.Repository === repo || r.Repository.endsWith(`/${repo}`)) &&
      (tag === undefined || r.Tag === tag)
    );
  }
  const dangling = filters.get("dangling");
  if (dangling) {
    const want = dangling[dangling.length - 1] === "true";
    rows = rows.filter((r) => (r.Repository === "<none>") === want);
  }
  const refs = filters.get("reference");
  if (refs) {
    const patterns = refs.map(globToRegExp);
    rows = rows.filter((r) =>
      patterns.some((p) => p.test(r.Repository) || p.test(`${r.Repository}:${r.Tag}`))
    );
  }
  for (const key of ["before", "since"] as const) {
    const values = filters.get(key);
    if (!values) continue;
    const pivot = (await resolveLocalImage(store, values[0], tags)).record;
    const pivotTime = pivot.created ?? pivot.addedAt;
    rows = rows.filter((r) => {
      const rec = byShortId.get(r.ID)!;
      const t = rec.created ?? rec.addedAt;
      return key === "before" ? t < pivotTime : t > pivotTime;
    });
  }
  const labels = filters.get("label");
  if (labels) {
    const keep: ImageRow[] = [];
    for (const r of rows) {
      const config = await readImageConfig(store, byShortId.get(r.ID)!);
      if (labelsMatch(config.config?.Labels, labels)) keep.push(r);
    }
    rows = keep;
  }
  if (ctx.flags.quiet === true) {
    const seen = new Set<string>();
    rows = rows.filter((r) => !seen.has(r.ID) && seen.add(r.ID));
  }
  const defaultTable = ctx.flags.digests === true
    ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
  const out = renderList(rows, {
    format: ctx.flags.format as string | undefined,
    quiet: ctx.flags.quiet === true,
    columns,
    defaultTable,
  });
  await Deno.stdout.write(new TextEncoder().encode(out));
  return 0;
}
