/** `skiff network create`: create a bridge network and print its id. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { networkCreate as spec } from "../cli/table_networks.ts";
import { createNetworkFromOptions } from "../engine/networks.ts";

/** Runs `skiff network create [--subnet ...] [--gateway ...] [-o k=v] ... NETWORK`. */
export default async function networkCreate(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const f = ctx.flags;
  const net = await createNetworkFromOptions(ctx.global, {
    name: ctx.args[0],
    driver: f.driver,
    subnets: f.subnet,
    gateways: f.gateway,
    ipRanges: f["ip-range"],
    internal: f.internal,
    ipv6: f.ipv6,
    labels: f.label,
    options: f.opt,
    auxAddresses: f["aux-address"],
    ipamDriver: f["ipam-driver"],
    ipamOptions: f["ipam-opt"],
    attachable: f.attachable,
    scope: f.scope,
    ingress: f.ingress,
  });
  console.log(net.Id);
  return 0;
}
