/**
 * The root file system provider seam: `prepare` turns a container into the mounts of its
 * root (today a kernel overlay of the image's layers under the container's own upper
 * directory; a FUSE overlay or a plain copy for rootless later) and lets the root be read
 * before it is mounted (for /etc/passwd and /etc/group).
 */
import { ensureDockerEnv } from "./diff.ts";
import type { Store } from "../store/store.ts";
import { containerDir, type ContainerRecord } from "./container_store.ts";
import { lowerDirs } from "./lower_dirs.ts";
import type { LaunchPlan } from "./plan.ts";
import { readFromLayers } from "./rootfs_read.ts";

/** A container's root, ready for the monitor to mount. */
export interface PreparedRoot {
  /** The overlay the monitor mounts: lower directories top first, upper, work, mount point. */
  rootfs: LaunchPlan["rootfs"];
  /** Every layer top first, the container's upper directory first. */
  layersTopFirst: string[];
  /** A file of the root as the container will see it; undefined when missing or not a regular file. */
  readFile(path: string): Promise<string | undefined>;
}

/** Prepares containers' root file systems. */
export interface RootfsProvider {
  prepare(store: Store, rec: ContainerRecord): Promise<PreparedRoot>;
}

/**
 * The kernel's overlay file system: the image's unpacked layers as lower directories, the
 * container's `upper` and `work` directories, mounted on its `merged` directory; the upper
 * directory gets Docker's `/.dockerenv`.
 *
 * @example
 * ```ts ignore
 * const { rootfs } = await kernelOverlay.prepare(store, rec);
 * ```
 */
export const kernelOverlay: RootfsProvider = {
  async prepare(store, rec) {
    const dir = containerDir(store, rec.Id);
    const lowers = await lowerDirs(store, rec);
    const layersTopFirst = [`${dir}/upper`, ...lowers];
    await ensureDockerEnv(`${dir}/upper`, lowers); // Docker's init layer has it
    return {
      rootfs: {
        lowerdirs: lowers,
        upperdir: `${dir}/upper`,
        workdir: `${dir}/work`,
        target: `${dir}/merged`,
      },
      layersTopFirst,
      readFile: (path) => readFromLayers(layersTopFirst, path),
    };
  },
};
