/**
 * Where a COPY or ADD step reads from: the build context, or (`COPY --from`) the root file
 * system of an earlier stage or of an image, mounted read-only from its layers for the
 * step's duration (overlay: whiteouts applied; the copy code resolves every path inside it).
 * The copying itself and its cache key are src/build/copy's (`copyCacheKey`, `applyCopy`).
 */
import { InvalidArgumentError } from "../../errors.ts";
import type { ImageLayer } from "../../store/images.ts";
import { getLayer, lowerDir } from "../../store/layers.ts";
import type { Store } from "../../store/store.ts";
import { randomSuffix } from "../../store/atomic.ts";
import type { AddInstruction, CopyInstruction } from "../dockerfile/mod.ts";
import type { BuildContext } from "../context/mod.ts";
import type { CopyOrigin } from "../copy/mod.ts";

/** A copy origin and how to let go of it. */
export interface HeldOrigin {
  origin: CopyOrigin;
  release(): Promise<void>;
}

/**
 * Mounts `layers` read-only as one root (an empty directory for none), until `release`.
 *
 * @example
 * ```ts ignore
 * const held = await layersRoot(store, stage.layers);
 * try { ... held.origin ... } finally { await held.release(); }
 * ```
 */
export async function layersRoot(store: Store, layers: ImageLayer[]): Promise<HeldOrigin> {
  if (layers.length === 0) {
    const dir = `${store.tmp}/build-empty-${randomSuffix()}`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
    return {
      origin: { kind: "root", root: dir },
      release: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
    };
  }
  const dirs: string[] = [];
  for (const l of layers) {
    const meta = await getLayer(store, l.chainId);
    if (!meta) throw new InvalidArgumentError(`layer ${l.chainId} is missing from the store`);
    dirs.push(lowerDir(store, meta));
  }
  // the runtime's mount code is loaded only by a build that copies from a stage or image
  const { mountLayers }: typeof import("../../runtime/rootfs_mount.ts") = await import(
    new URL("../../runtime/rootfs_mount.ts", import.meta.url).href
  );
  const m = await mountLayers(store, dirs.reverse());
  return { origin: { kind: "root", root: m.path }, release: m.unmount };
}

/**
 * The build context as the origin of a COPY without --from or an ADD; a build without a
 * context (a Dockerfile alone on stdin) may still copy heredocs and URLs.
 */
export async function contextOrigin(
  store: Store,
  ins: CopyInstruction | AddInstruction,
  context: BuildContext | undefined,
): Promise<HeldOrigin> {
  const local = ins.sources.length > 0 &&
    !(ins.kind === "ADD" && ins.sources.every((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s)));
  if (!context && local) {
    throw new InvalidArgumentError(
      `${ins.at.file}:${ins.at.line}: ${ins.kind} needs a build context, and this build has none (the Dockerfile came alone on stdin)`,
    );
  }
  // heredoc or URL sources only: nothing is read from the (empty) origin
  if (!context) return await layersRoot(store, []);
  return { origin: { kind: "context", context }, release: () => Promise.resolve() };
}

/** BuildKit's `created_by` of a COPY or ADD: `COPY [--from=x] src... dest # buildkit`. */
export function copyCreatedBy(ins: CopyInstruction | AddInstruction): string {
  const from = ins.kind === "COPY" && ins.from !== "" ? ` --from=${ins.from}` : "";
  const srcs = [...ins.sources, ...ins.inline.map((s) => s.path)];
  return `${ins.kind}${from} ${[...srcs, ins.dest].join(" ")} # buildkit`;
}
