/** `skiff network disconnect`: take a container off a network. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { networkDisconnect as spec } from "../cli/table_networks.ts";
import { disconnectContainer } from "../engine/network_connect.ts";

/** Runs `skiff network disconnect [-f] NETWORK CONTAINER`. */
export default async function networkDisconnect(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const [network, container] = ctx.args;
  await disconnectContainer(ctx.global, network, container, { force: ctx.flags.force });
  return 0;
}
