/**
 * Starting a container, planned on the fake host: what is prepared in which order, what the
 * monitor is asked to mount and join, and what a failed start undoes.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { FailedPreconditionError, NotFoundError, SkiffError } from "../../src/errors.ts";
import { NoCgroups } from "../../src/runtime/cgroups.ts";
import { startContainer } from "../../src/runtime/start.ts";
import type { FakeHost } from "../../src/sys/fake_host.ts";
import {
  DIR,
  type Events,
  FakeCgroups,
  FakeNetwork,
  FakeRootfs,
  ID,
  MONITOR_PID,
  PID,
  planLines,
  record,
  RUN_DIR,
  runningScene,
  scene,
  store,
} from "./fake_runtime.ts";
import { rfc3339Nano } from "../../src/units.ts";

/** The fake monitor: records the start, starts the container's process, reports its pid. */
function monitorStarts(host: FakeHost, events: Events): void {
  host.onRun = (program, command) => {
    assert(program.endsWith("skiff-monitor"), program);
    assertEquals(command.args, ["start", `${DIR}/plan`]);
    events.push("monitor start");
    host.addFile(`${RUN_DIR}/monitor.pid`, `${MONITOR_PID}\n`);
    host.addProcess(MONITOR_PID, { startTime: "700" });
    host.addProcess(PID, { startTime: "701" });
    return { code: 0, stdout: new TextEncoder().encode(`${PID}\n`) };
  };
}

function seams(events: Events) {
  return {
    cgroups: new FakeCgroups(events),
    rootfs: new FakeRootfs(events),
    network: new FakeNetwork(events),
  };
}

Deno.test("start: cgroups, root, network, then the monitor; the state records both pids", async () => {
  const rec = record();
  const { host, events } = scene(rec);
  // leftovers of a previous run, which must not be mistaken for this one's
  for (const f of ["exit", "stopping", "restarts", "pid", "finished"]) {
    host.addFile(`${RUN_DIR}/${f}`, "1");
  }
  host.addFile(`${DIR}/exit.json`, "{}");
  monitorStarts(host, events);
  const s = seams(events);
  const state = await startContainer(store, rec, { host, ...s });

  assertEquals(events, [
    `cgroups create ${ID}`,
    `rootfs prepare ${ID}`,
    `network up ${ID}`,
    "monitor start",
  ]);
  for (const f of ["exit", "stopping", "restarts", "pid", "finished"]) {
    assert(host.removed.includes(`${RUN_DIR}/${f}`), f);
  }
  assert(host.removed.includes(`${DIR}/exit.json`));
  assertEquals(s.cgroups.limits.get(ID)?.devices, "default");
  assertEquals(
    [state.Status, state.Pid, state.MonitorPid, state.MonitorStartTime],
    ["running", PID, MONITOR_PID, "700"],
  );
  assertEquals(state.StartedAt, rfc3339Nano(host.now())); // docker's RFC3339Nano
  assertEquals(JSON.parse(host.file(`${DIR}/state.json`)!), state);
});

Deno.test("start: the plan mounts the provider's root and joins the network's namespace", async () => {
  const rec = record();
  const { host, events } = scene(rec);
  monitorStarts(host, events);
  await startContainer(store, rec, { host, ...seams(events) });
  const plan = planLines(host.file(`${DIR}/plan`)!);
  const all = (word: string) => plan.filter((l) => l[0] === word).map((l) => l.slice(1));
  const one = (word: string) => all(word)[0];

  // the overlay: lower directories top first, then the container's own directories
  assertEquals(all("lower"), [["/layers/top"], ["/layers/base"]]);
  assertEquals([one("upper"), one("work"), one("target")], [
    [`${DIR}/upper`],
    [`${DIR}/work`],
    [`${DIR}/merged`],
  ]);
  // mounts in order: a parent before what is mounted inside it, the /etc files last
  const dests = all("mount").map((m) => m[1]);
  const at = (d: string) => dests.indexOf(d);
  for (const d of ["/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup"]) assert(at(d) >= 0, d);
  assert(at("/dev") < at("/dev/pts") && at("/dev") < at("/dev/shm"));
  assert(at("/sys") < at("/sys/fs/cgroup"));
  assertEquals(dests.slice(-3), ["/etc/resolv.conf", "/etc/hostname", "/etc/hosts"]);
  const etc = all("mount").slice(-3).map((m) => m[0]);
  assertEquals(etc, [`${DIR}/resolv.conf`, `${DIR}/hostname`, `${DIR}/hosts`]);
  assertEquals(host.file(`${DIR}/hostname`), `${rec.Hostname}\n`);

  // the namespace file the network driver made, its hook and its tear-down
  assertEquals(all("namespace").find((n) => n[0] === "net"), ["net", "/run/skiff/netns/fake"]);
  assertEquals(one("network-hook"), ["/usr/libexec/skiff-net", "up"]);
  assertEquals(one("cleanup"), ["/usr/libexec/skiff-net", "down"]);
  const spec = JSON.parse(host.file(`${DIR}/config.json`)!);
  assertEquals(
    spec.linux.namespaces.find((n: { type: string }) => n.type === "network"),
    { type: "network", path: "/run/skiff/netns/fake" },
  );
  // the cgroups the manager made, removed by the monitor after the last exit
  assertEquals(all("cgroup"), [[`/sys/fs/cgroup/skiff/${ID}`]]);
  assertEquals(one("remove-cgroups"), ["1"]);
  assertEquals(one("exit-record"), [`${DIR}/exit.json`]);
  assertEquals(all("remove"), []);
  assertEquals(all("uid-map"), []);
});

