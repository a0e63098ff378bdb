/**
 * The caller's terminal or pipes, as an attached container sees them: stdin to read, stdout
 * and stderr to write, raw mode, the window size and the signals that tell of a resize or
 * ask to stop. One narrow interface, so that attaching can be tested with a fake terminal.
 *
 * ```ts
 * import { processTerminal } from "./terminal.ts";
 * if (!processTerminal.stdoutIsTerminal()) await processTerminal.write("stdout", new Uint8Array([10]));
 * ```
 *
 * @module
 */

/** Signals an attached session listens to. */
export type TerminalSignal = "SIGWINCH" | "SIGINT" | "SIGTERM" | "SIGHUP";

/** What attaching asks of the caller's terminal. */
export interface CallerTerminal {
  /** Whether stdin is a terminal. */
  stdinIsTerminal(): boolean;
  /** Whether stdout is a terminal. */
  stdoutIsTerminal(): boolean;
  /** Turns stdin's raw mode on or off. */
  setRaw(on: boolean): void;
  /** stdin as a stream (read once). */
  stdin(): ReadableStream<Uint8Array>;
  /** Writes all of `data` to stdout or stderr. */
  write(stream: "stdout" | "stderr", data: Uint8Array): Promise<void>;
  /** The window size; throws when stdout is not a terminal. */
  size(): { rows: number; columns: number };
  /** Calls `fn` on each `signal` until the returned function is called. */
  onSignal(signal: TerminalSignal, fn: () => void): () => void;
}

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, data: Uint8Array) {
  for (let off = 0; off < data.length;) off += await w.write(data.subarray(off));
}

/** This process's own stdio. */
export const processTerminal: CallerTerminal = {
  stdinIsTerminal: () => Deno.stdin.isTerminal(),
  stdoutIsTerminal: () => Deno.stdout.isTerminal(),
  setRaw: (on) => Deno.stdin.setRaw(on),
  stdin: () => Deno.stdin.readable,
  write: (stream, data) => writeAll(stream === "stdout" ? Deno.stdout : Deno.stderr, data),
  size: () => {
    const { columns, rows } = Deno.consoleSize();
    return { rows, columns };
  },
  onSignal: (signal, fn) => {
    Deno.addSignalListener(signal, fn);
    return () => Deno.removeSignalListener(signal, fn);
  },
};
