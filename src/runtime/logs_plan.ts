/** The monitor's part of a container's log driver (`--log-driver`, `--log-opt`). */
import type { ContainerRecord } from "./container_store.ts";
import { JOURNAL_SOCKET, logRotation, logTag } from "./logs_config.ts";
import type { PlanLog } from "./plan.ts";

/**
 * How the monitor writes the container's log: the driver, the rotation limits, journald's
 * socket and tag, json-file's tag.
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
  const tag = () =>
    logTag(config.Config.tag, {
      id: rec.Id,
      name: rec.Name,
      imageName: rec.ImageName,
      imageId: rec.Image,
    });
  if (config.Type === "journald") {
    log.journalSocket = JOURNAL_SOCKET;
    log.tag = tag();
  }
  // json-file: Docker's "attrs":{"tag":..} only when a tag was asked for; the monitor puts it
  // in each record as given here (JSON-escaped, at most 256 characters)
  if (config.Type === "json-file" && config.Config.tag) {
    log.tag = JSON.stringify([...tag()].slice(0, 256).join("")).slice(1, -1);
  }
  return log;
}
