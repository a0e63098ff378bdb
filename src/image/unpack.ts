/**
 * Streaming extraction of one (decompressed) layer tar into a directory, the
 * way an overlay lower directory must look: OCI whiteouts become overlay
 * whiteouts (char device 0:0) and opaque directories (`trusted.overlay.opaque`).
 *
 * The extraction itself is the C library's push parser (`src/sys/unpack.ts`,
 * `ffi/src/unpack*.c`), fed the decompressed stream in large chunks on a
 * worker thread while this thread hashes it for the diff ID. Safety, as in
 * moby's pkg/archive and umoci: every path is resolved one component at a
 * time under `dest` with O_NOFOLLOW, never following a symlink; `..` that
 * leaves the root, hard links out of the root and any entry whose parent is a
 * symlink refuse the whole layer. Leading `/` is stripped (`/a` is `a`), as
 * docker does. GNU sparse members (old GNU, PAX 0.0, 0.1, 1.0) become files of
 * their full size with their holes kept; a map that does not fit refuses the layer.
 */
import { InvalidArgumentError, wrap } from "../errors.ts";
import { type IdRange, TarUnpacker, UnpackFailure } from "../sys/unpack.ts";

export type { IdRange } from "../sys/unpack.ts";

/** Options for `unpackLayer`. */
export interface UnpackOptions {
  /** Apply the owners in the headers (default: when running as root). */
  chown?: boolean;
  /** Maps header uids to host uids (rootless id maps); ids outside it refuse the layer. */
  uidMappings?: IdRange[];
  /** Maps header gids to host gids. */
  gidMappings?: IdRange[];
  /**
   * Namespace of the overlay xattrs written for opaque directories:
   * `trusted.` (default as root) or `user.` (rootless overlay with `userxattr`).
   */
  overlayXattrPrefix?: "trusted." | "user.";
}

/** What `unpackLayer` read. */
export interface UnpackResult {
  /** Uncompressed size of the layer tar in bytes. */
  size: number;
  /**
   * The layer's size as Docker reports it: its regular files' and symlinks' sizes added up
   * (a hard link counted once, whiteouts and directories not at all).
   */
  contentSize: number;
  /** `sha256:<hex>` of the uncompressed tar: the layer's diff ID. */
  diffId: string;
}

/** Bytes gathered while a feed is running before the next one must wait for it. */
const MAX_BATCH = 1 << 20;

/**
 * Normalises a tar entry name into path components under the root: strips
 * leading `/` and `./`, drops `.` and empty components, applies `..`, and
 * throws when `..` would leave the root.
 *
 * @example
 * ```ts
 * cleanEntryPath("/./usr//bin/../lib/"); // ["usr", "lib"]
 * ```
 */
export function cleanEntryPath(name: string): string[] {
  const out: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) {
        throw new InvalidArgumentError(`Layer entry "${name}" escapes the layer root`);
      }
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out;
}

/**
 * Extracts a decompressed layer tar into `dest` (an existing, normally empty
 * directory) in one streaming pass, and returns its size and diff ID. Any
 * unsafe entry refuses the whole layer with an InvalidArgumentError naming
 * the entry; nothing is ever created, followed or linked outside `dest`, but
 * the caller should delete a partly filled `dest` after a failure.
 *
 * @example
 * ```ts ignore
 * const blob = await Deno.open(blobPath);
 * const { size, diffId } = await unpackLayer(await decompressStream(blob.readable), scratchDir);
 * ```
 */
export async function unpackLayer(
  tarStream: ReadableStream<Uint8Array>,
  dest: string,
  opts: UnpackOptions = {},
): Promise<UnpackResult> {
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  const reader = tarStream.getReader();
  let unpacker: TarUnpacker;
  try {
    unpacker = TarUnpacker.open(dest.replace(/\/+$/, "") || "/", {
      chown: opts.chown ?? Deno.uid() === 0,
      userXattr: opts.overlayXattrPrefix === "user.",
      uidMappings: opts.uidMappings,
      gidMappings: opts.gidMappings,
    });
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw wrap(err, "Cannot unpack layer");
  }

  // One feed runs at a time (on a worker thread); chunks read meanwhile are
  // batched into the next one. `failed` is set as soon as a feed fails.
  let size = 0;
  let contentSize = 0;
  let running: Promise<void> | undefined;
  let busy = false;
  let failed: unknown;
  let batch: Uint8Array[] = [];
  let batchLen = 0;
  const startFeed = () => {
    const chunk = batch.length === 1 ? batch[0] : concat(batch, batchLen);
    batch = [];
    batchLen = 0;
    busy = true;
    // The promise keeps `chunk` alive until the C side is done with it.
    running = unpacker.feed(chunk).then(
      () => void (busy = false),
      (err) => {
        busy = false;
        failed ??= err;
      },
    );
  };
  try {
    while (failed === undefined) {
      const r = await reader.read();
      if (r.done) break;
      size += r.value.length;
      hash.update(r.value);
      batch.push(r.value);
      batchLen += r.value.length;
      if (busy && batchLen >= MAX_BATCH) await running;
      if (!busy && failed === undefined) startFeed();
    }
    await running;
    if (batchLen > 0 && failed === undefined) {
      startFeed();
      await running;
    }
    if (failed !== undefined) throw failed;
    await unpacker.finish();
    contentSize = unpacker.contentSize();
  } catch (err) {
    await running; // never free the extractor under a running feed
    await reader.cancel().catch(() => {});
    throw unpackError(err);
  } finally {
    await running;
    unpacker.close();
  }
  // Every byte was fed to the extractor, trailing padding included, so the
  // digest covers the whole tar.
  return { size, contentSize, diffId: `sha256:${hash.digest("hex")}` };
}

function unpackError(err: unknown): Error {
  if (err instanceof UnpackFailure) {
    if (err.kind === "invalid") return new InvalidArgumentError(err.message);
    if (err.kind === "tar") {
      return new InvalidArgumentError(`Invalid layer tar: ${err.message}`, { cause: err });
    }
    return wrap(
      err.cause ?? err,
      err.entry ? `Cannot unpack layer entry "${err.entry}"` : "Cannot unpack layer",
    );
  }
  if (err instanceof InvalidArgumentError) return err;
  return wrap(err, "Cannot unpack layer");
}

function concat(parts: Uint8Array[], len: number): Uint8Array {
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
