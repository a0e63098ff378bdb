/** Reading one image closely: `image inspect` (Docker's object per name) and `history`. */
import { resolveLocalImage } from "../image/resolve.ts";
import { inspectImage, readImageConfig } from "../image/views.ts";
import { getImage, type ImageRecord, readTags } from "../store/images.ts";
import { getLayer, layerContentSize } from "../store/layers.ts";
import { openStore, type Store } from "../store/store.ts";
import { eachTarget, type StoreOptions, type TargetReport } from "./engine_types.ts";

/** Docker's image object (`Id`, `RepoTags`, `Config`, `RootFS`...), as `image inspect` shows it. */
export type ImageInspect = Record<string, unknown>;

/**
 * One report per name: the image's object, or why it was not found.
 *
 * @example
 * ```ts ignore
 * const [busybox] = await inspectImages({}, ["busybox"]);
 * ```
 */
export async function inspectImages(
  where: StoreOptions,
  names: readonly string[],
): Promise<TargetReport<ImageInspect>[]> {
  const store = await openStore(where);
  const tags = await readTags(store);
  return await eachTarget(names, async (name) => {
    const { record } = await resolveLocalImage(store, name, tags);
    return await inspectImage(store, record, tags);
  });
}

/** One entry of an image's history: a build step and the size of the layer it made. */
export interface HistoryEntry {
  /** The image's id, on the newest entry only (older steps are not images of their own). */
  id?: string;
  /** RFC 3339, when the config says. */
  created?: string;
  createdBy: string;
  comment: string;
  /** Unpacked bytes of the step's layer; 0 for a step that made none. */
  size: number;
}

/**
 * The history of an image, newest first, from its config (one entry per layer when the config
 * has none).
 *
 * @example
 * ```ts ignore
 * const [newest] = await imageHistory({}, "busybox");
 * ```
 */
export async function imageHistory(where: StoreOptions, name: string): Promise<HistoryEntry[]> {
  const store = await openStore(where);
  const { record } = await resolveLocalImage(store, name);
  const config = await readImageConfig(store, record);
  const steps: {
    created?: string;
    created_by?: string;
    comment?: string;
    empty_layer?: boolean;
  }[] = config.history?.length
    ? config.history
    : record.layers.map(() => ({ created: record.created }));
  const out: HistoryEntry[] = [];
  let layerIndex = 0;
  for (const h of steps) {
    let size = 0;
    if (!h.empty_layer && layerIndex < record.layers.length) {
      const layer = await getLayer(store, record.layers[layerIndex].chainId);
      size = layer ? layerContentSize(layer) : 0;
      layerIndex++;
    }
    out.push({
      created: h.created,
      createdBy: h.created_by ?? "",
      comment: h.comment ?? "",
      size,
    });
  }
  out.reverse();
  // Each image of the local parent chain (commit records it) names its own newest row, as
  // docker does; the rows of pulled images' own steps stay <missing>.
  let image: ImageRecord | undefined = record;
  const seen = new Set<string>();
  while (image && !seen.has(image.id)) {
    seen.add(image.id);
    const rows = await historyLength(store, image);
    if (rows > 0 && rows <= out.length) out[out.length - rows].id ??= image.id;
    image = image.parent ? await getImage(store, image.parent) : undefined;
  }
  return out;
}

/** How many history rows an image has (its config's history, else one per layer). */
async function historyLength(store: Store, image: ImageRecord): Promise<number> {
  const config = await readImageConfig(store, image);
  return config.history?.length ? config.history.length : image.layers.length;
}
