/**
 * Reading a container's k8s-file log ("<RFC3339Nano> stdout|stderr F|P text"
 * per record, P for a partial line) as `docker logs` shows it.
 */

/** One record of the log. */
export interface LogRecord {
  time: string;
  stream: "stdout" | "stderr";
  /** false for a partial line (no newline at its end). */
  full: boolean;
  text: string;
}

/** Parses one log line; undefined for a malformed one. */
export function parseLogLine(line: string): LogRecord | undefined {
  const a = line.indexOf(" ");
  const b = line.indexOf(" ", a + 1);
  const c = line.indexOf(" ", b + 1);
  if (a < 0 || b < 0 || c < 0) return undefined;
  const stream = line.slice(a + 1, b);
  const tag = line.slice(b + 1, c);
  if ((stream !== "stdout" && stream !== "stderr") || (tag !== "F" && tag !== "P")) {
    return undefined;
  }
  return { time: line.slice(0, a), stream, full: tag === "F", text: line.slice(c + 1) };
}

/** Options of `renderLog`. */
export interface LogOptions {
  /** Only the last N lines ("all" or undefined: everything). */
  tail?: number;
  /** Only records at or after this time (ms since epoch). */
  since?: number;
  /** Only records before this time. */
  until?: number;
  timestamps?: boolean;
}

/**
 * Turns log text into output chunks per stream, applying tail, since, until
 * and timestamps as `docker logs` does.
 *
 * @example
 * ```ts ignore
 * for (const { stream, text } of renderLog(content, { tail: 10 })) write(stream, text);
 * ```
 */
export function renderLog(
  content: string,
  opts: LogOptions,
): { stream: "stdout" | "stderr"; text: string }[] {
  const lines = content.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  let records = lines.map(parseLogLine).filter((r): r is LogRecord => r !== undefined);
  if (opts.since !== undefined || opts.until !== undefined) {
    records = records.filter((r) => {
      const t = Date.parse(r.time);
      return (opts.since === undefined || t >= opts.since) &&
        (opts.until === undefined || t < opts.until);
    });
  }
  // Join partial records into logical lines so that --tail counts lines.
  const joined: { stream: "stdout" | "stderr"; time: string; text: string }[] = [];
  let open: { stream: "stdout" | "stderr"; time: string; text: string } | undefined;
  for (const r of records) {
    if (open && open.stream === r.stream) {
      open.text += r.text;
    } else {
      if (open) joined.push(open);
      open = { stream: r.stream, time: r.time, text: r.text };
    }
    if (r.full) {
      open.text += "\n";
      joined.push(open);
      open = undefined;
    }
  }
  if (open) joined.push(open);
  const picked = opts.tail !== undefined && opts.tail >= 0
    ? joined.slice(
      Math.max(0, joined.length - opts.tail),
    )
    : joined;
  return picked.map((l) => ({
    stream: l.stream,
    text: opts.timestamps ? `${l.time} ${l.text}` : l.text,
  }));
}
