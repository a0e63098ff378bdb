/** Creating a named volume (or an anonymous one with a random name). */
import { emitVolumeEvent } from "./events.ts";
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import { ensureVolume, type VolumeRecord } from "../store/volumes.ts";
import type { StoreOptions } from "./engine_types.ts";

/** What `volume create` was asked for. */
export interface VolumeCreateOptions {
  /** Unset: a random 64-hex-digit name. */
  name?: string;
  /** Only `local` exists (the default). */
  driver?: string;
  /** A map, or `key=value` strings as the CLI takes them (a bare `key` is an empty value). */
  labels?: Record<string, string> | readonly string[];
  /** Driver options (`-o`): refused, the local driver takes none. */
  options?: readonly string[];
}

/**
 * Parses `--label k=v` flags (a bare `k` is an empty value, as docker does).
 *
 * @example
 * ```ts
 * parseLabels(["a=1", "b"]); // { a: "1", b: "" }
 * ```
 */
export function parseLabels(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of list) {
    const eq = l.indexOf("=");
    if (eq === 0) throw new InvalidArgumentError(`invalid label '${l}': empty name`);
    if (eq === -1) out[l] = "";
    else out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return out;
}

/**
 * Creates a volume (an existing one of that name is returned as it is).
 *
 * @example
 * ```ts ignore
 * (await createVolume({}, { name: "data", labels: ["app=web"] })).Name; // "data"
 * ```
 */
export async function createVolume(
  where: StoreOptions,
  opts: VolumeCreateOptions,
): Promise<VolumeRecord> {
  const driver = opts.driver ?? "local";
  if (driver !== "local") {
    throw new NotFoundError(
      `error looking up volume plugin ${driver}: plugin "${driver}" not found`,
    );
  }
  if ((opts.options ?? []).length > 0) {
    throw new InvalidArgumentError("volume options (-o) are not supported by skiff's local driver");
  }
  const name = opts.name ??
    Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0"))
      .join("");
  const store = await openStore(where);
  const labels = Array.isArray(opts.labels)
    ? parseLabels(opts.labels)
    : { ...(opts.labels as Record<string, string> | undefined) };
  // without a name it is anonymous, as docker makes it (prune with all=false takes it)
  const { volume, created } = await ensureVolume(store, name, labels, opts.name === undefined);
  if (created) await emitVolumeEvent(store, "create", volume.Name);
  return volume;
}
