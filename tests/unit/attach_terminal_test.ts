/**
 * attachTerminal against a fake terminal and a monitor played by a unix socket in a temporary
 * directory (no root, no container): raw mode set and restored, the window size sent at start
 * and on SIGWINCH, stderr shown on stdout with a pty, the detach keys, signals proxied without
 * a pty, and the exit code.
 */
import { assertEquals } from "../helpers/assert.ts";
import { until } from "../helpers/wait.ts";
import { attachTerminal } from "../../src/runtime/attach_terminal.ts";
import { Frame } from "../../src/runtime/monitor_client.ts";
import type { ContainerRecord } from "../../src/runtime/container_store.ts";
import type { Store } from "../../src/store/store.ts";
import type { CallerTerminal, TerminalSignal } from "../../src/sys/terminal.ts";

const ID = "c0ffee";
const text = new TextEncoder();

/** A terminal that records what attaching did to it. */
class FakeTerminal implements CallerTerminal {
  raw: boolean[] = [];
  out: { stream: string; data: string }[] = [];
  listeners = new Map<TerminalSignal, Set<() => void>>();
  rows = 40;
  columns = 120;
  input: ReadableStreamDefaultController<Uint8Array> | undefined;
  readonly #stdin = new ReadableStream<Uint8Array>({ start: (c) => void (this.input = c) });
  constructor(readonly isTty: boolean) {}
  stdinIsTerminal = () => this.isTty;
  stdoutIsTerminal = () => this.isTty;
  setRaw(on: boolean): void {
    this.raw.push(on);
  }
  stdin = () => this.#stdin;
  write(stream: "stdout" | "stderr", data: Uint8Array): Promise<void> {
    this.out.push({ stream, data: new TextDecoder().decode(data) });
    return Promise.resolve();
  }
  size = () => ({ rows: this.rows, columns: this.columns });
  onSignal(signal: TerminalSignal, fn: () => void): () => void {
    const set = this.listeners.get(signal) ?? new Set();
    set.add(fn);
    this.listeners.set(signal, set);
    return () => set.delete(fn);
  }
  raise(signal: TerminalSignal): void {
    for (const fn of this.listeners.get(signal) ?? []) fn();
  }
  listening(): number {
    return [...this.listeners.values()].reduce((n, s) => n + s.size, 0);
  }
}

function frame(type: number, payload: Uint8Array = new Uint8Array()): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

/** Reads frames from the client until `until` returns true for the list so far. */
async function readFrames(
  conn: Deno.Conn,
  until: (frames: { type: number; payload: Uint8Array }[]) => boolean,
): Promise<{ type: number; payload: Uint8Array }[]> {
  const frames: { type: number; payload: Uint8Array }[] = [];
  let buf = new Uint8Array(0);
  const chunk = new Uint8Array(4096);
  while (!until(frames)) {
    const n = await conn.read(chunk);
    if (n === null) break;
    const joined = new Uint8Array(buf.length + n);
    joined.set(buf);
    joined.set(chunk.subarray(0, n), buf.length);
    buf = joined;
    while (buf.length >= 5) {
      const len = new DataView(buf.buffer, buf.byteOffset).getUint32(1);
      if (buf.length < 5 + len) break;
      frames.push({ type: buf[0], payload: buf.slice(5, 5 + len) });
      buf = buf.subarray(5 + len);
    }
  }
  return frames;
}

