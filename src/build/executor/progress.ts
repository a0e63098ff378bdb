/**
 * Build progress as BuildKit's plain output prints it: one numbered vertex per step
 * (`#5 [2/3] RUN make`), its output lines with the seconds since it started
 * (`#5 0.231 hello`), then `#5 DONE 0.3s`, `#5 CACHED` or `#5 ERROR: ...`; a failed step's
 * last lines again in a `------` box. `quiet` prints nothing.
 */

/** Where the executor reports what it does. */
export interface BuildProgress {
  /** A vertex begins; returns its number. */
  start(name: string): number;
  /** The vertex was found in the cache. */
  cached(id: number): void;
  /** Output of the vertex's process. */
  output(id: number, chunk: Uint8Array): void;
  /** A line of the vertex's own (`writing image sha256:... done`). */
  note(id: number, text: string): void;
  /** The vertex finished. */
  done(id: number): void;
  /** The vertex failed: `message`, and its last output lines. */
  error(id: number, message: string): void;
}

/** A progress that prints nothing (`--progress=quiet`, `-q`). */
export const quietProgress: BuildProgress = {
  start: (() => {
    let n = 0;
    return () => ++n;
  })(),
  cached() {},
  output() {},
  note() {},
  done() {},
  error() {},
};

interface Vertex {
  name: string;
  started: number;
  partial: string;
  lines: string[];
}

/** How many output lines a failed step shows again. */
const ERROR_LINES = 10;

/**
 * BuildKit's plain progress, written line by line to `write`.
 *
 * @example
 * ```ts
 * import { PlainProgress } from "./progress.ts";
 * const out: string[] = [];
 * const p = new PlainProgress((s) => out.push(s), () => 0);
 * const id = p.start("[1/2] FROM busybox");
 * p.cached(id);
 * out.join(""); // "#1 [1/2] FROM busybox\n#1 CACHED\n\n"
 * ```
 */
export class PlainProgress implements BuildProgress {
  #n = 0;
  #vertices = new Map<number, Vertex>();
  #decoder = new TextDecoder();
  constructor(
    private readonly write: (text: string) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(name: string): number {
    const id = ++this.#n;
    this.#vertices.set(id, { name, started: this.now(), partial: "", lines: [] });
    this.write(`#${id} ${name}\n`);
    return id;
  }

  cached(id: number): void {
    this.write(`#${id} CACHED\n\n`);
  }

  output(id: number, chunk: Uint8Array): void {
    const v = this.#vertices.get(id);
    if (!v) return;
    const text = v.partial + this.#decoder.decode(chunk, { stream: true });
    const parts = text.split("\n");
    v.partial = parts.pop() ?? "";
    for (const line of parts) this.#line(id, v, line);
  }

  note(id: number, text: string): void {
    this.write(`#${id} ${text}\n`);
  }

  #flush(id: number, v: Vertex): void {
    if (v.partial !== "") this.#line(id, v, v.partial);
    v.partial = "";
  }

  #line(id: number, v: Vertex, line: string): void {
    const t = ((this.now() - v.started) / 1000).toFixed(3);
    v.lines.push(`${t} ${line}`);
    if (v.lines.length > ERROR_LINES) v.lines.shift();
    this.write(`#${id} ${t} ${line}\n`);
  }

  done(id: number): void {
    const v = this.#vertices.get(id);
    if (!v) return;
    this.#flush(id, v);
    this.write(`#${id} DONE ${((this.now() - v.started) / 1000).toFixed(1)}s\n\n`);
  }

  error(id: number, message: string): void {
    const v = this.#vertices.get(id);
    if (!v) return;
    this.#flush(id, v);
    this.write(`#${id} ERROR: ${message}\n`);
    this.write(`------\n > ${v.name}:\n`);
    for (const l of v.lines) this.write(`${l}\n`);
    this.write(`------\n`);
  }
}
