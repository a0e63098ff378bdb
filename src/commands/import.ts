/** `skiff import`: create a one-layer image from a root file system tarball. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { importCmd as spec } from "../cli/table.ts";
import { type ImageImportOptions, importImage, importTag } from "../engine/image_import.ts";
import { exitOne } from "./exit_codes.ts";

/**
 * Parses `import` arguments: the source and an optional `REPOSITORY[:TAG]` (a digest is
 * refused, as docker does).
 *
 * @example
 * ```ts
 * parseImportArgs({ change: [], message: undefined }, ["-", "mine"]).tag;
 * // "docker.io/library/mine:latest"
 * ```
 */
export function parseImportArgs(
  flags: Partial<FlagsOf<typeof spec>>,
  args: string[],
): ImageImportOptions {
  const [source, repo] = args;
  return {
    source,
    tag: importTag(repo),
    changes: flags.change ?? [],
    message: flags.message,
    platform: flags.platform,
  };
}

/** Runs `skiff import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]`. */
export default function importCommand(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  // Its errors exit 1, as docker's do (125 is for flags that do not parse).
  return exitOne(() => importCommandWork(ctx));
}

async function importCommandWork(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const args = parseImportArgs(ctx.flags, ctx.args);
  const record = await importImage(ctx.global, { ...args, stdin: () => Deno.stdin.readable });
  console.log(record.id);
  return 0;
}
