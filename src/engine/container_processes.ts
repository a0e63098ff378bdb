/**
 * `top`: the processes of a running container, as the host's `ps` shows them.
 *
 * @module
 */
import { openStore } from "../store/store.ts";
import { findContainer } from "../runtime/container_store.ts";
import { topContainer, type TopResult } from "../runtime/top.ts";
import type { StoreOptions } from "./engine_types.ts";

/**
 * The titles and rows of `ps` (with `psArgs`, default `-ef`) for the container's processes.
 *
 * @example
 * ```ts ignore
 * const { titles, processes } = await containerProcesses({}, "web", ["aux"]);
 * ```
 */
export async function containerProcesses(
  where: StoreOptions,
  name: string,
  psArgs: string[],
): Promise<TopResult> {
  const store = await openStore(where);
  return await topContainer(store, await findContainer(store, name), psArgs);
}
