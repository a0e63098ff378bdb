/** `skiff save`: write images to a tar archive (docker-archive or oci-archive). */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { save as spec } from "../cli/table.ts";
import { InvalidArgumentError } from "../errors.ts";
import { parseArchiveFormat, saveImages, writeArchiveFile } from "../engine/image_save.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff save [OPTIONS] IMAGE [IMAGE...]`; its errors exit 1, as Docker's do. */
export default function save(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  return exitOne(() => saveTo(ctx));
}

async function saveTo(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const format = parseArchiveFormat(ctx.flags.format);
  const output = ctx.flags.output;
  if (!output && Deno.stdout.isTerminal()) {
    throw new InvalidArgumentError(
      "cowardly refusing to save to a terminal. Use the -o flag or redirect",
    );
  }
  const { reports, archive } = await saveImages(ctx.global, ctx.args, format);
  // As docker: the first name that is not found ends the command; nothing is written.
  for (const r of reports) if (!r.ok) throw r.error;
  if (output) await writeArchiveFile(output, archive!);
  else await archive!.pipeTo(Deno.stdout.writable);
  return 0;
}