Deno.test("start: --cgroup-parent places the cgroups under it; a failed start removes them there", async () => {
  const rec = record({ cgroupParent: "/ci/job7" });
  assertEquals(rec.CgroupParent, "/ci/job7");
  const { host, events } = scene(rec);
  monitorStarts(host, events);
  await startContainer(store, rec, { host, ...seams(events) });
  const plan = planLines(host.file(`${DIR}/plan`)!);
  assertEquals(plan.filter((l) => l[0] === "cgroup"), [["cgroup", `/sys/fs/cgroup/ci/job7/${ID}`]]);
  assertEquals(events[0], `cgroups create ${ID} in ci/job7`);
  // the OCI spec names the same cgroup, as runc would be given it
  assertEquals(JSON.parse(host.file(`${DIR}/config.json`)!).linux.cgroupsPath, `/ci/job7/${ID}`);

  const again = scene(rec);
  again.host.onRun = () => ({ code: 1, stderr: new TextEncoder().encode("Error: broke\n") });
  await assertRejects(
    () => startContainer(store, rec, { host: again.host, ...seams(again.events) }),
    SkiffError,
  );
  assertEquals(again.events.filter((e) => e.startsWith("cgroups")), [
    `cgroups create ${ID} in ci/job7`,
    `cgroups destroy ${ID} in ci/job7 kill`,
  ]);
});

Deno.test("start: --network host joins no namespace and takes the host's name", async () => {
  const rec = record({ network: "host" });
  const { host, events } = scene(rec);
  monitorStarts(host, events);
  await startContainer(store, rec, {
    host,
    cgroups: new FakeCgroups(events),
    rootfs: new FakeRootfs(events),
  });
  const plan = planLines(host.file(`${DIR}/plan`)!);
  assertEquals(plan.filter((l) => l[0] === "namespace" && l[1] === "net"), []);
  assertEquals(plan.filter((l) => l[0] === "network-hook" || l[0] === "cleanup"), []);
  assertEquals(host.file(`${DIR}/hostname`), "fakehost\n");
  assertEquals(host.file(`${DIR}/hosts`), "127.0.0.1 localhost\n");
});

Deno.test("start: --rm makes the monitor remove the data, the name, the run directory last", async () => {
  const rec = record({ autoRemove: true });
  const { host, events } = scene(rec);
  monitorStarts(host, events);
  await startContainer(store, rec, { host, ...seams(events) });
  const removes = planLines(host.file(`${DIR}/plan`)!).filter((l) => l[0] === "remove");
  const lock = `${store.locks}/names.lock`;
  assertEquals(removes, [
    ["remove", DIR, lock],
    ["remove", `${store.root}/names/web`, lock, ID],
    ["remove", RUN_DIR],
  ]);
});

Deno.test("start: default limits are lowered to what this process may set", async () => {
  const rec = record();
  const { host, events } = scene(rec);
  host.addFile("/proc/self/limits", "Max open files            1024                 4096\n");
  host.addFile("/proc/self/status", "CapEff:\t0000000000000000\n");
  monitorStarts(host, events);
  await startContainer(store, rec, { host, ...seams(events) });
  const nofile = planLines(host.file(`${DIR}/plan`)!).find((l) =>
    l[0] === "rlimit" && l[1] === "nofile"
  );
  assertEquals(nofile, ["rlimit", "nofile", "4096", "4096"]);
  const spec = JSON.parse(host.file(`${DIR}/config.json`)!);
  assertEquals(
    spec.process.rlimits.find((r: { type: string }) => r.type === "RLIMIT_NOFILE"),
    { type: "RLIMIT_NOFILE", hard: 4096, soft: 4096 },
  );
});

Deno.test("start: a monitor that fails undoes the network and the cgroups, keeps the error", async () => {
  const rec = record();
  const { host, events } = scene(rec);
  host.onRun = () => {
    events.push("monitor start");
    return { code: 1, stderr: new TextEncoder().encode("Error: mount overlay: no space\n") };
  };
  const err = await assertRejects(
    () => startContainer(store, rec, { host, ...seams(events) }),
    SkiffError,
  );
  assertEquals(err.message, "mount overlay: no space");
  assertEquals(events, [
    `cgroups create ${ID}`,
    `rootfs prepare ${ID}`,
    `network up ${ID}`,
    "monitor start",
    `network down ${ID}`,
    `cgroups destroy ${ID} kill`,
  ]);
  const state = JSON.parse(host.file(`${DIR}/state.json`)!);
  assertEquals([state.Status, state.Error], ["created", "mount overlay: no space"]);
});

