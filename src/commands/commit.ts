/** `skiff commit`: create a new image from a container's changes. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { commit as spec } from "../cli/table_containers.ts";
import { InvalidArgumentError } from "../errors.ts";
import { parseReference } from "../image/reference.ts";
import { commitFiles } from "../engine/container_files.ts";
import { exitOne } from "./exit_codes.ts";

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
export default function commit(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  // Its errors exit 1, as docker's do (125 is for flags that do not parse).
  return exitOne(() => commitWork(ctx));
}

async function commitWork(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const tag = commitTag(ctx.args[1]);
  const f = ctx.flags;
  const image = await commitFiles(ctx.global, ctx.args[0], {
    author: f.author,
    message: f.message,
    changes: f.change,
    pause: f.pause,
    tag,
  });
  console.log(image.id);
  return 0;
}
