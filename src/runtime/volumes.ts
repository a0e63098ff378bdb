/**
 * Volumes of a container at start: named volumes are created on first use and
 * filled from the image's content at their mount point (as Docker does);
 * anonymous volumes get a name derived from the container and target.
 */
import type { Store } from "../store/store.ts";
import { ensureVolume } from "../store/volumes.ts";
import type { ContainerRecord } from "./container_store.ts";

/** Name of the anonymous volume of a container at `target`. */
export async function anonymousVolumeName(id: string, target: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${id}:${target}`));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Creates the container's volumes as needed and returns the host directory
 * for each volume target.
 */
export async function prepareVolumes(
  store: Store,
  rec: ContainerRecord,
  layersTopFirst: string[],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const m of rec.Options.mounts) {
    if (m.type !== "volume") continue;
    const name = m.name ?? await anonymousVolumeName(rec.Id, m.target);
    const { volume } = await ensureVolume(store, name, {}, m.name === undefined);
    // Docker fills any empty volume from the image the first time it is mounted.
    if (!m.noCopy && await isEmptyDir(volume.Mountpoint)) {
      await copyImageContent(layersTopFirst, m.target, volume.Mountpoint);
    }
    out[m.target] = m.subpath ? `${volume.Mountpoint}/${m.subpath}` : volume.Mountpoint;
  }
  return out;
}

/** Copies what the image has at `target` into a new volume, layer by layer, bottom first. */
async function copyImageContent(layersTopFirst: string[], target: string, dest: string) {
  for (const layer of [...layersTopFirst].reverse()) {
    const src = `${layer}${target}`;
    let st: Deno.FileInfo;
    try {
      st = await Deno.lstat(src);
    } catch {
      continue;
    }
    if (!st.isDirectory) continue;
    const cp = await new Deno.Command("cp", {
      args: ["-a", "--no-dereference", `${src}/.`, `${dest}/`],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!cp.success) continue;
    await applyWhiteouts(dest);
  }
}

async function isEmptyDir(dir: string): Promise<boolean> {
  for await (const _ of Deno.readDir(dir)) return false;
  return true;
}

async function applyWhiteouts(dir: string): Promise<void> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    const st = await Deno.lstat(p);
    if (st.isCharDevice && st.rdev === 0) await Deno.remove(p);
    else if (e.isDirectory) await applyWhiteouts(p);
  }
}
