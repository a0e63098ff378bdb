/**
 * Helpers shared by the container commands: opening the store, finding the
 * containers named on the command line, and Docker's one-report-per-target
 * shape for verbs that take several containers.
 */
import type { CommandContext } from "../cli/spec.ts";
import { openStore, type Store } from "../store/store.ts";
import { type ContainerRecord, findContainer } from "../runtime/container_store.ts";

/**
 * Runs `action` for each named container, printing what it returns (the
 * name as given, by default) and reporting each failure on stderr; exits 1
 * if any failed.
 *
 * @example
 * ```ts
 * return forEachContainer(ctx, (store, rec) => stopContainer(store, rec));
 * ```
 */
export async function forEachContainer(
  ctx: CommandContext,
  action: (store: Store, rec: ContainerRecord, name: string) => Promise<string | void>,
  names: string[] = ctx.args,
): Promise<number> {
  const store = await openStore(ctx.global);
  let failed = false;
  for (const name of names) {
    try {
      const rec = await findContainer(store, name);
      const out = await action(store, rec, name);
      if (out !== "") console.log(out ?? name);
    } catch (err) {
      failed = true;
      console.error(`Error: ${(err as Error).message}`);
    }
  }
  return failed ? 1 : 0;
}
