/**
 * `skiff diff`: a container's changes, read from its overlay upper directory
 * with the image's layers telling added (`A`) from changed (`C`) paths.
 */
import { type Change, diffChanges, isOpaqueDirOn, isWhiteout } from "../image/layer_diff.ts";
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import { containerDir, type ContainerRecord } from "./container_store.ts";
import { lowerDirs } from "./lower_dirs.ts";

/**
 * Whether `path` exists in an overlay of `layersTopFirst` (whiteouts and
 * opaque directories respected). Each component is looked at with lstat, so
 * a symlink in a layer is never followed on the host.
 *
 * @example
 * ```ts ignore
 * await existsInLayers([lower2, lower1], "/etc/passwd"); // true
 * ```
 */
export async function existsInLayers(
  layersTopFirst: string[],
  path: string,
  host: Host = realHost,
): Promise<boolean> {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  for (const layer of layersTopFirst) {
    let cur = layer;
    let opaqueAbove = false;
    for (let i = 0; i < parts.length; i++) {
      cur = `${cur}/${parts[i]}`;
      const st = await host.lstat(cur).catch(() => undefined);
      if (!st) break; // not here: look in the layer below
      if (isWhiteout(st)) return false;
      if (i === parts.length - 1) return true;
      if (!st.isDirectory) return false; // a file or symlink hides what lower layers have below
      if (await isOpaqueDirOn(host, cur)) opaqueAbove = true;
    }
    if (opaqueAbove) return false;
  }
  return false;
}

/** Files skiff binds over in every container (its "init layer", in Docker's terms). */
const ETC_MOUNTPOINTS = ["etc/hostname", "etc/hosts", "etc/resolv.conf"];

/**
 * Paths (relative to the upper directory) that exist there only as mount
 * points skiff created for its /etc files: empty files the image does not
 * have. They are not the user's changes, so diff and commit leave them out.
 */
export async function runtimeMountpoints(
  upper: string,
  lowers: string[],
  host: Host = realHost,
): Promise<string[]> {
  const out: string[] = [];
  for (const rel of ETC_MOUNTPOINTS) {
    const st = await host.lstat(`${upper}/${rel}`).catch(() => undefined);
    if (st?.isFile && st.size === 0 && !(await existsInLayers(lowers, `/${rel}`, host))) {
      out.push(rel);
    }
  }
  return out;
}

/**
 * The changes of a container's file system, sorted by path, as `docker diff`
 * prints them.
 *
 * @example
 * ```ts ignore
 * for (const c of await containerChanges(store, rec)) console.log(`${c.kind} ${c.path}`);
 * ```
 */
export async function containerChanges(store: Store, rec: ContainerRecord): Promise<Change[]> {
  const lowers = await lowerDirs(store, rec);
  const upper = `${containerDir(store, rec.Id)}/upper`;
  const skip = new Set((await runtimeMountpoints(upper, lowers)).map((p) => `/${p}`));
  const changes = await diffChanges(upper, (p) => existsInLayers(lowers, p));
  return changes.filter((c) => !skip.has(c.path));
}
