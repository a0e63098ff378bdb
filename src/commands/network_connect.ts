/** `skiff network connect`: put a container on one more network. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { networkConnect as spec } from "../cli/table_networks.ts";
import { connectContainer } from "../engine/network_connect.ts";

/** Runs `skiff network connect [--ip IP] [--ip6 IP] [--alias NAME]... NETWORK CONTAINER`. */
export default async function networkConnect(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const [network, container] = ctx.args;
  await connectContainer(ctx.global, network, container, {
    ...(ctx.flags.ip !== undefined ? { ip: ctx.flags.ip } : {}),
    ...(ctx.flags.ip6 !== undefined ? { ip6: ctx.flags.ip6 } : {}),
    aliases: ctx.flags.alias,
    linkLocalIps: ctx.flags["link-local-ip"],
  });
  return 0;
}
