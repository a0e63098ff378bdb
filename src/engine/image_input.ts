/** Opening a file the user named as input (`load -i`, `import FILE`), with docker's message. */
import { InvalidArgumentError } from "../errors.ts";

/**
 * Opens `path` for reading; a missing file is `open PATH: no such file or directory`.
 *
 * @example
 * ```ts ignore
 * const stream = await openInputFile("busybox.tar");
 * ```
 */
export async function openInputFile(path: string): Promise<ReadableStream<Uint8Array>> {
  try {
    return (await Deno.open(path)).readable;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new InvalidArgumentError(`open ${path}: no such file or directory`);
    }
    throw err;
  }
}
