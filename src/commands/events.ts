/** `skiff events` / `skiff system events`: the store's events, as `docker events` prints them. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { events as spec } from "../cli/table.ts";
import { parseTemplate } from "../cli/template.ts";
import { type EventRecord, watchEvents } from "../engine/events.ts";
import { exitOne } from "./exit_codes.ts";

/** A time as Go's RFC3339NanoFixed in the local zone ("Z" in UTC). */
export function eventTime(
  timeNano: bigint,
  date = new Date(Number(timeNano / 1_000_000n)),
): string {
  const off = -date.getTimezoneOffset();
  const local = new Date(date.getTime() + off * 60_000);
  const frac = String(timeNano % 1_000_000_000n).padStart(9, "0");
  const zone = off === 0
    ? "Z"
    : `${off < 0 ? "-" : "+"}${String(Math.floor(Math.abs(off) / 60)).padStart(2, "0")}:${
      String(Math.abs(off) % 60).padStart(2, "0")
    }`;
  return `${local.toISOString().slice(0, 19)}.${frac}${zone}`;
}

/**
 * One event as `docker events` prints it by default:
 * `TIME TYPE ACTION ACTOR-ID (key=value, ...)`, attributes sorted by key.
 *
 * @example
 * ```ts
 * eventLine({ Type: "volume", Action: "create", Actor: { ID: "v", Attributes: { driver: "local" } },
 *   scope: "local", time: 0, timeNano: 5n }).endsWith(" volume create v (driver=local)"); // true
 * ```
 */
export function eventLine(ev: EventRecord): string {
  const attrs = Object.keys(ev.Actor.Attributes).sort().map((k) =>
    `${k}=${ev.Actor.Attributes[k]}`
  );
  const head = `${eventTime(ev.timeNano)} ${ev.Type} ${ev.Action} ${ev.Actor.ID}`;
  return attrs.length ? `${head} (${attrs.join(", ")})` : head;
}

/** The value templates see: Go's field names, Docker's JSON names for `{{json .}}`. */
export class EventView {
  Status: string;
  ID: string;
  From: string;
  Type: string;
  Action: string;
  Actor: EventRecord["Actor"];
  Scope: string;
  Time: number;
  TimeNano: bigint;
  #ev: EventRecord;

  constructor(ev: EventRecord) {
    this.#ev = ev;
    this.Status = ev.status ?? "";
    this.ID = ev.id ?? "";
    this.From = ev.from ?? "";
    this.Type = ev.Type;
    this.Action = ev.Action;
    this.Actor = ev.Actor;
    this.Scope = ev.scope;
    this.Time = ev.time;
    this.TimeNano = ev.timeNano;
  }

  /** Docker's JSON: the legacy fields only when set, then the message's own. */
  toJSON(): Record<string, unknown> {
    const ev = this.#ev;
    return {
      ...(ev.status !== undefined ? { status: ev.status } : {}),
      ...(ev.id !== undefined ? { id: ev.id } : {}),
      ...(ev.from !== undefined ? { from: ev.from } : {}),
      Type: ev.Type,
      Action: ev.Action,
      Actor: ev.Actor,
      scope: ev.scope,
      time: ev.time,
      timeNano: ev.timeNano,
    };
  }
}

/** Runs `skiff events [--since T] [--until T] [--filter K=V] [--format F]`. */
export default async function events(
  ctx: CommandContext<FlagsOf<typeof spec>>,
): Promise<number> {
  const f = ctx.flags;
  const format = f.format === "json" ? "{{json .}}" : f.format;
  const template = format ? parseTemplate(format) : undefined;
  const abort = new AbortController();
  const stop = () => abort.abort();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const enc = new TextEncoder();
  try {
    await exitOne(() =>
      watchEvents(ctx.global, {
        since: f.since,
        until: f.until,
        filters: f.filter,
        signal: abort.signal,
      }, async (ev) => {
        const line = template ? template.execute(new EventView(ev)) : eventLine(ev);
        let data = enc.encode(line + "\n");
        while (data.length > 0) data = data.subarray(await Deno.stdout.write(data));
      })
    );
  } catch (err) {
    // the reader went away (`events | head`): nothing more to say
    if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
  return 0;
}
