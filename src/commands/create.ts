/** `skiff create`: create a container from an image (pulling it if missing), print its id. */
import type { CommandContext } from "../cli/spec.ts";
import { createContainer, type CreateRequest } from "../engine/container_create.ts";
import { pullEvents } from "./pull_events.ts";
import { type CreateFlags, portsWarning, runOptionsFromFlags } from "./run_flags.ts";
import { exitOne } from "./exit_codes.ts";
import { InvalidArgumentError } from "../errors.ts";

export { pullEvents };

/** The create request of `run`/`create` flags and arguments (`IMAGE [COMMAND] [ARG...]`). */
export function createRequest(ctx: CommandContext<CreateFlags>): CreateRequest {
  const [image, ...cmd] = ctx.args;
  const f = ctx.flags;
  const options = runOptionsFromFlags(f, cmd);
  const warning = portsWarning(options);
  if (warning) console.error(`WARNING: ${warning}`);
  return {
    image,
    name: f.name,
    options,
    ...(f.cidfile ? { cidFile: f.cidfile } : {}),
    ...(f.replace ? { replace: true } : {}),
    pull: f.pull,
    platform: f.platform,
    tlsVerify: f["tls-verify"],
  };
}

/**
 * Runs `skiff create [OPTIONS] IMAGE [COMMAND] [ARG...]`. Bad flags and option values exit
 * 125; what else fails (a name in use or not valid, an image that cannot be had) exits 1, as
 * Docker's create does.
 */
export default async function create(ctx: CommandContext<CreateFlags>): Promise<number> {
  const req = createRequest(ctx);
  const { rec } = await exitOne(
    () => createContainer(ctx.global, req, pullEvents(ctx.flags.quiet)),
    // a bad name is the daemon's error in docker, not the CLI's: it exits 1 too
    (err) =>
      !(err instanceof InvalidArgumentError) || err.message.startsWith("Invalid container name"),
  );
  console.log(rec.Id);
  return 0;
}
