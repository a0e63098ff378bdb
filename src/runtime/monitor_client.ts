/**
 * Clients of the C monitor (`ffi/build/skiff-monitor`): start a container's monitor and wait
 * for its handshake, attach to a running container through its attach socket, and run a
 * process inside a container with the exec helper.
 *
 * Attach socket framing, both ways: 1 byte type, 4 bytes big-endian length, payload.
 * Monitor to client: 1 stdout, 2 stderr, 5 exit (4-byte big-endian code).
 * Client to monitor: 0 stdin, 3 stdin closed, 4 resize (rows u16, cols u16, big-endian).
 */
import { ExecError, SkiffError } from "../errors.ts";
import { assetPath } from "../sys/assets.ts";
import { type Host, type HostCommandResult, type HostConn, realHost } from "../sys/host.ts";
import { type ExecPlan, serializeExecPlan } from "./plan_format.ts";

/** Frame types of the attach protocol. */
export const Frame = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  stdinClose: 3,
  resize: 4,
  exit: 5,
} as const;

/**
 * Path of the monitor binary: `$SKIFF_LIBDIR/skiff-monitor` when set (as for libskiff.so),
 * else `ffi/build/skiff-monitor` next to the sources.
 *
 * @example
 * ```ts
 * const bin = monitorPath(); // ".../ffi/build/skiff-monitor"
 * ```
 */
export function monitorPath(): string {
  return assetPath("skiff-monitor");
}

const decoder = new TextDecoder();

/**
 * Starts a container's monitor from a plan file written by `serializePlan` and waits until
 * the container's process exists and is in its cgroups. Resolves with its host pid; throws
 * an ExecError (126/127) when the command cannot be run, else a SkiffError with the
 * monitor's one-line message. The monitor outlives the caller.
 *
 * @example
 * ```ts ignore
 * const { pid } = await startMonitor(`${bundle}/plan`);
 * ```
 */
export async function startMonitor(
  planPath: string,
  host: Host = realHost,
): Promise<{ pid: number }> {
  const bin = monitorPath();
  let out: HostCommandResult;
  try {
    out = await host.run(bin, { args: ["start", planPath], stdin: "null" });
  } catch (err) {
    throw new SkiffError(
      `Cannot run the monitor ${bin} (run "make -C ffi"): ${(err as Error).message}`,
    );
  }
  const stdout = decoder.decode(out.stdout).trim();
  if (out.code === 0) {
    const pid = Number(stdout);
    if (!Number.isSafeInteger(pid) || pid <= 0) {
      throw new SkiffError(`The monitor reported a bad pid: "${stdout}"`);
    }
    return { pid };
  }
  const message = decoder.decode(out.stderr).trim().split("\n").pop()?.replace(/^Error: /, "") ||
    `monitor exited with status ${out.code}`;
  if (out.code === 126 || out.code === 127) throw new ExecError(message, out.code);
  throw new SkiffError(message);
}

/** Where attached output goes: a callback or a writable stream. */
export type OutputSink =
  | ((chunk: Uint8Array) => void | Promise<void>)
  | WritableStream<Uint8Array>;

/** What to connect to an attached container. */
export interface AttachOptions {
  /** Sent as the container's stdin; null or absent: nothing is sent. */
  stdin?: ReadableStream<Uint8Array> | null;
  stdout: OutputSink;
  stderr: OutputSink;
  /** Called once connected, to hook terminal size changes up to `session.sendResize`. */
  onResize?: (session: AttachSession) => void;
  /** Detaches when aborted; the container keeps running. */
  signal?: AbortSignal;
}

function frame(type: number, payload: Uint8Array = new Uint8Array()): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

function toWriter(sink: OutputSink): {
  write: (c: Uint8Array) => Promise<void>;
  close: () => void;
} {
  if (typeof sink === "function") {
    return { write: async (c) => await sink(c), close: () => {} };
  }
  const w = sink.getWriter();
  return { write: (c) => w.write(c), close: () => w.releaseLock() };
}

/** A connection to a container's attach socket. */
export class AttachSession {
  /** Resolves with the exit code when the container exits, undefined when detached first. */
  readonly exitCode: Promise<number | undefined>;
  #conn: HostConn;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;
  #stdinReader?: ReadableStreamDefaultReader<Uint8Array>;

  constructor(conn: HostConn, options: AttachOptions) {
    this.#conn = conn;
    this.exitCode = this.#readLoop(options);
    if (options.stdin) this.#pumpStdin(options.stdin);
    options.signal?.addEventListener("abort", () => this.close(), { once: true });
  }

  /** Tells the container's terminal its new size. */
  sendResize(rows: number, cols: number): Promise<void> {
    const p = new Uint8Array(4);
    const v = new DataView(p.buffer);
    v.setUint16(0, rows);
    v.setUint16(2, cols);
    return this.#send(frame(Frame.resize, p));
  }

