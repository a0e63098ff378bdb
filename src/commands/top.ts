/** `skiff top`: the running processes of a container, through the host's ps. */
import type { CommandContext } from "../cli/spec.ts";
import { tabwrite } from "../cli/format.ts";
import { containerProcesses } from "../engine/container_processes.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff top CONTAINER [ps OPTIONS]`. */
export default async function top(ctx: CommandContext<Record<never, never>>): Promise<number> {
  const [name, ...psArgs] = ctx.args;
  const { titles, processes } = await exitOne(() => containerProcesses(ctx.global, name, psArgs));
  const text = [titles, ...processes].map((r) => r.join("\t") + "\n").join("");
  await Deno.stdout.write(new TextEncoder().encode(tabwrite(text, 20, 3)));
  return 0;
}
