/**
 * Removing a rootless container's files: its upper directory holds files of the container's
 * ids (the user's subordinate ones) and overlay's work directory a mode-0 directory, which
 * the user cannot remove as itself. They are removed as root of the user's mapping, in a user
 * namespace made by `skiff-monitor unshare`, never following symlinks nor crossing mounts.
 */
import { SkiffError } from "../errors.ts";
import { assetPath } from "../sys/assets.ts";
import type { Host } from "../sys/host.ts";
import { rootlessIds } from "./userns.ts";

/**
 * Removes the tree `path`: directly as root (or when that works), else, rootless, as root of
 * the user's namespace.
 *
 * @example
 * ```ts ignore
 * await removeTree(`${store.tmp}/rmc-abc`, realHost);
 * ```
 */
export async function removeTree(path: string, host: Host): Promise<void> {
  const uid = host.uid();
  try {
    await host.remove(path, { recursive: true });
    return;
  } catch (err) {
    if (uid === 0 || !(err instanceof Deno.errors.PermissionDenied)) throw err;
  }
  const ids = await rootlessIds(host, uid, Deno.gid() ?? uid);
  const out = await host.run(assetPath("skiff-monitor"), {
    args: [
      "unshare",
      ids.uid.join(","),
      ids.gid.join(","),
      "rm",
      "-rf",
      "--one-file-system",
      "--",
      path,
    ],
    stdin: "null",
  });
  if (out.code !== 0) {
    const why = new TextDecoder().decode(out.stderr).trim().split("\n").pop() ?? "";
    throw new SkiffError(`remove ${path}: ${why.replace(/^Error: /, "") || `status ${out.code}`}`);
  }
}
