/** `volume rm`: removing volumes no container uses, one report per name. */
import { emitVolumeEvent } from "./events.ts";
import { FailedPreconditionError, NotFoundError } from "../errors.ts";
import { withLock } from "../store/lock.ts";
import { openStore } from "../store/store.ts";
import { getVolume, removeVolume } from "../store/volumes.ts";
import { eachTarget, type StoreOptions, type TargetReport } from "./engine_types.ts";
import { volumeUsers } from "./volume_users.ts";

/**
 * Removes each named volume unless a container uses it. With `force`, a missing volume is not
 * an error: its report is ok with `removed: false`.
 *
 * @example
 * ```ts ignore
 * const reports = await removeVolumes({}, ["a", "b"], { force: false });
 * ```
 */
export async function removeVolumes(
  where: StoreOptions,
  names: readonly string[],
  opts: { force?: boolean } = {},
): Promise<TargetReport<{ removed: boolean }>[]> {
  const store = await openStore(where);
  return await eachTarget(names, async (name) => {
    try {
      // Under the names lock, so that no container is created with it meanwhile.
      await withLock(`${store.locks}/names.lock`, async () => {
        if (!(await getVolume(store, name))) throw new NotFoundError(`No such volume: ${name}`);
        const users = (await volumeUsers(store)).get(name);
        if (users) {
          throw new FailedPreconditionError(
            `remove ${name}: volume is in use - [${users.join(", ")}]`,
          );
        }
        await removeVolume(store, name);
      });
      await emitVolumeEvent(store, "destroy", name);
      return { removed: true };
    } catch (err) {
      if (opts.force && err instanceof NotFoundError) return { removed: false };
      throw err;
    }
  });
}
