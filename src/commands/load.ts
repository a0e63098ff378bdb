/** `skiff load`: load images from a tar archive (docker-archive or OCI layout) or STDIN. */
import type { CommandContext } from "../cli/spec.ts";
import { InvalidArgumentError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import { loadArchive } from "../image/archive_load.ts";

/** Runs `skiff load [-i FILE] [-q]`. */
export default async function load(ctx: CommandContext): Promise<number> {
  const input = ctx.flags.input as string | undefined;
  let stream: ReadableStream<Uint8Array>;
  if (input && input !== "-") {
    try {
      stream = (await Deno.open(input)).readable;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new InvalidArgumentError(`open ${input}: no such file or directory`);
      }
      throw err;
    }
  } else {
    if (Deno.stdin.isTerminal()) {
      throw new InvalidArgumentError(
        "requested load from stdin, but stdin is empty. Use the -i flag or redirect",
      );
    }
    stream = Deno.stdin.readable;
  }
  const store = await openStore(ctx.global);
  const loaded = await loadArchive(store, stream);
  // As docker: -q hides progress only; the result lines are always printed.
  const lines: string[] = [];
  for (const img of loaded) {
    if (img.names.length === 0) lines.push(`Loaded image ID: ${img.id}`);
    for (const n of img.names) lines.push(`Loaded image: ${n}`);
  }
  console.log(lines.join("\n"));
  return 0;
}
