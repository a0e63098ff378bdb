/** Go's `time.ParseDuration`, which HEALTHCHECK's flags use: `1m30s`, `500ms`, `1.5h`. */
import { parseDuration } from "../../units.ts";

/**
 * Nanoseconds in a Go duration string (units.ts's parser, which gives milliseconds). Throws
 * with Go's wording for a bad one.
 *
 * @example
 * ```ts
 * import { parseGoDuration } from "./duration.ts";
 * parseGoDuration("1m30s"); // 90e9
 * ```
 */
export function parseGoDuration(text: string): number {
  return Math.round(parseDuration(text) * 1e6);
}

/** A duration in nanoseconds written as Go prints it (`1m30s`, `500ms`), for messages. */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return "0s";
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${ns / 1e3}µs`;
  if (ns < 1e9) return `${ns / 1e6}ms`;
  let rest = ns / 1e9;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  rest -= m * 60;
  return `${h ? h + "h" : ""}${h || m ? m + "m" : ""}${Number(rest.toFixed(9))}s`;
}
