/**
 * The compiled seccomp filter, checked in the kernel: `ffi/build/seccomp-probe` (built by
 * `make -C ffi` from `ffi/probe/seccomp_probe.c`) runs inside a container and tries each
 * argument-, capability- and kernel-conditional case of the profile with raw system calls,
 * printing one `<case> <OK|ERRNO>` line a case. Its output is compared with outcomes written
 * down here by hand from Docker's default profile (moby `profiles/seccomp/default.json`), not
 * from skiff's own table, for the default profile, `--cap-add SYS_ADMIN`,
 * `--cap-add SYS_PTRACE`, `--security-opt seccomp=unconfined` and `--privileged`.
 *
 * Most cases pass an argument the filter does not look at that makes the kernel fail (EINVAL,
 * EBADF, ENOENT): EPERM (or clone3's ENOSYS) then means the filter refused the call, the
 * kernel's errno that it let it through.
 */
import { assertEquals } from "../helpers/assert.ts";
import { ensureFixtures, fixturePaths } from "../helpers/fixtures.ts";
import { skiff, type TempStore, tempStore } from "../helpers/skiff.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

const PROBE = new URL("../../ffi/build/seccomp-probe", import.meta.url).pathname;

/**
 * What the kernel answers each case once no filter stands in the way, for root with at least
 * Docker's default capabilities. A list: the answer depends on the host (a module or an ABI
 * the kernel may lack).
 */
const KERNEL: Record<string, string | string[]> = {
  // CLONE_SIGHAND without CLONE_VM
  "clone:none": "EINVAL",
  "clone:NEWNS": "EINVAL",
  "clone:NEWCGROUP": "EINVAL",
  "clone:NEWUTS": "EINVAL",
  "clone:NEWIPC": "EINVAL",
  "clone:NEWUSER": "EINVAL",
  "clone:NEWPID": "EINVAL",
  "clone:NEWNET": "EINVAL",
  "clone-real:fork": "OK",
  // a new user namespace needs no capability
  "clone-real:NEWUSER": "OK",
  // a size of 0
  "clone3": "EINVAL",
  // CLONE_PARENT is no unshare flag
  "unshare:NEWNS": "EINVAL",
  "unshare-real:NEWUSER": "OK",
  // fd -1
  "setns": "EBADF",
  // the mount point does not exist
  "mount": "ENOENT",
  // a socket type flag the kernel does not know
  "socket:AF_UNIX": "EINVAL",
  "socket:AF_INET": "EINVAL",
  "socket:AF_NETLINK": "EINVAL",
  "socket:37": "EINVAL",
  "socket:AF_ALG": "EINVAL",
  "socket:39": "EINVAL",
  "socket:AF_VSOCK": "EINVAL",
  "socket:41": "EINVAL",
  "socket:AF_XDP": "EINVAL",
  "socket:63": "EINVAL",
  "socket:64": "EINVAL",
  "socket:1000": "EINVAL",
  "socket:-1": "EINVAL",
  "socket:AF_VSOCK+2^32": "EINVAL",
  "socket:AF_ALG+2^32": "EINVAL",
  "socket-real:AF_INET": "OK",
  "socket-real:AF_VSOCK": ["OK", "EAFNOSUPPORT"],
  // personality never fails
  "personality:PER_LINUX": "OK",
  "personality:PER_LINUX32": "OK",
  "personality:UNAME26": "OK",
  "personality:PER_LINUX32|UNAME26": "OK",
  "personality:query": "OK",
  "personality:ADDR_NO_RANDOMIZE": "OK",
  "personality:READ_IMPLIES_EXEC": "OK",
  "personality:PER_BSD": "OK",
  "personality:PER_LINUX+2^32": "OK",
  "ptrace:TRACEME": "OK",
  // flags 1
  "process_vm_readv": "EINVAL",
  // type 99
  "kcmp": "EINVAL",
  // ENOSYS where the kernel is built without the x32 ABI
  "x32:getpid": ["ENOSYS", "OK"],
  "x32:unshare-NEWUSER": ["ENOSYS", "OK"],
};

/**
 * The cases Docker's default profile refuses with EPERM, for a container with Docker's default
 * capabilities, on x86_64 with a kernel of at least 4.8 (ptrace, process_vm_readv allowed).
 */
const DOCKER_REFUSES_DEFAULT = [
  // clone only when arg 0 has none of CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
  "clone:NEWNS",
  "clone:NEWCGROUP",
  "clone:NEWUTS",
  "clone:NEWIPC",
  "clone:NEWUSER",
  "clone:NEWPID",
  "clone:NEWNET",
  "clone-real:NEWUSER",
  // unshare, setns, mount: CAP_SYS_ADMIN only
  "unshare:NEWNS",
  "unshare-real:NEWUSER",
  "setns",
  "mount",
  // socket: family < 38, == 39 or > 40
  "socket:AF_ALG",
  "socket:AF_VSOCK",
  "socket-real:AF_VSOCK",
  // personality: 0, 8, 0x20000, 0x20008, 0xffffffff only
  "personality:ADDR_NO_RANDOMIZE",
  "personality:READ_IMPLIES_EXEC",
  "personality:PER_BSD",
  "personality:PER_LINUX+2^32",
  // kcmp: CAP_SYS_PTRACE only
  "kcmp",
];

/** ...and with CAP_SYS_ADMIN added: the namespace, mount and clone3 rules are lifted. */
const DOCKER_REFUSES_SYS_ADMIN = [
  "socket:AF_ALG",
  "socket:AF_VSOCK",
  "socket-real:AF_VSOCK",
  "personality:ADDR_NO_RANDOMIZE",
  "personality:READ_IMPLIES_EXEC",
  "personality:PER_BSD",
  "personality:PER_LINUX+2^32",
  "kcmp",
];

