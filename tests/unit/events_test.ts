/** The event log (src/store/events.ts), the die line for the monitor, and Docker's filters. */
import { assert, assertEquals } from "../helpers/assert.ts";
import {
  appendEvent,
  eventLine,
  type EventRecord,
  parseEventLine,
  readEventLog,
  readEventsFrom,
} from "../../src/store/events.ts";
import { containerEvent, dieEventPlan, eventTemplate } from "../../src/runtime/container_events.ts";
import { eventMatches } from "../../src/engine/events.ts";
import { parseFilters } from "../../src/engine/filters.ts";
import { eventLine as printedLine } from "../../src/commands/events.ts";

const rec = {
  Id: "c".repeat(64),
  Name: "web",
  ImageName: "busybox:1",
  Labels: { "exitCode": "x", team: 'r"ed' },
};

function volume(name: string, nano = 1_700_000_000_123_456_789n): EventRecord {
  return {
    Type: "volume",
    Action: "create",
    Actor: { ID: name, Attributes: { driver: "local" } },
    scope: "local",
    time: Number(nano / 1_000_000_000n),
    timeNano: nano,
  };
}

Deno.test("an event line keeps timeNano exact and parses back", () => {
  const ev = containerEvent(rec, "start", {}, 1_700_000_000_123_456_789n);
  const line = eventLine(ev);
  assert(line.endsWith(',"time":1700000000,"timeNano":1700000000123456789}\n'), line);
  assertEquals(parseEventLine(line), ev);
  assertEquals(parseEventLine('{"Type":"volume","Action":"cr'), undefined);
});

Deno.test("the event template: the monitor adds the code and the time, whatever the labels hold", () => {
  assertEquals(dieEventPlan({ root: "/s", containers: "/s/containers" }, rec.Id), {
    log: "/s/events/events.log",
    template: `/s/containers/${rec.Id}/event-template`,
  });
  const [head, tail, destroy, start, oom, end] = eventTemplate(rec, false).split("\n");
  assertEquals([destroy, end], ["", ""]);
  // the start (a restart by policy) and oom events, stamped by the monitor
  for (const [line, action] of [[start, "start"], [oom, "oom"]]) {
    const e = parseEventLine(`${line},"time":3,"timeNano":3000000000}`)!;
    assertEquals([e.Action, e.status, e.Actor.ID], [action, action, rec.Id]);
    assertEquals(e.Actor.Attributes, {
      exitCode: "x",
      image: "busybox:1",
      name: "web",
      team: 'r"ed',
    });
  }
  const ev = parseEventLine(`${head}3${tail},"time":1,"timeNano":1000000001}`)!;
  assertEquals(ev.Action, "die");
  // the exitCode label is replaced by the code; other labels are kept as they were
  assertEquals(ev.Actor.Attributes, {
    exitCode: "3",
    image: "busybox:1",
    name: "web",
    team: 'r"ed',
  });
  assertEquals(ev.timeNano, 1000000001n);
  // with --rm, a third line: the destroy event
  const rm = eventTemplate(rec, true).split("\n")[2];
  const gone = parseEventLine(`${rm},"time":2,"timeNano":2000000000}`)!;
  assertEquals([gone.Action, gone.Actor.ID, gone.Actor.Attributes.name], [
    "destroy",
    rec.Id,
    "web",
  ]);
});

Deno.test("the log rotates past its cap, keeping one previous file", async () => {
  const root = await Deno.makeTempDir();
  try {
    const one = eventLine(volume("v0")).length;
    for (let i = 0; i < 10; i++) await appendEvent({ root }, volume(`v${i}`), one * 4);
    const { events } = await readEventLog({ root });
    // the current file and the previous one: at most 2 caps' worth, the newest kept
    assert(events.length <= 8 && events.length >= 4, `${events.length}`);
    assertEquals(events.at(-1)!.Actor.ID, "v9");
    const ids = events.map((e) => Number(e.Actor.ID.slice(1)));
    assertEquals(ids, [...ids].sort((a, b) => a - b));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a follower reads on across a rotation without losing lines", async () => {
  const root = await Deno.makeTempDir();
  try {
    const one = eventLine(volume("v0")).length;
    await appendEvent({ root }, volume("v0"), one * 3);
    let { position } = await readEventLog({ root });
    const seen: string[] = [];
    for (let i = 1; i < 9; i++) {
      await appendEvent({ root }, volume(`v${i}`), one * 3);
      if (i % 2 === 0) {
        const more = await readEventsFrom({ root }, position);
        position = more.position;
        seen.push(...more.events.map((e) => e.Actor.ID));
      }
    }
    assertEquals(seen, ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("filters as Docker's daemon applies them", () => {
  const ev = containerEvent(rec, "exec_start: sh -c date", { execID: "e" });
  const keys = ["container", "event", "image", "label", "type", "volume", "network"];
  const m = (...f: string[]) => eventMatches(ev, parseFilters(f, keys));
  assert(m("container=web"));
  assert(m("container=ccc")); // an id prefix
  assert(!m("container=we2"));
  assert(m("event=exec_start")); // exec_* match by prefix
  assert(!m("event=start"));
  assert(m("image=busybox")); // without its tag
  assert(m("image=busybox:1"));
  assert(!m("image=alpine"));
  assert(m("label=team"), "key only");
  assert(m('label=team=r"ed'));
  assert(!m("label=team=blue"));
  assert(m("type=container", "type=image"));
  assert(!m("type=volume"));
});

Deno.test("the default line prints as docker events does", () => {
  const line = printedLine(volume("data"));
  const zone = new Date(1_700_000_000_123).getTimezoneOffset() === 0;
  if (zone) assertEquals(line, "2023-11-14T22:13:20.123456789Z volume create data (driver=local)");
  assert(line.endsWith(" volume create data (driver=local)"), line);
});
