/**
 * `--volumes-from CONTAINER[:ro|:rw]`: a new container gets the volumes and bind mounts of
 * another one, at the same places, as Docker gives them (`ro`/`rw` override every mount's
 * mode, else each keeps its own; the new container's own -v/--mount win at the same target).
 * An anonymous volume of the other container is named, so the new one shares it instead of
 * making its own.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { findContainer } from "./container_store.ts";
import type { MountSpec } from "./mounts.ts";
import { anonymousVolumeName } from "./volume_names.ts";

/** One parsed `--volumes-from` value. */
export interface VolumesFrom {
  container: string;
  /** undefined: each mount keeps its mode. */
  readonly?: boolean;
}

/**
 * Parses `--volumes-from NAME[:ro|:rw]` (Docker also accepts the SELinux z/Z, ignored here).
 *
 * @example
 * ```ts
 * parseVolumesFrom("data:ro"); // { container: "data", readonly: true }
 * ```
 */
export function parseVolumesFrom(value: string): VolumesFrom {
  const [container, mode, ...rest] = value.split(":");
  if (container === "" || rest.length) {
    throw new InvalidArgumentError(`invalid volumes-from specification: ${value}`);
  }
  if (mode === undefined) return { container };
  const words = mode.split(",").filter((w) => w !== "z" && w !== "Z");
  if (words.length > 1 || (words.length === 1 && words[0] !== "ro" && words[0] !== "rw")) {
    throw new InvalidArgumentError(`invalid mode for volumes-from: ${mode}`);
  }
  return words.length ? { container, readonly: words[0] === "ro" } : { container };
}

/**
 * The mounts of `own` with those of each `--volumes-from` container added before them (a
 * target `own` has is left out); a container that does not exist is Docker's
 * "No such container".
 *
 * @example
 * ```ts ignore
 * options.mounts = await mountsWithVolumesFrom(store, ["data:ro"], options.mounts);
 * ```
 */
export async function mountsWithVolumesFrom(
  store: Store,
  values: readonly string[],
  own: readonly MountSpec[],
): Promise<MountSpec[]> {
  const out: MountSpec[] = [];
  const taken = new Set(own.map((m) => m.target));
  for (const value of values) {
    const from = parseVolumesFrom(value);
    const other = await findContainer(store, from.container);
    for (const m of other.Options.mounts) {
      if (m.type === "tmpfs" || taken.has(m.target)) continue;
      taken.add(m.target);
      const readonly = from.readonly ?? m.readonly;
      if (m.type === "bind") {
        out.push({ ...m, readonly, createSource: false });
      } else {
        const name = m.name ?? await anonymousVolumeName(other.Id, m.target);
        out.push({ ...m, name, readonly, noCopy: true });
      }
    }
  }
  return [...out, ...own];
}