/**
 * Where skiff's filter refuses what Docker's lets through (EPERM in every confined run):
 * - Docker compares socket's family as a 64-bit value (`> 40`), so 40 + 2^32 passes its
 *   filter, and the kernel, which reads an int, opens an AF_VSOCK (or AF_ALG) socket.
 *   skiff's filter requires the upper half of those values to be 0.
 * - skiff refuses every x32 number (bit 30 set). Docker's profile covers the x32 ABI as a
 *   sub-architecture with the same names, so x32 getpid passes its filter (ENOSYS on a kernel
 *   built without x32), and x32 unshare does with CAP_SYS_ADMIN.
 */
const SKIFF_ALSO_REFUSES = [
  "socket:AF_VSOCK+2^32",
  "socket:AF_ALG+2^32",
  "x32:getpid",
  "x32:unshare-NEWUSER",
];

/** The expected line of each case: refused ones get EPERM (clone3 its own errno). */
function expected(refused: string[], clone3: string | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, answer] of Object.entries(KERNEL)) {
    out[name] = typeof answer === "string" ? [answer] : answer;
  }
  for (const name of refused) out[name] = ["EPERM"];
  // without CAP_SYS_ADMIN clone3 is answered ENOSYS, so that libc falls back to clone
  if (clone3) out.clone3 = [clone3];
  return out;
}

/** Runs the probe in a container with the given flags; its lines as case -> answer. */
async function probe(store: TempStore, flags: string[]): Promise<Record<string, string>> {
  const r = await skiff(
    ["run", "--rm", ...flags, "-v", `${PROBE}:/probe:ro`, "busybox", "/probe"],
    store,
  );
  assertEquals(r.code, 0, `${flags.join(" ")}: ${r.stderr}`);
  return parse(r.stdout);
}

/** The probe's lines as case -> answer. */
function parse(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.trim().split("\n")) {
    const i = line.lastIndexOf(" ");
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Compares every case at once, so one failure shows all differences. */
function compare(flags: string, got: Record<string, string>, want: Record<string, string[]>) {
  assertEquals(Object.keys(got).sort(), Object.keys(want).sort(), `${flags}: cases`);
  const wrong = Object.keys(want).filter((k) => !want[k].includes(got[k]))
    .map((k) => `${k}: got ${got[k]}, expected ${want[k].join(" or ")}`);
  assertEquals(wrong, [], `${flags}: outcomes`);
}

/** A store holding busybox; the probe must have been built. */
async function setUp(): Promise<TempStore> {
  const st = await Deno.stat(PROBE).catch(() => undefined);
  assertEquals(st?.isFile, true, `${PROBE} is missing: run make -C ffi`);
  await ensureFixtures();
  const store = await tempStore();
  const load = await skiff(["load", "-i", fixturePaths().dockerArchive], store);
  assertEquals(load.code, 0, load.stderr);
  return store;
}

const DEFAULT = expected([...DOCKER_REFUSES_DEFAULT, ...SKIFF_ALSO_REFUSES], "ENOSYS");
const SYS_ADMIN = expected([...DOCKER_REFUSES_SYS_ADMIN, ...SKIFF_ALSO_REFUSES], undefined);

Deno.test(
  "seccomp probe: the compiled filter answers each conditional case as Docker's profile does",
  opts,
  async () => {
    const store = await setUp();
    try {
      compare("default", await probe(store, []), DEFAULT);
      compare("--cap-add SYS_ADMIN", await probe(store, ["--cap-add", "SYS_ADMIN"]), SYS_ADMIN);
      // CAP_SYS_PTRACE lifts kcmp only
      compare(
        "--cap-add SYS_PTRACE",
        await probe(store, ["--cap-add", "SYS_PTRACE"]),
        expected(
          [...DOCKER_REFUSES_DEFAULT.filter((c) => c !== "kcmp"), ...SKIFF_ALSO_REFUSES],
          "ENOSYS",
        ),
      );
      compare(
        "seccomp=unconfined",
        await probe(store, ["--security-opt", "seccomp=unconfined"]),
        expected([], undefined),
      );
      compare("--privileged", await probe(store, ["--privileged"]), expected([], undefined));
    } finally {
      await store.cleanup();
    }
  },
);

Deno.test(
  "seccomp probe: exec runs under the filter the container was started with",
  opts,
  async () => {
    const store = await setUp();
    try {
      // exec --privileged adds capabilities but keeps the container's filter (Docker, Podman)
      const cases: [string, string[], Record<string, string[]>, string[]][] = [
        ["default", [], DEFAULT, []],
        ["--cap-add SYS_ADMIN", ["--cap-add", "SYS_ADMIN"], SYS_ADMIN, []],
        ["default, exec --privileged", [], DEFAULT, ["--privileged"]],
      ];
      for (const [name, flags, want, execFlags] of cases) {
        const run = await skiff(
          ["run", "-d", ...flags, "-v", `${PROBE}:/probe:ro`, "busybox", "sleep", "600"],
          store,
        );
        assertEquals(run.code, 0, run.stderr);
        const id = run.stdout.trim();
        const r = await skiff(["exec", ...execFlags, id, "/probe"], store);
        assertEquals(r.code, 0, `${name}: ${r.stderr}`);
        compare(`exec into ${name}`, parse(r.stdout), want);
        const rm = await skiff(["rm", "-f", id], store);
        assertEquals(rm.code, 0, rm.stderr);
      }
    } finally {
      await store.cleanup();
    }
  },
);
