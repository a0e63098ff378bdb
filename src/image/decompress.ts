/**
 * Layer decompression by sniffing: gzip (`1f 8b`), zstd (`28 b5 2f fd`) or a
 * plain tar passed through. Deno's `DecompressionStream("gzip")` rejects
 * multi-member gzip (which `pigz` and some registries produce) and has no
 * zstd, so both formats go through `node:zlib`, imported lazily (it is also
 * about twice as fast as the web stream on large layers).
 */
import { InvalidArgumentError } from "../errors.ts";

/** The compression formats a layer blob may use. */
export type Compression = "gzip" | "zstd" | "none";

const GZIP = [0x1f, 0x8b];
const OUTPUT_CHUNK = 256 * 1024;
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * Names the compression of a blob from its first bytes (at least 4 are needed
 * to tell zstd apart; fewer bytes mean "none").
 *
 * @example
 * ```ts
 * sniffCompression(new Uint8Array([0x1f, 0x8b, 8, 0])); // "gzip"
 * ```
 */
export function sniffCompression(head: Uint8Array): Compression {
  if (GZIP.every((b, i) => head[i] === b)) return "gzip";
  if (head.length >= 4 && ZSTD.every((b, i) => head[i] === b)) return "zstd";
  return "none";
}

/**
 * Reads at least `n` bytes ahead (fewer at the end of the stream) and returns
 * them with a stream that still yields everything from the first byte.
 *
 * @example
 * ```ts ignore
 * const { head, stream: all } = await peekStream(stream, 4);
 * sniffCompression(head);
 * ```
 */
export async function peekStream(
  stream: ReadableStream<Uint8Array>,
  n: number,
): Promise<{ head: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let len = 0;
  let done = false;
  while (len < n) {
    const r = await reader.read();
    if (r.done) {
      done = true;
      break;
    }
    chunks.push(r.value);
    len += r.value.length;
  }
  const head = concat(chunks, len);
  const replay = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.length > 0) controller.enqueue(head);
      if (done) controller.close();
    },
    async pull(controller) {
      const r = await reader.read();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return { head, stream: replay };
}

/**
 * Returns the decompressed form of a gzip, zstd or plain stream, choosing the
 * decoder from the first bytes. Multi-member gzip and multi-frame zstd are
 * supported. Corrupt input makes the returned stream error with an
 * InvalidArgumentError.
 *
 * @example
 * ```ts ignore
 * const file = await Deno.open("layer.tar.gz");
 * const tar = await decompressStream(file.readable);
 * ```
 */
export async function decompressStream(
  stream: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array>> {
  const { head: first, stream: replay } = await peekStream(stream, 4);
  const kind = sniffCompression(first);
  if (kind === "none") return replay;
  const zlib = await import("node:zlib");
  // Larger output chunks than the default 16 KiB: fewer trips through the stream
  // plumbing and larger batches for the extractor.
  const decoder = kind === "gzip"
    ? zlib.createGunzip({ chunkSize: OUTPUT_CHUNK })
    : zlib.createZstdDecompress({ chunkSize: OUTPUT_CHUNK });
  return pipeThroughNode(replay, decoder, kind);
}

/**
 * Compresses a stream with gzip (for `save`, `push` of locally built layers).
 *
 * @example
 * ```ts ignore
 * const gz = compressGzip(writeTar("/tmp/rootfs"));
 * ```
 */
export function compressGzip(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
}

function concat(parts: Uint8Array[], len: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

type NodeTransform = import("node:stream").Transform;

/** Feeds a web stream through a node:zlib transform, with backpressure both ways. */
function pipeThroughNode(
  source: ReadableStream<Uint8Array>,
  transform: NodeTransform,
  kind: Compression,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let failed: Error | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const queue: Uint8Array[] = [];
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  transform.on("data", (chunk: Uint8Array) => {
    queue.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (queue.length > 8) transform.pause();
    notify();
  });
  transform.on("end", () => {
    ended = true;
    notify();
  });
  transform.on("error", (err: Error) => {
    failed = new InvalidArgumentError(`Corrupt ${kind} layer data: ${err.message}`, {
      cause: err,
    });
    notify();
  });
  // Writer side: read the source and write into the decoder, honouring drain.
  (async () => {
    try {
      while (true) {
        const r = await reader.read();
        if (r.done) break;
        if (!transform.write(r.value)) {
          await new Promise<void>((resolve) => transform.once("drain", resolve));
        }
        if (failed) return;
      }
      transform.end();
    } catch (err) {
      failed ??= err instanceof Error ? err : new Error(String(err));
      notify();
    }
  })();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (queue.length === 0 && !ended && !failed) {
        await new Promise<void>((resolve) => (wake = resolve));
      }
      if (queue.length > 0) {
        controller.enqueue(queue.shift()!);
        if (queue.length <= 8 && transform.isPaused()) transform.resume();
        return;
      }
      if (failed) {
        controller.error(failed);
        reader.cancel(failed).catch(() => {});
        return;
      }
      controller.close();
    },
    cancel(reason) {
      transform.destroy();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
