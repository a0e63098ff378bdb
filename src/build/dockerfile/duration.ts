/** Go's `time.ParseDuration`, which HEALTHCHECK's flags use: `1m30s`, `500ms`, `1.5h`. */

const units: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "µs": 1e3,
  "μs": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * Nanoseconds in a Go duration string. Throws with Go's wording for a bad one.
 *
 * @example
 * ```ts
 * import { parseGoDuration } from "./duration.ts";
 * parseGoDuration("1m30s"); // 90e9
 * ```
 */
export function parseGoDuration(text: string): number {
  const bad = () => new Error(`time: invalid duration ${JSON.stringify(text)}`);
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw bad();
  let total = 0;
  while (s !== "") {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (m[0] === "" || m[0] === "." || (m[1] === "" && (m[2] ?? "") === "")) throw bad();
    s = s.slice(m[0].length);
    const u = /^[^\d.]+/.exec(s);
    if (!u) throw new Error(`time: missing unit in duration ${JSON.stringify(text)}`);
    const unit = units[u[0]];
    if (unit === undefined) {
      throw new Error(
        `time: unknown unit ${JSON.stringify(u[0])} in duration ${JSON.stringify(text)}`,
      );
    }
    s = s.slice(u[0].length);
    total += Number(`${m[1] || "0"}.${m[2] ?? "0"}`) * unit;
  }
  return sign * Math.round(total);
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
