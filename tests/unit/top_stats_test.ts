/** `top` and `stats` of a container on the fake host: its processes only, its cgroup's figures. */
import { assertEquals, assertRejects } from "../helpers/assert.ts";
import { FailedPreconditionError } from "../../src/errors.ts";
import { sampleStats } from "../../src/runtime/stats.ts";
import { topContainer } from "../../src/runtime/top.ts";
import { FakeCgroups, ID, PID, record, runningScene, scene, store } from "./fake_runtime.ts";

const encode = (s: string) => new TextEncoder().encode(s);

Deno.test("top: ps of the host, cut to the pids in the container's cgroup", async () => {
  const rec = record();
  const { host } = runningScene(rec);
  const cgroups = new FakeCgroups();
  cgroups.members.set(ID, [PID, 950]);
  host.onRun = () => ({
    stdout: encode(
      "UID PID PPID CMD\nroot 1 0 /sbin/init\nroot 901 900 sleep 60\nroot 950 901 sh -c x\n",
    ),
  });
  const top = await topContainer(store, rec, ["-o", "pid,cmd"], { host, cgroups });
  assertEquals(host.runs.map((r) => [r.program, r.command.args]), [["ps", ["-o", "pid,cmd"]]]);
  assertEquals(top.processes, [["root", "901", "900", "sleep 60"], [
    "root",
    "950",
    "901",
    "sh -c x",
  ]]);

  host.onRun = () => ({ code: 1, stderr: encode("error: unknown option\n") });
  const err = await assertRejects(() => topContainer(store, rec, ["-Z"], { host, cgroups }), Error);
  assertEquals(err.message, "ps: error: unknown option");

  const stopped = scene(rec, { Status: "exited" }).host;
  const refused = await assertRejects(
    () => topContainer(store, rec, [], { host: stopped, cgroups }),
    FailedPreconditionError,
  );
  assertEquals([refused.message, refused.exitCode], [`Container ${ID} is not running`, 1]);
  assertEquals(stopped.runs, []);
});

Deno.test("stats: the cgroup's figures less the inactive file cache, network from /proc", async () => {
  const rec = record();
  const { host } = runningScene(rec);
  const cgroups = new FakeCgroups();
  cgroups.stats = () => Promise.resolve({ cpuUsageNs: 5e9, memoryUsage: 100 << 20, pids: 2 });
  const dir = `/sys/fs/cgroup/skiff/${ID}`;
  host.addFile(`${dir}/memory.stat`, `anon 1\ninactive_file ${10 << 20}\n`);
  host.addFile(`${dir}/io.stat`, "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2\n");
  host.addFile("/proc/stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1\ncpu1 1\n");
  host.addFile("/proc/meminfo", "MemTotal:       2048 kB\n");
  host.addFile(
    `/proc/${PID}/net/dev`,
    "Inter-|\n face |\n    lo: 999 1 0 0 0 0 0 0 999 1 0 0 0 0 0 0\n  eth0: 1500 3 0 0 0 0 0 0 700 2 0 0 0 0 0 0\n",
  );
  const s = await sampleStats(store, rec, cgroups, host);
  assertEquals(
    [s.valid, s.cpuNs, s.memUsage, s.memLimit, s.blkRead, s.blkWrite, s.netRx, s.netTx, s.pids],
    [true, 5e9, 90 << 20, 2048 * 1024, 4096, 8192, 1500, 700, 2],
  );
  assertEquals([s.systemNs, s.onlineCpus], [1000 * 1e7, 2]);

  const stopped = scene(rec, { Status: "exited" }).host;
  assertEquals((await sampleStats(store, rec, cgroups, stopped)).valid, false);
});
