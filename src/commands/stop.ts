/** `skiff stop`: stop signal, then SIGKILL after the timeout; one report per container. */
import type { CommandContext } from "../cli/spec.ts";
import { stopContainer } from "../runtime/stop.ts";
import { parseSignal } from "../runtime/run_options.ts";
import { forEachContainer } from "./containers.ts";
import type { Store } from "../store/store.ts";
import type { ContainerRecord } from "../runtime/container_store.ts";

/** Stops one container as `-t` and `-s` say (shared with `restart`). */
export function stopAsFlagsSay(
  ctx: CommandContext,
): (store: Store, rec: ContainerRecord) => Promise<void> {
  const signal = ctx.flags.signal ? parseSignal(ctx.flags.signal as string).name : undefined;
  return async (store, rec) => {
    await stopContainer(
      store,
      rec,
      (ctx.flags.time as number | undefined) ?? rec.StopTimeout,
      signal ?? rec.StopSignal,
    );
  };
}

/** Runs `skiff stop [-t SECONDS] [-s SIGNAL] CONTAINER...`. */
export default function stop(ctx: CommandContext): Promise<number> {
  const stopOne = stopAsFlagsSay(ctx);
  return forEachContainer(ctx, (store, rec) => stopOne(store, rec));
}
