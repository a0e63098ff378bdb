/**
 * Volumes of a container at start: named volumes are created on first use and
 * filled from the image's content at their mount point (as Docker does);
 * anonymous volumes get a name derived from the container and target.
 */
import { volumeEventAtStart } from "./container_events.ts";
import { wrap } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { ensureVolume } from "../store/volumes.ts";
import { SysError } from "../sys/errno.ts";
import { type Host, realHost } from "../sys/host.ts";
import type { ContainerRecord } from "./container_store.ts";

import { anonymousVolumeName } from "./volume_names.ts";
export { anonymousVolumeName };

/**
 * Makes each missing `-v` bind source on the host (a directory, mode 0755, parents included),
 * as Docker does at every start; `--mount` binds are checked when the container is created.
 *
 * @example
 * ```ts ignore
 * await createBindSources(rec); // -v /srv/new:/data: /srv/new now exists
 * ```
 */
export async function createBindSources(
  rec: ContainerRecord,
  host: Host = realHost,
): Promise<void> {
  for (const m of rec.Options.mounts) {
    if (m.type !== "bind" || !m.createSource) continue;
    if (await host.lstat(m.source).then(() => true, () => false)) continue;
    await host.mkdir(m.source, { recursive: true, mode: 0o755 }).catch((err) => {
      throw wrap(err, `error while creating mount source path '${m.source}'`);
    });
  }
}

/**
 * Creates the container's volumes as needed and returns the host directory
 * of each volume (its root, also with a `volume-subpath`) by target.
 */
export async function prepareVolumes(
  store: Store,
  rec: ContainerRecord,
  layersTopFirst: string[],
  host: Host = realHost,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const m of rec.Options.mounts) {
    if (m.type !== "volume") continue;
    const name = m.name ?? await anonymousVolumeName(rec.Id, m.target);
    const { volume, created } = await ensureVolume(store, name, {}, m.name === undefined);
    if (created) await volumeEventAtStart(store, "create", name);
    await volumeEventAtStart(store, "mount", name, {
      container: rec.Id,
      destination: m.target,
      propagation: "",
      "read/write": String(!m.readonly),
    });
    // Docker fills any empty volume from the image the first time it is mounted.
    if (!m.noCopy && (await host.readDir(volume.Mountpoint)).length === 0) {
      await copyImageContent(host, store, layersTopFirst, m.target, volume.Mountpoint);
    }
    out[m.target] = volume.Mountpoint; // a subpath is opened beneath it by the monitor
  }
  return out;
}

/**
 * Copies what the image has at `target` into a new volume: the layers are
 * mounted as one read-only overlay (whiteouts and opaque directories
 * applied), `target` is resolved inside that root, symlinks included, and
 * the tree is copied by in-root lookups (runtime/copy_tree.ts), so no
 * symlink in the image can name a host file. The volume's root takes the
 * owner and mode of the image's directory, as Docker does. Nothing is
 * copied when the image has no directory at `target`.
 */
async function copyImageContent(
  host: Host,
  store: Store,
  layersTopFirst: string[],
  target: string,
  dest: string,
): Promise<void> {
  // the usual case, a target the image does not have at all, needs no mount: no layer has
  // its first component (looked at with lstat in skiff's own layer directories)
  const first = target.split("/").find((p) => p !== "" && p !== ".");
  if (first === undefined || first === "..") return;
  let anywhere = false;
  for (const layer of layersTopFirst) {
    if (await host.lstat(`${layer}/${first}`).then(() => true, () => false)) anywhere = true;
  }
  if (!anywhere) return;
  const { mountLayers, copyTreeInRoot, O_DIRECTORY, O_PATH } = await loadCopier();
  const m = await mountLayers(store, layersTopFirst, host);
  try {
    try {
      const dir = await host.openInRoot(m.path, target, { flags: O_PATH | O_DIRECTORY });
      dir.close();
    } catch (err) {
      if (err instanceof SysError && ["ENOENT", "ENOTDIR"].includes(err.code)) return;
      throw wrap(err, `look up ${target} in the image`);
    }
    await copyTreeInRoot(m.path, target, dest, host).catch((err) => {
      throw wrap(err, `copy the image's content at ${target} into a new volume`);
    });
  } finally {
    await m.unmount();
  }
}

type Modules = [
  typeof import("./rootfs_mount.ts"),
  typeof import("./copy_tree.ts"),
  typeof import("../sys/resolve.ts"),
];

/** The copier, loaded only when an image's content is copied: every command that names a volume
 * (ps, rm, start) need not load it. Computed specifiers, since Deno loads the graph of a literal
 * dynamic import at start-up. */
async function loadCopier(): Promise<Modules[0] & Modules[1] & Modules[2]> {
  const [mount, copy, resolve] = await Promise.all(
    ["./rootfs_mount.ts", "./copy_tree.ts", "../sys/resolve.ts"].map((p) =>
      import(new URL(p, import.meta.url).href)
    ),
  ) as Modules;
  return { ...mount, ...copy, ...resolve };
}
