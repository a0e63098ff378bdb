/** `skiff rename`: give a container a new name. */
import type { CommandContext } from "../cli/spec.ts";
import { InvalidArgumentError, SkiffError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import { findContainer, renameContainer } from "../runtime/container_store.ts";

/** Runs `skiff rename CONTAINER NEW_NAME`; refusals exit 1, as Docker's do. */
export default async function rename(ctx: CommandContext): Promise<number> {
  try {
    return await renameNamed(ctx.global, ctx.args[0], ctx.args[1]);
  } catch (err) {
    if (err instanceof SkiffError) err.exitCode = 1;
    throw err;
  }
}

async function renameNamed(
  global: CommandContext["global"],
  oldName: string,
  newName: string,
): Promise<number> {
  if (oldName.trim() === "" || newName.trim() === "") {
    throw new InvalidArgumentError("Neither old nor new names may be empty");
  }
  const store = await openStore(global);
  const rec = await findContainer(store, oldName);
  const wanted = newName.startsWith("/") ? newName.slice(1) : newName;
  if (wanted === rec.Name) {
    throw new InvalidArgumentError("Renaming a container with the same name as its current name");
  }
  await renameContainer(store, rec.Id, newName);
  return 0;
}
