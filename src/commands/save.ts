/** `skiff save`: write images to a tar archive (docker-archive or oci-archive). */
import type { CommandContext } from "../cli/spec.ts";
import { InvalidArgumentError } from "../errors.ts";
import { randomSuffix } from "../store/atomic.ts";
import { storeLayout } from "../store/store.ts";
import { resolveStorePaths } from "../store/paths.ts";
import { readTags } from "../store/images.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { type ArchiveFormat, saveArchive, type SaveItem } from "../image/archive_save.ts";

/** Checks the `--format` value. */
export function parseArchiveFormat(value: unknown): ArchiveFormat {
  const f = (value as string | undefined) ?? "docker-archive";
  if (f === "docker-archive" || f === "oci-archive") return f;
  throw new InvalidArgumentError(
    `unsupported format "${f}": expected docker-archive or oci-archive`,
  );
}

/**
 * Writes `stream` to `path`: through a temporary file renamed into place
 * for a regular (or new) file, directly for anything else (`/dev/stdout`).
 */
async function writeOutput(path: string, stream: ReadableStream<Uint8Array>): Promise<void> {
  const info = await Deno.stat(path).catch(() => undefined);
  if (info && !info.isFile) {
    const file = await Deno.open(path, { write: true });
    await stream.pipeTo(file.writable);
    return;
  }
  const slash = path.lastIndexOf("/");
  const tmp = `${path.slice(0, slash + 1)}.skiff-save-${randomSuffix()}`;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
    await stream.pipeTo(file.writable);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** Runs `skiff save [OPTIONS] IMAGE [IMAGE...]`. */
export default async function save(ctx: CommandContext): Promise<number> {
  const format = parseArchiveFormat(ctx.flags.format);
  const output = ctx.flags.output as string | undefined;
  if (!output && Deno.stdout.isTerminal()) {
    throw new InvalidArgumentError(
      "cowardly refusing to save to a terminal. Use the -o flag or redirect",
    );
  }
  const store = storeLayout(resolveStorePaths(ctx.global));
  const tags = await readTags(store);
  const items: SaveItem[] = [];
  for (const name of ctx.args) {
    const { record, ref } = await resolveLocalImage(store, name, tags);
    items.push({ record, names: ref && ref.tag && !ref.digest ? [ref.toString()] : [] });
  }
  const stream = saveArchive(store, items, format);
  if (output) await writeOutput(output, stream);
  else await stream.pipeTo(Deno.stdout.writable);
  return 0;
}
