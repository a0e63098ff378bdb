/** `import`: a one-layer image from a root file system tarball (a file, a URL or a stream). */
import { emitImageEvent } from "./events.ts";
import { InvalidArgumentError, UnavailableError } from "../errors.ts";
import type { StreamSource } from "../image/commit_image.ts";
import { importRootfs } from "../image/import_rootfs.ts";
import { parsePlatform } from "../image/platform.ts";
import { parseReference } from "../image/reference.ts";
import type { ImageRecord } from "../store/images.ts";
import { openStore } from "../store/store.ts";
import type { StoreOptions } from "./engine_types.ts";
import { openInputFile } from "./image_input.ts";

/** What `import` was asked to do. */
export interface ImageImportOptions {
  /** `-` (read `stdin`), a file path or an http(s) URL. */
  source: string;
  /** The stream `-` stands for (the CLI's standard input), opened only when read. */
  stdin?: () => ReadableStream<Uint8Array>;
  /** Fully qualified tag for the new image (see {@linkcode importTag}). */
  tag?: string;
  /** `--change` Dockerfile instructions. */
  changes?: string[];
  /** The history comment (default `Imported from SOURCE`). */
  message?: string;
  /** `os/arch[/variant]` (default: the host's). */
  platform?: string;
}

/**
 * The tag an imported image gets from a `REPOSITORY[:TAG]` argument, normalized; a digest is
 * refused, as docker does.
 *
 * @example
 * ```ts
 * importTag("mine"); // "docker.io/library/mine:latest"
 * ```
 */
export function importTag(repository: string | undefined): string | undefined {
  if (repository === undefined) return undefined;
  const ref = parseReference(repository);
  if (ref.digest) {
    throw new InvalidArgumentError(`refusing to create a tag with a digest reference`);
  }
  return ref.toString();
}

function openSource(source: string, stdin?: () => ReadableStream<Uint8Array>): StreamSource {
  if (source === "-") {
    return () => {
      if (!stdin) throw new InvalidArgumentError("no standard input to import from");
      return Promise.resolve(stdin());
    };
  }
  if (/^https?:\/\//i.test(source)) {
    return async () => {
      let res: Response;
      try {
        res = await fetch(source);
      } catch (err) {
        throw new UnavailableError(`cannot fetch ${source}: ${(err as Error).message}`);
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        throw new UnavailableError(`cannot fetch ${source}: HTTP ${res.status}`);
      }
      return res.body;
    };
  }
  return () => openInputFile(source);
}

/**
 * Imports the tarball as a new image (tagged when `tag` is set) and returns its record.
 *
 * @example
 * ```ts ignore
 * const rec = await importImage({}, { source: "rootfs.tar", tag: importTag("mine") });
 * ```
 */
export async function importImage(
  where: StoreOptions,
  opts: ImageImportOptions,
): Promise<ImageRecord> {
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  const store = await openStore(where);
  const rec = await importRootfs(store, openSource(opts.source, opts.stdin), {
    changes: opts.changes ?? [],
    message: opts.message,
    platform,
    sourceName: opts.source,
    tag: opts.tag,
  });
  await emitImageEvent(store, "import", rec.id, opts.tag ?? rec.id);
  return rec;
}
