/** Device rules for the cgroup v2 program: parsing the v1 syntax and the layout the C side reads. */
import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { encodeDeviceRules, parseDeviceRule } from "../../src/sys/cgroup_devices.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

Deno.test("device rules: v1 syntax with wildcards", () => {
  assertEquals(parseDeviceRule("c 1:3 rwm"), {
    type: "c",
    major: 1,
    minor: 3,
    access: "rwm",
    allow: true,
  });
  assertEquals(parseDeviceRule("b *:* m", false), {
    type: "b",
    major: -1,
    minor: -1,
    access: "m",
    allow: false,
  });
  assertEquals(parseDeviceRule("a"), {
    type: "a",
    major: -1,
    minor: -1,
    access: "rwm",
    allow: true,
  });
  for (const bad of ["x 1:3 rwm", "c 1:3", "c 1:3 rwx", "c -1:3 r", "c 1:3 rwm extra"]) {
    throws(() => parseDeviceRule(bad), InvalidArgumentError, bad);
  }
});

Deno.test("device rules: five int32 per rule (type, major, minor, access bits, allow)", () => {
  assertEquals(
    [...encodeDeviceRules([parseDeviceRule("a", false), parseDeviceRule("c 136:* rw")])],
    [0, -1, -1, 7, 0, 2, 136, -1, 6, 1],
  );
  assertEquals([...encodeDeviceRules([parseDeviceRule("b 8:0 m")])], [1, 8, 0, 1, 1]);
  throws(() => encodeDeviceRules([{ type: "c", major: -2, minor: 0, access: "r", allow: true }]));
  throws(() => encodeDeviceRules([{ type: "c", major: 1.5, minor: 0, access: "r", allow: true }]));
  throws(() => encodeDeviceRules([{ type: "c", major: 1, minor: 0, access: "x", allow: true }]));
});
