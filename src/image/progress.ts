/**
 * Per-layer progress for pull and push: a live block of lines with bars on a
 * terminal, plain status lines otherwise (one line per change of status,
 * never per byte), nothing at all when quiet.
 */

/** Receives progress for items (layers) identified by a short id. */
export interface Progress {
  /** A new status for an item: "Pulling fs layer", "Downloading", "Pull complete"... */
  status(id: string, status: string): void;
  /** Bytes done out of total for an item (rendered only on a terminal). */
  bytes(id: string, done: number, total: number): void;
  /** A line outside the per-item block ("Digest: ...", "Status: ..."). */
  line(text: string): void;
  /** Finishes drawing. */
  done(): void;
}

const encoder = new TextEncoder();

function write(out: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let off = 0;
  while (off < bytes.length) off += out.writeSync(bytes.subarray(off));
}

/** Progress that prints nothing (for `-q`). */
export function quietProgress(): Progress {
  return { status() {}, bytes() {}, line() {}, done() {} };
}

/** Plain lines: `<id>: <status>`, for logs and scripts. */
export function plainProgress(out = Deno.stdout): Progress {
  return {
    status: (id, status) => write(out, `${id}: ${status}\n`),
    bytes() {},
    line: (text) => write(out, `${text}\n`),
    done() {},
  };
}

function humanBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 2)}${units[i]}`;
}

/** Live progress bars on a terminal, redrawn at most every 100 ms. */
export function terminalProgress(out = Deno.stdout): Progress {
  const order: string[] = [];
  const rows = new Map<string, string>();
  let drawn = 0;
  let last = 0;
  const render = (force: boolean) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    let text = drawn > 0 ? `\x1b[${drawn}A` : "";
    for (const id of order) text += `\x1b[2K${id}: ${rows.get(id)}\n`;
    drawn = order.length;
    write(out, text);
  };
  return {
    status(id, status) {
      if (!rows.has(id)) order.push(id);
      rows.set(id, status);
      render(true);
    },
    bytes(id, done, total) {
      if (!rows.has(id)) order.push(id);
      const width = 50;
      const filled = total > 0 ? Math.min(width, Math.floor((done / total) * width)) : 0;
      const bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? ">" : "") +
        " ".repeat(width - filled);
      rows.set(id, `Downloading [${bar}]  ${humanBytes(done)}/${humanBytes(total)}`);
      render(false);
    },
    line(text) {
      render(true);
      drawn = 0;
      order.length = 0;
      rows.clear();
      write(out, `${text}\n`);
    },
    done() {
      render(true);
    },
  };
}

/** Picks the progress style for the current output and flags. */
export function chooseProgress(quiet: boolean, out = Deno.stdout): Progress {
  if (quiet) return quietProgress();
  return out.isTerminal() ? terminalProgress(out) : plainProgress(out);
}
