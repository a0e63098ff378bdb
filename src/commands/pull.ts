/** `skiff pull`: download an image from a registry. */
import type { CommandContext } from "../cli/spec.ts";
import { openStore } from "../store/store.ts";
import { candidateReferences, familiarName } from "../image/reference.ts";
import { parsePlatform } from "../image/platform.ts";
import { chooseProgress } from "../image/progress.ts";
import { pullImage } from "../image/pull.ts";
import { RegistryClient } from "../image/registry.ts";
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import type { ImageReference } from "../image/reference.ts";
import type { Platform } from "../image/platform.ts";

/** `pull -a`: every tag of the repository, one after the other, as docker does. */
async function pullAllTags(
  store: Store,
  client: RegistryClient,
  ref: ImageReference,
  opts: { platform?: Platform; quiet: boolean },
): Promise<number> {
  for (const tag of (await client.tags(ref.repository)).sort()) {
    const tagged = ref.withTag(tag);
    const progress = chooseProgress(opts.quiet);
    const result = await pullImage(store, client, tagged, { platform: opts.platform, progress });
    progress.done();
    if (!opts.quiet) progress.line(`${tag}: ${result.manifestDigest}`);
  }
  if (opts.quiet) console.log(ref.name);
  else console.log(`Status: Downloaded all tags of ${ref.name}`);
  return 0;
}

/** Runs `skiff pull [OPTIONS] NAME[:TAG|@DIGEST]`. */
export default async function pull(ctx: CommandContext): Promise<number> {
  const name = ctx.args[0];
  const quiet = ctx.flags.quiet === true;
  const platform = ctx.flags.platform ? parsePlatform(ctx.flags.platform as string) : undefined;
  const candidates = candidateReferences(name);
  const tagGiven = /:[^/]*$/.test(name.split("@")[0]) || name.includes("@");
  if (ctx.flags["all-tags"] === true && tagGiven) {
    throw new InvalidArgumentError("tag can't be used with --all-tags/-a");
  }
  const store = await openStore(ctx.global);
  let lastError: unknown;
  for (const ref of candidates) {
    const progress = chooseProgress(quiet);
    if (!quiet) progress.line(`${ref.tag ?? ref.digest}: Pulling from ${familiarRepoOf(ref)}`);
    try {
      const client = new RegistryClient(ref.registry, {
        tlsVerify: ctx.flags["tls-verify"] !== false,
      });
      if (ctx.flags["all-tags"] === true) {
        progress.done();
        return await pullAllTags(store, client, ref, { platform, quiet });
      }
      const result = await pullImage(store, client, ref, { platform, progress });
      progress.done();
      if (quiet) {
        console.log(ref.toString());
      } else {
        progress.line(`Digest: ${result.manifestDigest}`);
        progress.line(
          result.changed
            ? `Status: Downloaded newer image for ${familiarName(ref)}`
            : `Status: Image is up to date for ${familiarName(ref)}`,
        );
        progress.line(ref.toString());
      }
      return 0;
    } catch (err) {
      progress.done();
      lastError = err;
      if (!(err instanceof NotFoundError) || candidates.length === 1) break;
    }
  }
  throw lastError;
}

function familiarRepoOf(ref: { registry: string; repository: string }): string {
  return ref.registry === "docker.io" ? ref.repository : `${ref.registry}/${ref.repository}`;
}
