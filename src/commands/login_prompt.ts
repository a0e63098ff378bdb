/** Reading `login`'s username and password from the terminal or from standard input. */
import { InvalidArgumentError } from "../errors.ts";

/**
 * All of standard input, without one trailing newline (`--password-stdin`).
 *
 * @example
 * ```ts ignore
 * const password = await readStdin();
 * ```
 */
export async function readStdin(): Promise<string> {
  const text = await new Response(Deno.stdin.readable).text();
  return text.replace(/\r?\n$/, "");
}

/**
 * Writes `label` to stderr and reads a line from the terminal, without echo when `hidden`;
 * Ctrl-C cancels.
 *
 * @example
 * ```ts ignore
 * const password = await promptLine("Password: ", true);
 * ```
 */
export async function promptLine(label: string, hidden: boolean): Promise<string> {
  const enc = new TextEncoder();
  await Deno.stderr.write(enc.encode(label));
  if (hidden) Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  const buf = new Uint8Array(1);
  try {
    while (true) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      const c = buf[0];
      if (c === 10 || c === 13) break;
      if (c === 3) throw new InvalidArgumentError("login cancelled");
      if (c === 127 || c === 8) {
        bytes.pop();
        continue;
      }
      bytes.push(c);
    }
  } finally {
    if (hidden) {
      Deno.stdin.setRaw(false);
      await Deno.stderr.write(enc.encode("\n"));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
