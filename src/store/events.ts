/**
 * The event log: one JSON line per event (Docker's `events` message, field for field) in
 * `<root>/events/events.log`, appended in one `write` on an `O_APPEND` descriptor so that any
 * number of writers (skiff processes and container monitors) never interleave. When the file
 * passes its cap it becomes `events.log.1` (the one previous file kept) under a lock, so the
 * log never holds more than about twice the cap.
 *
 * @module
 */
import { withLock } from "./lock.ts";
import type { Store } from "./store.ts";

/** The size past which the current file is rotated (bytes). */
export const EVENT_LOG_CAP = 1024 * 1024;

/** One event as Docker's API gives it (`events.Message`); `timeNano` stays exact as a bigint. */
export interface EventRecord {
  /** Legacy field: the action (containers and images only). */
  status?: string;
  /** Legacy field: the actor's id (containers and images only). */
  id?: string;
  /** Legacy field: the container's image (containers only). */
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: "local";
  time: number;
  timeNano: bigint;
}

/** The current event file of a store. */
export function eventLogPath(store: Pick<Store, "root">): string {
  return `${store.root}/events/events.log`;
}

/** Nanoseconds since the epoch, as precise as the clock gives (microseconds here). */
export function nowNano(): bigint {
  const us = Math.round((performance.timeOrigin + performance.now()) * 1000);
  return BigInt(us) * 1000n;
}

/**
 * One event as its log line (with its newline), in Docker's field order.
 *
 * @example
 * ```ts
 * const line = eventLine({
 *   Type: "volume", Action: "create", Actor: { ID: "v", Attributes: { driver: "local" } },
 *   scope: "local", time: 1, timeNano: 1000000000n,
 * });
 * // '{"Type":"volume","Action":"create","Actor":{"ID":"v","Attributes":{"driver":"local"}},"scope":"local","time":1,"timeNano":1000000000}\n'
 * ```
 */
export function eventLine(ev: EventRecord): string {
  const head: Record<string, string> = {};
  if (ev.status !== undefined) head.status = ev.status;
  if (ev.id !== undefined) head.id = ev.id;
  if (ev.from !== undefined) head.from = ev.from;
  const body = JSON.stringify({
    ...head,
    Type: ev.Type,
    Action: ev.Action,
    Actor: ev.Actor,
    scope: ev.scope,
    time: ev.time,
  });
  return `${body.slice(0, -1)},"timeNano":${ev.timeNano}}\n`;
}

/**
 * Parses one log line; undefined for a line that is not an event (a torn line after a crash).
 *
 * @example
 * ```ts
 * parseEventLine('{"Type":"volume","Action":"create","Actor":{"ID":"v","Attributes":{}},"scope":"local","time":1,"timeNano":1000000001}')
 *   ?.timeNano; // 1000000001n
 * ```
 */
export function parseEventLine(line: string): EventRecord | undefined {
  const nano = /"timeNano":(\d+)\}\s*$/.exec(line);
  if (!nano) return undefined;
  try {
    const ev = JSON.parse(line) as EventRecord;
    if (typeof ev.Type !== "string" || typeof ev.Action !== "string" || !ev.Actor) {
      return undefined;
    }
    ev.Actor.Attributes ??= {};
    return { ...ev, timeNano: BigInt(nano[1]) };
  } catch {
    return undefined;
  }
}

/**
 * Appends one event to the store's log in a single write, rotating the file first when it
 * would pass `cap`.
 *
 * @example
 * ```ts ignore
 * await appendEvent(store, { Type: "volume", Action: "create", ... });
 * ```
 */
export async function appendEvent(
  store: Pick<Store, "root">,
  ev: EventRecord,
  cap = EVENT_LOG_CAP,
): Promise<void> {
  const path = eventLogPath(store);
  const data = new TextEncoder().encode(eventLine(ev));
  const size = await Deno.stat(path).then((s) => s.size, () => -1);
  if (size < 0) await Deno.mkdir(`${store.root}/events`, { recursive: true, mode: 0o700 });
  if (size + data.length > cap) await rotate(store, cap - data.length);
  const file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
  try {
    // one write(2): with O_APPEND a line of a few KiB never interleaves with another writer's
    let done = await file.write(data);
    while (done < data.length) done += await file.write(data.subarray(done));
  } finally {
    file.close();
  }
}

