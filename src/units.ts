/**
 * Human-readable sizes and durations as Docker prints and parses them, after
 * docker/go-units (`size.go`, `duration.go`), Go's `time.ParseDuration` and
 * the daemon's container state strings. Deno APIs only: this module is on the
 * hot path of `ps`, `images` and `run`.
 *
 * @module
 */

import { InvalidArgumentError } from "./errors.ts";

const DECIMAL_ABBRS = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const BINARY_ABBRS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

/**
 * Rounds `x` (finite, non-negative) to `prec` significant decimal digits the
 * way Go's strconv does: exact decimal value, ties to even.
 */
function _roundDigits(x: number, prec: number): { digits: string; exp: number } {
  if (x === 0) return { digits: "0".repeat(prec), exp: 0 };
  const [mant, e] = x.toExponential(99).split("e");
  const all = mant.replace(".", "");
  let exp = Number(e);
  const kept = all.slice(0, prec).split("").map(Number);
  const rest = all.slice(prec);
  let up = false;
  if (rest.length > 0) {
    if (rest[0] > "5") up = true;
    else if (rest[0] === "5") {
      up = /[1-9]/.test(rest.slice(1)) || kept[kept.length - 1] % 2 === 1;
    }
  }
  if (up) {
    let i = kept.length - 1;
    while (i >= 0 && kept[i] === 9) kept[i--] = 0;
    if (i < 0) {
      kept.unshift(1);
      kept.pop();
      exp++;
    } else kept[i]++;
  }
  return { digits: kept.join(""), exp };
}

function _expSuffix(exp: number): string {
  const sign = exp < 0 ? "-" : "+";
  const abs = Math.abs(exp);
  return `e${sign}${abs < 10 ? "0" : ""}${abs}`;
}

/**
 * Formats a float as Go's fmt does for `%.{prec}e`, `%.{prec}f` or
 * `%.{prec}g` (precision -1: shortest representation, as `%v`/`%g`).
 *
 * @example
 * ```ts
 * goFormatFloat(999.5, "g", 3); // "1e+03"
 * goFormatFloat(3.14159, "f", 2); // "3.14"
 * ```
 */
export function goFormatFloat(x: number, verb: "e" | "f" | "g", prec = -1): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "+Inf" : "-Inf";
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  const sign = neg ? "-" : "";
  if (verb === "f") {
    if (prec < 0) {
      // Shortest digits, never an exponent.
      const { digits, exp } = _shortest(a);
      return sign + _fixed(digits, exp, Math.max(0, digits.length - exp - 1));
    }
    const zero = prec > 0 ? "0." + "0".repeat(prec) : "0";
    if (a === 0) return sign + zero;
    const count = _shortest(a).exp + 1 + prec;
    if (count <= 0) return sign + (a > 0.5 * 10 ** -prec ? _fixed("1", -prec, prec) : zero);
    const { digits, exp } = _roundDigits(a, count);
    return sign + _fixed(digits, exp, prec);
  }
  let digits: string;
  let exp: number;
  if (prec < 0) ({ digits, exp } = _shortest(a));
  else ({ digits, exp } = _roundDigits(a, verb === "e" ? prec + 1 : Math.max(prec, 1)));
  if (verb === "e") {
    const frac = prec < 0 ? digits.slice(1) : digits.slice(1).padEnd(prec, "0");
    return sign + digits[0] + (frac ? "." + frac : "") + _expSuffix(exp);
  }
  // %g: exponent form when exp < -4 || exp >= eprec; trailing zeros removed.
  const eprec = prec < 0 ? 6 : Math.max(prec, 1);
  const trimmed = digits.replace(/0+$/, "") || "0";
  if (exp < -4 || exp >= eprec) {
    const frac = trimmed.slice(1);
    return sign + trimmed[0] + (frac ? "." + frac : "") + _expSuffix(exp);
  }
  return sign + _fixed(trimmed, exp, Math.max(0, trimmed.length - exp - 1));
}

function _shortest(a: number): { digits: string; exp: number } {
  if (a === 0) return { digits: "0", exp: 0 };
  const [m, e] = a.toExponential().split("e");
  return { digits: m.replace(".", ""), exp: Number(e) };
}

function _fixed(digits: string, exp: number, fracLen: number): string {
  let intPart: string;
  let frac: string;
  if (exp >= 0) {
    intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
    frac = digits.slice(exp + 1);
  } else {
    intPart = "0";
    frac = "0".repeat(-exp - 1) + digits;
  }
  frac = frac.slice(0, fracLen).padEnd(fracLen, "0");
  return frac ? `${intPart}.${frac}` : intPart;
}

function _sizeAndUnit(size: number, base: number, abbrs: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < abbrs.length - 1) {
    size /= base;
    i++;
  }
  return [size, abbrs[i]];
}

