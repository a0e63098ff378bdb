/** `skiff run`: create and start a container, attached (default) or detached (-d). */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { run as spec } from "../cli/table_containers.ts";
import { parseAttachStreams, parseDetachKeys } from "../runtime/attach_terminal.ts";
import { attachRun, startRun } from "../engine/container_run.ts";
import { DEFAULT_DETACH_KEYS } from "../engine/container_attach.ts";
import { InvalidArgumentError } from "../errors.ts";
import { createRequest, pullEvents } from "./create.ts";
import { checkTty } from "./tty_check.ts";

/** Runs `skiff run [OPTIONS] IMAGE [COMMAND] [ARG...]`; exits with the container's code. */
export default async function run(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const f = ctx.flags;
  const detachKeys = parseDetachKeys(f["detach-keys"] || DEFAULT_DETACH_KEYS);
  const streams = parseAttachStreams(f.attach);
  if (f.detach && f.attach.length) throw new InvalidArgumentError("Conflicting options: -a and -d");
  // before anything is created, as Docker does
  if (!f.detach) checkTty(f.interactive, f.tty);
  const started = await startRun(ctx.global, createRequest(ctx), !f.detach, pullEvents(f.quiet));
  if (f.detach) {
    console.log(started.rec.Id);
    return 0;
  }
  return await attachRun(started, { streams, detachKeys, sigProxy: f["sig-proxy"] }) ?? 0;
}
