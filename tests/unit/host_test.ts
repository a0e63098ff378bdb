/**
 * The host seam's contract, played against the real host (in a scratch directory) and the
 * fake alike, so that what unit tests learn from the fake holds on the machine.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import {
  DenoHost,
  type Host,
  procStartTime,
  readJsonFile,
  readTextOr,
} from "../../src/sys/host.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";
import { SysError } from "../../src/sys/errno.ts";

const O_DIRECTORY = 0o200000;

async function contract(host: Host, root: string): Promise<void> {
  // files: a knob is written only when it exists, a reservation only when it does not
  await assertRejects(
    () => host.writeTextFile(`${root}/knob`, "1", { create: false }),
    Deno.errors.NotFound,
  );
  await host.writeTextFile(`${root}/name`, "a", { createNew: true });
  await assertRejects(
    () => host.writeTextFile(`${root}/name`, "b", { createNew: true }),
    Deno.errors.AlreadyExists,
  );
  assertEquals(await host.readTextFile(`${root}/name`), "a");
  await host.writeFileAtomic(`${root}/state.json`, '{"Status":"running"}\n');
  assertEquals(await readJsonFile(host, `${root}/state.json`), { Status: "running" });
  assertEquals(await readJsonFile(host, `${root}/missing.json`), undefined);
  assertEquals(await readTextOr(host, `${root}/missing`, "none"), "none");
  await assertRejects(() => host.readTextFile(`${root}/missing`), Deno.errors.NotFound);

  // directories
  await host.mkdir(`${root}/a/b/c`, { recursive: true });
  await host.mkdir(`${root}/a/b/c`, { recursive: true }); // exists: fine
  await assertRejects(() => host.mkdir(`${root}/a`), Deno.errors.AlreadyExists);
  await assertRejects(() => host.mkdir(`${root}/x/y`), Deno.errors.NotFound);
  assertEquals(await host.exists(`${root}/a/b`), true);
  assertEquals(await host.exists(`${root}/nothing`), false);
  const info = await host.lstat(`${root}/a`);
  assertEquals([info.isDirectory, info.isFile, info.isSymlink], [true, false, false]);
  await host.writeTextFile(`${root}/a/f`, "x");
  const names = (await host.readDir(`${root}/a`)).map((e) => [e.name, e.isDirectory]).sort();
  assertEquals(names, [["b", true], ["f", false]]);
  await host.rename(`${root}/a/f`, `${root}/a/g`);
  assertEquals(await host.exists(`${root}/a/f`), false);
  assertEquals(await host.readTextFile(`${root}/a/g`), "x");
  await host.remove(`${root}/a`, { recursive: true });
  assertEquals(await host.exists(`${root}/a`), false);
  await assertRejects(() => host.remove(`${root}/a`), Deno.errors.NotFound);

  // symlinks, hard links, modes, times and special files
  await host.mkdir(`${root}/d`, { mode: 0o700 });
  await host.writeTextFile(`${root}/d/file`, "data");
  await host.symlink("file", `${root}/d/ln`);
  await assertRejects(() => host.symlink("x", `${root}/d/ln`), Deno.errors.AlreadyExists);
  assertEquals(await host.readLink(`${root}/d/ln`), "file");
  assertEquals((await host.lstat(`${root}/d/ln`)).isSymlink, true);
  const followed = await host.stat(`${root}/d/ln`);
  assertEquals([followed.isFile, followed.isSymlink, followed.size], [true, false, 4]);
  assertEquals(await host.readTextFile(`${root}/d/ln`), "data");
  await host.link(`${root}/d/file`, `${root}/d/hard`);
  const [a, b] = [await host.lstat(`${root}/d/file`), await host.lstat(`${root}/d/hard`)];
  assertEquals([a.ino === b.ino, a.nlink, b.nlink], [true, 2, 2]);
  await host.chmod(`${root}/d/file`, 0o640);
  assertEquals((await host.stat(`${root}/d/file`)).mode! & 0o7777, 0o640);
  await host.lutimes(`${root}/d/file`, 100, 200);
  assertEquals((await host.lstat(`${root}/d/file`)).mtimeMs, 200_000);
  await host.mknod(`${root}/d/fifo`, 0o010644, 0, 0);
  const fifo = await host.lstat(`${root}/d/fifo`);
  assertEquals([fifo.isFifo, fifo.isFile, fifo.mode! & 0o7777], [true, false, 0o644]);
  assertEquals(await host.lgetxattr(`${root}/d/file`, "user.nothing"), undefined);

  // files opened new are never reached through a symlink; reads see what was written
  const out = await host.open(`${root}/d/new`, { write: true, createNew: true, mode: 0o600 });
  await out.write(new TextEncoder().encode("hello"));
  out.close();
  await assertRejects(
    () => host.open(`${root}/d/ln`, { write: true, createNew: true }),
    Deno.errors.AlreadyExists,
  );
  const inp = await host.open(`${root}/d/new`, { read: true });
  assertEquals(new TextDecoder().decode(await new Response(inp.readable).arrayBuffer()), "hello");
  assertEquals((await host.stat(`${root}/d/new`)).mode! & 0o7777, 0o600);

  // inside a root: `..` and absolute symlinks stay in it
  await host.mkdir(`${root}/jail/etc`, { recursive: true });
  await host.writeTextFile(`${root}/jail/etc/passwd`, "jailed");
  await host.symlink("/", `${root}/jail/escape`);
  await host.symlink("../../../..", `${root}/jail/etc/up`);
  for (const p of ["/escape/etc/passwd", "etc/up/etc/passwd", "../../etc/passwd"]) {
    const h = await host.openInRoot(`${root}/jail`, p);
    try {
      assertEquals(await host.readTextFile(h.path), "jailed", p);
    } finally {
      h.close();
    }
  }
  const dir = await host.openInRoot(`${root}/jail`, "escape", { flags: O_DIRECTORY });
  assertEquals((await host.stat(dir.path)).isDirectory, true);
  dir.close();
  for (
    const [p, flags, code] of [
      ["/nothing", undefined, "ENOENT"],
      ["/etc/passwd/x", undefined, "ENOTDIR"],
      ["/etc/passwd", O_DIRECTORY, "ENOTDIR"],
    ] as const
  ) {
    const err = await assertRejects(() => host.openInRoot(`${root}/jail`, p, { flags }), SysError);
    assertEquals(err.code, code, p);
  }
  assert(host.cwd().startsWith("/"));
  assert(host.execPath() !== "");

  // a temporary file is new and empty
  const tmp = await host.makeTempFile({ dir: root, prefix: "skiff-exec-" });
  assert(tmp.startsWith(`${root}/skiff-exec-`), tmp);
  assertEquals(await host.readTextFile(tmp), "");

  // locks run one holder at a time
  const order: string[] = [];
  await Promise.all(["one", "two"].map((n) =>
    host.withLock(`${root}/test.lock`, async () => {
      order.push(`${n} in`);
      await host.sleep(1);
      order.push(`${n} out`);
    })
  ));
  // either may go first, but never both at once
  const first = order[0].split(" ")[0], second = first === "one" ? "two" : "one";
  assertEquals(order, [`${first} in`, `${first} out`, `${second} in`, `${second} out`]);

  // processes: a pid that does not exist
  assertEquals(await procStartTime(host, 0), undefined);
  assertEquals(await procStartTime(host, 2 ** 22 + 1), undefined);
  let threw: unknown;
  try {
    host.kill(2 ** 22 + 1, "SIGTERM");
  } catch (err) {
    threw = err;
  }
  assert(threw instanceof Deno.errors.NotFound, String(threw));
}

Deno.test("host contract: the real host", async () => {
  const root = await Deno.makeTempDir({ prefix: "skiff-host-" });
  try {
    const host = new DenoHost();
    await contract(host, root);
    // this very process is alive and not a zombie
    assert((await procStartTime(host, Deno.pid)) !== undefined);
    const out = await host.run("sh", { args: ["-c", "echo out; echo err >&2; exit 3"] });
    assertEquals([out.code, out.success, out.signal], [3, false, null]);
    assertEquals(new TextDecoder().decode(out.stdout), "out\n");
    assertEquals(new TextDecoder().decode(out.stderr), "err\n");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("host contract: the fake host", async () => {
  const host = new FakeHost();
  host.addDir("/scratch");
  await contract(host, "/scratch");
  host.addProcess(7, { startTime: "123" });
  assertEquals(await procStartTime(host, 7), "123");
  host.addProcess(8, { startTime: "124", zombie: true });
  assertEquals(await procStartTime(host, 8), undefined);
});

Deno.test("fake host: a busy cgroup cannot be removed; failures can be planted", async () => {
  const host = new FakeHost();
  host.addDir("/sys/fs/cgroup/skiff/c1", { "cgroup.procs": "42\n" });
  await assertRejects(() => host.remove("/sys/fs/cgroup/skiff/c1"), Deno.errors.Busy);
  await assertRejects(() => host.remove("/sys/fs/cgroup/skiff"), Deno.errors.Busy);
  host.files.set("/sys/fs/cgroup/skiff/c1/cgroup.procs", "");
  await host.remove("/sys/fs/cgroup/skiff/c1");
  assertEquals(host.removed, ["/sys/fs/cgroup/skiff/c1"]);

  host.fail("writeTextFile", /\.max$/, new Deno.errors.PermissionDenied("read-only"));
  host.addFile("/sys/fs/cgroup/pids.max", "max");
  await assertRejects(
    () => host.writeTextFile("/sys/fs/cgroup/pids.max", "10"),
    Deno.errors.PermissionDenied,
  );
  await host.writeTextFile("/sys/fs/cgroup/other", "1");
});

Deno.test("real host: connects to a unix socket whose path is longer than sockaddr_un holds", async () => {
  const root = await Deno.makeTempDir({ prefix: "skiff-host-" });
  const dir = `${root}/${"d".repeat(60)}/${"e".repeat(60)}`;
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/attach`;
  const here = Deno.cwd();
  Deno.chdir(dir); // the listener too can only bind it relative to its directory
  const listener = Deno.listen({ transport: "unix", path: "attach" });
  Deno.chdir(here);
  try {
    assert(path.length > 108, "the path must not fit in a sockaddr_un");
    const host = new DenoHost();
    const cwd = Deno.cwd();
    const accepted = listener.accept();
    const conn = await host.connectUnix(path);
    const server = await accepted;
    assertEquals(Deno.cwd(), cwd); // the working directory is restored
    await conn.write(new TextEncoder().encode("hi"));
    const buf = new Uint8Array(2);
    assertEquals(await server.read(buf), 2);
    assertEquals(new TextDecoder().decode(buf), "hi");
    conn.close();
    server.close();
    // nothing listens: NotFound, carried up
    let threw: unknown;
    await host.connectUnix(`${dir}/none`).catch((err) => threw = err);
    assert(threw instanceof Deno.errors.NotFound, String(threw));
  } finally {
    listener.close();
    await Deno.remove(root, { recursive: true });
  }
});
