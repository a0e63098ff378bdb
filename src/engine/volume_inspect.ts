/** `volume inspect`: docker's object for each named volume. */
import { NotFoundError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import { getVolume, type VolumeRecord } from "../store/volumes.ts";
import { eachTarget, type StoreOptions, type TargetReport } from "./engine_types.ts";

/** The object `volume inspect` shows, with docker's keys in docker's order. */
export interface VolumeInspect {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string>;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string>;
  Scope: string;
}

/** The object `volume inspect` prints for a volume. */
export function inspectVolume(v: VolumeRecord): VolumeInspect {
  return {
    // RFC 3339 in whole seconds, as docker's local driver records it
    CreatedAt: v.CreatedAt.replace(/\.\d+Z$/, "Z"),
    Driver: v.Driver,
    Labels: v.Labels ?? {},
    Mountpoint: v.Mountpoint,
    Name: v.Name,
    Options: v.Options ?? {},
    Scope: v.Scope,
  };
}

/**
 * One report per name: the volume's object, or `No such volume` (an unreadable record counts
 * as missing).
 *
 * @example
 * ```ts ignore
 * const [report] = await inspectVolumes({}, ["data"]);
 * ```
 */
export async function inspectVolumes(
  where: StoreOptions,
  names: readonly string[],
): Promise<TargetReport<VolumeInspect>[]> {
  const store = await openStore(where);
  return await eachTarget(names, async (name) => {
    const v = await getVolume(store, name).catch(() => undefined);
    if (!v) throw new NotFoundError(`No such volume: ${name}`);
    return inspectVolume(v);
  });
}
