/** `skiff export`: export a container's file system as a tar archive. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { exportCmd as spec } from "../cli/table_containers.ts";
import { InvalidArgumentError } from "../errors.ts";
import { exportFiles } from "../engine/container_files.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff export [-o FILE] CONTAINER`; refuses to write a tar to a terminal. */
export default async function exportCommand(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const output = ctx.flags.output;
  if (!output && Deno.stdout.isTerminal()) {
    throw new InvalidArgumentError(
      "cowardly refusing to save to a terminal. Use the -o flag or redirect",
    );
  }
  await exitOne(() => exportFiles(ctx.global, ctx.args[0], output || Deno.stdout.writable));
  return 0;
}