/** Renames the current file to `events.log.1` unless another writer already did. */
async function rotate(store: Pick<Store, "root">, limit: number): Promise<void> {
  const path = eventLogPath(store);
  await withLock(`${store.root}/events/events.lock`, async () => {
    const size = await Deno.stat(path).then((s) => s.size, () => 0);
    if (size > limit) await Deno.rename(path, `${path}.1`);
  });
}

/**
 * Every event in the log, oldest first (the previous file, then the current one).
 *
 * @example
 * ```ts ignore
 * const { events, offset } = await readEventLog(store);
 * ```
 */
export async function readEventLog(
  store: Pick<Store, "root">,
): Promise<{ events: EventRecord[]; position: LogPosition }> {
  const path = eventLogPath(store);
  const events: EventRecord[] = [];
  const old = await Deno.readTextFile(`${path}.1`).catch(() => "");
  for (const line of old.split("\n")) {
    const ev = parseEventLine(line);
    if (ev) events.push(ev);
  }
  const more = await readEventsFrom(store, { ino: -1, offset: 0 });
  return { events: [...events, ...more.events], position: more.position };
}

/** Where a follower has read up to: the current file's inode and the offset in it. */
export interface LogPosition {
  ino: number;
  offset: number;
}

/**
 * The whole lines appended to the current file since `pos`; when the file was rotated since,
 * the rest of the previous file comes first.
 *
 * @example
 * ```ts ignore
 * const next = await readEventsFrom(store, pos);
 * ```
 */
export async function readEventsFrom(
  store: Pick<Store, "root">,
  pos: LogPosition,
): Promise<{ events: EventRecord[]; position: LogPosition }> {
  const path = eventLogPath(store);
  const events: EventRecord[] = [];
  let ino = await Deno.stat(path).then((s) => s.ino ?? 0, () => -1);
  let offset = pos.offset;
  if (pos.ino !== -1 && ino !== pos.ino) {
    // rotated: finish the previous file (it is events.log.1 now if it still exists)
    const prev = await Deno.stat(`${path}.1`).then((s) => s.ino ?? 0, () => -1);
    if (prev === pos.ino) {
      const rest = await readFrom(`${path}.1`, offset);
      for (const line of rest.lines) {
        const ev = parseEventLine(line);
        if (ev) events.push(ev);
      }
    }
    offset = 0;
  }
  if (ino === -1) return { events, position: { ino: pos.ino === -1 ? -1 : 0, offset: 0 } };
  const got = await readFrom(path, offset);
  for (const line of got.lines) {
    const ev = parseEventLine(line);
    if (ev) events.push(ev);
  }
  if (got.ino !== undefined) ino = got.ino;
  return { events, position: { ino, offset: got.offset } };
}

/** Whole lines of a file from `offset`; the offset after the last newline. */
async function readFrom(
  path: string,
  offset: number,
): Promise<{ lines: string[]; offset: number; ino?: number }> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch {
    return { lines: [], offset };
  }
  try {
    const st = await file.stat();
    // a file shorter than our offset was replaced (a store reset): read it from the start
    if (st.size < offset) offset = 0;
    if (st.size === offset) return { lines: [], offset, ino: st.ino ?? 0 };
    await file.seek(offset, Deno.SeekMode.Start);
    const buf = new Uint8Array(st.size - offset);
    let n = 0;
    while (n < buf.length) {
      const r = await file.read(buf.subarray(n));
      if (r === null) break;
      n += r;
    }
    const end = buf.subarray(0, n).lastIndexOf(10);
    if (end < 0) return { lines: [], offset, ino: st.ino ?? 0 };
    const text = new TextDecoder().decode(buf.subarray(0, end));
    return { lines: text.split("\n"), offset: offset + end + 1, ino: st.ino ?? 0 };
  } finally {
    file.close();
  }
}
