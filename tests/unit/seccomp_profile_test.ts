import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  buildSeccomp,
  DEFAULT_ALLOWED_SYSCALLS,
  evaluateSeccomp,
  syscallNumber,
  SYSCALLS_X86_64,
} from "../../src/runtime/seccomp_profile.ts";
import { CAPABILITIES, DEFAULT_CAPABILITIES } from "../../src/runtime/capabilities.ts";

const def = buildSeccomp(DEFAULT_CAPABILITIES);

Deno.test("x86_64 numbers of well-known syscalls", () => {
  assertEquals(SYSCALLS_X86_64.read, 0);
  assertEquals(SYSCALLS_X86_64.clone, 56);
  assertEquals(SYSCALLS_X86_64.execve, 59);
  assertEquals(SYSCALLS_X86_64.mount, 165);
  assertEquals(SYSCALLS_X86_64.keyctl, 250);
  assertEquals(SYSCALLS_X86_64.clone3, 435);
  assertEquals(SYSCALLS_X86_64.removexattrat, 466);
  assertEquals(syscallNumber("chown32"), undefined);
  assertEquals(syscallNumber("toString"), undefined);
});

Deno.test("every x86_64-existing name of the allow list is allowed", () => {
  for (const name of DEFAULT_ALLOWED_SYSCALLS) {
    if (syscallNumber(name) !== undefined) assertEquals(evaluateSeccomp(def, name), "allow", name);
  }
  assertEquals(def.defaultErrno, 1);
});

Deno.test("common syscalls are allowed", () => {
  for (const n of ["read", "write", "execve", "futex", "epoll_wait", "arch_prctl", "openat"]) {
    assertEquals(evaluateSeccomp(def, n), "allow", n);
  }
  assertEquals(evaluateSeccomp(def, "clone", [0x01200011]), "allow"); // fork-like flags
  assertEquals(evaluateSeccomp(def, "clone", [0x003d0f00]), "allow"); // thread flags
});

Deno.test("dangerous syscalls are refused with EPERM", () => {
  for (
    const n of [
      "keyctl",
      "add_key",
      "request_key",
      "kexec_load",
      "open_by_handle_at",
      "init_module",
      "reboot",
      "swapon",
      "mount",
      "umount2",
      "unshare",
      "setns",
      "bpf",
      "perf_event_open",
      "userfaultfd",
      "pivot_root",
    ]
  ) {
    assertEquals(evaluateSeccomp(def, n), 1, n);
  }
});

Deno.test("clone with namespace flags is refused without CAP_SYS_ADMIN", () => {
  assertEquals(evaluateSeccomp(def, "clone", [0x10000000 | 17]), 1); // CLONE_NEWUSER
  assertEquals(evaluateSeccomp(def, "clone", [0x40000000]), 1); // CLONE_NEWNET
  assertEquals(evaluateSeccomp(def, "clone", [0x00020000]), 1); // CLONE_NEWNS
});

Deno.test("clone3 gets ENOSYS without CAP_SYS_ADMIN, allowed with it", () => {
  assertEquals(evaluateSeccomp(def, "clone3"), 38);
  const admin = buildSeccomp([...DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"]);
  assertEquals(evaluateSeccomp(admin, "clone3"), "allow");
  assertEquals(admin.errnoRules, []);
});

Deno.test("CAP_SYS_ADMIN allows mount, unshare, setns and clone with any flags", () => {
  const f = buildSeccomp([...DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"]);
  for (const n of ["mount", "umount2", "unshare", "setns", "sethostname", "bpf"]) {
    assertEquals(evaluateSeccomp(f, n), "allow", n);
  }
  assertEquals(evaluateSeccomp(f, "clone", [0x40000000]), "allow");
  assert(!f.conditional.some((c) => c.nr === SYSCALLS_X86_64.clone));
});

Deno.test("capability-conditional syscalls", () => {
  const cases: [string, string][] = [
    ["CAP_SYS_BOOT", "reboot"],
    ["CAP_SYS_MODULE", "init_module"],
    ["CAP_SYS_TIME", "settimeofday"],
    ["CAP_SYS_PTRACE", "kcmp"],
    ["CAP_DAC_READ_SEARCH", "open_by_handle_at"],
    ["CAP_SYS_RAWIO", "iopl"],
    ["CAP_SYS_NICE", "mbind"],
    ["CAP_SYSLOG", "syslog"],
    ["CAP_BPF", "bpf"],
    ["CAP_PERFMON", "perf_event_open"],
  ];
  for (const [cap, name] of cases) {
    assertEquals(evaluateSeccomp(def, name), 1, name);
    assertEquals(evaluateSeccomp(buildSeccomp([cap]), name), "allow", `${cap} ${name}`);
  }
  // The default set includes CAP_SYS_CHROOT.
  assertEquals(evaluateSeccomp(buildSeccomp(["CAP_SYS_CHROOT"]), "chroot"), "allow");
});

Deno.test("ptrace follows the kernel version as Docker does", () => {
  assertEquals(evaluateSeccomp(def, "ptrace"), "allow");
  assertEquals(evaluateSeccomp(buildSeccomp(DEFAULT_CAPABILITIES, [4, 4]), "ptrace"), 1);
  assertEquals(evaluateSeccomp(buildSeccomp(["CAP_SYS_PTRACE"], [4, 4]), "ptrace"), "allow");
});

Deno.test("personality only with Docker's argument values", () => {
  for (const v of [0, 8, 0x20000, 0x20008, 0xffffffff]) {
    assertEquals(evaluateSeccomp(def, "personality", [v]), "allow");
  }
  assertEquals(evaluateSeccomp(def, "personality", [0x0040000]), 1); // ADDR_NO_RANDOMIZE
});

Deno.test("socket refuses AF_ALG and AF_VSOCK", () => {
  assertEquals(evaluateSeccomp(def, "socket", [1]), "allow"); // AF_UNIX
  assertEquals(evaluateSeccomp(def, "socket", [2]), "allow"); // AF_INET
  assertEquals(evaluateSeccomp(def, "socket", [16]), "allow"); // AF_NETLINK
  assertEquals(evaluateSeccomp(def, "socket", [39]), "allow");
  assertEquals(evaluateSeccomp(def, "socket", [44]), "allow");
  assertEquals(evaluateSeccomp(def, "socket", [38]), 1);
  assertEquals(evaluateSeccomp(def, "socket", [40]), 1);
});

Deno.test("socket allows every family above AF_VSOCK as Docker's `> 40` does, but not 40 + 2^32", () => {
  for (const family of [41, 63, 64, 1000, 2 ** 31, -1]) {
    assertEquals(evaluateSeccomp(def, "socket", [family]), "allow", String(family));
  }
  // the kernel reads the family as an int: AF_VSOCK and AF_ALG with the upper half set
  assertEquals(evaluateSeccomp(def, "socket", [40 + 2 ** 32]), 1);
  assertEquals(evaluateSeccomp(def, "socket", [38 + 2 ** 32]), 1);
});

Deno.test("all capabilities allow everything the profile names", () => {
  const f = buildSeccomp([...CAPABILITIES]);
  assertEquals(evaluateSeccomp(f, "mount"), "allow");
  assertEquals(evaluateSeccomp(f, "keyctl"), 1);
  assert(f.allow.every((n, i) => i === 0 || f.allow[i - 1] < n));
});
