/**
 * Device access rules on cgroup v2: the kernel has no `devices.allow` file
 * there and asks an eBPF program attached to the cgroup instead. The program
 * is built and attached by ffi/src/cgroup_devices.c; this module turns rules
 * into the array it reads.
 */
import { InvalidArgumentError } from "../errors.ts";
import { check } from "./errno.ts";
import { cstr, lib } from "./ffi.ts";

/** One device rule, as in the OCI spec's `linux.resources.devices`. */
export interface DeviceRule {
  /** "a" any device, "b" block, "c" character. */
  type: "a" | "b" | "c";
  /** -1: any. */
  major: number;
  /** -1: any. */
  minor: number;
  /** Some of "r" (read), "w" (write), "m" (mknod). */
  access: string;
  allow: boolean;
}

const TYPES = { a: 0, b: 1, c: 2 } as const;
const ACCESS: Record<string, number> = { m: 1, r: 2, w: 4 };

/**
 * Parses a rule in the v1 `devices.allow` syntax (`c 1:3 rwm`, `b *:* m`, `a`).
 *
 * @example
 * ```ts
 * parseDeviceRule("c 136:* rwm");
 * // { type: "c", major: 136, minor: -1, access: "rwm", allow: true }
 * ```
 */
export function parseDeviceRule(text: string, allow = true): DeviceRule {
  const m = /^([abc])(?: (\*|\d+):(\*|\d+) ([rwm]{1,3}))?$/.exec(text.trim());
  if (!m) {
    throw new InvalidArgumentError(
      `Invalid device rule "${text}": expected "TYPE MAJOR:MINOR ACCESS"`,
    );
  }
  const num = (s: string | undefined) => s === undefined || s === "*" ? -1 : Number(s);
  return {
    type: m[1] as DeviceRule["type"],
    major: num(m[2]),
    minor: num(m[3]),
    access: m[4] ?? "rwm",
    allow,
  };
}

/**
 * The rules as the C side reads them: five int32 per rule (type, major,
 * minor, access bits, allow). Throws on a value the kernel cannot express.
 *
 * @example
 * ```ts
 * encodeDeviceRules([parseDeviceRule("c 1:3 rw")]); // Int32Array [2, 1, 3, 6, 1]
 * ```
 */
export function encodeDeviceRules(rules: readonly DeviceRule[]): Int32Array<ArrayBuffer> {
  const out = new Int32Array(rules.length * 5);
  rules.forEach((r, i) => {
    const id = (n: number) => Number.isInteger(n) && n >= -1 && n <= 0x7fffffff;
    if (!(r.type in TYPES) || !id(r.major) || !id(r.minor)) {
      throw new InvalidArgumentError(`Invalid device rule ${JSON.stringify(r)}`);
    }
    let access = 0;
    for (const ch of r.access) {
      if (ACCESS[ch] === undefined) {
        throw new InvalidArgumentError(`Invalid device access "${r.access}"`);
      }
      access |= ACCESS[ch];
    }
    out.set([TYPES[r.type], r.major, r.minor, access, r.allow ? 1 : 0], i * 5);
  });
  return out;
}

/**
 * Makes `rules` the device rules of the cgroup v2 directory `dir`: a later
 * rule overrides an earlier one and whatever no rule allows is denied (mknod
 * or open of the node then fails with EPERM). Replaces the device program
 * set by an earlier call; programs of parent cgroups still apply. Needs
 * CAP_SYS_ADMIN; throws a SysError naming `dir`.
 *
 * @example
 * ```ts ignore
 * attachDeviceFilter("/sys/fs/cgroup/skiff/abc", [parseDeviceRule("c 1:3 rwm")]);
 * ```
 */
export function attachDeviceFilter(dir: string, rules: readonly DeviceRule[]): void {
  const data = encodeDeviceRules(rules);
  const bytes = new Uint8Array(data.buffer);
  check(
    lib().skiff_cgroup_device_filter(cstr(dir), bytes, rules.length),
    `attach the device filter to ${dir}`,
  );
}
