/** `skiff exec`: run a command in a running container; exits with the command's code. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { exec as spec } from "../cli/table_containers.ts";
import { execInContainer, type ExecRequest } from "../engine/container_exec.ts";
import { envFromFlags } from "./env_flags.ts";
import { checkTty } from "./tty_check.ts";
import { exitOne } from "./exit_codes.ts";
import { parseDetachKeys } from "../runtime/attach_terminal.ts";

/**
 * Turns exec's flags and the arguments after the container into an ExecRequest
 * (reads --env-file files; a bare -e KEY takes the caller's value).
 *
 * @example
 * ```ts
 * parseExecArgs({ env: ["A=1"], tty: true }, ["sh", "-c", "env"]).env; // ["A=1"]
 * ```
 */
export function parseExecArgs(flags: Partial<FlagsOf<typeof spec>>, cmd: string[]): ExecRequest {
  const { workdir, user } = flags;
  return {
    cmd,
    detach: flags.detach === true,
    interactive: flags.interactive === true,
    tty: flags.tty === true,
    env: envFromFlags(flags["env-file"] ?? [], flags.env ?? []),
    user: user === "" ? undefined : user,
    workdir: workdir === "" ? undefined : workdir,
    privileged: flags.privileged === true,
    // Docker's default (engine/container_attach.ts has it too; not imported: it loads `start`)
    detachKeys: parseDetachKeys(flags["detach-keys"] || "ctrl-p,ctrl-q"),
  };
}

/**
 * Runs `skiff exec [OPTIONS] CONTAINER COMMAND [ARG...]`: the command's exit code, 126 or 127
 * when it cannot be run, 1 for other errors (a missing or stopped container), as Docker.
 */
export default async function exec(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const req = parseExecArgs(ctx.flags, ctx.args.slice(1));
  const check = () => {
    if (!req.detach) checkTty(req.interactive, req.tty);
  };
  return await exitOne(() => execInContainer(ctx.global, ctx.args[0], req, check));
}