Deno.test("start: a running container is left as it is", async () => {
  const rec = record();
  const { host, events } = runningScene(rec);
  const state = await startContainer(store, rec, { host, ...seams(events) });
  assertEquals([state.Status, state.Pid], ["running", PID]);
  assertEquals(events, []);
  assertEquals(host.runs, []);
});

Deno.test("start: an id mapper's maps give the container a user namespace", async () => {
  const rec = record();
  const { host, events } = scene(rec);
  monitorStarts(host, events);
  const idMapper = {
    mappings: () => Promise.resolve({ uid: ["0 100000 65536"], gid: ["0 200000 65536"] }),
  };
  await startContainer(store, rec, { host, ...seams(events), idMapper });
  const plan = planLines(host.file(`${DIR}/plan`)!);
  assertEquals(plan.filter((l) => l[0] === "uid-map"), [["uid-map", "0", "100000", "65536"]]);
  assertEquals(plan.filter((l) => l[0] === "gid-map"), [["gid-map", "0", "200000", "65536"]]);
  assert(plan.some((l) => l[0] === "namespace" && l[1] === "user"));
  const spec = JSON.parse(host.file(`${DIR}/config.json`)!);
  assertEquals(spec.linux.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
});

Deno.test("start: without cgroups (rootless, no delegation) the plan has none to join or remove", async () => {
  const rec = record();
  const { host, events } = scene(rec);
  monitorStarts(host, events);
  await startContainer(store, rec, {
    host,
    cgroups: new NoCgroups(2),
    rootfs: new FakeRootfs(events),
    network: new FakeNetwork(events),
  });
  const plan = planLines(host.file(`${DIR}/plan`)!);
  assertEquals(plan.filter((l) => l[0] === "cgroup"), []);
  assertEquals(plan.find((l) => l[0] === "remove-cgroups"), ["remove-cgroups", "0"]);

  // and a limit it cannot apply is refused before anything else is prepared
  const limited = record({ memory: 64 << 20 });
  const s = scene(limited);
  monitorStarts(s.host, s.events);
  await assertRejects(
    () =>
      startContainer(store, limited, {
        host: s.host,
        cgroups: new NoCgroups(2),
        rootfs: new FakeRootfs(s.events),
        network: new FakeNetwork(s.events),
      }),
    FailedPreconditionError,
  );
  assertEquals(s.events, []);
  assertEquals(s.host.runs, []);
});

Deno.test("start: a root that cannot be prepared sets up no network and removes the cgroups", async () => {
  const rec = record();
  const { host, events } = scene(rec);
  monitorStarts(host, events);
  const rootfs = new FakeRootfs(events);
  rootfs.prepare = () => Promise.reject(new NotFoundError("layer missing"));
  await assertRejects(
    () => startContainer(store, rec, { host, ...seams(events), rootfs }),
    NotFoundError,
  );
  assertEquals(events, [`cgroups create ${ID}`, `cgroups destroy ${ID} kill`]);
  assertEquals(host.runs, []);
  const state = JSON.parse(host.file(`${DIR}/state.json`)!);
  assertEquals([state.Status, state.Error], ["created", "layer missing"]);
});

Deno.test("start: a privileged container gets the host's device nodes, a default one does not", async () => {
  const loop = {
    path: "/dev/loop0",
    type: "b" as const,
    major: 7,
    minor: 0,
    mode: 0o600,
    uid: 0,
    gid: 6,
  };
  const devicesOf = async (privileged: boolean) => {
    const rec = record({ privileged });
    const { host, events } = scene(rec);
    host.devices = [loop, { ...loop, path: "/dev/net/tun", type: "c", major: 10, minor: 200 }];
    monitorStarts(host, events);
    await startContainer(store, rec, { host, ...seams(events) });
    const config = JSON.parse(host.file(`${DIR}/config.json`)!);
    return (config.linux.devices as { path: string; type: string; major: number }[])
      .map((d) => `${d.path} ${d.type} ${d.major}`);
  };
  const privileged = await devicesOf(true);
  assert(privileged.includes("/dev/loop0 b 7"), privileged.join(", "));
  assert(privileged.includes("/dev/net/tun c 10"), privileged.join(", "));
  assert(privileged.includes("/dev/null c 1"), privileged.join(", "));
  const plain = await devicesOf(false);
  assert(!plain.some((d) => d.startsWith("/dev/loop0") || d.startsWith("/dev/net/tun")));
  assert(plain.includes("/dev/null c 1"), plain.join(", "));
});
