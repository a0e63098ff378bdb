/** `save`: a tar archive (docker-archive or oci-archive) of local images. */
import { emitImageEvent } from "./events.ts";
import { InvalidArgumentError } from "../errors.ts";
import { type ArchiveFormat, saveArchive, type SaveItem } from "../image/archive_save.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { randomSuffix } from "../store/atomic.ts";
import { readTags } from "../store/images.ts";
import { resolveStorePaths } from "../store/paths.ts";
import { storeLayout } from "../store/store.ts";
import { eachTarget, type StoreOptions, type TargetReport } from "./engine_types.ts";

/**
 * Checks a `--format` value (unset: docker-archive).
 *
 * @example
 * ```ts
 * parseArchiveFormat("oci-archive"); // "oci-archive"
 * ```
 */
export function parseArchiveFormat(value: string | undefined): ArchiveFormat {
  const f = value ?? "docker-archive";
  if (f === "docker-archive" || f === "oci-archive") return f;
  throw new InvalidArgumentError(
    `unsupported format "${f}": expected docker-archive or oci-archive`,
  );
}

/** One report per name (the image id it found), and the archive once every name was found. */
export interface SaveResult {
  reports: TargetReport<string>[];
  /** The archive's bytes, streamed as they are read; absent if any name failed. */
  archive?: ReadableStream<Uint8Array>;
}

/**
 * Resolves every name, then streams the archive of those images. A name given with a tag is
 * saved under that name; an id or a digest saves the image untagged.
 *
 * @example
 * ```ts ignore
 * const { archive } = await saveImages({}, ["busybox"], "docker-archive");
 * await archive?.pipeTo((await Deno.create("busybox.tar")).writable);
 * ```
 */
export async function saveImages(
  where: StoreOptions,
  names: readonly string[],
  format: ArchiveFormat,
): Promise<SaveResult> {
  const store = storeLayout(resolveStorePaths(where));
  const tags = await readTags(store);
  const items: SaveItem[] = [];
  const reports = await eachTarget(names, async (name) => {
    const { record, ref } = await resolveLocalImage(store, name, tags);
    items.push({ record, names: ref && ref.tag && !ref.digest ? [ref.toString()] : [] });
    return record.id;
  });
  if (!reports.every((r) => r.ok)) return { reports };
  for (const item of items) {
    await emitImageEvent(store, "save", item.record.id, item.names[0] ?? item.record.id);
  }
  return { reports, archive: saveArchive(store, items, format) };
}

/**
 * Writes `stream` to `path`: through a temporary file renamed into place for a regular (or
 * new) file, so a failed save leaves no partial archive; directly for anything else
 * (`/dev/stdout`, a pipe).
 *
 * @example
 * ```ts ignore
 * await writeArchiveFile("busybox.tar", archive);
 * ```
 */
export async function writeArchiveFile(
  path: string,
  stream: ReadableStream<Uint8Array>,
): Promise<void> {
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
