/**
 * Where a build step's file system changes happen: a scratch directory in the store's
 * scratch area (`tmp/build-<owner tag>-<hex>`, removed when the step ends and, after a killed
 * build, by the next command's stale-scratch sweep) that holds the step's container
 * record, its overlay upper and work directories and its name index, so that a RUN step's
 * container never shows in `ps -a`. The step's changes (its upper directory) become a layer
 * through the same code as `commit` (diffLayerTar, prepareImage): whiteouts for deletions,
 * skiff's own mount points left out.
 */
import { prepareImage } from "../../image/commit_image.ts";
import { diffLayerTar } from "../../image/layer_diff.ts";
import { randomSuffix } from "../../store/atomic.ts";
import { removeBlob } from "../../store/blobs.ts";
import type { ImageLayer } from "../../store/images.ts";
import type { Store } from "../../store/store.ts";
import { containerDir, type ContainerRecord } from "../../runtime/container_store.ts";
import { containerChanges, runtimeMountpoints } from "../../runtime/diff.ts";
import { lowerDirs } from "../../runtime/lower_dirs.ts";
import { mountContainerRoot } from "../../runtime/rootfs_mount.ts";
import { detectCgroups } from "../../runtime/cgroups.ts";
import { containerRunDir, listContainers } from "../../runtime/container_store.ts";
import { waitMonitorDone } from "../../runtime/state.ts";
import { ownerAlive, scratchOwner } from "../../sys/scratch.ts";

/** A step's private area and the store view whose containers live in it. */
export interface StepScratch {
  dir: string;
  /** The store with `containers` (and the name index) inside the scratch directory. */
  store: Store;
  /** Removes the scratch directory (whatever is in it). */
  remove(): Promise<void>;
}

/**
 * Makes a step's scratch directory.
 *
 * @example
 * ```ts ignore
 * const s = await makeStepScratch(store);
 * try { ... } finally { await s.remove(); }
 * ```
 */
