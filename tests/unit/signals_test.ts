/**
 * One parser for `kill -s`, `--stop-signal` and STOPSIGNAL (issue 11): every signal the
 * kernel has, by name with or without SIG in any case, by number, and the real-time ones as
 * SIGRTMIN+n / SIGRTMAX-n; those Deno cannot name are sent by number.
 */
import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { hasClassicName, parseSignal } from "../../src/runtime/signals.ts";
import { killContainer } from "../../src/runtime/stop.ts";
import { FakeCgroups, PID, record, runningScene, store } from "./fake_runtime.ts";

Deno.test("every signal by name, with or without SIG, any case, or by number", () => {
  const names = (v: string) => parseSignal(v).name;
  assertEquals(names("term"), "SIGTERM");
  assertEquals(names("SIGKILL"), "SIGKILL");
  assertEquals(names("iot"), "SIGABRT");
  assertEquals(names("SIGCLD"), "SIGCHLD");
  assertEquals(names("9"), "SIGKILL");
  assertEquals(names("SIG15"), "SIGTERM");
  for (let n = 1; n <= 64; n++) {
    const s = parseSignal(String(n));
    assertEquals(s.number, n);
    assertEquals(parseSignal(s.name).number, n, `${n} round-trips through ${s.name}`);
  }
});

Deno.test("real-time signals: SIGRTMIN+n and SIGRTMAX-n, the kernel's numbering", () => {
  assertEquals(parseSignal("SIGRTMAX"), { name: "SIGRTMAX", number: 64 });
  assertEquals(parseSignal("rtmin"), { name: "SIGRTMIN", number: 34 });
  assertEquals(parseSignal("SIGRTMIN+6"), { name: "SIGRTMIN+6", number: 40 });
  assertEquals(parseSignal("RTMAX-14"), { name: "SIGRTMAX-14", number: 50 });
  assertEquals(parseSignal("SIGRTMIN+15").number, 49);
  assertEquals(parseSignal("64").name, "SIGRTMAX");
  for (const bad of ["0", "65", "-1", "SIGFOO", "RTMIN+16", "RTMAX-15", "RTMIN-1", "RTMAX+1", ""]) {
    throws(() => parseSignal(bad), { message: `Invalid signal: ${bad}` });
  }
});

Deno.test("signals Deno has no name for are sent by number", async () => {
  assertEquals(hasClassicName(parseSignal("TERM")), true);
  assertEquals(hasClassicName(parseSignal("SYS")), true);
  assertEquals(hasClassicName(parseSignal("RTMIN")), false);
  const rec = record();
  const { host } = runningScene(rec, { ignores: ["SIG40"] });
  await killContainer(store, rec, "SIGRTMIN+6", { host, cgroups: new FakeCgroups() });
  // the fake host records a signal sent by number as "SIG<n>", one sent by name as its name
  assertEquals(host.signals.map((s) => [s.pid, s.signal]), [[PID, "SIG40"]]);
  const term = runningScene(rec, { ignores: ["SIGTERM"] }).host;
  await killContainer(store, rec, "term", { host: term, cgroups: new FakeCgroups() });
  assertEquals(term.signals.map((s) => s.signal), ["SIGTERM"]);
});
