/**
 * Runs one health check inside a running container (as `exec` does, with the container's
 * user, environment and working directory) and captures its output, killed when it runs
 * past the check's timeout, as Docker's daemon runs a CMD or CMD-SHELL probe.
 */
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import type { ContainerRecord } from "./container_store.ts";
import { buildExecPlan } from "./exec.ts";
import type { ResolvedHealth } from "./health_config.ts";
import { HEALTH_OUTPUT_MAX, type HealthResult } from "./health_state.ts";
import { monitorPath } from "./monitor_client.ts";
import { serializeExecPlan } from "./plan_format.ts";

/**
 * Go's time.Duration text of a whole number of milliseconds ("200ms", "30s", "1m30s").
 *
 * @example
 * ```ts
 * goDuration(90_000); // "1m30s"
 * ```
 */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${s}s`;
}

const decoder = new TextDecoder();

/**
 * Runs `cfg.command` in the container whose first process is `pid`; the result has Docker's
 * shape (ExitCode -1 and "Health check exceeded timeout (30s)" when it ran out of time).
 *
 * @example
 * ```ts ignore
 * const r = await runHealthCommand(store, rec, state.Pid, cfg); // r.ExitCode === 0: healthy
 * ```
 */
export async function runHealthCommand(
  store: Store,
  rec: ContainerRecord,
  pid: number,
  cfg: Pick<ResolvedHealth, "command" | "timeoutMs">,
  host: Host = realHost,
): Promise<HealthResult> {
  const start = new Date(host.now()).toISOString();
  const plan = await buildExecPlan(store, rec, pid, {
    cmd: cfg.command,
    detach: false,
    interactive: false,
    tty: false,
    env: [],
    privileged: false,
  }, { host });
  const out = await host.run(monitorPath(), {
    args: ["exec", "-"],
    env: { SKIFF_EXEC_PLAN: serializeExecPlan(plan) },
    timeoutMs: cfg.timeoutMs,
  });
  const end = new Date(host.now()).toISOString();
  if (out.timedOut) {
    return {
      Start: start,
      End: end,
      ExitCode: -1,
      Output: `Health check exceeded timeout (${goDuration(cfg.timeoutMs)})`,
    };
  }
  const text = decoder.decode(out.stdout) + decoder.decode(out.stderr);
  return {
    Start: start,
    End: end,
    ExitCode: out.signal ? -1 : out.code,
    Output: text.length > HEALTH_OUTPUT_MAX ? text.slice(0, HEALTH_OUTPUT_MAX) : text,
  };
}
