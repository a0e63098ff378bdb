/** `skiff create`: create a container from an image (pulling it if missing), print its id. */
import type { CommandContext } from "../cli/spec.ts";
import { openStore, type Store } from "../store/store.ts";
import type { ImageRecord } from "../store/images.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { NotFoundError } from "../errors.ts";
import { createContainer } from "../runtime/create.ts";
import type { ContainerRecord } from "../runtime/container_store.ts";
import { runOptionsFromFlags } from "./run_flags.ts";

/** Finds the image locally, pulling it as `--pull` says (missing by default). */
export async function ensureImage(
  store: Store,
  ctx: CommandContext,
  name: string,
): Promise<ImageRecord> {
  const policy = (ctx.flags.pull as string | undefined) ?? "missing";
  if (!["always", "missing", "never"].includes(policy)) {
    throw new Error(`invalid pull policy "${policy}": expected always, missing or never`);
  }
  if (policy !== "always") {
    try {
      return (await resolveLocalImage(store, name)).record;
    } catch (err) {
      if (!(err instanceof NotFoundError) || policy === "never") throw err;
    }
  }
  const { pullImage } = await import("../image/pull.ts");
  const { RegistryClient } = await import("../image/registry.ts");
  const { candidateReferences } = await import("../image/reference.ts");
  const { chooseProgress } = await import("../image/progress.ts");
  const { parsePlatform } = await import("../image/platform.ts");
  const quiet = ctx.flags.quiet === true;
  const platform = ctx.flags.platform ? parsePlatform(ctx.flags.platform as string) : undefined;
  let lastError: unknown;
  const candidates = candidateReferences(name);
  for (const ref of candidates) {
    if (!quiet) console.error(`Unable to find image '${name}' locally`);
    // Progress goes to stderr so that `run` output stays the container's own.
    const progress = chooseProgress(quiet, Deno.stderr);
    try {
      const client = new RegistryClient(ref.registry, {
        tlsVerify: ctx.flags["tls-verify"] !== false,
      });
      const { record } = await pullImage(store, client, ref, { platform, progress });
      progress.done();
      return record;
    } catch (err) {
      progress.done();
      lastError = err;
      if (!(err instanceof NotFoundError)) break;
    }
  }
  throw lastError;
}

/** Creates the container described by `run`/`create` flags and arguments. */
export async function createFromFlags(
  store: Store,
  ctx: CommandContext,
): Promise<ContainerRecord> {
  const [imageName, ...cmd] = ctx.args;
  const options = runOptionsFromFlags(ctx.flags, cmd);
  const image = await ensureImage(store, ctx, imageName);
  return await createContainer(
    store,
    image,
    imageName,
    options,
    ctx.flags.name as string | undefined,
  );
}

/** Runs `skiff create [OPTIONS] IMAGE [COMMAND] [ARG...]`. */
export default async function create(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const rec = await createFromFlags(store, ctx);
  console.log(rec.Id);
  return 0;
}
