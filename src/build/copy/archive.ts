/**
 * `ADD` of a local archive: a tar, plain or compressed with gzip, bzip2, xz
 * or zstd, is extracted. It is first unpacked into a private scratch
 * directory by the store's hostile-archive-safe extractor (src/sys/unpack.ts:
 * `..` leaving the root, hard links out of it and entries under a symlink
 * refuse the archive), and that directory is then copied into the root like
 * any other root, inside it and without following its symlinks.
 */
import { InvalidArgumentError, wrap } from "../../errors.ts";
import { decompressStream } from "../../image/decompress.ts";
import { unpackLayer } from "../../image/unpack.ts";
import { isTarHeader } from "../context/read_tar.ts";

const BZIP2 = [0x42, 0x5a, 0x68];
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

function startsWith(head: Uint8Array, magic: number[]): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

/** Decompresses with an external tool (bzip2, xz), which reads standard input only. */
function throughTool(tool: string, input: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const child = new Deno.Command(tool, {
    args: ["-dc"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  input.pipeTo(child.stdin).catch(() => {});
  const out = child.stdout;
  const reader = out.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await reader.read();
      if (!r.done) {
        controller.enqueue(r.value);
        return;
      }
      const status = await child.status;
      if (!status.success) {
        controller.error(new InvalidArgumentError(`${tool}: the archive is corrupt`));
      } else controller.close();
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => {});
      try {
        child.kill();
      } catch {
        // already gone
      }
      await child.status;
    },
  });
}

/** The decompressed form of a stream: gzip and zstd in-process, bzip2 and xz by their tools. */
export async function decompressAny(
  stream: ReadableStream<Uint8Array>,
  head: Uint8Array,
): Promise<ReadableStream<Uint8Array>> {
  if (startsWith(head, BZIP2)) return throughTool("bzip2", stream);
  if (startsWith(head, XZ)) return throughTool("xz", stream);
  return await decompressStream(stream);
}

async function readHead(stream: ReadableStream<Uint8Array>, n: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const out = new Uint8Array(n);
  let len = 0;
  try {
    while (len < n) {
      const r = await reader.read();
      if (r.done) break;
      const take = Math.min(n - len, r.value.length);
      out.set(r.value.subarray(0, take), len);
      len += take;
    }
  } catch {
    return out.subarray(0, 0); // not decompressible: not an archive
  } finally {
    await reader.cancel().catch(() => {});
  }
  return out.subarray(0, len);
}

/**
 * Whether the content `open` gives is a tar archive (after decompression),
 * as Docker decides it: the first header block must be a tar header.
 */
export async function isArchive(open: () => Promise<ReadableStream<Uint8Array>>): Promise<boolean> {
  const head = await readHead(await open(), 6);
  let tar: ReadableStream<Uint8Array>;
  try {
    tar = await decompressAny(await open(), head);
  } catch {
    return false;
  }
  const block = await readHead(tar, 512);
  return block.length === 512 && !block.every((b) => b === 0) && isTarHeader(block);
}

/**
 * Extracts the archive `open` gives into `dest` (an existing, private,
 * empty directory), owners as the headers say when running as root.
 */
export async function extractArchive(
  open: () => Promise<ReadableStream<Uint8Array>>,
  dest: string,
  what: string,
): Promise<void> {
  const head = await readHead(await open(), 6);
  try {
    await unpackLayer(await decompressAny(await open(), head), dest, {
      chown: Deno.uid() === 0,
    });
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      throw new InvalidArgumentError(
        `ADD ${what}: ${err.message.replace(/^Layer entry/, "entry")}`,
      );
    }
    throw wrap(err, `ADD ${what}: extract`);
  }
}
