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

/**
 * Files skiff puts in every container (its "init layer", in Docker's terms): the mount
 * points of the /etc files it binds, and Docker's empty `/.dockerenv` marker.
 */
const INIT_FILES = [".dockerenv", "etc/hostname", "etc/hosts", "etc/resolv.conf"];

/**
 * Paths (relative to the upper directory) that exist there only as files skiff created
 * (mount points for its /etc files, `/.dockerenv`): empty files the image does not have.
 * They are not the user's changes, so diff and commit leave them out.
 */
export async function runtimeMountpoints(
  upper: string,
  lowers: string[],
  host: Host = realHost,
): Promise<string[]> {
  const out: string[] = [];
  for (const rel of INIT_FILES) {
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
  const changes = (await diffChanges(upper, (p) => existsInLayers(lowers, p)))
    .filter((c) => !skip.has(c.path));
  // A directory copied up only to hold skiff's mount points (/etc) is no change of the
  // user's, unless something else changed in it or its owner or mode differ from the image's.
  const out: Change[] = [];
  for (const c of changes) {
    const holdsInitFile = [...skip].some((p) => p.startsWith(`${c.path}/`));
    const changedInside = changes.some((o) => o.path.startsWith(`${c.path}/`));
    if (c.kind === "C" && holdsInitFile && !changedInside) {
      if (await sameMetadata(`${upper}${c.path}`, lowers, c.path)) continue;
    }
    out.push(c);
  }
  return out;
}

/** Whether the upper directory's `path` has the mode and owner the image's layers give it. */
async function sameMetadata(upperPath: string, lowers: string[], path: string): Promise<boolean> {
  const mine = await realHost.lstat(upperPath).catch(() => undefined);
  for (const layer of lowers) {
    if (!(await existsInLayers([layer], path))) continue;
    const theirs = await realHost.lstat(`${layer}${path}`).catch(() => undefined);
    return mine !== undefined && theirs !== undefined && mine.mode === theirs.mode &&
      mine.uid === theirs.uid && mine.gid === theirs.gid;
  }
  return false;
}

/**
 * Creates Docker's empty `/.dockerenv` in a container's upper directory (scripts test for it
 * to know they run in a container) unless the upper directory or the image already has an
 * entry there: what the container made (a file, a symlink, a whiteout) is left alone and
 * never followed.
 *
 * @example
 * ```ts ignore
 * await ensureDockerEnv(`${dir}/upper`, lowers);
 * ```
 */
export async function ensureDockerEnv(
  upper: string,
  lowers: string[],
  host: Host = realHost,
): Promise<void> {
  if (await host.lstat(`${upper}/.dockerenv`).then(() => true, () => false)) return;
  if (await existsInLayers(lowers, "/.dockerenv", host)) return;
  try {
    (await host.open(`${upper}/.dockerenv`, { write: true, createNew: true, mode: 0o755 }))
      .close();
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
}
