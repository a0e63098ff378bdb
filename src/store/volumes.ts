/**
 * Named volumes: `volumes/<name>/_data` holds the content and
 * `volumes/<name>/volume.json` the metadata. Creation is idempotent and
 * atomic (the directory is made in the scratch area and renamed into place).
 */
import { compareStrings } from "../compare.ts";
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import { randomSuffix, readJson, writeJsonAtomic } from "./atomic.ts";
import type { Store } from "./store.ts";

/** What `volume inspect` shows. */
export interface VolumeRecord {
  Name: string;
  Driver: "local";
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  Scope: "local";
  /** Whether the volume was made for one container only (anonymous). */
  Anonymous?: boolean;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Reads a volume's record; undefined when it does not exist. */
export function getVolume(store: Store, name: string): Promise<VolumeRecord | undefined> {
  return readJson<VolumeRecord>(`${store.volumes}/${name}/volume.json`);
}

/**
 * Creates a volume if it does not exist; returns it and whether it is new.
 *
 * @example
 * ```ts ignore
 * const { volume, created } = await ensureVolume(store, "data");
 * ```
 */
export async function ensureVolume(
  store: Store,
  name: string,
  labels: Record<string, string> = {},
  anonymous = false,
): Promise<{ volume: VolumeRecord; created: boolean }> {
  if (!NAME.test(name)) {
    throw new InvalidArgumentError(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`,
    );
  }
  const existing = await getVolume(store, name);
  if (existing) return { volume: existing, created: false };
  const scratch = `${store.tmp}/vol-${randomSuffix()}`;
  await Deno.mkdir(`${scratch}/_data`, { recursive: true, mode: 0o755 });
  const volume: VolumeRecord = {
    Name: name,
    Driver: "local",
    Mountpoint: `${store.volumes}/${name}/_data`,
    CreatedAt: new Date().toISOString(),
    Labels: labels,
    Options: {},
    Scope: "local",
    ...(anonymous ? { Anonymous: true } : {}),
  };
  await writeJsonAtomic(`${scratch}/volume.json`, volume);
  try {
    await Deno.rename(scratch, `${store.volumes}/${name}`);
    return { volume, created: true };
  } catch {
    // Somebody else created it at the same moment.
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
    const other = await getVolume(store, name);
    if (!other) throw new InvalidArgumentError(`cannot create volume ${name}`);
    return { volume: other, created: false };
  }
}

/** Every volume. */
export async function listVolumes(store: Store): Promise<VolumeRecord[]> {
  const out: VolumeRecord[] = [];
  try {
    for await (const e of Deno.readDir(store.volumes)) {
      const v = await getVolume(store, e.name).catch(() => undefined);
      if (v) out.push(v);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort((a, b) => compareStrings(a.Name, b.Name));
}

/** Removes a volume and its content. */
export async function removeVolume(store: Store, name: string): Promise<void> {
  if (!(await getVolume(store, name))) throw new NotFoundError(`no such volume: ${name}`);
  const doomed = `${store.tmp}/rmvol-${randomSuffix()}`;
  await Deno.rename(`${store.volumes}/${name}`, doomed);
  await Deno.remove(doomed, { recursive: true });
}
