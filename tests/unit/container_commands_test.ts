/** Pure parts of exec, top, stats, port and container prune. */
import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { parsePs } from "../../src/runtime/top.ts";
import { computeStats, type StatsSample } from "../../src/runtime/stats.ts";
import { parsePortArg } from "../../src/commands/port.ts";
import { parseTimestamp } from "../../src/units.ts";
import { parseExecArgs } from "../../src/commands/exec.ts";
import { checkTty } from "../../src/commands/tty_check.ts";
import { statsRow } from "../../src/commands/stats.ts";
import type { ContainerRecord } from "../../src/runtime/container_store.ts";
import { InvalidArgumentError, SkiffError } from "../../src/errors.ts";

Deno.test("parsePs keeps the container's rows and the whole command", () => {
  const out = "UID PID PPID CMD\nroot 10 1 sh -c while :; do :; done\nroot 11 10 other\n";
  assertEquals(parsePs(out, [10, 99]), {
    titles: ["UID", "PID", "PPID", "CMD"],
    processes: [["root", "10", "1", "sh -c while :; do :; done"]],
  });
  assertThrows(() => parsePs("USER COMMAND\nroot x\n", [1]), SkiffError);
});

Deno.test("computeStats: CPU % over host CPU time, memory % of the limit", () => {
  const base: StatsSample = {
    valid: true,
    cpuNs: 1e9,
    systemNs: 100e9,
    onlineCpus: 4,
    memUsage: 512 << 20,
    memLimit: 1 << 30,
    blkRead: 0,
    blkWrite: 0,
    netRx: 0,
    netTx: 0,
    pids: 3,
  };
  const later = { ...base, cpuNs: 2e9, systemNs: 108e9 };
  const f = computeStats(base, later);
  assertEquals([f.cpuPercent, f.memPercent, f.pids], [50, 50, 3]);
  assertEquals(computeStats(undefined, later).cpuPercent, 0);
  const rec = { Id: "a".repeat(64), Name: "web" } as ContainerRecord;
  const row = statsRow("web", rec, f, false);
  assertEquals(
    [row.ID, row.CPUPerc, row.MemUsage, row.MemPerc, row.PIDs],
    ["aaaaaaaaaaaa", "50.00%", "512MiB / 1GiB", "50.00%", "3"],
  );
  assertEquals(statsRow("web", rec, { ...f, valid: false }, true).CPUPerc, "--");
});

Deno.test("parsePortArg defaults to tcp and rejects junk", () => {
  assertEquals(parsePortArg("80"), "80/tcp");
  assertEquals(parsePortArg("53/UDP"), "53/udp");
  assertThrows(() => parsePortArg("http"), InvalidArgumentError);
});

Deno.test("parseTimestamp takes durations, Unix seconds and timestamps", () => {
  assertEquals(parseTimestamp("1h30m", 10_000_000), 10_000_000 - 5_400_000);
  assertEquals(parseTimestamp("1700000000"), 1_700_000_000_000);
  assertEquals(parseTimestamp("2024-01-02T03:04:05Z"), Date.UTC(2024, 0, 2, 3, 4, 5));
  assertThrows(() => parseTimestamp("yesterday"), InvalidArgumentError);
});

Deno.test("parseExecArgs maps exec's flags", () => {
  const req = parseExecArgs(
    { env: ["A=1"], tty: true, detach: true, user: "nobody", workdir: "/tmp" },
    ["sh", "-c", "env"],
  );
  assertEquals(req, {
    cmd: ["sh", "-c", "env"],
    detach: true,
    interactive: false,
    tty: true,
    env: ["A=1"],
    user: "nobody",
    workdir: "/tmp",
    privileged: false,
    detachKeys: new Uint8Array([16, 17]),
  });
  // --detach-keys in Docker's syntax; a bad spec is refused before anything runs
  const keys = parseExecArgs({ "detach-keys": "ctrl-x,y" }, ["sh"]).detachKeys;
  assertEquals(keys, new Uint8Array([24, 121]));
  assertThrows(() => parseExecArgs({ "detach-keys": "ctrl-ab" }, ["sh"]), SkiffError);
});

Deno.test("checkTty refuses -it without a terminal with Docker's message and exit 1", () => {
  const err = assertThrows(() => checkTty(true, true, () => false), SkiffError);
  assertEquals([err.message, err.exitCode], ["the input device is not a TTY", 1]);
  checkTty(true, true, () => true);
  checkTty(false, true, () => false);
  checkTty(true, false, () => false);
});
