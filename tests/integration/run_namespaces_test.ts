/**
 * --pid, --ipc, --uts and --sysctl (issue 11), as a user sees them inside the container:
 * the host's processes and name, another container's processes, IPC namespace and /dev/shm,
 * sysctl values under /proc/sys; bad values refused with one line before anything is made.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

/** The namespace in `ls -l /proc/self/ns/X` output ("ipc:[4026531839]"); busybox has no readlink. */
function nsIn(out: string): string {
  const m = /-> (\w+:\[\d+\])/.exec(out);
  assert(m, out);
  return m[1];
}

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

Deno.test("--pid=host shows the host's processes; --pid container:X shows X's", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const host1 = (await Deno.readTextFile("/proc/1/cmdline")).replaceAll("\0", " ");
    const seen = await ok(sk, ["run", "--rm", "--pid=host", "busybox", "cat", "/proc/1/cmdline"]);
    assertEquals(seen.replaceAll("\0", " "), host1);
    const own = await ok(sk, ["run", "--rm", "busybox", "cat", "/proc/1/cmdline"]);
    assertEquals(own.replaceAll("\0", " "), "cat /proc/1/cmdline ");
    await ok(sk, ["run", "-d", "--name", "x", "busybox", "sleep", "300"]);
    const ps = await ok(sk, [
      "run",
      "--rm",
      "--pid",
      "container:x",
      "busybox",
      "ps",
      "-o",
      "pid,args",
    ]);
    assert(/^\s*1\s+sleep 300$/m.test(ps), ps);
    const inspect = await ok(sk, ["create", "--pid", "container:x", "busybox"]);
    assertEquals(
      (await ok(sk, ["inspect", "-f", "{{.HostConfig.PidMode}}", inspect.trim()])).trim(),
      "container:x",
    );
  });
});

Deno.test("--pid/--ipc container:X: X must exist at create and run at start", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const missing = await sk(["run", "--rm", "--pid", "container:nosuch", "busybox", "true"]);
    assertEquals([missing.code, missing.stderr.trim()], [125, "Error: No such container: nosuch"]);
    await ok(sk, ["create", "--name", "idle", "busybox", "true"]);
    const stopped = await sk(["run", "--rm", "--pid", "container:idle", "busybox", "true"]);
    assertEquals(stopped.code, 125);
    assertEquals(stopped.stderr.trim(), "Error: cannot join PID of a non running container: idle");
    // a donor of IPC must be shareable, as Docker asks
    await ok(sk, ["run", "-d", "--name", "priv", "busybox", "sleep", "300"]);
    const priv = await sk(["run", "--rm", "--ipc", "container:priv", "busybox", "true"]);
    assertEquals(priv.code, 125);
    assertStringIncludes(priv.stderr, "non-shareable IPC");
    assertEquals(priv.stderr.trim().split("\n").length, 1);
    for (
      const [flag, value, msg] of [
        ["--pid", "private", "--pid: invalid PID mode"],
        ["--ipc", "shared", "--ipc: invalid IPC mode"],
        ["--uts", "private", "--uts: invalid UTS mode"],
      ]
    ) {
      const r = await sk(["create", "--name", "bad", flag, value, "busybox"]);
      assertEquals([r.code, r.stderr.trim()], [125, `Error: ${msg}`]);
    }
    const ps = await ok(sk, ["ps", "-a", "--format", "{{.Names}}"]);
    assertEquals(ps.trim().split("\n").sort(), ["idle", "priv"]);
  });
});

