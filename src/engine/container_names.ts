/**
 * `rename`: giving a container a new name, with Docker's refusals.
 *
 * @module
 */
import { emitContainerEvent } from "./events.ts";
import { writeEventTemplate } from "../runtime/container_events.ts";
import { InvalidArgumentError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import { findContainer, renameContainer } from "../runtime/container_store.ts";
import type { StoreOptions } from "./engine_types.ts";
import { renameNetworkNames } from "./container_network.ts";

/**
 * Renames the container `oldName` to `newName` (a leading `/` is dropped); an empty name or
 * the container's own name is refused.
 *
 * @example
 * ```ts ignore
 * await renameNamed({}, "web", "web2");
 * ```
 */
export async function renameNamed(
  where: StoreOptions,
  oldName: string,
  newName: string,
): Promise<void> {
  if (oldName.trim() === "" || newName.trim() === "") {
    throw new InvalidArgumentError("Neither old nor new names may be empty");
  }
  const store = await openStore(where);
  const rec = await findContainer(store, oldName);
  const wanted = newName.startsWith("/") ? newName.slice(1) : newName;
  if (wanted === rec.Name) {
    throw new InvalidArgumentError("Renaming a container with the same name as its current name");
  }
  await renameContainer(store, rec.Id, newName);
  await renameNetworkNames(store, rec, wanted);
  const renamed = { ...rec, Name: wanted };
  await emitContainerEvent(store, renamed, "rename", { oldName: `/${rec.Name}` });
  // the monitor's die names it as it is called now
  await writeEventTemplate(store, renamed).catch(() => {});
}
