/**
 * Reading a container's log as `docker logs` shows it: k8s-file ("<RFC3339Nano>
 * stdout|stderr F|P text" per record, P for a partial line) or json-file records, across the
 * files a size rotation left.
 */

/** One record of the log. */
export interface LogRecord {
  time: string;
  stream: "stdout" | "stderr";
  /** false for a partial line (no newline at its end). */
  full: boolean;
  text: string;
  /** json-file's `attrs` (the `tag` log option). */
  attrs?: Record<string, string>;
}

/**
 * Parses one log line, k8s-file ("<time> stdout F text") or json-file
 * ({"log":"text\n","stream":"stdout","time":"..."}); undefined for a malformed one.
 */
export function parseLogLine(line: string): LogRecord | undefined {
  if (line.startsWith("{")) return parseJsonLine(line);
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

/** A json-file record: a text ending in a newline is a full line. */
function parseJsonLine(line: string): LogRecord | undefined {
  let r: { log?: unknown; stream?: unknown; time?: unknown; attrs?: unknown };
  try {
    r = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof r.log !== "string" || typeof r.time !== "string") return undefined;
  if (r.stream !== "stdout" && r.stream !== "stderr") return undefined;
  const full = r.log.endsWith("\n");
  const record: LogRecord = {
    time: r.time,
    stream: r.stream,
    full,
    text: full ? r.log.slice(0, -1) : r.log,
  };
  if (r.attrs && typeof r.attrs === "object" && !Array.isArray(r.attrs)) {
    const attrs = Object.entries(r.attrs).filter(([, v]) => typeof v === "string");
    if (attrs.length) record.attrs = Object.fromEntries(attrs);
  }
  return record;
}

/**
 * The files of a log in the order they were written: rotated ones (`ctr.log.N` down to
 * `ctr.log.1`) then the current one, from the names found in its directory.
 *
 * @example
 * ```ts
 * logFiles("/c/ctr.log", ["ctr.log", "ctr.log.2", "x", "ctr.log.1"]);
 * // ["/c/ctr.log.2", "/c/ctr.log.1", "/c/ctr.log"]
 * ```
 */
export function logFiles(path: string, names: string[]): string[] {
  const slash = path.lastIndexOf("/");
  const dir = path.slice(0, slash), base = path.slice(slash + 1);
  const rotated = names.flatMap((n) => {
    if (!n.startsWith(`${base}.`)) return [];
    const k = n.slice(base.length + 1);
    return /^[1-9]\d*$/.test(k) ? [Number(k)] : [];
  }).sort((a, b) => b - a);
  return [...rotated.map((k) => `${dir}/${base}.${k}`), path];
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
  /** --details: each line after Docker's attrs (`tag=web`, sorted, query-escaped) and a space. */
  details?: boolean;
}

/** Go's url.QueryEscape: unreserved characters kept, a space as `+`, the rest %XX (UTF-8). */
function queryEscape(s: string): string {
  return [...new TextEncoder().encode(s)].map((b) => {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
    return b === 0x20 ? "+" : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}

/** Docker's `--details` prefix of a line: `k=v,k2=v2 `, or a lone space without attrs. */
function detailsPrefix(attrs: Record<string, string> | undefined): string {
  const keys = Object.keys(attrs ?? {}).sort();
  return keys.map((k) => `${k}=${queryEscape(attrs![k])}`).join(",") + " ";
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
  type Line = {
    stream: "stdout" | "stderr";
    time: string;
    text: string;
    attrs?: Record<string, string>;
  };
  const joined: Line[] = [];
  let open: Line | undefined;
  for (const r of records) {
    if (open && open.stream === r.stream) {
      open.text += r.text;
    } else {
      if (open) joined.push(open);
      open = { stream: r.stream, time: r.time, text: r.text, attrs: r.attrs };
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
  return picked.map((l) => {
    const text = opts.details ? detailsPrefix(l.attrs) + l.text : l.text;
    return { stream: l.stream, text: opts.timestamps ? `${l.time} ${text}` : text };
  });
}
