/**
 * `update`: new limits and restart policy for each named container, one report per target.
 *
 * @module
 */
import type { StoreOptions } from "./engine_types.ts";
import { eachContainer, type OnReport, type TargetReport } from "./container_targets.ts";
import { updateContainer, type UpdateRequest } from "../runtime/update.ts";

export type { UpdateRequest };

/**
 * Updates each container; a missing one is reported ("No such container") and the others
 * are still updated.
 *
 * @example
 * ```ts ignore
 * await updateContainers({}, ["web"], { memory: 64 << 20 });
 * ```
 */
export function updateContainers(
  where: StoreOptions,
  names: readonly string[],
  request: UpdateRequest,
  onReport?: OnReport<void>,
): Promise<TargetReport<void>[]> {
  return eachContainer(where, names, async (store, rec) => {
    await updateContainer(store, rec, request);
  }, onReport);
}
