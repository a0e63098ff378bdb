/**
 * Reads small files (/etc/passwd, /etc/group) of a container's root before it
 * is mounted, by looking through its layers top-first. Symlinks are never
 * followed, so a hostile image cannot make skiff read a host file.
 */
import { type Host, type HostFileInfo, realHost } from "../sys/host.ts";

/**
 * Returns the content of `path` as the container will see it, or undefined
 * when it is missing, whited out, or not a regular file.
 *
 * @example
 * ```ts ignore
 * await readFromLayers([upper, ...lowersTopFirst], "/etc/passwd");
 * ```
 */
export async function readFromLayers(
  dirsTopFirst: string[],
  path: string,
  host: Host = realHost,
): Promise<string | undefined> {
  const parts = path.split("/").filter((p) => p !== "" && p !== "." && p !== "..");
  for (const dir of dirsTopFirst) {
    let cur = dir;
    let hidden = false;
    for (let i = 0; i < parts.length; i++) {
      cur = `${cur}/${parts[i]}`;
      let st: HostFileInfo;
      try {
        st = await host.lstat(cur);
      } catch {
        break; // not in this layer; look below
      }
      if (st.isCharDevice && st.rdev === 0) {
        hidden = true; // an overlay whiteout hides everything below
        break;
      }
      if (st.isSymlink) return undefined;
      if (i === parts.length - 1) {
        return st.isFile ? await host.readTextFile(cur) : undefined;
      }
      if (!st.isDirectory) return undefined;
    }
    if (hidden) return undefined;
  }
  return undefined;
}
