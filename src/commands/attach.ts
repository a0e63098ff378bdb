/** `skiff attach`: connect the terminal or pipes to a running container's stdio. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { attach as spec } from "../cli/table_containers.ts";
import { attachContainer } from "../engine/container_attach.ts";

/** Runs `skiff attach [--no-stdin] [--detach-keys K] [--sig-proxy=false] CONTAINER`. */
export default async function attach(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const code = await attachContainer(ctx.global, ctx.args[0], {
    noStdin: ctx.flags["no-stdin"],
    detachKeys: ctx.flags["detach-keys"],
    sigProxy: ctx.flags["sig-proxy"],
  });
  return code ?? 0;
}
