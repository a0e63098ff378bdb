/**
 * The verbs on a container's file system: `cp` in both directions, `diff`, `export` and
 * `commit`. Each finds the container by name and calls the runtime once.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import { openStore } from "../store/store.ts";
import type { ImageRecord } from "../store/images.ts";
import { randomSuffix } from "../store/atomic.ts";
import { type ContainerRecord, findContainer } from "../runtime/container_store.ts";
import { copyFromContainer, copyToContainer } from "../runtime/copy.ts";
import type { Change } from "../image/layer_diff.ts";
import { containerChanges } from "../runtime/diff.ts";
import { exportContainer } from "../runtime/export.ts";
import { commitContainer, type CommitOptions } from "../runtime/commit.ts";
import type { StoreOptions } from "./engine_types.ts";
import { NotFoundError } from "../errors.ts";

async function named(where: StoreOptions, name: string): Promise<[Store, ContainerRecord]> {
  const store = await openStore(where);
  return [store, await findContainer(store, name)];
}

/** A copy between a container and the host. */
export interface CopyRequest {
  /** `from` the container to the host, or `to` the container. */
  direction: "from" | "to";
  container: string;
  /** Path inside the container. */
  containerPath: string;
  /** Host path, or `-` for a tar stream on stdout / stdin. */
  local: string;
  /** Keep the archive's owners (`-a`). */
  archive: boolean;
  /** Follow a symlink at the source (`-L`). */
  followLink: boolean;
}

/**
 * Copies as asked; resolves with the size of the tar stream that was copied.
 *
 * @example
 * ```ts ignore
 * await copyFiles({}, { direction: "from", container: "web", containerPath: "/etc/hosts",
 *   local: "./hosts", archive: false, followLink: false });
 * ```
 */
export async function copyFiles(where: StoreOptions, req: CopyRequest): Promise<number> {
  const [store, rec] = await named(where, req.container).catch((err) => {
    // docker's daemon names the container with the path it was asked for
    if (!(err instanceof NotFoundError)) throw err;
    throw new NotFoundError(`No such container:path: ${req.container}:${req.containerPath}`);
  });
  const opts = { archive: req.archive, followLink: req.followLink };
  return req.direction === "from"
    ? await copyFromContainer(store, rec, req.containerPath, req.local, opts)
    : await copyToContainer(store, rec, req.local, req.containerPath, opts);
}

/**
 * The changes in a container's file system against its image (`A`, `C`, `D` per path).
 *
 * @example
 * ```ts ignore
 * await diffContainer({}, "web"); // [{ kind: "A", path: "/tmp/x" }]
 * ```
 */
export async function diffContainer(where: StoreOptions, name: string): Promise<Change[]> {
  const [store, rec] = await named(where, name);
  return await containerChanges(store, rec);
}

/**
 * Writes the tar of a container's file system to `output`: a stream, or a file path (written
 * beside it and renamed, so a failed export leaves no partial file).
 *
 * @example
 * ```ts ignore
 * await exportFiles({}, "web", "rootfs.tar");
 * ```
 */
export async function exportFiles(
  where: StoreOptions,
  name: string,
  output: string | WritableStream<Uint8Array>,
): Promise<void> {
  const [store, rec] = await named(where, name);
  if (typeof output !== "string") return await exportContainer(store, rec, output);
  const slash = output.lastIndexOf("/");
  const tmp = `${output.slice(0, slash + 1)}.${output.slice(slash + 1)}.${randomSuffix()}`;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
    await exportContainer(store, rec, file.writable);
    await Deno.rename(tmp, output);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/**
 * Makes a new image of a container's changes (tagged if `opts.tag` is given).
 *
 * @example
 * ```ts ignore
 * const image = await commitFiles({}, "web", { changes: ["ENV X=1"], pause: true });
 * ```
 */
export async function commitFiles(
  where: StoreOptions,
  name: string,
  opts: CommitOptions,
): Promise<ImageRecord> {
  const [store, rec] = await named(where, name);
  return await commitContainer(store, rec, opts);
}
