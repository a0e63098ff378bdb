/** `skiff volume create`: create a named volume (or an anonymous one with a random name). */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { volumeCreate as spec } from "../cli/table.ts";
import { InvalidArgumentError } from "../errors.ts";
import { createVolume } from "../engine/volume_create.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff volume create [--label K=V]... [--name NAME | NAME]`. */
export default async function volumeCreate(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const flagName = ctx.flags.name;
  if (flagName && ctx.args[0] && flagName !== ctx.args[0]) {
    throw new InvalidArgumentError(
      `conflicting options: either specify --name or provide positional arg, not both`,
    );
  }
  const name = flagName ?? ctx.args[0];
  // docker names the volume in a driver's error: "create NAME: ...", and exits 1
  const volume = await exitOne(() =>
    createVolume(ctx.global, {
      name,
      driver: ctx.flags.driver,
      labels: ctx.flags.label,
      options: ctx.flags.opt,
    }).catch((err) => {
      if (name && err instanceof Error && /plugin .* not found/.test(err.message)) {
        err.message = `create ${name}: ${err.message}`;
      }
      throw err;
    })
  );
  console.log(volume.Name);
  return 0;
}
