/**
 * `images`: the rows of local images, narrowed by a `REPOSITORY[:TAG]` argument and docker's
 * filters (dangling, reference globs, before/since an image, label).
 *
 * @module
 */
import { resolveStorePaths } from "../store/paths.ts";
import { storeLayout } from "../store/store.ts";
import { type ImageRecord, listImages, readTags } from "../store/images.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { type ImageRow, imageRows, readImageConfig } from "../image/views.ts";
import type { StoreOptions } from "./engine_types.ts";
import { type Filters, labelsMatch } from "./filters.ts";

/** The filter keys `images` takes. */
export const IMAGE_LIST_FILTERS = ["dangling", "reference", "before", "since", "label"] as const;

/** What `images` was asked to list. */
export interface ImageListOptions {
  /** `REPOSITORY[:TAG]`: rows of that repository (a familiar name's suffix matches too). */
  reference?: string;
  filters?: Filters;
  /** Full image ids instead of 12 hex digits. */
  noTrunc?: boolean;
  /** One row per image (what `-q` lists), not one per tag. */
  uniqueIds?: boolean;
  /** The time `CreatedSince` counts from (tests). */
  now?: number;
}

/**
 * A `reference=` glob as a regular expression: `*` within one path component, `?` one
 * character.
 *
 * @example
 * ```ts
 * referenceGlob("bus*").test("busybox"); // true
 * referenceGlob("*").test("library/busybox"); // false
 * ```
 */
export function referenceGlob(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(
    /\?/g,
    ".",
  );
  return new RegExp(`^${re}$`);
}

/**
 * The `images` rows of the store, newest first, one per tag (or one `<none>` row for an
 * untagged image). Reading creates nothing: a fresh store lists no rows.
 *
 * @example
 * ```ts ignore
 * const rows = await listImageRows({}, { filters: new Map([["dangling", ["true"]]]) });
 * ```
 */
export async function listImageRows(
  where: StoreOptions,
  opts: ImageListOptions = {},
): Promise<ImageRow[]> {
  const store = storeLayout(resolveStorePaths(where));
  const filters: Filters = opts.filters ?? new Map();
  const [records, tags] = await Promise.all([listImages(store), readTags(store)]);
  let rows = imageRows(records, tags, { noTrunc: opts.noTrunc === true, now: opts.now });
  const byShortId = new Map<string, ImageRecord>(
    records.map((r) => [opts.noTrunc ? r.id : r.id.slice(7, 19), r]),
  );
  if (opts.reference) {
    const arg = opts.reference;
    const colon = arg.lastIndexOf(":");
    const [repo, tag] = colon > arg.lastIndexOf("/")
      ? [arg.slice(0, colon), arg.slice(colon + 1)]
      : [arg, undefined];
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
    const patterns = refs.map(referenceGlob);
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
  if (opts.uniqueIds) {
    const seen = new Set<string>();
    rows = rows.filter((r) => !seen.has(r.ID) && seen.add(r.ID));
  }
  return rows;
}
