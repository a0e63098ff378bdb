/**
 * `healthcheck run`: one health check of a running container now, recorded in its state
 * directory as the monitor's scheduled checks are, and the `--health-on-failure` action
 * (kill, restart or stop, as Podman has it) once the container is unhealthy.
 *
 * @module
 */
import { FailedPreconditionError } from "../errors.ts";
import { openStore } from "../store/store.ts";
import { containerRunDir, findContainer } from "../runtime/container_store.ts";
import { resolveHealth } from "../runtime/health_config.ts";
import { runHealthCommand } from "../runtime/health_exec.ts";
import { type HealthStatus, recordHealth } from "../runtime/health_state.ts";
import { currentState } from "../runtime/state.ts";
import type { StoreOptions } from "./engine_types.ts";
import { killContainers, restartContainers, stopContainers } from "./container_lifecycle.ts";

/**
 * Runs the named container's health check once and returns its health afterwards; an
 * unhealthy container then gets its on-failure action.
 *
 * @example
 * ```ts ignore
 * const status = await runHealthcheck({}, "web"); // "healthy"
 * ```
 */
export async function runHealthcheck(where: StoreOptions, name: string): Promise<HealthStatus> {
  const store = await openStore(where);
  const rec = await findContainer(store, name);
  const cfg = resolveHealth(rec.ImageConfig.Healthcheck, rec.Options.health);
  if (!cfg) throw new FailedPreconditionError(`container ${rec.Id} has no defined healthcheck`);
  const state = await currentState(store, rec);
  if (state.Status !== "running" || state.Pid <= 0) {
    throw new FailedPreconditionError(`container ${rec.Id} is not running`);
  }
  const result = await runHealthCommand(store, rec, state.Pid, cfg);
  const runDir = containerRunDir(store, rec.Id);
  const health = await recordHealth(runDir, state.StartedAt, result, cfg);
  if (health.Status === "unhealthy" && cfg.onFailure !== "none") {
    const act = {
      kill: () => killContainers(where, [rec.Id], "KILL"),
      stop: () => stopContainers(where, [rec.Id], {}),
      restart: () => restartContainers(where, [rec.Id], {}),
    }[cfg.onFailure];
    const [report] = await act();
    if (report && !report.ok) throw report.error;
  }
  return health.Status;
}