/**
 * Decimal size with `precision` significant digits, as go-units
 * `HumanSizeWithPrecision` (Go's `%.*g`, so 999.5 kB prints as "1e+03kB").
 *
 * @example
 * ```ts
 * humanSizeWithPrecision(3_420_000, 4); // "3.42MB"
 * ```
 */
export function humanSizeWithPrecision(bytes: number, precision: number): string {
  const [size, unit] = _sizeAndUnit(bytes, 1000, DECIMAL_ABBRS);
  return goFormatFloat(size, "g", precision) + unit;
}

/**
 * Decimal size with 3 significant digits, as `docker images` and
 * `docker ps --size` print it (`HumanSizeWithPrecision(size, 3)`).
 *
 * @example
 * ```ts
 * humanSize(1_234_567); // "1.23MB"
 * humanSize(567); // "567B"
 * ```
 */
export function humanSize(bytes: number): string {
  return humanSizeWithPrecision(bytes, 3);
}

/**
 * Binary size with 4 significant digits, as go-units `BytesSize`.
 *
 * @example
 * ```ts
 * bytesSize(1572864); // "1.5MiB"
 * ```
 */
export function bytesSize(bytes: number): string {
  const [size, unit] = _sizeAndUnit(bytes, 1024, BINARY_ABBRS);
  return goFormatFloat(size, "g", 4) + unit;
}

const SECOND = 1000;

/**
 * A duration in words, exactly as go-units `HumanDuration`.
 *
 * @example
 * ```ts
 * humanDuration(90 * 60_000); // "2 hours"
 * humanDuration(500); // "Less than a second"
 * ```
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / (60 * SECOND));
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / (3600 * SECOND) + 0.5);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / (3600 * SECOND)) / 24 / 365)} years`;
}

/**
 * "<duration> ago", as docker's CREATED and "Exited ... ago" columns.
 *
 * @example
 * ```ts
 * ago(new Date(Date.now() - 5 * 60_000)); // "5 minutes ago"
 * ```
 */
export function ago(date: Date | number | string, now: Date | number = Date.now()): string {
  return `${humanDuration(+now - +new Date(date))} ago`;
}

/**
 * The wall clock in milliseconds with the sub-millisecond digits the platform gives
 * (microseconds), for times that docker prints with nanoseconds.
 *
 * @example
 * ```ts
 * const ms = preciseNow(); // 1796689452023.0364
 * ```
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A time (milliseconds since the epoch, fractions kept) as Go's RFC3339Nano in UTC, the way
 * docker prints its times: nine digits of fraction at most, trailing zeros dropped.
 *
 * @example
 * ```ts
 * rfc3339Nano(1700000000123.5); // "2023-11-14T22:13:20.1235Z"
 * rfc3339Nano(1700000000000); // "2023-11-14T22:13:20Z"
 * ```
 */
export function rfc3339Nano(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.min(Math.round((ms - seconds * 1000) * 1e6), 999_999_999);
  const whole = new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, "");
  return `${whole}${goFraction(String(nanos).padStart(9, "0"))}Z`;
}

/**
 * An RFC 3339 time as Go's RFC3339Nano prints it: the fraction's trailing zeros dropped (and
 * the fraction with them when it is zero). Other text is returned as it is.
 *
 * @example
 * ```ts
 * goTime("2026-12-08T00:10:09.033312000Z"); // "2026-12-08T00:10:09.033312Z"
 * goTime("0001-01-01T00:00:00Z"); // "0001-01-01T00:00:00Z"
 * ```
 */
export function goTime(text: string): string {
  return text.replace(
    /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d+)Z$/,
    (_, whole, frac) => `${whole}${goFraction(frac)}Z`,
  );
}

/** ".digits" without trailing zeros, or "" when they are all zeros. */
function goFraction(digits: string): string {
  const d = digits.replace(/0+$/, "");
  return d ? `.${d}` : "";
}

const BINARY_MULT: Record<string, number> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};
const DECIMAL_MULT: Record<string, number> = {
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  p: 1e15,
};

function _parseSize(input: string, mult: Record<string, number>): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?(i?b)?$/i.exec(input);
  if (!m || (m[3] && m[3].length === 2 && !m[2])) {
    throw new InvalidArgumentError(`invalid size: '${input}'`);
  }
  const size = Number(m[1]) * (m[2] ? mult[m[2].toLowerCase()] : 1);
  return Math.trunc(size);
}

/**
 * Parses a memory size with binary multiples, as go-units `RAMInBytes`
 * (`--memory`, `--shm-size`): b, k, m, g, t, p, case-insensitive, with an
 * optional "b" or "ib". Throws InvalidArgumentError "invalid size: '...'".
 *
 * @example
 * ```ts
 * parseSize("512m"); // 536870912
 * parseSize("1.5GiB"); // 1610612736
 * ```
 */
export function parseSize(input: string): number {
  return _parseSize(input, BINARY_MULT);
}

