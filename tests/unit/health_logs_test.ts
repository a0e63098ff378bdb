/** Health-check and log-driver options, health transitions, and reading rotated logs. */
import { assertEquals, assertStringIncludes, assertThrows } from "../helpers/assert.ts";

/** Asserts fn throws an Error whose message includes msg. */
function throwsWith(fn: () => unknown, msg: string): void {
  assertStringIncludes(assertThrows(fn, Error).message, msg);
}
import { healthFromFlags, resolveHealth } from "../../src/runtime/health_config.ts";
import { applyResult, startingHealth } from "../../src/runtime/health_state.ts";
import { goDuration } from "../../src/runtime/health_exec.ts";
import { logRotation, logTag, parseLogConfig } from "../../src/runtime/logs_config.ts";
import { logFiles, parseLogLine, renderLog } from "../../src/runtime/logs.ts";
import { healthcheckChange } from "../../src/image/healthcheck_change.ts";

Deno.test("healthFromFlags: Docker's values and messages", () => {
  assertEquals(healthFromFlags({}), {});
  assertEquals(healthFromFlags({ cmd: "curl -f x", interval: "1m30s", retries: 2 }), {
    healthcheck: { Test: ["CMD-SHELL", "curl -f x"], Interval: 90e9, Retries: 2 },
  });
  assertEquals(healthFromFlags({ noHealthcheck: true }), { healthcheck: { Test: ["NONE"] } });
  const bad: [Parameters<typeof healthFromFlags>[0], string][] = [
    [{ interval: "999us" }, "Interval in Healthcheck cannot be less than 1ms"],
    [{ startInterval: "1ns" }, "StartInterval in Healthcheck cannot be less than 1ms"],
    [{ timeout: "-1s" }, "--health-timeout cannot be negative"],
    [{ retries: -2 }, "--health-retries cannot be negative"],
    [{ noHealthcheck: true, retries: 1 }, "--no-healthcheck conflicts with --health-* options"],
    [{ onFailure: "reboot" }, 'invalid on-failure action "reboot"'],
  ];
  for (const [f, msg] of bad) throwsWith(() => healthFromFlags(f), msg);
  // 0 is allowed: it means "inherit or default"
  assertEquals(healthFromFlags({ interval: "0s" }).healthcheck, { Interval: 0 });
});

Deno.test("resolveHealth: flags over the image's values, Docker's defaults, NONE", () => {
  const image = { Test: ["CMD", "check", "--quick"], Interval: 5e9, Retries: 7 };
  const r = resolveHealth(image, { healthcheck: { Timeout: 2e9 } });
  assertEquals(r, {
    command: ["check", "--quick"],
    intervalMs: 5000,
    timeoutMs: 2000,
    startPeriodMs: 0,
    startIntervalMs: 5000,
    retries: 7,
    onFailure: "none",
  });
  assertEquals(resolveHealth(image, { healthcheck: { Test: ["CMD-SHELL", "a && b"] } })?.command, [
    "/bin/sh",
    "-c",
    "a && b",
  ]);
  assertEquals(resolveHealth(image, { healthcheck: { Test: ["NONE"] } }), undefined);
  assertEquals(resolveHealth({ Test: ["NONE"] }, undefined), undefined);
  assertEquals(resolveHealth(null, undefined), undefined);
  assertEquals(
    resolveHealth(null, { healthcheck: { Test: ["CMD-SHELL", "x"] } })?.intervalMs,
    30000,
  );
});

Deno.test("applyResult: streaks, retries, the start period, five results kept", () => {
  const run = "2026-01-01T00:00:00.000Z";
  const t0 = Date.parse(run);
  const at = (s: number, code: number) => ({
    Start: new Date(t0 + s * 1000).toISOString(),
    End: new Date(t0 + s * 1000 + 10).toISOString(),
    ExitCode: code,
    Output: "",
  });
  const cfg = { retries: 2, startPeriodMs: 10_000 };
  let h = startingHealth(run);
  h = applyResult(h, at(1, 1), cfg, t0); // inside the start period: not counted
  assertEquals([h.Status, h.FailingStreak], ["starting", 0]);
  h = applyResult(h, at(11, 1), cfg, t0);
  assertEquals([h.Status, h.FailingStreak], ["starting", 1]);
  h = applyResult(h, at(12, 1), cfg, t0);
  assertEquals([h.Status, h.FailingStreak], ["unhealthy", 2]);
  h = applyResult(h, at(13, 0), cfg, t0);
  assertEquals([h.Status, h.FailingStreak], ["healthy", 0]);
  h = applyResult(h, at(14, 1), cfg, t0); // a single failure after healthy: still healthy
  assertEquals([h.Status, h.FailingStreak], ["healthy", 1]);
  h = applyResult(h, at(15, 1), cfg, t0);
  assertEquals(h.Status, "unhealthy");
  assertEquals(h.Log.length, 5);
  assertEquals(h.Log[4].Start, at(15, 1).Start);
  // a pass inside the start period makes it healthy at once
  assertEquals(applyResult(startingHealth(run), at(1, 0), cfg, t0).Status, "healthy");
});

