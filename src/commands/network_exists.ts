/** `skiff network exists`: exit 0 if the network exists, 1 if not (as Podman does). */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { networkExists as spec } from "../cli/table_networks.ts";
import { networkExists as exists } from "../engine/networks.ts";

/** Runs `skiff network exists NETWORK`; prints nothing. */
export default async function networkExists(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  return (await exists(ctx.global, ctx.args[0])) ? 0 : 1;
}
