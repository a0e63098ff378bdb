/**
 * Connecting the caller's terminal or pipes to a container's attach socket:
 * raw mode restored on every exit path, window size sent at start and on
 * SIGWINCH, the detach keys (ctrl-p ctrl-q) honoured, signals proxied.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import type { Host } from "../sys/host.ts";
import { type CallerTerminal, processTerminal, type TerminalSignal } from "../sys/terminal.ts";
import { type ContainerRecord, containerRunDir } from "./container_store.ts";
import { openAttach } from "./monitor_client.ts";

/** Options of `attachTerminal`. */
export interface AttachTerminalOptions {
  /** Send our stdin to the container. */
  stdin: boolean;
  /** Which output streams to show (docker run -a); both when absent. */
  streams?: { stdout: boolean; stderr: boolean };
  /** The container has a pty: raw mode and window sizes apply. */
  tty: boolean;
  /** Detach key sequence as bytes (default ctrl-p ctrl-q). */
  detachKeys?: Uint8Array;
  /** Forward SIGINT/SIGTERM (non-tty) to the container's process. */
  proxySignals?: (signal: TerminalSignal) => void;
  /** The caller's terminal or pipes (default: this process's stdio). */
  terminal?: CallerTerminal;
  /** The host that connects to the attach socket (default: the real one). */
  host?: Host;
}

/**
 * Parses `run -a` values (stdin, stdout, stderr, any case) into what to
 * attach; no values means all of them, as in Docker.
 *
 * @example
 * ```ts
 * parseAttachStreams(["stdout"]); // { stdin: false, stdout: true, stderr: false }
 * ```
 */
export function parseAttachStreams(
  values: string[],
): { stdin: boolean; stdout: boolean; stderr: boolean } {
  if (values.length === 0) return { stdin: true, stdout: true, stderr: true };
  const out = { stdin: false, stdout: false, stderr: false };
  for (const v of values) {
    const k = v.toLowerCase();
    if (k !== "stdin" && k !== "stdout" && k !== "stderr") {
      throw new InvalidArgumentError(`valid streams are STDIN, STDOUT and STDERR, not "${v}"`);
    }
    out[k] = true;
  }
  return out;
}

/** Parses Docker's detach-keys syntax ("ctrl-p,ctrl-q", "a,ctrl-x"). */
export function parseDetachKeys(spec: string): Uint8Array {
  const out: number[] = [];
  for (const key of spec.split(",")) {
    const k = key.trim().toLowerCase();
    if (/^ctrl-[a-z@\[\\\]^_]$/.test(k)) {
      const c = k[5];
      out.push(c >= "a" && c <= "z" ? c.charCodeAt(0) - 96 : "@[\\]^_".indexOf(c));
    } else if (k.length === 1) out.push(k.charCodeAt(0));
    else throw new InvalidArgumentError(`Invalid detach keys (${spec}) provided`);
  }
  return new Uint8Array(out);
}

/** Passes stdin through, stopping (detaching) when the detach sequence is typed. */
function watchDetach(
  input: ReadableStream<Uint8Array>,
  keys: Uint8Array,
  onDetach: () => void,
): ReadableStream<Uint8Array> {
  let matched = 0;
  return input.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        for (let i = 0; i < chunk.length; i++) {
          if (chunk[i] === keys[matched]) {
            matched++;
            if (matched === keys.length) {
              onDetach();
              controller.terminate();
              return;
            }
          } else matched = chunk[i] === keys[0] ? 1 : 0;
        }
        controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * Attaches the caller's stdio to the container until it exits (resolving
 * with its exit code) or the user detaches (resolving undefined).
 *
 * @example
 * ```ts ignore
 * const code = await attachTerminal(store, rec, { stdin: true, tty: true });
 * ```
 */
export async function attachTerminal(
  store: Store,
  rec: ContainerRecord,
  opts: AttachTerminalOptions,
): Promise<number | undefined> {
  const term = opts.terminal ?? processTerminal;
  const raw = opts.tty && opts.stdin && term.stdinIsTerminal();
  const cleanups: (() => void)[] = [];
  let detached = false;
  try {
    if (raw) {
      term.setRaw(true);
      cleanups.push(() => term.setRaw(false));
    }
    let stdin: ReadableStream<Uint8Array> | null = null;
    const abort = new AbortController();
    if (opts.stdin) {
      stdin = term.stdin();
      if (opts.tty) {
        stdin = watchDetach(stdin, opts.detachKeys ?? new Uint8Array([16, 17]), () => {
          detached = true;
          abort.abort();
        });
      }
    }
    const session = await openAttach(`${containerRunDir(store, rec.Id)}/attach`, {
      stdin,
      stdout: (c) => opts.streams?.stdout === false ? undefined : term.write("stdout", c),
      stderr: (c) =>
        opts.streams?.stderr === false ? undefined : term.write(opts.tty ? "stdout" : "stderr", c),
      signal: abort.signal,
    }, opts.host);
    if (opts.tty && term.stdoutIsTerminal()) {
      const sendSize = () => {
        try {
          const { columns, rows } = term.size();
          session.sendResize(rows, columns);
        } catch {
          // not a terminal after all
        }
      };
      sendSize();
      cleanups.push(term.onSignal("SIGWINCH", sendSize));
    }
    if (!opts.tty && opts.proxySignals) {
      for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        cleanups.push(term.onSignal(sig, () => opts.proxySignals!(sig)));
      }
    }
    const code = await session.exitCode;
    return detached ? undefined : code;
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        c();
      } catch {
        // restoring the terminal must not hide the real outcome
      }
    }
  }
}
