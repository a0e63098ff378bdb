import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  defaultRunOptions,
  parseCpus,
  parseEnvFile,
  parseRestartPolicy,
  parseSecurityOpt,
  parseUlimit,
} from "../../src/runtime/run_options.ts";
import { parseSignal } from "../../src/runtime/signals.ts";
import { InvalidArgumentError } from "../../src/errors.ts";
import { parseSize } from "../../src/units.ts";

function assertError(f: () => unknown, message: string) {
  throws(f, (e: Error) => {
    assertEquals(e.message, message);
    assertEquals(e instanceof InvalidArgumentError, true);
    return true;
  });
}

Deno.test("defaults", () => {
  const o = defaultRunOptions();
  assertEquals(o.network, "private");
  assertEquals(o.restart, { name: "no", maxRetries: 0 });
  assertEquals(o.securityOpt, { noNewPrivileges: false, seccomp: "default" });
});

Deno.test("env file: comments, blanks, host lookup, raw values", () => {
  const text = '\uFEFF# comment\n\n  A=1\nB= two words \nC="q"\nHOME\nUNSET\r\nD=x=y\n';
  const env = parseEnvFile(text, (k) => (k === "HOME" ? "/root" : undefined));
  assertEquals(env, ["A=1", "B= two words ", 'C="q"', "HOME=/root", "D=x=y"]);
});

Deno.test("env file errors", () => {
  assertError(
    () => parseEnvFile("BAD NAME=1"),
    "poorly formatted environment: variable 'BAD NAME' contains whitespaces",
  );
  assertError(
    () => parseEnvFile("=1"),
    "poorly formatted environment: no variable name on line '=1'",
  );
});

Deno.test("ulimit", () => {
  assertEquals(parseUlimit("nofile=1024:2048"), { name: "nofile", soft: 1024, hard: 2048 });
  assertEquals(parseUlimit("nproc=512"), { name: "nproc", soft: 512, hard: 512 });
  assertEquals(parseUlimit("core=-1"), { name: "core", soft: -1, hard: -1 });
  assertEquals(parseUlimit("core=100:-1"), { name: "core", soft: 100, hard: -1 });
  assertError(() => parseUlimit("nofile"), "invalid ulimit argument: nofile");
  assertError(() => parseUlimit("foo=1"), "invalid ulimit type: foo");
  assertError(
    () => parseUlimit("nofile=2048:1024"),
    "ulimit soft limit must be less than or equal to hard limit: 2048 > 1024",
  );
  assertError(
    () => parseUlimit("nofile=1:2:3"),
    "too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`",
  );
  assertError(() => parseUlimit("nofile=x"), 'strconv.ParseInt: parsing "x": invalid syntax');
});

Deno.test("restart policy", () => {
  assertEquals(parseRestartPolicy("on-failure:3"), { name: "on-failure", maxRetries: 3 });
  assertEquals(parseRestartPolicy("on-failure"), { name: "on-failure", maxRetries: 0 });
  assertEquals(parseRestartPolicy("always"), { name: "always", maxRetries: 0 });
  assertEquals(parseRestartPolicy(""), { name: "no", maxRetries: 0 });
  assertError(
    () => parseRestartPolicy("sometimes"),
    "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'",
  );
  assertError(
    () => parseRestartPolicy("always:3"),
    "invalid restart policy: maximum retry count can only be used with 'on-failure'",
  );
  assertError(() => parseRestartPolicy("on-failure:"), "invalid empty maximum retry count");
  assertError(
    () => parseRestartPolicy("on-failure:-1"),
    "invalid restart policy: maximum retry count cannot be negative",
  );
});

Deno.test("security options", () => {
  assertEquals(parseSecurityOpt(["no-new-privileges", "seccomp=unconfined"]), {
    noNewPrivileges: true,
    seccomp: "unconfined",
  });
  assertEquals(parseSecurityOpt(["no-new-privileges:true", "label=disable"]), {
    noNewPrivileges: true,
    seccomp: "default",
  });
  assertEquals(parseSecurityOpt(["no-new-privileges=false"]).noNewPrivileges, false);
  assertError(() => parseSecurityOpt(["bogus"]), 'invalid --security-opt 1: "bogus"');
  assertError(() => parseSecurityOpt(["foo=bar"]), 'invalid --security-opt 2: "foo=bar"');
  throws(() => parseSecurityOpt(["seccomp=/tmp/p.json"]), InvalidArgumentError);
});

Deno.test("memory sizes use binary units", () => {
  assertEquals(parseSize("512m"), 512 * 1024 * 1024);
  assertEquals(parseSize("512M"), 512 * 1024 * 1024);
  assertEquals(parseSize("1g"), 1 << 30);
  assertEquals(parseSize("1GiB"), 1 << 30);
  assertEquals(parseSize("1.5k"), 1536);
  assertEquals(parseSize("100"), 100);
  assertEquals(parseSize("100b"), 100);
  assertEquals(parseSize("2t"), 2 * 1024 ** 4);
  assertEquals(parseSize("64 MB"), 64 * 1024 * 1024);
  assertError(() => parseSize("512x"), "invalid size: '512x'");
  assertError(() => parseSize("m"), "invalid size: 'm'");
  assertError(() => parseSize("-1m"), "invalid size: '-1m'");
});

Deno.test("cpus to nano-cpus", () => {
  assertEquals(parseCpus("1.5"), 1_500_000_000);
  assertEquals(parseCpus("0.01"), 10_000_000);
  assertEquals(parseCpus("2"), 2_000_000_000);
  assertError(() => parseCpus("abc"), "failed to parse abc as a rational number");
  assertError(() => parseCpus("0.0000000001"), "value is too precise");
});

Deno.test("signals by name, short name and number", () => {
  assertEquals(parseSignal("SIGTERM"), { name: "SIGTERM", number: 15 });
  assertEquals(parseSignal("TERM"), { name: "SIGTERM", number: 15 });
  assertEquals(parseSignal("term"), { name: "SIGTERM", number: 15 });
  assertEquals(parseSignal("15"), { name: "SIGTERM", number: 15 });
  assertEquals(parseSignal("9"), { name: "SIGKILL", number: 9 });
  assertEquals(parseSignal("SIGCHLD"), { name: "SIGCHLD", number: 17 });
  assertEquals(parseSignal("CLD"), { name: "SIGCHLD", number: 17 });
  assertEquals(parseSignal("SIGIOT"), { name: "SIGABRT", number: 6 });
  assertEquals(parseSignal("SIGWINCH"), { name: "SIGWINCH", number: 28 });
  assertEquals(parseSignal("RTMIN+3"), { name: "SIGRTMIN+3", number: 37 });
  assertEquals(parseSignal("SIGRTMAX"), { name: "SIGRTMAX", number: 64 });
  assertEquals(parseSignal("36"), { name: "SIGRTMIN+2", number: 36 });
  assertError(() => parseSignal("0"), "Invalid signal: 0");
  assertError(() => parseSignal("65"), "Invalid signal: 65");
  assertError(() => parseSignal("SIGFOO"), "Invalid signal: SIGFOO");
});
