import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import {
  ago,
  bytesSize,
  fromHumanSize,
  goFormatFloat,
  humanDuration,
  humanSize,
  humanSizeWithPrecision,
  parseDuration,
  parseSize,
  parseTimestamp,
  statusWord,
} from "../../src/units.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;
const YEAR = 365 * DAY;

Deno.test("humanDuration matches go-units at every boundary", () => {
  const cases: [number, string][] = [
    [450, "Less than a second"],
    [SEC, "1 second"],
    [45 * SEC, "45 seconds"],
    [59 * SEC, "59 seconds"],
    [60 * SEC, "About a minute"],
    [3 * MIN, "3 minutes"],
    [35 * MIN + 40 * SEC, "35 minutes"],
    [59 * MIN, "59 minutes"],
    [HOUR, "About an hour"],
    [HOUR + 29 * MIN, "About an hour"],
    [HOUR + 31 * MIN, "2 hours"],
    [3 * HOUR + 29 * MIN, "3 hours"],
    [3 * HOUR + 31 * MIN, "4 hours"],
    [DAY, "24 hours"],
    [DAY + 12 * HOUR, "36 hours"],
    [2 * DAY, "2 days"],
    [13 * DAY + 5 * HOUR, "13 days"],
    [2 * WEEK, "2 weeks"],
    [2 * WEEK + 4 * DAY, "2 weeks"],
    [MONTH, "4 weeks"],
    [MONTH + 2 * WEEK, "6 weeks"],
    [2 * MONTH, "2 months"],
    [5 * MONTH + 2 * WEEK, "5 months"],
    [24 * MONTH, "24 months"],
    [24 * MONTH + 2 * WEEK, "2 years"],
    [3 * YEAR + 2 * MONTH, "3 years"],
  ];
  for (const [ms, want] of cases) assertEquals(humanDuration(ms), want, `${ms}ms`);
});

Deno.test("ago appends 'ago'", () => {
  assertEquals(ago(new Date(1_000_000), 1_000_000 + 5 * MIN), "5 minutes ago");
});

Deno.test("humanSize: 3 significant digits, decimal units, Go %g", () => {
  const cases: [number, string][] = [
    [0, "0B"],
    [567, "567B"],
    [999, "999B"],
    [1000, "1kB"],
    [1125, "1.12kB"], // ties round to even, as Go
    [12_345, "12.3kB"],
    [999_499, "999kB"],
    [999_500, "1e+03kB"], // Go's %.3g quirk docker users see
    [3_420_000, "3.42MB"],
    [1_200_000_000, "1.2GB"],
    [1e27, "1e+03YB"],
  ];
  for (const [n, want] of cases) assertEquals(humanSize(n), want, String(n));
  assertEquals(humanSizeWithPrecision(2_746_000, 4), "2.746MB");
});

Deno.test("bytesSize: binary units, 4 significant digits", () => {
  assertEquals(bytesSize(1023), "1023B");
  assertEquals(bytesSize(1024), "1KiB");
  assertEquals(bytesSize(1_572_864), "1.5MiB");
  assertEquals(bytesSize(12_345), "12.06KiB");
  assertEquals(bytesSize(1024 ** 3), "1GiB");
});

Deno.test("goFormatFloat follows Go's %e %f %g", () => {
  assertEquals(goFormatFloat(3.14159, "f", 2), "3.14");
  assertEquals(goFormatFloat(9.996, "f", 2), "10.00");
  assertEquals(goFormatFloat(0.006, "f", 2), "0.01");
  assertEquals(goFormatFloat(1.5, "e", 3), "1.500e+00");
  assertEquals(goFormatFloat(1e6, "g"), "1e+06");
  assertEquals(goFormatFloat(100000, "g"), "100000");
  assertEquals(goFormatFloat(0.00001, "g"), "1e-05");
});

