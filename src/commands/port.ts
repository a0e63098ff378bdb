/** `skiff port`: a container's published ports, as Docker prints them. */
import type { CommandContext } from "../cli/spec.ts";
import { publishedPorts } from "../engine/container_ports.ts";
import { exitOne } from "./exit_codes.ts";

export { parsePortArg } from "../engine/container_ports.ts";

/** Runs `skiff port CONTAINER [PRIVATE_PORT[/PROTO]]`. */
export default async function port(ctx: CommandContext<Record<never, never>>): Promise<number> {
  const [name, wanted] = ctx.args;
  for (const line of await exitOne(() => publishedPorts(ctx.global, name, wanted))) {
    console.log(line);
  }
  return 0;
}