  /** Detaches; the container keeps running. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // a pending read of the caller's stdin would keep the process alive
    this.#stdinReader?.cancel().catch(() => {});
    try {
      this.#conn.close();
    } catch {
      // already closed by the monitor
    }
  }

  #send(bytes: Uint8Array): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      if (this.#closed) return;
      for (let off = 0; off < bytes.length;) off += await this.#conn.write(bytes.subarray(off));
    }).catch(() => {});
    return this.#writing;
  }

  async #pumpStdin(stdin: ReadableStream<Uint8Array>): Promise<void> {
    const reader = stdin.getReader();
    this.#stdinReader = reader;
    try {
      while (!this.#closed) {
        const { value, done } = await reader.read();
        if (done) break;
        if (value.length > 0) await this.#send(frame(Frame.stdin, value));
      }
      await this.#send(frame(Frame.stdinClose));
    } catch {
      // stdin failed or the connection went away: the output side reports the end
    } finally {
      this.#stdinReader = undefined;
      try {
        reader.releaseLock();
      } catch {
        // a read is still pending after cancel
      }
    }
  }

  async #readLoop(options: AttachOptions): Promise<number | undefined> {
    const out = toWriter(options.stdout), err = toWriter(options.stderr);
    let buf = new Uint8Array(0);
    const chunk = new Uint8Array(65536);
    try {
      for (;;) {
        let n: number | null;
        try {
          n = await this.#conn.read(chunk);
        } catch {
          return undefined;
        }
        if (n === null) return undefined;
        const joined = new Uint8Array(buf.length + n);
        joined.set(buf);
        joined.set(chunk.subarray(0, n), buf.length);
        buf = joined;
        while (buf.length >= 5) {
          const len = new DataView(buf.buffer, buf.byteOffset).getUint32(1);
          if (buf.length < 5 + len) break;
          const type = buf[0], payload = buf.slice(5, 5 + len);
          buf = buf.subarray(5 + len);
          if (type === Frame.stdout) await out.write(payload);
          else if (type === Frame.stderr) await err.write(payload);
          else if (type === Frame.exit && len >= 4) {
            return new DataView(payload.buffer).getInt32(0);
          }
        }
      }
    } finally {
      out.close();
      err.close();
      this.close();
    }
  }
}

/**
 * Connects to a container's attach socket (`<state.dir>/attach`). Connecting releases a
 * container started with `waitForAttach`.
 *
 * @example
 * ```ts ignore
 * const session = await openAttach(`${stateDir}/attach`, { stdout, stderr });
 * const code = await session.exitCode;
 * ```
 */
export async function openAttach(
  socketPath: string,
  options: AttachOptions,
  host: Host = realHost,
): Promise<AttachSession> {
  let conn: HostConn;
  try {
    conn = await host.connectUnix(socketPath);
  } catch (err) {
    throw new SkiffError(`Cannot attach to ${socketPath}: ${(err as Error).message}`);
  }
  const session = new AttachSession(conn, options);
  options.onResize?.(session);
  return session;
}

/**
 * Attaches and waits: resolves with the container's exit code, or undefined when the
 * connection ended first (detached, or the monitor went away).
 *
 * @example
 * ```ts ignore
 * const code = await attach(`${stateDir}/attach`, {
 *   stdin: Deno.stdin.readable,
 *   stdout: Deno.stdout.writable,
 *   stderr: (c) => Deno.stderr.writeSync(c),
 * });
 * ```
 */
export async function attach(
  socketPath: string,
  options: AttachOptions,
): Promise<number | undefined> {
  const session = await openAttach(socketPath, options);
  return await session.exitCode;
}

/** Options of `execInContainer`. */
export interface ExecOptions {
  /** The helper's stdio; only "inherit" (the caller's terminal or pipes) is supported. */
  stdio?: "inherit";
  /** Directory for the temporary plan file (default: the system's temporary directory). */
  tmpDir?: string;
  /** The host that runs the helper (default: the real one). */
  host?: Host;
}

/**
 * Runs a process inside a running container with `skiff-monitor exec` and the caller's
 * stdio. Resolves with its exit status (128+signal when killed; 126/127 when it could not
 * be started, with Docker's message on stderr). With `detach`, resolves with 0 once started.
 *
 * @example
 * ```ts ignore
 * const code = await execInContainer({ pid, process, cgroupPaths: [], detach: false });
 * ```
 */
export async function execInContainer(plan: ExecPlan, options: ExecOptions = {}): Promise<number> {
  const host = options.host ?? realHost;
  const text = serializeExecPlan(plan);
  // A plan that fits in one environment string (the kernel's limit is 128 KiB) travels in the
  // helper's environment, which only its owner can read; a larger one in a temporary file.
  const inline = text.length < INLINE_PLAN_MAX;
  const file = inline
    ? undefined
    : await host.makeTempFile({ dir: options.tmpDir, prefix: "skiff-exec-" });
  try {
    if (file) await host.writeTextFile(file, text);
    const bin = monitorPath();
    let status: HostCommandResult;
    try {
      status = await host.run(bin, {
        args: ["exec", file ?? "-"],
        env: inline ? { SKIFF_EXEC_PLAN: text } : {},
        stdin: "inherit",
        stdout: "inherit",
        stderr: "inherit",
      });
    } catch (err) {
      throw new SkiffError(`Cannot run the exec helper ${bin}: ${(err as Error).message}`);
    }
    return status.signal ? 128 + (signalNumbers[status.signal] ?? 0) : status.code;
  } finally {
    if (file) await host.remove(file).catch(() => {});
  }
}

/** Plans shorter than this (UTF-16 units, at most 3 UTF-8 bytes each: under 128 KiB) go through the environment. */
const INLINE_PLAN_MAX = 40_000;

const signalNumbers: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGTERM: 15,
};
