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
