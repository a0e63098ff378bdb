/**
 * `build --output type=local|tar`: the target stage's file system (its layers mounted
 * read-only as one root, whiteouts applied) written to a host directory or as one tar
 * stream, as BuildKit's local and tar exporters write it. Every entry is read from its
 * directory's descriptor, never through a symlink of the image.
 */
import type { ImageLayer } from "../../store/images.ts";
import type { Store } from "../../store/store.ts";
import { writeTar } from "../../image/tar_write.ts";
import { copyTreeInRoot } from "../../runtime/copy_tree.ts";
import { layersRoot } from "./copy_step.ts";

/** Where the file system goes: a directory (made when missing), or a tar stream. */
export type StageExport =
  | { type: "local"; dest: string }
  | { type: "tar"; out: WritableStream<Uint8Array> };

/**
 * Writes the file system of `layers` where `to` says.
 *
 * @example
 * ```ts ignore
 * await exportStage(store, result.target.layers, { type: "local", dest: "out" });
 * ```
 */
export async function exportStage(
  store: Store,
  layers: ImageLayer[],
  to: StageExport,
): Promise<void> {
  const held = await layersRoot(store, layers);
  try {
    const root = (held.origin as { root: string }).root;
    if (to.type === "tar") {
      await writeTar(root).pipeTo(to.out);
      return;
    }
    await Deno.mkdir(to.dest, { recursive: true });
    await copyTreeInRoot(root, "/", to.dest);
  } finally {
    await held.release();
  }
}
