/**
 * A container's health as Docker's `State.Health` shows it ({Status, FailingStreak, Log: the
 * last five results}), kept in the container's state directory (health.json, written
 * atomically under a lock), and how one check's result moves it, as Docker's daemon does.
 */
import { withLock } from "../store/lock.ts";
import { type Host, realHost } from "../sys/host.ts";
import type { ResolvedHealth } from "./health_config.ts";

/** The file in the container's state directory. */
export const HEALTH_FILE = "health.json";
/** How many results are kept (Docker's maxLogEntries). */
export const HEALTH_LOG_ENTRIES = 5;
/** How much of a check's output is kept (Docker's maxOutputLen). */
export const HEALTH_OUTPUT_MAX = 4096;

/** Docker's health statuses. */
export type HealthStatus = "starting" | "healthy" | "unhealthy";

/** One check's result, as Docker's HealthcheckResult. */
export interface HealthResult {
  Start: string;
  End: string;
  /** 0 healthy, else failing; -1 when it could not be run or ran out of time. */
  ExitCode: number;
  Output: string;
}

/** Docker's State.Health. */
export interface Health {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthResult[];
}

/** What health.json holds: the health, and the start of the run it belongs to. */
export interface HealthRecord extends Health {
  /** State.StartedAt of the run these results are about; another run starts afresh. */
  RunStartedAt: string;
}

/** A new run's health: starting, no results. */
export function startingHealth(runStartedAt: string): HealthRecord {
  return { Status: "starting", FailingStreak: 0, Log: [], RunStartedAt: runStartedAt };
}

/**
 * Moves `prev` by one result, as Docker's daemon: a pass makes it healthy and ends the
 * streak; a failure adds to the streak (not while still starting inside the start period)
 * and makes it unhealthy once the streak reaches the retries. Keeps the last five results.
 *
 * @example
 * ```ts ignore
 * applyResult(startingHealth(t), { Start, End, ExitCode: 0, Output: "" }, cfg, Date.parse(t));
 * // { Status: "healthy", FailingStreak: 0, ... }
 * ```
 */
export function applyResult(
  prev: HealthRecord,
  result: HealthResult,
  cfg: Pick<ResolvedHealth, "retries" | "startPeriodMs">,
  runStartedMs: number,
): HealthRecord {
  const next: HealthRecord = {
    ...prev,
    Log: [...prev.Log, result].slice(-HEALTH_LOG_ENTRIES),
  };
  if (result.ExitCode === 0) {
    next.Status = "healthy";
    next.FailingStreak = 0;
    return next;
  }
  const inStartPeriod = prev.Status === "starting" &&
    Date.parse(result.Start) - runStartedMs < cfg.startPeriodMs;
  if (inStartPeriod) return next;
  next.FailingStreak = prev.FailingStreak + 1;
  if (next.FailingStreak >= cfg.retries) next.Status = "unhealthy";
  return next;
}

/**
 * The health recorded in `stateDir` for the run that started at `runStartedAt`: starting
 * when nothing was recorded for that run yet.
 *
 * @example
 * ```ts ignore
 * const h = await readHealth(runDir, state.StartedAt); // h.Status
 * ```
 */
export async function readHealth(
  stateDir: string,
  runStartedAt: string,
  host: Host = realHost,
): Promise<HealthRecord> {
  const text = await host.readTextFile(`${stateDir}/${HEALTH_FILE}`).catch(() => "");
  try {
    const h = JSON.parse(text) as HealthRecord;
    if (h.RunStartedAt === runStartedAt && Array.isArray(h.Log)) return h;
  } catch {
    // absent or torn: nothing recorded
  }
  return startingHealth(runStartedAt);
}

/**
 * Records one result: read, moved by `applyResult`, written atomically, all under the state
 * directory's health lock (a check the monitor started and one run by hand do not lose each
 * other's results). Returns the new health.
 *
 * @example
 * ```ts ignore
 * const h = await recordHealth(runDir, state.StartedAt, result, cfg);
 * ```
 */
export function recordHealth(
  stateDir: string,
  runStartedAt: string,
  result: HealthResult,
  cfg: Pick<ResolvedHealth, "retries" | "startPeriodMs">,
  host: Host = realHost,
): Promise<HealthRecord> {
  return withLock(`${stateDir}/health.lock`, async () => {
    const prev = await readHealth(stateDir, runStartedAt, host);
    const next = applyResult(prev, result, cfg, Date.parse(runStartedAt));
    await host.writeFileAtomic(`${stateDir}/${HEALTH_FILE}`, JSON.stringify(next) + "\n");
    return next;
  });
}

/** State.Health as inspect shows it (without skiff's bookkeeping). */
export function publicHealth(h: HealthRecord): Health {
  return { Status: h.Status, FailingStreak: h.FailingStreak, Log: h.Log };
}
