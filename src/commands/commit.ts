/** `skiff commit`: create a new image from a container's changes. */
import type { CommandContext } from "../cli/spec.ts";
import { InvalidArgumentError } from "../errors.ts";
import { parseReference } from "../image/reference.ts";
import { findContainer } from "../runtime/container_store.ts";
import { commitContainer } from "../runtime/commit.ts";
import { openStore } from "../store/store.ts";

/**
 * The fully qualified tag of `REPOSITORY[:TAG]`, or undefined without one.
 *
 * @example
 * ```ts
 * commitTag("mine"); // "docker.io/library/mine:latest"
 * ```
 */
export function commitTag(repo: string | undefined): string | undefined {
  if (repo === undefined || repo === "") return undefined;
  const ref = parseReference(repo);
  if (ref.digest) {
    throw new InvalidArgumentError(`refusing to create a tag with a digest reference`);
  }
  return ref.toString();
}

/** Runs `skiff commit [-a AUTHOR] [-m MSG] [-c INSTR]... [-p] CONTAINER [REPOSITORY[:TAG]]`. */
export default async function commit(ctx: CommandContext): Promise<number> {
  const tag = commitTag(ctx.args[1]);
  const store = await openStore(ctx.global);
  const rec = await findContainer(store, ctx.args[0]);
  const image = await commitContainer(store, rec, {
    author: ctx.flags.author as string | undefined,
    message: ctx.flags.message as string | undefined,
    changes: ctx.flags.change as string[],
    pause: ctx.flags.pause !== false,
    tag,
  });
  console.log(image.id);
  return 0;
}
