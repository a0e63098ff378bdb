/**
 * A container's health check as Docker configures it: the `--health-*` flags and the image's
 * `HEALTHCHECK` (`Healthcheck` in its config: `Test` ["CMD", ...], ["CMD-SHELL", cmd] or
 * ["NONE"], durations in nanoseconds), merged as Docker's daemon merges them, with Docker's
 * messages for bad values.
 */
import { InvalidArgumentError } from "../errors.ts";
import { parseDuration } from "../units.ts";

/** Docker's `HealthConfig` (durations in nanoseconds; 0 or absent: inherited or default). */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** What a container does when it becomes unhealthy (`--health-on-failure`, as Podman). */
export type HealthOnFailure = "none" | "kill" | "restart" | "stop";

/** The health options of `run` and `create`, kept in the container's record. */
export interface HealthOptions {
  /** From the flags; ["NONE"] for --no-healthcheck; absent: the image's. */
  healthcheck?: HealthConfig;
  /** --health-on-failure; absent: none. */
  onFailure?: HealthOnFailure;
}

/** A check ready to run, in milliseconds. */
export interface ResolvedHealth {
  /** The command: exec form, or ["/bin/sh", "-c", cmd] for CMD-SHELL. */
  command: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
  onFailure: HealthOnFailure;
}

const NS_PER_MS = 1_000_000;
/** Docker's defaults when neither the flags nor the image set a value. */
export const HEALTH_DEFAULTS = {
  intervalMs: 30_000,
  timeoutMs: 30_000,
  startPeriodMs: 0,
  startIntervalMs: 5_000,
  retries: 3,
};

/** The `--health-*` flags as given (durations as Go durations). */
export interface HealthFlags {
  cmd?: string;
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  startInterval?: string;
  retries?: number;
  noHealthcheck?: boolean;
  onFailure?: string;
}

const ON_FAILURE: HealthOnFailure[] = ["none", "kill", "restart", "stop"];

/**
 * Turns the flags into HealthOptions with Docker's CLI and daemon messages: negative values,
 * durations under 1ms, --no-healthcheck with other --health-* flags.
 *
 * @example
 * ```ts
 * healthFromFlags({ cmd: "true", interval: "1s" });
 * // { healthcheck: { Test: ["CMD-SHELL", "true"], Interval: 1000000000, ... } }
 * ```
 */
export function healthFromFlags(f: HealthFlags): HealthOptions {
  const out: HealthOptions = {};
  if (f.onFailure !== undefined) {
    if (!ON_FAILURE.includes(f.onFailure as HealthOnFailure)) {
      throw new InvalidArgumentError(
        `invalid on-failure action "${f.onFailure}" for health check: supported actions are: none, kill, restart, stop`,
      );
    }
    out.onFailure = f.onFailure as HealthOnFailure;
  }
  const durations = {
    interval: ["Interval", f.interval],
    timeout: ["Timeout", f.timeout],
    "start-period": ["StartPeriod", f.startPeriod],
    "start-interval": ["StartInterval", f.startInterval],
  } as const;
  const some = f.cmd !== undefined || f.retries !== undefined ||
    Object.values(durations).some(([, v]) => v !== undefined);
  if (f.noHealthcheck) {
    if (some) throw new InvalidArgumentError("--no-healthcheck conflicts with --health-* options");
    out.healthcheck = { Test: ["NONE"] };
    return out;
  }
  if (!some) return out;
  const hc: HealthConfig = {};
  if (f.cmd) hc.Test = ["CMD-SHELL", f.cmd];
  for (const [flag, [key, value]] of Object.entries(durations)) {
    if (value === undefined) continue;
    const ms = parseDuration(value);
    if (ms < 0) throw new InvalidArgumentError(`--health-${flag} cannot be negative`);
    hc[key] = Math.round(ms * NS_PER_MS);
  }
  if (f.retries !== undefined) {
    if (f.retries < 0) throw new InvalidArgumentError("--health-retries cannot be negative");
    hc.Retries = f.retries;
  }
  checkHealthConfig(hc);
  out.healthcheck = hc;
  return out;
}

/**
 * Docker daemon's checks of a HealthConfig: a duration that is set is at least 1ms, retries
 * are not negative.
 *
 * @example
 * ```ts ignore
 * checkHealthConfig({ Interval: 1000 }); // throws "Interval in Healthcheck cannot be less than 1ms"
 * ```
 */
export function checkHealthConfig(hc: HealthConfig): void {
  for (const key of ["Interval", "Timeout", "StartPeriod", "StartInterval"] as const) {
    const v = hc[key] ?? 0;
    if (v !== 0 && v < NS_PER_MS) {
      throw new InvalidArgumentError(`${key} in Healthcheck cannot be less than 1ms`);
    }
  }
  if ((hc.Retries ?? 0) < 0) {
    throw new InvalidArgumentError("Retries in Healthcheck cannot be negative");
  }
}

/**
 * The check a container runs: the flags' values over the image's (a flag left unset takes
 * the image's, as Docker merges them), defaults for the rest; undefined when there is none
 * (no Test anywhere, ["NONE"], or --no-healthcheck).
 *
 * @example
 * ```ts
 * resolveHealth({ Test: ["CMD", "true"], Interval: 5e9 }, { healthcheck: { Retries: 1 } });
 * // { command: ["true"], intervalMs: 5000, retries: 1, ... }
 * ```
 */
export function resolveHealth(
  image: HealthConfig | null | undefined,
  options: HealthOptions | undefined,
): ResolvedHealth | undefined {
  const user = options?.healthcheck ?? {};
  const img = image ?? {};
  const test = user.Test?.length ? user.Test : img.Test;
  if (!test || test.length === 0 || test[0] === "NONE") return undefined;
  let command: string[];
  if (test[0] === "CMD") command = test.slice(1);
  else if (test[0] === "CMD-SHELL") command = ["/bin/sh", "-c", test.slice(1).join(" ")];
  else return undefined;
  if (command.length === 0) return undefined;
  const pick = (key: "Interval" | "Timeout" | "StartPeriod" | "StartInterval", def: number) => {
    const ns = user[key] || img[key] || 0;
    return ns > 0 ? Math.max(1, Math.round(ns / NS_PER_MS)) : def;
  };
  return {
    command,
    intervalMs: pick("Interval", HEALTH_DEFAULTS.intervalMs),
    timeoutMs: pick("Timeout", HEALTH_DEFAULTS.timeoutMs),
    startPeriodMs: pick("StartPeriod", HEALTH_DEFAULTS.startPeriodMs),
    startIntervalMs: pick("StartInterval", HEALTH_DEFAULTS.startIntervalMs),
    retries: user.Retries || img.Retries || HEALTH_DEFAULTS.retries,
    onFailure: options?.onFailure ?? "none",
  };
}
