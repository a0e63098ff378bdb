/** `skiff export`: export a container's file system as a tar archive. */
import type { CommandContext } from "../cli/spec.ts";
import { InvalidArgumentError } from "../errors.ts";
import { findContainer } from "../runtime/container_store.ts";
import { exportContainer } from "../runtime/export.ts";
import { randomSuffix } from "../store/atomic.ts";
import { openStore } from "../store/store.ts";

/** Runs `skiff export [-o FILE] CONTAINER`; refuses to write a tar to a terminal. */
export default async function exportCommand(ctx: CommandContext): Promise<number> {
  const output = ctx.flags.output as string | undefined;
  if (!output && Deno.stdout.isTerminal()) {
    throw new InvalidArgumentError(
      "cowardly refusing to save to a terminal. Use the -o flag or redirect",
    );
  }
  const store = await openStore(ctx.global);
  const rec = await findContainer(store, ctx.args[0]);
  if (!output) {
    await exportContainer(store, rec, Deno.stdout.writable);
    return 0;
  }
  // Written beside the target and renamed, so a failed export leaves no partial file.
  const slash = output.lastIndexOf("/");
  const tmp = `${output.slice(0, slash + 1)}.${output.slice(slash + 1)}.${randomSuffix()}`;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
    await exportContainer(store, rec, file.writable);
    await Deno.rename(tmp, output);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  return 0;
}
