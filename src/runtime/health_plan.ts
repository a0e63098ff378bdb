/** The monitor's part of a container's health check: its schedule and the command it runs. */
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import type { ContainerRecord } from "./container_store.ts";
import { resolveHealth } from "./health_config.ts";
import type { PlanHealth } from "./plan.ts";
import { skiffArgv } from "./self.ts";

/**
 * The schedule for the launch plan: `skiff healthcheck run ID` (this skiff, this store) every
 * interval; undefined when the container has no check.
 *
 * @example
 * ```ts ignore
 * plan.health = healthPlan(store, rec);
 * ```
 */
export function healthPlan(
  store: Store,
  rec: ContainerRecord,
  host: Host = realHost,
): PlanHealth | undefined {
  const h = resolveHealth(rec.ImageConfig.Healthcheck, rec.Options.health);
  if (!h) return undefined;
  return {
    intervalMs: h.intervalMs,
    startPeriodMs: h.startPeriodMs,
    startIntervalMs: h.startPeriodMs > 0 ? h.startIntervalMs : 0,
    command: [...skiffArgv(store, host), "healthcheck", "run", rec.Id],
  };
}
