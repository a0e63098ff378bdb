/**
 * Container events as Docker words them: the actor is the container, its attributes are its
 * labels plus `image` and `name` (and what the action adds: `exitCode`, `signal`, `oldName`,
 * `execID`). The `die` event's line is prepared here for the monitor, which only adds the exit
 * code and the time (ffi/src/monitor_event.c).
 *
 * @module
 */
import {
  appendEvent,
  eventLine,
  eventLogPath,
  type EventRecord,
  nowNano,
} from "../store/events.ts";
import type { Store } from "../store/store.ts";
import { type Host, realHost } from "../sys/host.ts";
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

/** Where a container's event template lives (beside its record, so rename can rewrite it). */
export function eventTemplatePath(store: Pick<Store, "containers">, id: string): string {
  return `${store.containers}/${id}/event-template`;
}

/** The line of an event stamped later by the monitor: everything before `,"time":`. */
function untimed(line: string): string {
  return line.slice(0, line.lastIndexOf(',"time":'));
}

/**
 * The template the monitor reads when the container exits (ffi/src/monitor_event.c): line 1
 * the die event up to its exit code, line 2 the rest (up to `,"time":`), line 3 with `--rm`
 * the destroy event (up to `,"time":`), else empty; line 4 the start event it writes when the
 * restart policy runs the container again, line 5 the oom event it writes before the die of a
 * run the kernel killed for memory (both up to `,"time":`), as Docker's daemon writes them.
 *
 * @example
 * ```ts
 * const rec = { Id: "c".repeat(64), Name: "web", ImageName: "busybox", Labels: {} };
 * eventTemplate(rec, false).split("\n")[0].endsWith('"exitCode":"'); // true
 * ```
 */
export function eventTemplate(rec: EventContainer, autoRemove: boolean): string {
  const line = eventLine(containerEvent(rec, "die", { exitCode: "\u0001" }, 0n));
  // only a key can appear unescaped as `"exitCode":"` (quotes in values are escaped)
  const key = '"exitCode":"\\u0001"';
  const at = line.indexOf(key) + '"exitCode":"'.length;
  const destroy = autoRemove ? untimed(eventLine(containerEvent(rec, "destroy", {}, 0n))) : "";
  const start = untimed(eventLine(containerEvent(rec, "start", {}, 0n)));
  const oom = untimed(eventLine(containerEvent(rec, "oom", {}, 0n)));
  return `${line.slice(0, at)}\n${untimed(line).slice(at + "\\u0001".length)}\n${destroy}\n` +
    `${start}\n${oom}\n`;
}

/**
 * Writes (atomically) the container's event template; done at start and at rename, so that
 * the monitor's die names the container as it is called when it exits.
 *
 * @example
 * ```ts ignore
 * await writeEventTemplate(store, rec);
 * ```
 */
export async function writeEventTemplate(
  store: Pick<Store, "containers">,
  rec: EventContainer & { Options: { autoRemove?: boolean } },
  host: Pick<Host, "writeFileAtomic"> = realHost,
): Promise<string> {
  const path = eventTemplatePath(store, rec.Id);
  await host.writeFileAtomic(path, eventTemplate(rec, rec.Options.autoRemove === true));
  return path;
}

/** The plan's `die-event`: the store's event log and the container's template. */
export function dieEventPlan(
  store: Pick<Store, "root" | "containers">,
  id: string,
): { log: string; template: string } {
  return { log: eventLogPath(store), template: eventTemplatePath(store, id) };
}

/**
 * Appends a volume event for what starting a container did to its volumes (`create` of one
 * made for it, `mount`); an event that cannot be written does not fail the start.
 *
 * @example
 * ```ts ignore
 * await volumeEventAtStart(store, "mount", "data", { container: id, destination: "/data" });
 * ```
 */
export async function volumeEventAtStart(
  store: Pick<Store, "root">,
  action: "create" | "mount",
  name: string,
  attrs: Record<string, string> = {},
): Promise<void> {
  const timeNano = nowNano();
  const all: Record<string, string> = { driver: "local", ...attrs };
  const Attributes = Object.fromEntries(
    Object.entries(all).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  await appendEvent(store, {
    Type: "volume",
    Action: action,
    Actor: { ID: name, Attributes },
    scope: "local",
    time: Number(timeNano / 1_000_000_000n),
    timeNano,
  }).catch(() => {});
}
