/** `skiff logout`: remove stored credentials for a registry. */
import type { CommandContext } from "../cli/spec.ts";
import { logoutRegistry } from "../engine/image_login.ts";

/** Runs `skiff logout [SERVER]`: exit 0 whether or not it was logged in, as docker. */
export default async function logout(ctx: CommandContext): Promise<number> {
  const server = ctx.args[0] ?? "docker.io";
  if (await logoutRegistry(server)) {
    console.log(`Removing login credentials for ${server}`);
  } else {
    console.log(`Not logged in to ${server}`);
  }
  return 0;
}