export async function makeStepScratch(store: Store): Promise<StepScratch> {
  const dir = `${store.tmp}/build-${randomSuffix()}`;
  await Deno.mkdir(`${dir}/containers`, { recursive: true, mode: 0o700 });
  return {
    dir,
    store: { ...store, root: dir, containers: `${dir}/containers` },
    async remove() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** The fields of a container record the overlay helpers read, for a step without a container. */
function layerRecord(id: string, layers: ImageLayer[]): ContainerRecord {
  return {
    Id: id,
    Name: `build-${id.slice(0, 12)}`,
    Layers: layers.map((l) => l.chainId),
  } as ContainerRecord;
}

/**
 * The layer a step's container (or overlay) made: its upper directory as a layer on top of
 * `parent`, stored (blob and unpacked layer); null when it changed nothing.
 */
export async function captureLayer(
  store: Store,
  view: Store,
  rec: ContainerRecord,
  parent: ImageLayer[],
  platform: { os: string; architecture: string },
  epoch?: number,
): Promise<ImageLayer | null> {
  if ((await containerChanges(view, rec)).length === 0) return null;
  const upper = `${containerDir(view, rec.Id)}/upper`;
  if (epoch !== undefined) await clampTimes(upper, epoch);
  const excludes = await runtimeMountpoints(upper, await lowerDirs(view, rec));
  const prepared = await prepareImage(store, {
    config: { architecture: platform.architecture, os: platform.os, config: {} },
    baseLayers: parent,
    layers: [{ tar: diffLayerTar(upper, { excludes }), name: "build step" }],
  });
  // the config and manifest of this throw-away image are not needed: only its layer is
  for (const d of [prepared.record.id, prepared.record.manifestDigest]) {
    if (prepared.createdBlobs.includes(d)) await removeBlob(store, d).catch(() => {});
  }
  return prepared.record.layers[prepared.record.layers.length - 1];
}

/**
 * SOURCE_DATE_EPOCH for a step's changes: every time later than `epoch` (seconds) in the
 * upper directory becomes `epoch`. The step's processes have ended; the walk goes through
 * real directories only (lstat) and never changes a symlink's target (symlinks keep their
 * times: there is no lutimes here).
 */
async function clampTimes(upper: string, epoch: number): Promise<void> {
  const limit = epoch * 1000;
  const walk = async (dir: string): Promise<void> => {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      const st = await Deno.lstat(path);
      if (st.isSymlink) continue;
      if (st.isDirectory) await walk(path);
      const m = st.mtime?.getTime() ?? 0;
      const a = st.atime?.getTime() ?? 0;
      if (m > limit || a > limit) {
        await Deno.utime(path, Math.min(a, limit) / 1000, Math.min(m, limit) / 1000);
      }
    }
  };
  await walk(upper);
}

/**
 * Runs `fn` on a writable overlay of `parent`'s layers (mounted in a scratch directory,
 * always unmounted and removed afterwards) and returns the layer of what it changed (null:
 * nothing). WORKDIR's directory and COPY/ADD's files are written this way.
 *
 * @example
 * ```ts ignore
 * const layer = await withStepRoot(store, layers, platform, async (root) => { ... });
 * ```
 */
export async function withStepRoot(
  store: Store,
  parent: ImageLayer[],
  platform: { os: string; architecture: string },
  fn: (root: string) => Promise<void>,
  epoch?: number,
): Promise<ImageLayer | null> {
  const scratch = await makeStepScratch(store);
  try {
    const id = crypto.randomUUID().replaceAll("-", "").padEnd(64, "0");
    const rec = layerRecord(id, parent);
    const dir = containerDir(scratch.store, id);
    await Deno.mkdir(`${dir}/upper`, { recursive: true, mode: 0o755 });
    await Deno.mkdir(`${dir}/work`, { recursive: true, mode: 0o700 });
    if (parent.length === 0) {
      // no layer below (FROM scratch): the upper directory is the whole root
      await fn(`${dir}/upper`);
    } else {
      const m = await mountContainerRoot(scratch.store, rec, { writable: true });
      try {
        await fn(m.path);
      } finally {
        await m.unmount();
      }
    }
    return await captureLayer(store, scratch.store, rec, parent, platform, epoch);
  } finally {
    await scratch.remove();
  }
}

/**
 * Stops what a killed build left running: for each step scratch directory whose maker is
 * gone, the processes of its RUN container (killed through the container's cgroup, so no
 * reused pid is ever hit), then waits for the container's monitor to finish and removes its
 * run directory. The scratch directories themselves go with the store's stale-scratch sweep.
 *
 * @example
 * ```ts ignore
 * await reapStaleSteps(store);
 * await removeStaleScratch(store);
 * ```
 */
export async function reapStaleSteps(store: Store): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(store.tmp));
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.isDirectory || !e.name.startsWith("build-")) continue;
    const owner = scratchOwner(e.name);
    if (!owner || await ownerAlive(owner)) continue;
    const dir = `${store.tmp}/${e.name}`;
    const view: Store = { ...store, root: dir, containers: `${dir}/containers` };
    for (const rec of await listContainers(view).catch(() => [])) {
      const cgroups = (await detectCgroups()).forParent(rec.CgroupParent ?? "");
      await cgroups.destroy(rec.Id, { kill: true }).catch(() => {});
      await waitMonitorDone(view, rec).catch(() => {});
      await Deno.remove(containerRunDir(view, rec.Id), { recursive: true }).catch(() => {});
    }
  }
}

/**
 * Mounts `layers` as one writable root whose changes go to a throw-away upper directory (a
 * plain empty directory for no layers), until `release` (`RUN --mount=type=bind,rw,from=`).
 *
 * @example
 * ```ts ignore
 * const held = await writableLayersRoot(store, stage.layers);
 * try { ... held.root ... } finally { await held.release(); }
 * ```
 */
export async function writableLayersRoot(
  store: Store,
  layers: ImageLayer[],
): Promise<{ root: string; release: () => Promise<void> }> {
  const scratch = await makeStepScratch(store);
  try {
    const id = crypto.randomUUID().replaceAll("-", "").padEnd(64, "0");
    const dir = containerDir(scratch.store, id);
    await Deno.mkdir(`${dir}/upper`, { recursive: true, mode: 0o755 });
    await Deno.mkdir(`${dir}/work`, { recursive: true, mode: 0o700 });
    if (layers.length === 0) return { root: `${dir}/upper`, release: scratch.remove };
    const m = await mountContainerRoot(scratch.store, layerRecord(id, layers), { writable: true });
    return {
      root: m.path,
      async release() {
        await m.unmount();
        await scratch.remove();
      },
    };
  } catch (err) {
    await scratch.remove();
    throw err;
  }
}