/**
 * Parses a size with decimal multiples, as go-units `FromHumanSize`.
 *
 * @example
 * ```ts
 * fromHumanSize("32kB"); // 32000
 * ```
 */
export function fromHumanSize(input: string): number {
  return _parseSize(input, DECIMAL_MULT);
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go duration ("10s", "1m30s", "250ms", "-1.5h") into milliseconds,
 * as Go's `time.ParseDuration`. Throws InvalidArgumentError with Go's text.
 *
 * @example
 * ```ts
 * parseDuration("1m30s"); // 90000
 * ```
 */
export function parseDuration(input: string): number {
  const bad = () => new InvalidArgumentError(`time: invalid duration "${input}"`);
  let s = input;
  let neg = false;
  if (s[0] === "-" || s[0] === "+") {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw bad();
  let total = 0;
  while (s !== "") {
    const num = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if ((num[1] ?? "") === "" && (num[2] ?? "") === "") throw bad();
    s = s.slice(num[0].length);
    const unit = /^[^\d.]*/.exec(s)![0];
    if (unit === "") {
      throw new InvalidArgumentError(`time: missing unit in duration "${input}"`);
    }
    const mult = DURATION_UNITS[unit];
    if (mult === undefined) {
      throw new InvalidArgumentError(`time: unknown unit "${unit}" in duration "${input}"`);
    }
    s = s.slice(unit.length);
    total += Number(`${num[1] || "0"}.${num[2] || "0"}`) * mult;
  }
  return neg ? -total : total;
}

/**
 * Parses a point in time as Docker's `--since`, `--until` and `until=` filters take it
 * (timetypes.GetTimestamp): a Go duration before `now` ("10m", "1h30m"), an RFC 3339 date or
 * date-time (local time when it has no zone), or Unix seconds with an optional fraction.
 * Returns milliseconds since the epoch.
 *
 * @example
 * ```ts
 * parseTimestamp("1h30m", 10_000_000); // 4600000
 * parseTimestamp("2024-01-02T03:04:05Z"); // 1704164645000
 * parseTimestamp("1700000000.5"); // 1700000000500
 * ```
 */
export function parseTimestamp(value: string, now: number = Date.now()): number {
  const bad = () =>
    new InvalidArgumentError(`failed to parse value as time or duration: "${value}"`);
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  if (/^[-+]?(\d*\.?\d+(ns|us|µs|ms|s|m|h))+$/.test(value)) return now - parseDuration(value);
  const m = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (!m) throw bad();
  // Without a zone, Docker reads the time as local: so does Date for date-times, but a bare
  // date would be UTC, so it gets a midnight time first.
  const t = Date.parse(m[2] || !m[5] ? (m[2] ? value : `${m[1]}T00:00:00${m[5] ?? ""}`) : value);
  if (isNaN(t)) throw bad();
  return t;
}

/** Container state as the store records it, for {@linkcode statusWord}. */
export interface StatusInput {
  /** "created", "running", "paused", "restarting", "removing", "exited" or "dead". */
  status: string;
  /** When the container last started; unset or Go's zero time means never. */
  startedAt?: Date | string | number | null;
  /** When the container last exited. */
  finishedAt?: Date | string | number | null;
  /** Exit code of the last run. */
  exitCode?: number;
  /** Health status when a health check is configured: "starting", "healthy", "unhealthy". */
  health?: string;
  /** The current time (default: now). */
  now?: Date | number;
}

function _time(t: Date | string | number | null | undefined): number | undefined {
  if (t === null || t === undefined || t === "") return undefined;
  const v = +new Date(t);
  // Go's zero time (0001-01-01) counts as unset.
  return Number.isNaN(v) || v <= -62135596800000 ? undefined : v;
}

/**
 * The STATUS column of `docker ps`, as the daemon's `State.String()` words it.
 *
 * @example
 * ```ts
 * statusWord({ status: "exited", exitCode: 0, startedAt: 0, finishedAt: 0, now: 120_000 });
 * // "Exited (0) 2 minutes ago"
 * ```
 */
export function statusWord(s: StatusInput): string {
  const now = +(s.now ?? Date.now());
  const started = _time(s.startedAt);
  const finished = _time(s.finishedAt);
  const since = (t: number | undefined) => humanDuration(now - (t ?? now));
  switch (s.status) {
    case "running":
      if (s.health) {
        const h = s.health === "starting" ? "health: starting" : s.health;
        return `Up ${since(started)} (${h})`;
      }
      return `Up ${since(started)}`;
    case "paused":
      return `Up ${since(started)} (Paused)`;
    case "restarting":
      return `Restarting (${s.exitCode ?? 0}) ${since(finished)} ago`;
    case "removing":
      return "Removal In Progress";
    case "dead":
      return "Dead";
  }
  if (started === undefined) return "Created";
  if (finished === undefined) return "";
  return `Exited (${s.exitCode ?? 0}) ${since(finished)} ago`;
}
