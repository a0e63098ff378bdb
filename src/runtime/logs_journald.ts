/**
 * Reading back a container's log from journald (`--log-driver journald`): `journalctl -o json`
 * for the container's CONTAINER_ID_FULL field, each entry turned into a json-file record, so
 * that `logs` applies --tail, --since, --until and -t as it does for the file drivers.
 */

/** The arguments of `journalctl` that list a container's entries, oldest first, as JSON. */
export function journalArgs(id: string): string[] {
  return ["--no-pager", "--all", "-o", "json", `CONTAINER_ID_FULL=${id}`];
}

/** A journal field's text: journalctl writes a value that is not clean UTF-8 as its bytes. */
function fieldText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((b) => typeof b === "number")) {
    return new TextDecoder().decode(new Uint8Array(value as number[]));
  }
  return undefined;
}

/** Microseconds since the epoch as Docker's RFC 3339 time with nanoseconds. */
function isoMicros(us: string): string {
  const n = BigInt(us);
  const secs = n / 1_000_000n, frac = n % 1_000_000n;
  const base = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  return `${base}.${frac.toString().padStart(6, "0")}000Z`;
}

/**
 * Turns `journalctl -o json` output into json-file records (one per line): MESSAGE as the
 * text, PRIORITY 3 as stderr (else stdout, as the monitor writes them), the entry's
 * source time (else its journal time), a partial message without its newline. Entries that
 * are not the container's output are skipped.
 *
 * @example
 * ```ts
 * journalToRecords('{"MESSAGE":"hi","PRIORITY":"6","__REALTIME_TIMESTAMP":"1700000000000001"}\n');
 * // '{"log":"hi\\n","stream":"stdout","time":"2023-11-14T22:13:20.000001000Z"}\n'
 * ```
 */
export function journalToRecords(output: string): string {
  let out = "";
  for (const line of output.split("\n")) {
    if (line.trim() === "") continue;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    const message = fieldText(e.MESSAGE);
    const when = fieldText(e._SOURCE_REALTIME_TIMESTAMP) ?? fieldText(e.__REALTIME_TIMESTAMP);
    if (message === undefined || when === undefined || !/^\d+$/.test(when)) continue;
    const partial = fieldText(e.CONTAINER_PARTIAL_MESSAGE) === "true";
    const stream = fieldText(e.PRIORITY) === "3" ? "stderr" : "stdout";
    out += JSON.stringify({
      log: partial ? message : `${message}\n`,
      stream,
      time: isoMicros(when),
    }) + "\n";
  }
  return out;
}
