import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import {
  CAPABILITIES,
  capabilityNumber,
  DEFAULT_CAPABILITIES,
  normalizeCapability,
  resolveCapabilities,
} from "../../src/runtime/capabilities.ts";
import { InvalidArgumentError } from "../../src/errors.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";
import {
  DOCKER_DEFAULT_CAPABILITIES,
  KERNEL_CAPABILITIES,
  sorted,
} from "../helpers/docker_defaults.ts";

Deno.test("capability table has 41 entries with kernel numbers", () => {
  assertEquals([...CAPABILITIES], [...KERNEL_CAPABILITIES]);
  assertEquals(capabilityNumber("CAP_CHOWN"), 0);
  assertEquals(capabilityNumber("sys_admin"), 21);
  assertEquals(capabilityNumber("CAP_AUDIT_READ"), 37);
  assertEquals(capabilityNumber("checkpoint_restore"), 40);
});

Deno.test("default set is Docker's 14 capabilities", () => {
  assertEquals(sorted(DEFAULT_CAPABILITIES), [...DOCKER_DEFAULT_CAPABILITIES]);
  assertEquals(sorted(resolveCapabilities([], [], false)), [...DOCKER_DEFAULT_CAPABILITIES]);
});

Deno.test("normalize accepts any case and an optional CAP_ prefix", () => {
  assertEquals(normalizeCapability("net_admin"), "CAP_NET_ADMIN");
  assertEquals(normalizeCapability("Cap_Net_Admin"), "CAP_NET_ADMIN");
  assertEquals(normalizeCapability("all"), "ALL");
});

Deno.test("unknown capability is Docker's error", () => {
  assertThrows(() => resolveCapabilities(["foo"], [], false), (e: Error) => {
    return e instanceof InvalidArgumentError && e.message === 'unknown capability: "CAP_FOO"';
  });
  assertThrows(() => resolveCapabilities([], ["CAP_BAR"], false), InvalidArgumentError);
});

Deno.test("drop then add", () => {
  const caps = resolveCapabilities(["NET_ADMIN", "net_raw"], ["chown", "CAP_KILL"], false);
  assertEquals(caps.includes("CAP_CHOWN"), false);
  assertEquals(caps.includes("CAP_KILL"), false);
  assertEquals(caps.includes("CAP_NET_ADMIN"), true);
  assertEquals(caps.filter((c) => c === "CAP_NET_RAW").length, 1);
});

Deno.test("cap-add ALL keeps everything but the dropped", () => {
  const caps = resolveCapabilities(["ALL"], ["sys_admin"], false);
  assertEquals(caps.length, 40);
  assertEquals(caps.includes("CAP_SYS_ADMIN"), false);
});

Deno.test("cap-drop ALL keeps only the added", () => {
  assertEquals(resolveCapabilities(["chown"], ["all"], false), ["CAP_CHOWN"]);
  assertEquals(resolveCapabilities([], ["ALL"], false), []);
});

Deno.test("privileged gets all capabilities of our bounding set, ignoring drops", () => {
  const hex = /CapBnd:\s*([0-9a-f]+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1];
  const bounding = BigInt(`0x${hex}`);
  const held = KERNEL_CAPABILITIES.filter((_, i) => (bounding >> BigInt(i)) & 1n);
  assertEquals(resolveCapabilities([], ["ALL"], true), held);
});

Deno.test("privileged: a bounding set without CAP_SYS_RESOURCE and CAP_SYS_ADMIN leaves them out", () => {
  const host = new FakeHost();
  host.bounding = ((1n << 41n) - 1n) & ~(1n << 24n) & ~(1n << 21n);
  const caps = resolveCapabilities([], [], true, host);
  assertEquals(caps.length, KERNEL_CAPABILITIES.length - 2);
  assertEquals([caps.includes("CAP_SYS_RESOURCE"), caps.includes("CAP_SYS_ADMIN")], [false, false]);
  // without /proc: every capability, and the kernel decides
  host.bounding = undefined;
  assertEquals(resolveCapabilities([], [], true, host), KERNEL_CAPABILITIES);
});
