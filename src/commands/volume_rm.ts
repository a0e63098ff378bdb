/** `skiff volume rm`: remove volumes no container uses. */
import type { CommandContext } from "../cli/spec.ts";
import { FailedPreconditionError, NotFoundError } from "../errors.ts";
import { withLock } from "../store/lock.ts";
import { openStore } from "../store/store.ts";
import { getVolume, removeVolume } from "../store/volumes.ts";
import { volumeUsers } from "./volume_ls.ts";

/** Runs `skiff volume rm [-f] VOLUME...`: one line per removed volume, one error per failure. */
export default async function volumeRm(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const force = ctx.flags.force === true;
  let failed = false;
  for (const name of ctx.args) {
    try {
      // Under the names lock, so that no container is created with it meanwhile.
      await withLock(`${store.locks}/names.lock`, async () => {
        if (!(await getVolume(store, name))) throw new NotFoundError(`No such volume: ${name}`);
        const users = (await volumeUsers(store)).get(name);
        if (users) {
          throw new FailedPreconditionError(
            `remove ${name}: volume is in use - [${users.join(", ")}]`,
          );
        }
        await removeVolume(store, name);
      });
      console.log(name);
    } catch (err) {
      if (force && err instanceof NotFoundError) continue;
      failed = true;
      console.error(`Error: ${(err as Error).message}`);
    }
  }
  return failed ? 1 : 0;
}
