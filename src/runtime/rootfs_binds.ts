/**
 * A stopped container's bind mounts and volumes laid over its root file system mounted on
 * the host (for `cp`), so that reading `ctr:/vol/file` reads the volume and writing to a
 * bind path lands in the host directory, as Docker does. Each mount point is resolved inside
 * the root (a symlink the container planted there cannot send a bind onto a host path).
 */
import { SkiffError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import type { ContainerRecord } from "./container_store.ts";
import { anonymousVolumeName } from "./volume_names.ts";

/** One mount to lay over the root: a host directory or file at a path inside the container. */
export interface RootBind {
  /** Host path bound (a bind's source, a volume's data directory). */
  source: string;
  /** Path inside the container. */
  target: string;
  readonly: boolean;
}

/**
 * The container's bind mounts and volumes as host sources, parents before the mounts
 * nested in them (tmpfs mounts hold nothing while the container is stopped).
 *
 * @example
 * ```ts ignore
 * await rootBinds(store, rec); // [{ source: ".../volumes/v/_data", target: "/data", readonly: false }]
 * ```
 */
export async function rootBinds(
  store: Store,
  rec: ContainerRecord,
  host: Host = realHost,
): Promise<RootBind[]> {
  const out: RootBind[] = [];
  for (const m of rec.Options.mounts) {
    if (m.type === "bind") {
      out.push({ source: m.source, target: m.target, readonly: m.readonly });
    } else if (m.type === "volume") {
      const name = m.name ?? await anonymousVolumeName(rec.Id, m.target);
      const data = `${store.volumes}/${name}/_data`;
      const source = m.subpath ? await resolvedInside(host, data, m.subpath) : data;
      if (source) out.push({ source, target: m.target, readonly: m.readonly });
    }
  }
  const depth = (p: string) => p.split("/").filter(Boolean).length;
  return out.sort((a, b) => depth(a.target) - depth(b.target));
}

/** The host path `path` names inside `root` (symlinks resolved inside it), if it exists. */
async function resolvedInside(host: Host, root: string, path: string): Promise<string | undefined> {
  let h;
  try {
    h = await host.openInRoot(root, path, { follow: true });
  } catch {
    return undefined;
  }
  try {
    const real = await host.readLink(h.path);
    return real === root || real.startsWith(`${root}/`) ? real : undefined;
  } finally {
    h.close();
  }
}

async function run(host: Host, args: string[]): Promise<void> {
  const out = await host.run("mount", { args, stdout: "null", stderr: "piped" });
  if (!out.success) {
    const msg = new TextDecoder().decode(out.stderr).trim().split("\n").pop() ?? "";
    throw new SkiffError(`mount ${args.join(" ")}: ${msg || `exit status ${out.code}`}`);
  }
}

/**
 * Binds `binds` onto their targets inside `root` (a mount point the container never made is
 * skipped: its path is then the container's own); resolves with a function that unmounts
 * them, innermost first. Read-only mounts stay read-only.
 *
 * @example
 * ```ts ignore
 * const undo = await bindIntoRoot(mnt.path, await rootBinds(store, rec));
 * try { ... } finally { await undo(); }
 * ```
 */
export async function bindIntoRoot(
  root: string,
  binds: RootBind[],
  host: Host = realHost,
): Promise<() => Promise<void>> {
  const done: string[] = [];
  const undo = async () => {
    for (const target of done.reverse()) {
      await host.run("umount", { args: ["-l", target], stdout: "null", stderr: "null" })
        .catch(() => {});
    }
  };
  try {
    for (const b of binds) {
      const target = await resolvedInside(host, root, b.target);
      if (!target || target === root) continue;
      await run(host, ["--bind", b.source, target]);
      done.push(target);
      if (b.readonly) await run(host, ["-o", "remount,bind,ro", target]);
    }
  } catch (err) {
    await undo();
    throw err;
  }
  return undo;
}
