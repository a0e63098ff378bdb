/**
 * --device and --device-cgroup-rule (issue 11): Docker's parsing and messages, and the nodes,
 * cgroup rules and OCI device rules that the plan and spec get from them.
 */
import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  deviceNumbers,
  extraDeviceRules,
  type HostDevice,
  parseDevice,
  parseDeviceCgroupRule,
} from "../../src/runtime/device_options.ts";
import { buildContainerConfig, cgroupLimits } from "../../src/runtime/spec.ts";
import { defaultRunOptions, type RunOptions } from "../../src/runtime/run_options.ts";
import { deriveContainer } from "../../src/runtime/create.ts";
import { v2DeviceRules } from "../../src/runtime/cgroups.ts";

const NULL: HostDevice = { type: "c", major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 };
const lookup = (path: string): HostDevice => {
  if (path === "/dev/null") return NULL;
  throw new Error("no such file or directory");
};
const ID = "0123456789abcdef".repeat(4);

Deno.test("--device: HOST[:CONTAINER][:PERMISSIONS] as Docker's CLI reads it", () => {
  const d = (spec: string) => {
    const m = parseDevice(spec, lookup);
    return [m.pathOnHost, m.pathInContainer, m.cgroupPermissions];
  };
  assertEquals(d("/dev/null"), ["/dev/null", "/dev/null", "rwm"]);
  assertEquals(d("/dev/null:r"), ["/dev/null", "/dev/null", "r"]);
  assertEquals(d("/dev/null:/dev/mynull"), ["/dev/null", "/dev/mynull", "rwm"]);
  assertEquals(d("/dev/null:/dev/mynull:rw"), ["/dev/null", "/dev/mynull", "rw"]);
  assertEquals(parseDevice("/dev/null", lookup).major, 1);
  throws(() => parseDevice("/dev/null:/a:r:x", lookup), {
    message: /^invalid device specification/,
  });
  throws(() => parseDevice("/dev/null:/dev/n:rx", lookup), { message: "bad mode specified: rx" });
  throws(() => parseDevice("null", lookup), { message: "null is not an absolute path" });
  throws(() => parseDevice("/dev/null:/dev/../etc/x", lookup), /bad format for path/);
  throws(() => parseDevice("/dev/gone", lookup), {
    message:
      `error gathering device information while adding custom device "/dev/gone": no such file or directory`,
  });
});

Deno.test("--device-cgroup-rule: Docker's format only", () => {
  assertEquals(parseDeviceCgroupRule("c 1:3 rwm"), "c 1:3 rwm");
  assertEquals(parseDeviceCgroupRule("b *:* m"), "b *:* m");
  for (const bad of ["c 1:3", "x 1:3 r", "c 1:3 rwx", "c1:3 r", "a"]) {
    throws(() => parseDeviceCgroupRule(bad), { message: `invalid device cgroup format '${bad}'` });
  }
});

Deno.test("st_rdev decodes to major and minor", () => {
  assertEquals(deviceNumbers(0x103), { major: 1, minor: 3 });
  assertEquals(deviceNumbers(0xfe00), { major: 254, minor: 0 });
  assertEquals(deviceNumbers(0x01000001), { major: 0, minor: 0x1001 });
});

Deno.test("devices reach the plan's nodes, the cgroup rules and the OCI rules", () => {
  const o: RunOptions = {
    ...defaultRunOptions(),
    devices: [parseDevice("/dev/null:/dev/mynull:rw", lookup)],
    deviceCgroupRules: ["c 10:* rwm"],
  };
  assertEquals(extraDeviceRules(o.devices!, o.deviceCgroupRules!), ["c 1:3 rw", "c 10:* rwm"]);
  assertEquals(cgroupLimits(o).deviceRules, ["c 1:3 rw", "c 10:* rwm"]);
  assertEquals(cgroupLimits(defaultRunOptions()).deviceRules, undefined);
  assertEquals(cgroupLimits({ ...o, privileged: true }).deviceRules, undefined);
  assertEquals(v2DeviceRules("default", ["c 10:* rwm"]).at(-1), {
    type: "c",
    major: 10,
    minor: -1,
    access: "rwm",
    allow: true,
  });
  const { plan, spec } = buildContainerConfig({
    id: ID,
    container: deriveContainer(ID, { Cmd: ["sh"] }, o),
    options: o,
    layers: ["/l"],
    bundle: { upper: "/u", work: "/w", merged: "/m", stateDir: "/s", logPath: "/log" },
    user: { uid: 0, gid: 0, additionalGids: [], home: "/root" },
    cgroupPaths: [],
    volumes: {},
    cleanupCommand: [],
    networkHook: [],
  });
  assertEquals(plan.devices.at(-1), {
    path: "/dev/mynull",
    type: "c",
    major: 1,
    minor: 3,
    mode: 0o666,
    uid: 0,
    gid: 0,
  });
  assertEquals(spec.linux.resources.devices.slice(-2), [
    { allow: true, type: "c", major: 1, minor: 3, access: "rw" },
    { allow: true, type: "c", major: 10, minor: undefined, access: "rwm" },
  ]);
  // a device at a default node's path replaces it
  const over = { ...o, devices: [parseDevice("/dev/null:/dev/zero", lookup)] };
  const built = buildContainerConfig({
    id: ID,
    container: deriveContainer(ID, { Cmd: ["sh"] }, over),
    options: over,
    layers: ["/l"],
    bundle: { upper: "/u", work: "/w", merged: "/m", stateDir: "/s", logPath: "/log" },
    user: { uid: 0, gid: 0, additionalGids: [], home: "/root" },
    cgroupPaths: [],
    volumes: {},
    cleanupCommand: [],
    networkHook: [],
  });
  const zero = built.plan.devices.filter((d) => d.path === "/dev/zero");
  assertEquals(zero.map((d) => d.minor), [3]);
});
