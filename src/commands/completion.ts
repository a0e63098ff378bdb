/** `skiff completion bash|zsh|fish`: shell completion scripts from the command table. */
import type { CommandContext } from "../cli/spec.ts";
import { commandTable } from "../cli/table.ts";
import { bashCompletion, fishCompletion, zshCompletion } from "../cli/completion.ts";
import { InvalidArgumentError } from "../errors.ts";

/**
 * Runs `skiff completion SHELL [--no-descriptions]` (bash's and zsh's scripts have no
 * descriptions to leave out).
 */
export default function completion(ctx: CommandContext): Promise<number> {
  const shell = ctx.path[1] ?? ctx.args[0];
  const descriptions = ctx.flags["no-descriptions"] !== true;
  const scripts: Record<string, () => string> = {
    bash: () => bashCompletion(commandTable),
    zsh: () => zshCompletion(commandTable),
    fish: () => fishCompletion(commandTable, { descriptions }),
  };
  const make = scripts[shell];
  if (!make) {
    throw new InvalidArgumentError(`unsupported shell "${shell}": expected bash, zsh or fish`);
  }
  Deno.stdout.writeSync(new TextEncoder().encode(make()));
  return Promise.resolve(0);
}
