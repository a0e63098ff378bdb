/** The monitor's part of a container's log driver (`--log-driver`, `--log-opt`). */
import type { ContainerRecord } from "./container_store.ts";
import { JOURNAL_SOCKET, logRotation, logTag } from "./logs_config.ts";
import type { PlanLog } from "./plan.ts";

/**
 * How the monitor writes the container's log: the driver, the rotation limits, journald's
 * socket and tag.
 *
 * @example
 * ```ts ignore
 * plan.log = logPlan(rec); // { driver: "json-file", maxSize: 10000000, maxFile: 3 }
 * ```
 */
export function logPlan(rec: ContainerRecord): PlanLog {
  const config = rec.Options.logConfig;
  if (!config) return { driver: "k8s-file" };
  const log: PlanLog = { driver: config.Type };
  const rotation = logRotation(config);
  if (rotation && (config.Type === "k8s-file" || config.Type === "json-file")) {
    log.maxSize = rotation.maxSize;
    log.maxFile = rotation.maxFile;
  }
  if (config.Type === "journald") {
    log.journalSocket = JOURNAL_SOCKET;
    log.tag = logTag(config.Config.tag, {
      id: rec.Id,
      name: rec.Name,
      imageName: rec.ImageName,
      imageId: rec.Image,
    });
  }
  return log;
}
