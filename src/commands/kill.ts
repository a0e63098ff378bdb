/** `skiff kill`: send a signal (SIGKILL by default) to running containers. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { kill as spec } from "../cli/table_containers.ts";
import { killContainers } from "../engine/container_lifecycle.ts";
import { ALL_SCOPES, exitCode, printReport, targets } from "./containers.ts";
import { exitOne } from "./exit_codes.ts";

/**
 * Runs `skiff kill [-a] [-s SIGNAL] CONTAINER...`; a bad signal exits 1, as Docker's does.
 * A container that cannot be killed is named in docker's words (`Cannot kill container: NAME:
 * why`).
 */
export default async function kill(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const names = await targets(ctx.global, ctx.args, ctx.flags.all, ALL_SCOPES.running);
  const print = printReport();
  const reports = await exitOne(() =>
    killContainers(ctx.global, names, ctx.flags.signal, (r) => {
      if (r.ok) return print(r);
      const why = r.error.message.replace(
        /^Cannot kill container: [^:]+: container /,
        "Container ",
      );
      console.error(`Error: Cannot kill container: ${r.target}: ${why}`);
    })
  );
  return exitCode(reports);
}
