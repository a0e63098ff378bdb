/** `skiff container|image|volume exists NAME`: exit 0 if it exists, 1 if not; prints nothing. */
import type { CommandContext } from "../cli/spec.ts";
import { type ExistsKind, objectExists } from "../engine/object_exists.ts";

/** Runs `skiff KIND exists NAME` (KIND from the command path), as Podman does. */
export default async function exists(
  ctx: CommandContext<Record<never, never>>,
): Promise<number> {
  const kind = ctx.path[0] as ExistsKind;
  return (await objectExists(ctx.global, kind, ctx.args[0])) ? 0 : 1;
}
