/**
 * Events without a daemon: every verb appends what it did to the store's event log
 * (src/store/events.ts), each container's monitor appends its `die`, and `events` reads the
 * log back, filtered as Docker's daemon filters, then follows it.
 *
 * Other verbs call {@linkcode emitEvent} or one of its typed forms; an event that cannot be
 * written never fails the verb that made it.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import {
  appendEvent,
  type EventRecord,
  type LogPosition,
  nowNano,
  readEventLog,
  readEventsFrom,
} from "../store/events.ts";
import { openStore, type Store } from "../store/store.ts";
import { containerEvent, type EventContainer } from "../runtime/container_events.ts";
import { parseTimestamp } from "../units.ts";
import type { StoreOptions } from "./engine_types.ts";
import { type Filters, parseFilters } from "./filters.ts";

export type { EventRecord };

/**
 * Appends an event to the store's log; a failure is swallowed (an event is not worth failing
 * the verb for).
 *
 * @example
 * ```ts ignore
 * await emitEvent(store, { Type: "volume", Action: "create", Actor: { ID: "v", Attributes: {} }, ... });
 * ```
 */
export async function emitEvent(store: Pick<Store, "root">, ev: EventRecord): Promise<void> {
  try {
    await appendEvent(store, ev);
  } catch {
    // the log is best effort: the verb itself succeeded
  }
}

