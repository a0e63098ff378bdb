/** `skiff wait`: block until containers stop, then print their exit codes. */
import type { CommandContext } from "../cli/spec.ts";
import { openStore } from "../store/store.ts";
import { waitContainers } from "../engine/container_lifecycle.ts";
import { exitCode, printReport } from "./containers.ts";

/** Runs `skiff wait CONTAINER...`. */
export default async function wait(ctx: CommandContext<Record<never, never>>): Promise<number> {
  const store = await openStore(ctx.global);
  return exitCode(await waitContainers(store, ctx.args, printReport((code) => String(code))));
}
