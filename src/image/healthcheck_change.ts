/**
 * `HEALTHCHECK` as a `--change` instruction of `commit` and `import` (Docker's commit accepts
 * it): `NONE`, or `[--interval=D] [--timeout=D] [--start-period=D] [--start-interval=D]
 * [--retries=N] CMD command` in exec (JSON array) or shell form, into the image config's
 * `Healthcheck` (durations in nanoseconds).
 */
import { InvalidArgumentError } from "../errors.ts";
import { parseDuration } from "../units.ts";

/** The image config's Healthcheck. */
export interface ImageHealthcheck {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

const DURATION_FLAGS: Record<string, "Interval" | "Timeout" | "StartPeriod" | "StartInterval"> = {
  interval: "Interval",
  timeout: "Timeout",
  "start-period": "StartPeriod",
  "start-interval": "StartInterval",
};

/**
 * Parses the arguments of a HEALTHCHECK change.
 *
 * @example
 * ```ts
 * healthcheckChange("--interval=5s CMD true");
 * // { Test: ["CMD-SHELL", "true"], Interval: 5000000000 }
 * ```
 */
export function healthcheckChange(args: string): ImageHealthcheck {
  let rest = args.trim();
  const hc: Partial<ImageHealthcheck> = {};
  for (;;) {
    const m = /^--([a-z-]+)=(\S*)\s+/.exec(rest);
    if (!m) break;
    rest = rest.slice(m[0].length);
    const [, name, value] = m;
    if (name === "retries") {
      if (!/^[+-]?\d+$/.test(value)) {
        throw new InvalidArgumentError(`strconv.ParseInt: parsing "${value}": invalid syntax`);
      }
      const n = Number(value);
      if (n < 0) throw new InvalidArgumentError(`--retries cannot be negative (${n})`);
      hc.Retries = n;
      continue;
    }
    const key = DURATION_FLAGS[name];
    if (!key) throw new InvalidArgumentError(`Unknown flag: ${name}`);
    const ns = Math.round(parseDuration(value) * 1e6);
    if (ns !== 0 && ns < 1e6) {
      throw new InvalidArgumentError(`Interval "${name}" cannot be less than 1ms`);
    }
    hc[key] = ns;
  }
  const m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
  const type = (m?.[1] ?? "").toUpperCase();
  const cmd = (m?.[2] ?? "").trim();
  if (type === "NONE") {
    if (cmd !== "") throw new InvalidArgumentError("HEALTHCHECK NONE takes no arguments");
    return { Test: ["NONE"] };
  }
  if (type !== "CMD") {
    throw new InvalidArgumentError(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  }
  if (cmd === "") throw new InvalidArgumentError("Missing command after HEALTHCHECK CMD");
  let exec: unknown;
  try {
    exec = cmd.startsWith("[") ? JSON.parse(cmd) : undefined;
  } catch {
    exec = undefined;
  }
  const isExec = Array.isArray(exec) && exec.every((a) => typeof a === "string");
  if (isExec && (exec as string[]).length === 0) {
    throw new InvalidArgumentError("Missing command after HEALTHCHECK CMD");
  }
  return {
    Test: isExec ? ["CMD", ...(exec as string[])] : ["CMD-SHELL", cmd],
    ...hc,
  };
}
