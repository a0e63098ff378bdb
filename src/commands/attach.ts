/** `skiff attach`: connect the terminal or pipes to a running container's stdio. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { attach as spec } from "../cli/table_containers.ts";
import { attachContainer } from "../engine/container_attach.ts";
import { checkTty } from "./tty_check.ts";
import { exitOne } from "./exit_codes.ts";

/**
 * Runs `skiff attach [--no-stdin] [--detach-keys K] [--sig-proxy=false] CONTAINER`; refuses a
 * container with a tty when stdin is not a terminal (unless --no-stdin), as Docker does.
 */
export default async function attach(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const code = await exitOne(() =>
    attachContainer(ctx.global, ctx.args[0], {
      noStdin: ctx.flags["no-stdin"],
      detachKeys: ctx.flags["detach-keys"],
      sigProxy: ctx.flags["sig-proxy"],
      checkInput: (tty) => checkTty(!ctx.flags["no-stdin"], tty),
    })
  );
  return code ?? 0;
}
