/**
 * --pid, --ipc, --uts and --sysctl (issue 11): parsing with Docker's messages, the checks
 * against the network mode, and what the launch plan and OCI spec get from them.
 */
import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  checkNamespaceOptions,
  namespaceHostConfig,
  type NamespaceOptions,
  parseIpcMode,
  parsePidMode,
  parseSysctl,
  parseUtsMode,
} from "../../src/runtime/namespace_options.ts";
import { buildContainerConfig, type ContainerConfigInput } from "../../src/runtime/spec.ts";
import { defaultRunOptions, type RunOptions } from "../../src/runtime/run_options.ts";
import { deriveContainer } from "../../src/runtime/create.ts";
import { serializePlan } from "../../src/runtime/plan_format.ts";

const ID = "0123456789abcdef".repeat(4);

function build(namespaces: NamespaceOptions, extra: Partial<ContainerConfigInput> = {}) {
  const o: RunOptions = { ...defaultRunOptions(), namespaces };
  return buildContainerConfig({
    id: ID,
    container: deriveContainer(ID, { Cmd: ["sh"] }, o),
    options: o,
    layers: ["/l/base"],
    bundle: {
      upper: "/c/upper",
      work: "/c/work",
      merged: "/c/merged",
      stateDir: "/run/skiff/containers/x",
      logPath: "/c/ctr.log",
    },
    user: { uid: 0, gid: 0, additionalGids: [], home: "/root" },
    cgroupPaths: ["/sys/fs/cgroup/skiff/" + ID],
    volumes: {},
    cleanupCommand: [],
    networkHook: [],
    ...extra,
  });
}

const message = (re: RegExp) => ({ message: re });

Deno.test("--pid, --ipc, --uts: Docker's modes, and Docker's one-line refusals", () => {
  assertEquals(parsePidMode(""), undefined);
  assertEquals(parsePidMode("host"), "host");
  assertEquals(parsePidMode("container:web"), "container:web");
  throws(() => parsePidMode("private"), message(/^--pid: invalid PID mode$/));
  throws(() => parsePidMode("container:"), message(/invalid PID mode/));
  for (const m of ["private", "shareable", "host", "none", "container:db"]) {
    assertEquals(parseIpcMode(m), m);
  }
  throws(() => parseIpcMode("shared"), message(/^--ipc: invalid IPC mode$/));
  assertEquals(parseUtsMode("host"), "host");
  throws(() => parseUtsMode("private"), message(/^--uts: invalid UTS mode$/));
  throws(
    () => checkNamespaceOptions({ uts: "host" }, { network: "private", hostname: "x" }),
    message(/^Conflicting options: hostname and the UTS mode$/),
  );
});

Deno.test("--sysctl: Docker's allow-list only, and network ones only with a netns of its own", () => {
  assertEquals(parseSysctl("kernel.shmmax=1024"), ["kernel.shmmax", "1024"]);
  assertEquals(parseSysctl("fs.mqueue.msg_max=20"), ["fs.mqueue.msg_max", "20"]);
  assertEquals(parseSysctl("net.ipv4.ip_forward=1"), ["net.ipv4.ip_forward", "1"]);
  assertEquals(parseSysctl("kernel.sem=250 32000 32 128"), ["kernel.sem", "250 32000 32 128"]);
  for (const bad of ["kernel.hostname=x", "vm.swappiness=1", "kernel.shmmax", "fs.file-max=9"]) {
    throws(
      () => parseSysctl(bad),
      message(new RegExp(`^invalid argument "${bad}" for "--sysctl" flag: .* is not whitelisted$`)),
    );
  }
  // the key is a path under /proc/sys: nothing that climbs out or names a directory
  for (const bad of ["net../../x=1", "net.ipv4/../../x=1", "net..x=1", "net.=1"]) {
    throws(() => parseSysctl(bad), message(/not whitelisted/));
  }
  const net = { sysctls: { "net.ipv4.ip_forward": "1" } };
  checkNamespaceOptions(net, { network: "private" });
  throws(() => checkNamespaceOptions(net, { network: "host" }), message(/host network/));
  throws(() => checkNamespaceOptions(net, { network: "container:a" }), message(/host network/));
  const ipc = { sysctls: { "kernel.shmmax": "1" } };
  checkNamespaceOptions(ipc, { network: "host" });
  throws(() => checkNamespaceOptions({ ...ipc, ipc: "host" }, { network: "private" }), /IPC/);
});

Deno.test("host modes leave the namespace out; joined ones name the other's namespace file", () => {
  const types = (r: ReturnType<typeof build>) => r.plan.namespaces.map((n) => n.type);
  assertEquals(types(build({})).slice(0, 4), ["mount", "pid", "ipc", "uts"]);
  const host = build({ pid: "host", ipc: "host", uts: "host" }, { hostHostname: "myhost" });
  assertEquals(types(host).filter((t) => ["pid", "ipc", "uts"].includes(t)), []);
  assertEquals(host.plan.hostname, "myhost");
  assertEquals(host.spec.process.env.includes("HOSTNAME=myhost"), true);
  // the host's /dev/shm with the host's IPC namespace, as Docker does
  assertEquals(host.plan.mounts.find((m) => m.destination === "/dev/shm")?.source, "/dev/shm");
  const joined = build({ pid: "container:a", ipc: "container:a" }, {
    namespaceJoins: { pid: "/proc/7/ns/pid", ipc: "/proc/7/ns/ipc", shmDir: "/run/x/shm" },
  });
  assertEquals(joined.plan.namespaces.filter((n) => n.path), [
    { type: "pid", path: "/proc/7/ns/pid" },
    { type: "ipc", path: "/proc/7/ns/ipc" },
  ]);
  assertEquals(joined.spec.linux.namespaces.find((n: { type: string }) => n.type === "pid"), {
    type: "pid",
    path: "/proc/7/ns/pid",
  });
  const shm = joined.plan.mounts.find((m) => m.destination === "/dev/shm");
  assertEquals([shm?.type, shm?.source], ["bind", "/run/x/shm"]);
  throws(() => build({ pid: "container:a" }), /no pid namespace was resolved/);
  // --ipc none: no /dev/shm at all
  assertEquals(build({ ipc: "none" }).plan.mounts.some((m) => m.destination === "/dev/shm"), false);
});

Deno.test("--sysctl reaches the plan (as a path under /proc/sys) and the OCI spec", () => {
  const r = build({ sysctls: { "net.ipv4.ip_forward": "1", "kernel.shmmax": "4096" } });
  assertEquals(r.plan.sysctls, [
    { key: "net.ipv4.ip_forward", path: "net/ipv4/ip_forward", value: "1" },
    { key: "kernel.shmmax", path: "kernel/shmmax", value: "4096" },
  ]);
  assertEquals(r.spec.linux.sysctl, { "net.ipv4.ip_forward": "1", "kernel.shmmax": "4096" });
  const text = serializePlan(r.plan);
  assertEquals(text.includes("sysctl\tnet/ipv4/ip_forward\t1\n"), true);
  assertEquals(build({}).spec.linux.sysctl, undefined);
});

Deno.test("inspect's HostConfig: Docker's PidMode, IpcMode (private by default), UTSMode, Sysctls", () => {
  assertEquals(namespaceHostConfig({}), { PidMode: "", IpcMode: "private", UTSMode: "" });
  assertEquals(
    namespaceHostConfig({ pid: "host", ipc: "container:db", uts: "host", sysctls: { "a.b": "1" } }),
    { PidMode: "host", IpcMode: "container:db", UTSMode: "host", Sysctls: { "a.b": "1" } },
  );
});
