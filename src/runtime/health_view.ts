/** A container's health as `ps` and `inspect` show it, read from its state directory. */
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
import { type ContainerRecord, containerRunDir, type ContainerState } from "./container_store.ts";
import { type HealthConfig, resolveHealth } from "./health_config.ts";
import { type Health, HEALTH_FILE, publicHealth, readHealth } from "./health_state.ts";
import { isSupervised } from "./status.ts";

/**
 * The container's State.Health: undefined without a check or before its first start; while
 * it runs, this run's health ("starting" until a result); after it, the last one recorded.
 *
 * @example
 * ```ts ignore
 * const h = await containerHealth(store, rec, state); // h?.Status === "healthy"
 * ```
 */
export async function containerHealth(
  store: Store,
  rec: ContainerRecord,
  state: ContainerState,
  host: Host = realHost,
): Promise<Health | undefined> {
  if (!resolveHealth(rec.ImageConfig.Healthcheck, rec.Options.health)) return undefined;
  const runDir = containerRunDir(store, rec.Id);
  if (isSupervised(state.Status)) {
    return publicHealth(await readHealth(runDir, state.StartedAt, host));
  }
  const text = await host.readTextFile(`${runDir}/${HEALTH_FILE}`).catch(() => "");
  try {
    return publicHealth(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * Config.Healthcheck as Docker's inspect shows it: the flags' values over the image's;
 * undefined when neither has one.
 *
 * @example
 * ```ts ignore
 * configHealthcheck(rec); // { Test: ["CMD-SHELL", "true"], Interval: 200000000 }
 * ```
 */
export function configHealthcheck(rec: ContainerRecord): HealthConfig | undefined {
  const user = rec.Options.health?.healthcheck;
  const img = rec.ImageConfig.Healthcheck ?? undefined;
  if (!user) return img ?? undefined;
  if (!img) return user;
  const merged: HealthConfig = { ...img };
  if (user.Test?.length) merged.Test = user.Test;
  for (const k of ["Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"] as const) {
    if (user[k]) merged[k] = user[k];
  }
  return merged;
}
