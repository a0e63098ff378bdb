/**
 * What a killed build left running is stopped by the next build (step_root.ts's
 * `reapStaleSteps`); this looks for such leftovers first, so that the runtime code that
 * stops them is loaded only when there is one.
 */
import type { Store } from "../../store/store.ts";
import { ownerAlive, scratchOwner } from "../../sys/scratch.ts";

/**
 * Stops the RUN containers of killed builds (see step_root.ts), if any were left.
 *
 * @example
 * ```ts ignore
 * await reapStaleSteps(store);
 * ```
 */
export async function reapStaleSteps(store: Store): Promise<void> {
  let stale = false;
  try {
    for await (const e of Deno.readDir(store.tmp)) {
      if (!e.isDirectory || !e.name.startsWith("build-")) continue;
      const owner = scratchOwner(e.name);
      if (owner && !(await ownerAlive(owner))) {
        stale = true;
        break;
      }
    }
  } catch {
    return;
  }
  if (!stale) return;
  const { reapStaleSteps: reap }: typeof import("./step_root.ts") = await import(
    new URL("./step_root.ts", import.meta.url).href
  );
  await reap(store);
}