Deno.test("goDuration: Go's text for the timeout message", () => {
  assertEquals(
    [goDuration(300), goDuration(30_000), goDuration(90_000), goDuration(3_600_500)],
    ["300ms", "30s", "1m30s", "1h0m0.5s"],
  );
});

Deno.test("parseLogConfig and logRotation: Docker's json-file checks", () => {
  const none = () => false;
  assertEquals(parseLogConfig(undefined, [], none), undefined);
  assertEquals(parseLogConfig(undefined, ["max-size=1m"], none), {
    Type: "k8s-file",
    Config: { "max-size": "1m" },
  });
  assertEquals(logRotation({ Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } }), {
    maxSize: 10_000_000,
    maxFile: 3,
  });
  assertEquals(logRotation({ Type: "json-file", Config: { "max-file": "3" } }), undefined);
  assertEquals(logRotation({ Type: "json-file", Config: { "max-size": "2k" } }), {
    maxSize: 2000,
    maxFile: 1,
  });
  const bad: [string | undefined, string[], string][] = [
    ["gelf", [], "logger: no log driver named 'gelf' is registered"],
    ["json-file", ["max-size=abc"], "invalid size: 'abc'"],
    ["json-file", ["max-size=1k", "max-file=0"], "max-file cannot be less than 1"],
    ["json-file", ["labels=a"], "unknown log opt 'labels' for json-file log driver"],
    ["none", ["tag=x"], "invalid logging opts for driver none"],
    ["journald", [], "journald is not enabled on this host"],
    ["journald", ["max-size=1k"], "unknown log opt 'max-size' for journald log driver"],
  ];
  for (const [d, o, msg] of bad) throwsWith(() => parseLogConfig(d, o, none), msg);
  assertEquals(parseLogConfig("journald", ["tag=web"], () => true), {
    Type: "journald",
    Config: { tag: "web" },
  });
  assertEquals(
    logTag(undefined, { id: "0123456789abcdef", name: "web", imageName: "b", imageId: "x" }),
    "0123456789ab",
  );
  assertEquals(
    logTag("{{.Name}}-{{ .FullID }}-{{.Nope}}", {
      id: "ab",
      name: "/web",
      imageName: "b",
      imageId: "x",
    }),
    "web-ab-{{.Nope}}",
  );
});

Deno.test("logs: json-file records, rotated files in order", () => {
  assertEquals(parseLogLine('{"log":"hi\\n","stream":"stderr","time":"2026-01-01T00:00:00Z"}'), {
    time: "2026-01-01T00:00:00Z",
    stream: "stderr",
    full: true,
    text: "hi",
  });
  assertEquals(parseLogLine('{"log":"par","stream":"stdout","time":"t"}')?.full, false);
  assertEquals(parseLogLine('{"log":1,"stream":"stdout","time":"t"}'), undefined);
  assertEquals(parseLogLine("{not json"), undefined);
  const text = [
    '{"log":"a","stream":"stdout","time":"2026-01-01T00:00:00Z"}',
    '{"log":"b\\n","stream":"stdout","time":"2026-01-01T00:00:00Z"}',
    "2026-01-01T00:00:01Z stdout F c",
  ].join("\n");
  assertEquals(renderLog(text, {}).map((c) => c.text), ["ab\n", "c\n"]);
  assertEquals(
    logFiles("/c/ctr.log", ["ctr.log.10", "ctr.log", "ctr.log.2", "ctr.log.x", "ctr.log.0", "x"]),
    ["/c/ctr.log.10", "/c/ctr.log.2", "/c/ctr.log"],
  );
});

Deno.test("HEALTHCHECK as a --change instruction", () => {
  assertEquals(healthcheckChange("NONE"), { Test: ["NONE"] });
  assertEquals(healthcheckChange('--interval=5s --retries=2 CMD ["a", "b"]'), {
    Test: ["CMD", "a", "b"],
    Interval: 5e9,
    Retries: 2,
  });
  assertEquals(healthcheckChange("cmd curl -f http://x || exit 1"), {
    Test: ["CMD-SHELL", "curl -f http://x || exit 1"],
  });
  throwsWith(() => healthcheckChange("NONE x"), "HEALTHCHECK NONE takes no arguments");
  throwsWith(() => healthcheckChange("RUN x"), 'Unknown type "RUN" in HEALTHCHECK');
  throwsWith(() => healthcheckChange("--interval=1us CMD x"), "cannot be less than 1ms");
  throwsWith(() => healthcheckChange("--color=red CMD x"), "Unknown flag: color");
  throwsWith(() => healthcheckChange("CMD"), "Missing command after HEALTHCHECK CMD");
});
