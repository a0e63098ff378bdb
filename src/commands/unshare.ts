/** `skiff unshare [COMMAND...]`: run a command in the rootless user namespace, as `podman unshare`. */
import type { CommandContext } from "../cli/spec.ts";
import { resolveStorePaths } from "../store/paths.ts";
import { runUnshared } from "../runtime/userns_unshare.ts";

/** Runs `skiff unshare`; exits with the command's code. */
export default async function unshare(ctx: CommandContext): Promise<number> {
  return await runUnshared(
    resolveStorePaths(ctx.global),
    ctx.args,
    (m) => console.error(`WARNING: ${m}`),
  );
}