Deno.test("parseSize: RAMInBytes semantics", () => {
  assertEquals(parseSize("512m"), 512 * 1024 * 1024);
  assertEquals(parseSize("512M"), 512 * 1024 * 1024);
  assertEquals(parseSize("1.5GiB"), 1.5 * 1024 ** 3);
  assertEquals(parseSize("10"), 10);
  assertEquals(parseSize("10b"), 10);
  assertEquals(parseSize("4k"), 4096);
  assertEquals(parseSize("4 kb"), 4096);
  assertEquals(parseSize("1t"), 1024 ** 4);
  assertEquals(fromHumanSize("32kB"), 32_000);
  for (const bad of ["", "5x", "b", "-1m", "1.2.3", "m", "5ib", "1 GB extra"]) {
    assertThrows(() => parseSize(bad), InvalidArgumentError, bad);
  }
  assertThrows(() => parseSize("5x"), { message: "invalid size: '5x'" });
});

Deno.test("parseDuration: Go durations", () => {
  assertEquals(parseDuration("10s"), 10_000);
  assertEquals(parseDuration("1m30s"), 90_000);
  assertEquals(parseDuration("250ms"), 250);
  assertEquals(parseDuration("1.5h"), 1.5 * HOUR);
  assertEquals(parseDuration("-2m"), -2 * MIN);
  assertEquals(parseDuration("0"), 0);
  assertEquals(parseDuration("1h2m3s4ms"), HOUR + 2 * MIN + 3 * SEC + 4);
  assertEquals(parseDuration("1500us"), 1.5);
  assertThrows(() => parseDuration("10"), { message: 'time: missing unit in duration "10"' });
  assertThrows(() => parseDuration("1d"), { message: 'time: unknown unit "d" in duration "1d"' });
  assertThrows(() => parseDuration(""), { message: 'time: invalid duration ""' });
  assertThrows(() => parseDuration("s"), InvalidArgumentError);
});

Deno.test("statusWord words each state as docker ps", () => {
  const now = Date.UTC(2024, 0, 1, 12, 0, 0);
  const t = (ms: number) => new Date(now - ms);
  assertEquals(statusWord({ status: "running", startedAt: t(3 * SEC), now }), "Up 3 seconds");
  assertEquals(
    statusWord({ status: "paused", startedAt: t(2 * MIN), now }),
    "Up 2 minutes (Paused)",
  );
  assertEquals(
    statusWord({
      status: "exited",
      startedAt: t(5 * MIN),
      finishedAt: t(2 * MIN),
      exitCode: 0,
      now,
    }),
    "Exited (0) 2 minutes ago",
  );
  assertEquals(
    statusWord({ status: "exited", startedAt: t(HOUR), finishedAt: t(HOUR), exitCode: 137, now }),
    "Exited (137) About an hour ago",
  );
  assertEquals(statusWord({ status: "created", now }), "Created");
  assertEquals(
    statusWord({ status: "created", startedAt: "0001-01-01T00:00:00Z", now }),
    "Created",
  );
  assertEquals(
    statusWord({ status: "running", startedAt: t(10 * SEC), health: "starting", now }),
    "Up 10 seconds (health: starting)",
  );
  assertEquals(
    statusWord({ status: "running", startedAt: t(DAY * 3), health: "healthy", now }),
    "Up 3 days (healthy)",
  );
  assertEquals(
    statusWord({ status: "restarting", finishedAt: t(SEC), exitCode: 1, now }),
    "Restarting (1) 1 second ago",
  );
  assertEquals(statusWord({ status: "dead", now }), "Dead");
});

Deno.test("parseTimestamp: Docker's since/until grammar", () => {
  const now = 10_000_000;
  assertEquals(parseTimestamp("1h30m", now), now - 5_400_000);
  assertEquals(parseTimestamp("250ms", now), now - 250);
  assertEquals(parseTimestamp("1700000000", now), 1_700_000_000_000);
  assertEquals(parseTimestamp("1700000000.25", now), 1_700_000_000_250);
  assertEquals(parseTimestamp("2024-01-02T03:04:05Z", now), Date.UTC(2024, 0, 2, 3, 4, 5));
  assertEquals(
    parseTimestamp("2024-01-02T03:04:05.5+02:00", now),
    Date.UTC(2024, 0, 2, 1, 4, 5, 500),
  );
  assertEquals(parseTimestamp("2024-01-02", now), new Date(2024, 0, 2).getTime());
  for (const bad of ["yesterday", "", "1x", "2024-13-45", "12:00"]) {
    assertThrows(
      () => parseTimestamp(bad, now),
      { message: `failed to parse value as time or duration: "${bad}"` },
    );
  }
});