Deno.test(
  "--ipc container:X shares X's IPC namespace and /dev/shm; host and none",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await ok(sk, [
        "run",
        "-d",
        "--name",
        "donor",
        "--ipc",
        "shareable",
        "--sysctl",
        "kernel.shmmni=1234",
        "busybox",
        "sh",
        "-c",
        "echo from-donor > /dev/shm/f; sleep 300",
      ]);
      const donorNs = nsIn(await ok(sk, ["exec", "donor", "ls", "-l", "/proc/self/ns/ipc"]));
      const r = await ok(sk, [
        "run",
        "--rm",
        "--ipc",
        "container:donor",
        "busybox",
        "sh",
        "-c",
        "ls -l /proc/self/ns/ipc | sed 's/.*-> //'; cat /proc/sys/kernel/shmmni; cat /dev/shm/f; echo back > /dev/shm/g",
      ]);
      // one IPC namespace: the donor's sysctl is seen, and the /dev/shm files go both ways
      assertEquals(r.trim().split("\n"), [donorNs, "1234", "from-donor"]);
      assertEquals((await ok(sk, ["exec", "donor", "cat", "/dev/shm/g"])).trim(), "back");
      const other = await ok(sk, ["run", "--rm", "busybox", "cat", "/proc/sys/kernel/shmmni"]);
      assert(other.trim() !== "1234", other);
      const hostNs = await Deno.readLink("/proc/self/ns/ipc");
      const host = await ok(sk, [
        "run",
        "--rm",
        "--ipc=host",
        "busybox",
        "ls",
        "-l",
        "/proc/self/ns/ipc",
      ]);
      assertEquals(nsIn(host), hostNs);
      const none = await sk(["run", "--rm", "--ipc=none", "busybox", "ls", "/dev/shm"]);
      assertEquals(none.code, 1, "no /dev/shm with --ipc=none");
      const modes = await ok(sk, ["inspect", "-f", "{{.HostConfig.IpcMode}}", "donor"]);
      assertEquals(modes.trim(), "shareable");
    });
  },
);

Deno.test("--uts=host: the host's hostname; -h with it is refused", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const name = Deno.hostname();
    assertEquals((await ok(sk, ["run", "--rm", "--uts=host", "busybox", "hostname"])).trim(), name);
    const env = await ok(sk, [
      "run",
      "--rm",
      "--uts=host",
      "busybox",
      "sh",
      "-c",
      "echo $HOSTNAME",
    ]);
    assertEquals(env.trim(), name);
    const uts = await ok(sk, [
      "run",
      "--rm",
      "--uts=host",
      "busybox",
      "ls",
      "-l",
      "/proc/self/ns/uts",
    ]);
    assertEquals(nsIn(uts), await Deno.readLink("/proc/self/ns/uts"));
    const bad = await sk(["run", "--rm", "--uts=host", "-h", "x", "busybox", "true"]);
    assertEquals(
      [bad.code, bad.stderr.trim()],
      [125, "Error: Conflicting options: hostname and the UTS mode"],
    );
  });
});

Deno.test("--sysctl: the values under /proc/sys inside; Docker's refusals", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const r = await ok(sk, [
      "run",
      "--rm",
      "--sysctl",
      "kernel.shmmax=123456789",
      "--sysctl",
      "net.ipv4.ip_forward=1",
      "--sysctl",
      "fs.mqueue.msg_max=20",
      "busybox",
      "cat",
      "/proc/sys/kernel/shmmax",
      "/proc/sys/net/ipv4/ip_forward",
      "/proc/sys/fs/mqueue/msg_max",
    ]);
    assertEquals(r.trim().split("\n"), ["123456789", "1", "20"]);
    // the host's values are untouched
    assert((await Deno.readTextFile("/proc/sys/kernel/shmmax")).trim() !== "123456789");
    const id = (await ok(sk, ["create", "--sysctl", "net.core.somaxconn=1024", "busybox"])).trim();
    const shown = await ok(sk, ["inspect", "-f", "{{json .HostConfig.Sysctls}}", id]);
    assertEquals(JSON.parse(shown), { "net.core.somaxconn": "1024" });
    for (
      const [args, msg] of [
        [
          ["--sysctl", "kernel.hostname=x"],
          `invalid argument "kernel.hostname=x" for "--sysctl" flag: sysctl 'kernel.hostname=x' is not whitelisted`,
        ],
        [
          ["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"],
          `sysctl "net.ipv4.ip_forward" not allowed in host network namespace`,
        ],
      ] as const
    ) {
      const bad = await sk(["run", "--rm", "--name", "refused", ...args, "busybox", "true"]);
      assertEquals([bad.code, bad.stderr.trim()], [125, `Error: ${msg}`]);
    }
    const ps = await ok(sk, ["ps", "-a", "--format", "{{.Names}}"]);
    assert(!ps.includes("refused"), ps);
  });
});
