/**
 * A container's whole file system seen from the host, for `cp`, `export` and
 * `commit`: a running container's root is `/proc/<pid>/root` (its overlay is
 * mounted only inside its own mount namespace); a stopped container's root is
 * an overlay of its upper directory over the image's layers, mounted on a
 * scratch directory in `R/tmp` for the duration of the work and always
 * unmounted afterwards.
 */
import { SkiffError } from "../errors.ts";
import { randomSuffix } from "../store/atomic.ts";
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import { containerDir, type ContainerRecord } from "./container_store.ts";
import { lowerDirs } from "./lower_dirs.ts";
import { bindIntoRoot, rootBinds } from "./rootfs_binds.ts";
import { currentState } from "./state.ts";
import { isRunning } from "./status.ts";

/** How `withContainerRoot` gives the root. */
export interface RootAccess {
  /** Host path of the container's `/`. */
  root: string;
  /** Whether the container is running (the root is its live mount namespace). */
  running: boolean;
  /** The container's main process (0 when not running). */
  pid: number;
}

async function run(host: Host, cmd: string, args: string[]): Promise<void> {
  const out = await host.run(cmd, { args, stdout: "null", stderr: "piped" });
  if (!out.success) {
    const msg = new TextDecoder().decode(out.stderr).trim().split("\n").pop() ?? "";
    throw new SkiffError(`${cmd} ${args.join(" ")}: ${msg || `exit status ${out.code}`}`);
  }
}

/**
 * Mounts an overlay of the container's upper directory over its image layers
 * on a new scratch directory: read-only (upper as the top lower layer), or
 * writable (the container's own upper and work directories; only for a
 * stopped container). Returns the mount point and an unmount function.
 *
 * @example
 * ```ts ignore
 * const m = await mountContainerRoot(store, rec, { writable: false });
 * try { ... } finally { await m.unmount(); }
 * ```
 */
export async function mountContainerRoot(
  store: Store,
  rec: ContainerRecord,
  opts: { writable: boolean; host?: Host },
): Promise<{ path: string; unmount: () => Promise<void> }> {
  const host = opts.host ?? realHost;
  const dir = containerDir(store, rec.Id);
  const lowers = await lowerDirs(store, rec);
  return await mountOverlay(
    host,
    store,
    opts.writable
      ? `lowerdir=${lowers.join(":")},upperdir=${dir}/upper,workdir=${dir}/work`
      : `ro,lowerdir=${[`${dir}/upper`, ...lowers].join(":")}`,
  );
}

/**
 * Mounts the directories `dirsTopFirst` (a container's upper directory and
 * its image layers) as one read-only overlay on a new scratch directory, so
 * that paths in it are resolved as the container will see them (whiteouts
 * and opaque directories applied).
 *
 * @example
 * ```ts ignore
 * const m = await mountLayers(store, [upper, ...lowers]);
 * try { ... } finally { await m.unmount(); }
 * ```
 */
export async function mountLayers(
  store: Store,
  dirsTopFirst: string[],
  host: Host = realHost,
): Promise<{ path: string; unmount: () => Promise<void> }> {
  if (dirsTopFirst.length >= 2) {
    return await mountOverlay(host, store, `ro,lowerdir=${dirsTopFirst.join(":")}`);
  }
  // overlay wants two lower directories at least: an empty one stands in for the second
  const empty = `${store.tmp}/empty-${randomSuffix()}`;
  await host.mkdir(empty, { recursive: true, mode: 0o700 });
  try {
    const lower = [...dirsTopFirst, empty].join(":");
    const m = await mountOverlay(host, store, `ro,lowerdir=${lower}`);
    return {
      path: m.path,
      async unmount() {
        await m.unmount();
        await host.remove(empty).catch(() => {});
      },
    };
  } catch (err) {
    await host.remove(empty).catch(() => {});
    throw err;
  }
}

async function mountOverlay(
  host: Host,
  store: Store,
  options: string,
): Promise<{ path: string; unmount: () => Promise<void> }> {
  const target = `${store.tmp}/mnt-${randomSuffix()}`;
  await host.mkdir(target, { recursive: true, mode: 0o700 });
  try {
    await run(host, "mount", ["-t", "overlay", "-o", options, "overlay", target]);
  } catch (err) {
    await host.remove(target).catch(() => {});
    throw err;
  }
  let mounted = true;
  return {
    path: target,
    async unmount() {
      if (!mounted) return;
      mounted = false;
      await run(host, "umount", [target]).catch(() => run(host, "umount", ["-l", target]));
      await host.remove(target).catch(() => {});
    },
  };
}

/**
 * Runs `fn` with the container's root: `/proc/<pid>/root` when it runs,
 * else a temporary overlay mount (writable when asked; with the container's bind mounts and
 * volumes over it when `withMounts`, as a running container sees them) that is unmounted
 * when `fn` ends, whatever happens.
 *
 * @example
 * ```ts ignore
 * await withContainerRoot(store, rec, { writable: true }, async ({ root }) => {
 *   await Deno.writeTextFile(`${root}/hello`, "hi"); // (use openInRoot for user paths)
 * });
 * ```
 */
export async function withContainerRoot<T>(
  store: Store,
  rec: ContainerRecord,
  opts: { writable: boolean; withMounts?: boolean; host?: Host },
  fn: (access: RootAccess) => Promise<T>,
): Promise<T> {
  const state = await currentState(store, rec, opts.host);
  if (isRunning(state.Status) && state.Pid > 0) {
    return await fn({ root: `/proc/${state.Pid}/root`, running: true, pid: state.Pid });
  }
  const m = await mountContainerRoot(store, rec, opts);
  try {
    const host = opts.host ?? realHost;
    const unbind = opts.withMounts
      ? await bindIntoRoot(m.path, await rootBinds(store, rec, host), host)
      : async () => {};
    try {
      return await fn({ root: m.path, running: false, pid: 0 });
    } finally {
      await unbind();
    }
  } finally {
    await m.unmount();
  }
}
