/**
 * Container events as Docker words them: the actor is the container, its attributes are its
 * labels plus `image` and `name` (and what the action adds: `exitCode`, `signal`, `oldName`,
 * `execID`). The `die` event's line is prepared here for the monitor, which only adds the exit
 * code and the time (ffi/src/monitor_event.c).
 *
 * @module
 */
import { eventLine, eventLogPath, type EventRecord, nowNano } from "../store/events.ts";
import type { Store } from "../store/store.ts";
import type { ContainerRecord } from "./container_store.ts";

/** The container fields an event names. */
export type EventContainer = Pick<ContainerRecord, "Id" | "Name" | "ImageName" | "Labels">;

/** Attributes with sorted keys, as Go's JSON writes a map. */
function sorted(attrs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A container event for `rec`, stamped now.
 *
 * @example
 * ```ts
 * const rec = { Id: "c".repeat(64), Name: "web", ImageName: "busybox", Labels: { app: "x" } };
 * containerEvent(rec, "start").Actor.Attributes; // { app: "x", image: "busybox", name: "web" }
 * ```
 */
export function containerEvent(
  rec: EventContainer,
  action: string,
  extra: Record<string, string> = {},
  timeNano: bigint = nowNano(),
): EventRecord {
  return {
    status: action,
    id: rec.Id,
    from: rec.ImageName,
    Type: "container",
    Action: action,
    Actor: {
      ID: rec.Id,
      Attributes: sorted({ ...rec.Labels, image: rec.ImageName, name: rec.Name, ...extra }),
    },
    scope: "local",
    time: Number(timeNano / 1_000_000_000n),
    timeNano,
  };
}

/**
 * The plan's `die-event`: the store's event log and the die event's line split around its exit
 * code, ending before `,"time":` (the monitor writes the time itself).
 *
 * @example
 * ```ts
 * const rec = { Id: "c".repeat(64), Name: "web", ImageName: "busybox", Labels: {} };
 * const die = dieEventPlan({ root: "/var/lib/skiff" }, rec);
 * die.prefix.endsWith('"exitCode":"'); // true
 * ```
 */
export function dieEventPlan(
  store: Pick<Store, "root">,
  rec: EventContainer,
): { log: string; prefix: string; suffix: string } {
  const line = eventLine(containerEvent(rec, "die", { exitCode: "\u0001" }, 0n));
  // only a key can appear unescaped as `"exitCode":"` (quotes in values are escaped)
  const key = '"exitCode":"\\u0001"';
  const at = line.indexOf(key) + '"exitCode":"'.length;
  const end = line.lastIndexOf(',"time":');
  return {
    log: eventLogPath(store),
    prefix: line.slice(0, at),
    suffix: line.slice(at + "\\u0001".length, end),
  };
}