/** An event of a type with no legacy fields (volume, network), stamped now. */
function plainEvent(type: string, action: string, id: string, attrs: Record<string, string>) {
  const timeNano = nowNano();
  const sorted = Object.fromEntries(
    Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return {
    Type: type,
    Action: action,
    Actor: { ID: id, Attributes: sorted },
    scope: "local" as const,
    time: Number(timeNano / 1_000_000_000n),
    timeNano,
  };
}

/**
 * A container event: create, start, attach, stop, kill (`signal`), pause, unpause, restart,
 * rename (`oldName`), destroy, exec_create/exec_start (`execID`)...
 *
 * @example
 * ```ts ignore
 * await emitContainerEvent(store, rec, "kill", { signal: "15" });
 * ```
 */
export function emitContainerEvent(
  store: Pick<Store, "root">,
  rec: EventContainer,
  action: string,
  extra: Record<string, string> = {},
): Promise<void> {
  return emitEvent(store, containerEvent(rec, action, extra));
}

/**
 * An image event: pull, push, tag, untag, delete, save, load, import. `id` is what Docker
 * names the actor with (a reference for pull/push/tag, the image id for untag/delete).
 *
 * @example
 * ```ts ignore
 * await emitImageEvent(store, "pull", "busybox:latest", "busybox");
 * ```
 */
export function emitImageEvent(
  store: Pick<Store, "root">,
  action: string,
  id: string,
  name: string,
): Promise<void> {
  const ev = plainEvent("image", action, id, { name });
  return emitEvent(store, { status: action, id, ...ev });
}

/**
 * A volume event: create, destroy, mount (`container`, `destination`...), unmount.
 *
 * @example
 * ```ts ignore
 * await emitVolumeEvent(store, "create", "data", { driver: "local" });
 * ```
 */
export function emitVolumeEvent(
  store: Pick<Store, "root">,
  action: string,
  name: string,
  attrs: Record<string, string> = { driver: "local" },
): Promise<void> {
  return emitEvent(store, plainEvent("volume", action, name, attrs));
}

/**
 * A network event: create, destroy, connect and disconnect (these two with the container's
 * id). `network` is the network's id, name and driver.
 *
 * @example
 * ```ts ignore
 * await emitNetworkEvent(store, "connect", { id, name: "net1", driver: "bridge" }, containerId);
 * ```
 */
export function emitNetworkEvent(
  store: Pick<Store, "root">,
  action: string,
  network: { id: string; name: string; driver: string },
  container?: string,
): Promise<void> {
  const attrs: Record<string, string> = { name: network.name, type: network.driver };
  if (container) attrs.container = container;
  return emitEvent(store, plainEvent("network", action, network.id, attrs));
}

/** What `events` asks for. */
export interface EventQuery {
  /** Docker's time forms: RFC 3339, Unix seconds, or a duration before now ("10m"). */
  since?: string;
  /** The same forms; without it the log is followed until `signal` aborts. */
  until?: string;
  /** `--filter key=value` (container, event, image, label, type, volume, network, scope). */
  filters?: readonly string[];
  /** Stops following. */
  signal?: AbortSignal;
  /** How often the log is read again while following (ms). */
  pollMs?: number;
}

const FILTER_KEYS = ["container", "event", "image", "label", "type", "volume", "network", "scope"];
const TYPES = ["container", "image", "volume", "network", "daemon", "plugin", "service", "node"];

/**
 * Whether an event passes Docker's event filters: each key present must match (values of one
 * key are alternatives); container, volume and network match the actor's id or name by
 * prefix; image matches the id or the image's name, with or without its tag.
 *
 * @example
 * ```ts ignore
 * eventMatches(ev, parseFilters(["type=container", "event=die"], ["type", "event"]));
 * ```
 */
export function eventMatches(ev: EventRecord, filters: Filters): boolean {
  const exact = (key: string, ...values: string[]) => {
    const want = filters.get(key);
    return !want || want.some((w) => values.includes(w));
  };
  const fuzzy = (key: string, ...values: string[]) => {
    const want = filters.get(key);
    return !want || want.some((w) => values.some((v) => v !== "" && v.startsWith(w)));
  };
  const attrs = ev.Actor.Attributes;
  const name = attrs.name ?? "";
  const fuzzyEvents = (filters.get("event") ?? []).some((e) =>
    ["health_status", "exec_create", "exec_start"].includes(e)
  );
  const image = ev.Type === "image" ? name : attrs.image ?? "";
  const stripTag = (s: string) => s.replace(/:[^/:@]*$/, "");
  return (fuzzyEvents ? fuzzy("event", ev.Action) : exact("event", ev.Action)) &&
    exact("type", ev.Type) &&
    exact("scope", ev.scope) &&
    fuzzy("container", ev.Actor.ID, name) &&
    fuzzy("volume", ev.Actor.ID, name) &&
    fuzzy("network", ev.Actor.ID, name) &&
    exact("image", ev.Actor.ID, image, stripTag(ev.Actor.ID), stripTag(image)) &&
    (filters.get("label") ?? []).every((l) => {
      const eq = l.indexOf("=");
      return eq < 0 ? Object.hasOwn(attrs, l) : attrs[l.slice(0, eq)] === l.slice(eq + 1);
    });
}

/** The checked query: times in nanoseconds and the parsed filters. */
interface CheckedQuery {
  since?: bigint;
  until?: bigint;
  filters: Filters;
}

/** Checks a query before anything is read; bad input is an InvalidArgumentError. */
function checkQuery(q: EventQuery, now: number): CheckedQuery {
  const nano = (v: string | undefined) =>
    v === undefined || v === "" ? undefined : BigInt(Math.round(parseTimestamp(v, now) * 1000)) *
      1000n;
  const filters = parseFilters(q.filters ?? [], FILTER_KEYS);
  for (const t of filters.get("type") ?? []) {
    if (!TYPES.includes(t)) throw new InvalidArgumentError(`Unknown event type: ${t}`);
  }
  return { since: nano(q.since), until: nano(q.until), filters };
}

/**
 * Reads the event log: the past events `since` (or up to `until` alone), then, without
 * `until` or while `until` is ahead, follows the log as new events are appended. Calls
 * `onEvent` for each matching event, oldest first; resolves when `until` passes or `signal`
 * aborts.
 *
 * @example
 * ```ts ignore
 * await watchEvents({}, { since: "10m", until: "0s" }, (ev) => console.log(ev.Action));
 * ```
 */
export async function watchEvents(
  where: StoreOptions,
  query: EventQuery,
  onEvent: (ev: EventRecord) => void | Promise<void>,
): Promise<void> {
  const q = checkQuery(query, Date.now());
  const store = await openStore(where);
  const inRange = (ev: EventRecord) =>
    (q.since === undefined || ev.timeNano >= q.since) &&
    (q.until === undefined || ev.timeNano <= q.until);
  const send = async (events: EventRecord[]) => {
    for (const ev of events) {
      if (inRange(ev) && eventMatches(ev, q.filters)) await onEvent(ev);
    }
  };
  const { events, position } = await readEventLog(store);
  // Docker replays the past only when a bound is given
  if (q.since !== undefined || q.until !== undefined) await send(events);
  let pos: LogPosition = position;
  const pollMs = query.pollMs ?? 100;
  while (!query.signal?.aborted) {
    if (q.until !== undefined && nowNano() > q.until) break;
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        query.signal?.removeEventListener("abort", wake);
        resolve();
      };
      const timer = setTimeout(wake, pollMs);
      query.signal?.addEventListener("abort", wake);
    });
    const more = await readEventsFrom(store, pos);
    pos = more.position;
    await send(more.events);
  }
}