/** A store whose run directory holds the container's attach socket, served by `monitor`. */
async function withMonitor(
  monitor: (conn: Deno.Conn) => Promise<void>,
  fn: (store: Store, rec: ContainerRecord) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-attach-" });
  await Deno.mkdir(`${dir}/${ID}`);
  const listener = Deno.listen({ transport: "unix", path: `${dir}/${ID}/attach` });
  const served = (async () => {
    const conn = await listener.accept();
    try {
      await monitor(conn);
    } finally {
      conn.close();
    }
  })();
  try {
    await fn({ runContainers: dir } as Store, { Id: ID } as ContainerRecord);
    await served;
  } finally {
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const size = (p: Uint8Array) => {
  const v = new DataView(p.buffer, p.byteOffset);
  return [v.getUint16(0), v.getUint16(2)];
};

Deno.test("attach with a pty: raw mode, sizes, stderr on stdout, exit code, all undone", async () => {
  const term = new FakeTerminal(true);
  let seen: { type: number; payload: Uint8Array }[] = [];
  await withMonitor(async (conn) => {
    seen = await readFrames(conn, (f) => f.some((x) => x.type === Frame.resize));
    term.columns = 100;
    term.rows = 30;
    term.raise("SIGWINCH");
    term.input!.enqueue(text.encode("ls\r"));
    seen.push(
      ...await readFrames(conn, (f) => f.some((x) => x.type === Frame.stdin) && f.length >= 2),
    );
    await conn.write(frame(Frame.stdout, text.encode("out")));
    await conn.write(frame(Frame.stderr, text.encode("err")));
    const code = new Uint8Array(4);
    new DataView(code.buffer).setInt32(0, 7);
    await conn.write(frame(Frame.exit, code));
  }, async (store, rec) => {
    const code = await attachTerminal(store, rec, { stdin: true, tty: true, terminal: term });
    assertEquals(code, 7);
  });
  const resizes = seen.filter((f) => f.type === Frame.resize).map((f) => size(f.payload));
  assertEquals(resizes, [[40, 120], [30, 100]]);
  const typed = seen.filter((f) => f.type === Frame.stdin).map((f) =>
    new TextDecoder().decode(f.payload)
  );
  assertEquals(typed, ["ls\r"]);
  assertEquals(term.out, [{ stream: "stdout", data: "out" }, { stream: "stdout", data: "err" }]);
  assertEquals(term.raw, [true, false]);
  assertEquals(term.listening(), 0);
});

Deno.test("attach with a pty: ctrl-p ctrl-q detaches, sends nothing after, restores the terminal", async () => {
  const term = new FakeTerminal(true);
  let typed = "";
  await withMonitor(async (conn) => {
    term.input!.enqueue(new Uint8Array([0x61, 0x10, 0x11, 0x62]));
    const frames = await readFrames(conn, () => false); // until the client hangs up
    typed = frames.filter((f) => f.type === Frame.stdin)
      .map((f) => new TextDecoder().decode(f.payload)).join("");
  }, async (store, rec) => {
    const code = await attachTerminal(store, rec, { stdin: true, tty: true, terminal: term });
    assertEquals(code, undefined);
  });
  assertEquals(typed.includes("b"), false);
  assertEquals(term.raw, [true, false]);
  assertEquals(term.listening(), 0);
});

Deno.test("attach without a pty: no raw mode, streams kept apart, signals proxied", async () => {
  const term = new FakeTerminal(false);
  const proxied: string[] = [];
  await withMonitor(async (conn) => {
    await until("the signal listeners", () => term.listening() > 0);
    term.raise("SIGTERM");
    term.raise("SIGWINCH"); // no pty: not listened to
    await conn.write(frame(Frame.stdout, text.encode("o")));
    await conn.write(frame(Frame.stderr, text.encode("e")));
    await conn.write(frame(Frame.exit, new Uint8Array(4)));
  }, async (store, rec) => {
    const code = await attachTerminal(store, rec, {
      stdin: false,
      tty: false,
      terminal: term,
      proxySignals: (sig) => proxied.push(sig),
    });
    assertEquals(code, 0);
  });
  assertEquals(term.raw, []);
  assertEquals(term.out, [{ stream: "stdout", data: "o" }, { stream: "stderr", data: "e" }]);
  assertEquals(proxied, ["SIGTERM"]);
  assertEquals(term.listening(), 0);
});
