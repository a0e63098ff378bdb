/** `skiff push`: upload a local image to a registry. */
import type { CommandContext } from "../cli/spec.ts";
import { NotFoundError, UnavailableError } from "../errors.ts";
import { chooseProgress } from "../image/progress.ts";
import { pushImage } from "../image/push.ts";
import { parseReference } from "../image/reference.ts";
import { RegistryClient } from "../image/registry.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { openStore } from "../store/store.ts";

/** Runs `skiff push [OPTIONS] NAME[:TAG]`. */
export default async function push(ctx: CommandContext): Promise<number> {
  const name = ctx.args[0];
  const quiet = ctx.flags.quiet === true;
  const ref = parseReference(name);
  const store = await openStore(ctx.global);
  let record;
  try {
    ({ record } = await resolveLocalImage(store, ref.toString()));
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new NotFoundError(`An image does not exist locally with the tag: ${name}`);
    }
    throw err;
  }
  const client = new RegistryClient(ref.registry, {
    tlsVerify: ctx.flags["tls-verify"] !== false,
  });
  const progress = chooseProgress(quiet);
  if (!quiet) progress.line(`The push refers to repository [${ref.name}]`);
  try {
    const result = await pushImage(store, client, record, ref, { progress });
    if (quiet) console.log(ref.toString());
    else progress.line(`${ref.tag ?? "latest"}: digest: ${result.digest} size: ${result.size}`);
  } catch (err) {
    const m = err instanceof UnavailableError
      ? /(unauthorized|denied): ([^:]+)/.exec(err.message)
      : null;
    if (m) {
      throw new UnavailableError(
        `${m[1]}: ${m[2]}: push to ${ref.name} (log in with: skiff login ${ref.registry})`,
        { cause: err },
      );
    }
    throw err;
  } finally {
    progress.done();
  }
  return 0;
}
