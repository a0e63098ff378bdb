/** `skiff load`: load images from a tar archive (docker-archive or OCI layout) or STDIN. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { load as spec } from "../cli/table.ts";
import { InvalidArgumentError } from "../errors.ts";
import { openInputFile } from "../engine/image_input.ts";
import { loadImages } from "../engine/image_load.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff load [-i FILE] [-q]`. */
export default function load(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  // Its errors exit 1, as docker's do (125 is for flags that do not parse).
  return exitOne(() => loadWork(ctx));
}

async function loadWork(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const input = ctx.flags.input;
  let stream: ReadableStream<Uint8Array>;
  if (input && input !== "-") {
    stream = await openInputFile(input);
  } else {
    if (Deno.stdin.isTerminal()) {
      throw new InvalidArgumentError(
        "requested load from stdin, but stdin is empty. Use the -i flag or redirect",
      );
    }
    stream = Deno.stdin.readable;
  }
  const loaded = await loadImages(ctx.global, stream);
  // As docker: -q hides progress only; the result lines are always printed.
  const lines: string[] = [];
  for (const img of loaded) {
    if (img.names.length === 0) lines.push(`Loaded image ID: ${img.id}`);
    for (const n of img.names) lines.push(`Loaded image: ${n}`);
  }
  console.log(lines.join("\n"));
  return 0;
}
