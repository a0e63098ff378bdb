/** `skiff exec`: run a command in a running container; exits with the command's code. */
import type { CommandContext, FlagValues } from "../cli/spec.ts";
import { InvalidArgumentError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import { findContainer } from "../runtime/container_store.ts";
import { execContainer, type ExecRequest } from "../runtime/exec.ts";
import { parseEnvFile } from "../runtime/run_options.ts";
import { parseEnvFlags } from "./run_flags.ts";

/**
 * Turns exec's flags and the arguments after the container into an ExecRequest
 * (reads --env-file files; a bare -e KEY takes the caller's value).
 *
 * @example
 * ```ts
 * parseExecArgs({ env: ["A=1"], tty: true }, ["sh", "-c", "env"]).env; // ["A=1"]
 * ```
 */
export function parseExecArgs(flags: FlagValues, cmd: string[]): ExecRequest {
  const lookup = (k: string) => Deno.env.get(k);
  const fromFiles = ((flags["env-file"] as string[] | undefined) ?? []).flatMap((file) => {
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch (err) {
      throw new InvalidArgumentError(`open ${file}: ${(err as Error).message}`);
    }
    return parseEnvFile(text, lookup);
  });
  const workdir = flags.workdir as string | undefined;
  const user = flags.user as string | undefined;
  return {
    cmd,
    detach: flags.detach === true,
    interactive: flags.interactive === true,
    tty: flags.tty === true,
    env: [...fromFiles, ...parseEnvFlags((flags.env as string[] | undefined) ?? [], lookup)],
    user: user === "" ? undefined : user,
    workdir: workdir === "" ? undefined : workdir,
    privileged: flags.privileged === true,
  };
}

/** Runs `skiff exec [OPTIONS] CONTAINER COMMAND [ARG...]`. */
export default async function exec(ctx: CommandContext): Promise<number> {
  const req = parseExecArgs(ctx.flags, ctx.args.slice(1));
  const store = await openStore(ctx.global);
  const rec = await findContainer(store, ctx.args[0]);
  return await execContainer(store, rec, req);
}
