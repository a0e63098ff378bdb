import { deepStrictEqual as assertEquals, ok as assert, throws } from "node:assert/strict";
import {
  buildContainerConfig,
  cgroupLimits,
  commandLine,
  type ContainerConfigInput,
  DEFAULT_DEVICES,
  findInitBinary,
  type ImageRuntimeConfig,
  mergeEnv,
  tmpfsOptions,
  userSpec,
} from "../../src/runtime/spec.ts";
import { defaultRunOptions, type RunOptions } from "../../src/runtime/run_options.ts";
import { deriveContainer } from "../../src/runtime/create.ts";
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from "../../src/runtime/mounts.ts";
import {
  DOCKER_DEFAULT_CAPABILITIES,
  DOCKER_MASKED_PATHS,
  DOCKER_READONLY_PATHS,
  KERNEL_CAPABILITIES,
  sorted,
} from "../helpers/docker_defaults.ts";
import { evaluateSeccomp, type SeccompFilter } from "../../src/runtime/seccomp_profile.ts";
import { FailedPreconditionError, InvalidArgumentError } from "../../src/errors.ts";

const ID = "0123456789abcdef".repeat(4);
const ctx = { cwd: "/", exists: () => true };

const IMAGE: ImageRuntimeConfig = {
  Env: ["PATH=/usr/bin:/bin", "LANG=C"],
  Cmd: ["sh"],
  WorkingDir: "",
};

/** The spec input for a container created from `image` with `options` (create decides first). */
function input(
  options: Partial<RunOptions> = {},
  extra: Partial<ContainerConfigInput> = {},
  image: ImageRuntimeConfig = IMAGE,
): ContainerConfigInput {
  const o = { ...defaultRunOptions(), ...options };
  return {
    id: ID,
    container: deriveContainer(ID, image, o),
    options: o,
    layers: ["/l/top", "/l/base"],
    bundle: {
      upper: "/c/upper",
      work: "/c/work",
      merged: "/c/merged",
      stateDir: "/run/skiff/containers/x",
      logPath: "/c/ctr.log",
    },
    user: { uid: 0, gid: 0, additionalGids: [10], home: "/root" },
    cgroupPaths: ["/sys/fs/cgroup/skiff/" + ID],
    volumes: {},
    cleanupCommand: ["skiff", "container", "cleanup", ID],
    networkHook: ["skiff", "network", "setup", ID],
    ...extra,
  };
}

const build = (o: Partial<RunOptions> = {}, e: Partial<ContainerConfigInput> = {}) =>
  buildContainerConfig(input(o, e));

function assertError(f: () => unknown, cls: unknown, message: string) {
  throws(f, (e: Error) => {
    assertEquals(e.message, message);
    assert(e instanceof (cls as typeof Error));
    return true;
  });
}

Deno.test("env: image env then -e by key, default PATH, HOSTNAME, TERM with tty, HOME", () => {
  assertEquals(mergeEnv(["PATH=/bin", "A=1"], ["A=2", "B=3", "PATH"]), ["A=2", "B=3"]);
  const { plan } = build({ env: ["LANG=fr_FR", "X=1"], tty: true });
  assertEquals(plan.process.env, [
    "PATH=/usr/bin:/bin",
    "HOSTNAME=0123456789ab",
    "TERM=xterm",
    "LANG=fr_FR",
    "X=1",
    "HOME=/root",
  ]);
  const bare = buildContainerConfig(input({ env: ["HOME=/x"] }, {}, { Cmd: ["sh"] }));
  assertEquals(bare.plan.process.env, [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOSTNAME=0123456789ab",
    "HOME=/x",
  ]);
});

Deno.test("command: entrypoint and cmd override rules", () => {
  const img = { Entrypoint: ["/init"], Cmd: ["serve"] };
  const o = defaultRunOptions();
  assertEquals(commandLine(img, o), ["/init", "serve"]);
  assertEquals(commandLine(img, { ...o, cmd: ["sh"] }), ["/init", "sh"]);
  assertEquals(commandLine(img, { ...o, entrypoint: "/bin/ls" }), ["/bin/ls"]);
  assertEquals(commandLine(img, { ...o, entrypoint: "/bin/ls", cmd: ["-l"] }), ["/bin/ls", "-l"]);
  assertEquals(commandLine(img, { ...o, entrypoint: "", cmd: ["echo", "hi"] }), ["echo", "hi"]);
  assertError(
    () => commandLine(img, { ...o, entrypoint: "" }),
    InvalidArgumentError,
    "No command specified",
  );
  assertError(() => commandLine({}, o), InvalidArgumentError, "No command specified");
  assertEquals(commandLine({ Cmd: null, Entrypoint: null }, { ...o, cmd: ["x"] }), ["x"]);
});

Deno.test("hostname, workdir, user spec, stop signal", () => {
  const { plan } = build();
  assertEquals(plan.hostname, "0123456789ab");
  assertEquals(plan.process.cwd, "/");
  assertEquals(plan.state.stopSignal, "SIGTERM");
  assertEquals(build({ hostname: "web" }).plan.hostname, "web");
  assertEquals(build({ network: "host" }, { hostHostname: "box" }).plan.hostname, "box");
  assertEquals(build({ workdir: "/srv/app/" }).plan.process.cwd, "/srv/app");
  assertEquals(
    buildContainerConfig(input({}, {}, { Cmd: ["sh"], WorkingDir: "app" })).plan.process.cwd,
    "/app",
  );
  assertError(
    () => build({ workdir: "rel" }),
    InvalidArgumentError,
    "the working directory 'rel' is invalid, it needs to be an absolute path",
  );
  assertEquals(build({ stopSignal: "9" }).plan.state.stopSignal, "SIGKILL");
  const img = buildContainerConfig(input({}, {}, { Cmd: ["sh"], StopSignal: "SIGQUIT" }));
  assertEquals(img.plan.state.stopSignal, "SIGQUIT");
  assertEquals(userSpec({ User: "nginx" }, defaultRunOptions()), "nginx");
  assertEquals(userSpec({ User: "nginx" }, { ...defaultRunOptions(), user: "1:2" }), "1:2");
  assertEquals(userSpec({}, defaultRunOptions()), "");
});

Deno.test("plan carries rootfs, user, state, restart, hooks", () => {
  const { plan } = build({ restart: { name: "on-failure", maxRetries: 3 }, interactive: true });
  assertEquals(plan.rootfs, {
    lowerdirs: ["/l/top", "/l/base"],
    upperdir: "/c/upper",
    workdir: "/c/work",
    target: "/c/merged",
  });
  assertEquals([plan.process.uid, plan.process.gid, plan.process.additionalGids], [0, 0, [10]]);
  assertEquals(plan.process.stdin, true);
  assertEquals(plan.process.terminal, false);
  assertEquals(plan.restart, { policy: "on-failure", maxRetries: 3 });
  assertEquals(plan.state.logPath, "/c/ctr.log");
  assertEquals(plan.networkHook[0], "skiff");
  assertEquals(plan.cleanupCommand?.at(-1), ID);
  assertEquals(plan.readonlyRoot, false);
  assertEquals(build({ readOnly: true }).plan.readonlyRoot, true);
});

Deno.test("default mounts in Docker's order and options", () => {
  const { plan } = build();
  assertEquals(plan.mounts.map((m) => m.destination), [
    "/proc",
    "/dev",
    "/dev/pts",
    "/sys",
    "/sys/fs/cgroup",
    "/dev/mqueue",
    "/dev/shm",
  ]);
  const by = (d: string) => plan.mounts.find((m) => m.destination === d)!;
  assertEquals(by("/dev"), {
    source: "tmpfs",
    destination: "/dev",
    type: "tmpfs",
    flags: ["nosuid", "strictatime"],
    data: "mode=755,size=65536k",
  });
  assertEquals(by("/dev/pts").data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  assertEquals(by("/sys").flags, ["nosuid", "noexec", "nodev", "ro"]);
  assertEquals(by("/sys/fs/cgroup").type, "cgroup2");
  assert(by("/sys/fs/cgroup").flags.includes("ro"));
  assertEquals(by("/dev/shm").data, "mode=1777,size=67108864");
  assertEquals(by("/proc").flags, ["nosuid", "noexec", "nodev"]);
});

Deno.test("cgroup v1: tmpfs with the container's hierarchies bound read-only, no cgroupns", () => {
  const paths = ["/sys/fs/cgroup/memory/skiff/" + ID, "/sys/fs/cgroup/cpu,cpuacct/skiff/" + ID];
  const { plan } = build({}, { cgroupVersion: 1, cgroupPaths: paths });
  const cg = plan.mounts.filter((m) => m.destination.startsWith("/sys/fs/cgroup"));
  assertEquals(cg.map((m) => [m.destination, m.type, m.source]), [
    ["/sys/fs/cgroup", "tmpfs", "tmpfs"],
    ["/sys/fs/cgroup/memory", "bind", paths[0]],
    ["/sys/fs/cgroup/cpu,cpuacct", "bind", paths[1]],
  ]);
  assert(cg[1].flags.includes("ro"));
  assert(!plan.namespaces.some((n) => n.type === "cgroup"));
  assert(plan.readonlyPaths.includes("/sys/fs/cgroup"));
  assertEquals(plan.cgroupPaths, paths);
});

Deno.test("default devices, masked and read-only paths", () => {
  const { plan } = build();
  assertEquals(plan.devices.map((d) => `${d.path} ${d.major}:${d.minor}`), [
    "/dev/null 1:3",
    "/dev/zero 1:5",
    "/dev/full 1:7",
    "/dev/random 1:8",
    "/dev/urandom 1:9",
    "/dev/tty 5:0",
  ]);
  assert(plan.devices.every((d) => d.mode === 0o666 && d.type === "c"));
  assertEquals(sorted(plan.maskedPaths), [...DOCKER_MASKED_PATHS]);
  for (const p of ["/proc/kcore", "/proc/keys", "/sys/firmware", "/proc/sched_debug"]) {
    assert(plan.maskedPaths.includes(p), p);
  }
  assertEquals(sorted(plan.readonlyPaths), [...DOCKER_READONLY_PATHS]);
});

Deno.test("capabilities, seccomp, no-new-privileges", () => {
  const { plan } = build();
  assertEquals(sorted(plan.process.capabilities), [...DOCKER_DEFAULT_CAPABILITIES]);
  assert(plan.process.seccomp);
  const f = plan.process.seccomp as SeccompFilter;
  assertEquals(evaluateSeccomp(f, "mount"), 1);
  assertEquals(plan.process.noNewPrivileges, false);

  const admin = build({ capAdd: ["SYS_ADMIN"], capDrop: ["NET_RAW"] }).plan.process;
  assert(admin.capabilities.includes("CAP_SYS_ADMIN"));
  assert(!admin.capabilities.includes("CAP_NET_RAW"));
  assertEquals(evaluateSeccomp(admin.seccomp as SeccompFilter, "mount"), "allow");

  const unconfined = build({
    securityOpt: { noNewPrivileges: true, seccomp: "unconfined" },
  }).plan.process;
  assertEquals(unconfined.seccomp, undefined);
  assertEquals(unconfined.noNewPrivileges, true);
});

Deno.test("--privileged: all caps, no seccomp, no masks, /sys and cgroup rw", () => {
  const { plan, spec } = build({ privileged: true }, {
    privilegedDevices: [{
      path: "/dev/sda",
      type: "b",
      major: 8,
      minor: 0,
      mode: 0o660,
      uid: 0,
      gid: 6,
    }],
  });
  // every capability the engine itself holds (its bounding set)
  const bnd = BigInt(
    `0x${/CapBnd:\s*([0-9a-f]+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1]}`,
  );
  assertEquals(
    plan.process.capabilities,
    KERNEL_CAPABILITIES.filter((_, i) => (bnd >> BigInt(i)) & 1n),
  );
  assertEquals(plan.process.seccomp, undefined);
  assertEquals(plan.maskedPaths, []);
  assertEquals(plan.readonlyPaths, []);
  const sys = plan.mounts.find((m) => m.destination === "/sys")!;
  assert(!sys.flags.includes("ro"));
  assert(!plan.mounts.find((m) => m.destination === "/sys/fs/cgroup")!.flags.includes("ro"));
  assertEquals(plan.devices.length, DEFAULT_DEVICES.length + 1);
  assertEquals(spec.linux.resources.devices, [{ allow: true, access: "rwm" }]);
  assertEquals(spec.linux.seccomp, undefined);
});

Deno.test("user mounts: binds, volumes, tmpfs; sorted parents first (stable); override defaults", () => {
  const mounts = [
    parseVolumeFlag("/host/a:/data/sub:ro", ctx),
    parseVolumeFlag("cache:/data", ctx),
    parseTmpfsFlag("/run:size=64m,exec"),
    parseMountFlag("type=bind,source=/h/shm,target=/dev/shm", ctx),
    parseMountFlag("type=volume,source=v,target=/sp,volume-subpath=x/y", ctx),
  ];
  const { plan, spec } = build({ mounts }, {
    volumes: { "/data": "/vol/cache/_data", "/sp": "/vol/v/_data" },
  });
  // config.json names the host path of the subpath
  assertEquals(
    spec.mounts.find((m: { destination: string }) => m.destination === "/sp").source,
    "/vol/v/_data/x/y",
  );
  const user = plan.mounts.slice(plan.mounts.findIndex((m) => m.destination === "/dev/mqueue") + 1);
  assertEquals(user, [
    {
      source: "/vol/cache/_data",
      destination: "/data",
      type: "bind",
      flags: ["rbind", "rprivate"],
      data: "",
    },
    {
      source: "tmpfs",
      destination: "/run",
      type: "tmpfs",
      flags: ["nosuid", "nodev", "exec"],
      data: "size=64m",
    },
    {
      // the monitor opens the subpath beneath the volume and mounts what it opened
      source: "/vol/v/_data",
      destination: "/sp",
      type: "bind",
      flags: ["rbind", "rprivate"],
      data: "",
      subpath: "x/y",
    },
    {
      source: "/host/a",
      destination: "/data/sub",
      type: "bind",
      flags: ["rbind", "rprivate", "ro"],
      data: "",
    },
    {
      source: "/h/shm",
      destination: "/dev/shm",
      type: "bind",
      flags: ["rbind", "rprivate"],
      data: "",
    },
  ]);
  // The default /dev/shm was replaced by the user's.
  assertEquals(plan.mounts.filter((m) => m.destination === "/dev/shm").length, 1);
  assertError(
    () => build({ mounts: [parseVolumeFlag("/data", ctx)] }),
    FailedPreconditionError,
    "no volume was prepared for /data",
  );
  assertError(
    () => build({ mounts: [parseTmpfsFlag("/a"), parseTmpfsFlag("/a")] }),
    InvalidArgumentError,
    "Duplicate mount point: /a",
  );
});

Deno.test("tmpfs option merging", () => {
  assertEquals(
    tmpfsOptions(["noexec", "nosuid", "nodev"], ["exec", "size=64m", "size=1g", "mode=1777", "ro"]),
    {
      flags: ["nosuid", "nodev", "exec", "ro"],
      data: "size=1g,mode=1777",
    },
  );
});

Deno.test("etc files and --init", () => {
  const { plan } = build({ init: true }, {
    initBinary: "/usr/bin/catatonit",
    etcFiles: { hosts: "/c/hosts", resolvConf: "/c/resolv.conf", hostname: "/c/hostname" },
  });
  assertEquals(plan.process.args, ["/sbin/docker-init", "--", "sh"]);
  const binds = plan.mounts.filter((m) => m.type === "bind").map((m) => [m.source, m.destination]);
  assertEquals(binds, [
    ["/c/resolv.conf", "/etc/resolv.conf"],
    ["/c/hostname", "/etc/hostname"],
    ["/c/hosts", "/etc/hosts"],
    ["/usr/bin/catatonit", "/sbin/docker-init"],
  ]);
  assertError(
    () => build({ init: true }),
    FailedPreconditionError,
    "--init needs an init binary: install catatonit or tini",
  );
  assertEquals(findInitBinary((p) => p === "/usr/bin/tini"), "/usr/bin/tini");
  throws(() => findInitBinary(() => false), FailedPreconditionError);
});

Deno.test("namespaces by network mode; user namespace with id maps", () => {
  const types = (o: Partial<RunOptions>, e: Partial<ContainerConfigInput> = {}) =>
    build(o, e).plan.namespaces.map((n) => n.type);
  assertEquals(types({}), ["mount", "pid", "ipc", "uts", "net", "cgroup"]);
  assertEquals(types({ network: "none" }), ["mount", "pid", "ipc", "uts", "net", "cgroup"]);
  assertEquals(types({ network: "mynet" }), ["mount", "pid", "ipc", "uts", "net", "cgroup"]);
  assertEquals(types({ network: "host" }), ["mount", "pid", "ipc", "uts", "cgroup"]);
  const rootless = build({}, {
    idMappings: { uid: ["0 1000 1", "1 100000 65536"], gid: ["0 1000 1"] },
  });
  assertEquals(rootless.plan.namespaces.at(-1), { type: "user" });
  assertEquals(rootless.plan.uidMappings, ["0 1000 1", "1 100000 65536"]);
  assertEquals(rootless.spec.linux.uidMappings[1], { containerID: 1, hostID: 100000, size: 65536 });
});

Deno.test("rlimits: podman's nofile default, --ulimit overrides by name", () => {
  assertEquals(build().plan.process.rlimits, [{ type: "nofile", soft: 1048576, hard: 1048576 }]);
  assertEquals(
    build({
      ulimits: [{ name: "nofile", soft: 1024, hard: 2048 }, { name: "nproc", soft: 10, hard: 20 }],
    })
      .plan.process.rlimits,
    [{ type: "nofile", soft: 1024, hard: 2048 }, { type: "nproc", soft: 10, hard: 20 }],
  );
});

Deno.test("OCI spec mirrors the plan", () => {
  const { plan, spec } = build({
    tty: true,
    memory: 64 << 20,
    cpus: 1_500_000_000,
    cpuShares: 512,
    pidsLimit: 10,
    labels: { a: "b" },
  });
  assertEquals(spec.ociVersion, "1.2.0");
  assertEquals(spec.process.args, plan.process.args);
  assertEquals(spec.process.terminal, true);
  assertEquals(spec.process.user, { uid: 0, gid: 0, additionalGids: [10] });
  assertEquals(sorted(spec.process.capabilities.bounding), [...DOCKER_DEFAULT_CAPABILITIES]);
  assertEquals(spec.process.rlimits, [{ type: "RLIMIT_NOFILE", hard: 1048576, soft: 1048576 }]);
  assertEquals(spec.root, { path: "/c/merged", readonly: false });
  assertEquals(spec.hostname, "0123456789ab");
  assertEquals(spec.mounts[1], {
    destination: "/dev",
    type: "tmpfs",
    source: "tmpfs",
    options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
  });
  assertEquals(spec.linux.namespaces.map((n: { type: string }) => n.type), [
    "mount",
    "pid",
    "ipc",
    "uts",
    "network",
    "cgroup",
  ]);
  assertEquals(spec.linux.resources.memory, { limit: 64 << 20, swap: 128 << 20 });
  assertEquals(spec.linux.resources.cpu, { shares: 512, quota: 150000, period: 100000 });
  assertEquals(spec.linux.resources.pids, { limit: 10 });
  assertEquals(spec.linux.resources.devices[0], { allow: false, access: "rwm" });
  assertEquals(spec.linux.cgroupsPath, `/skiff/${ID}`);
  assertEquals(sorted(spec.linux.maskedPaths), [...DOCKER_MASKED_PATHS]);
  assertEquals(spec.annotations, { a: "b" });
  const sc = spec.linux.seccomp;
  assertEquals([sc.defaultAction, sc.defaultErrnoRet], ["SCMP_ACT_ERRNO", 1]);
  assert(sc.syscalls[0].names.includes("read"));
  assert(!sc.syscalls[0].names.includes("mount"));
  assertEquals(sc.syscalls.find((s: { names: string[] }) => s.names[0] === "clone3"), {
    names: ["clone3"],
    action: "SCMP_ACT_ERRNO",
    errnoRet: 38,
  });
  assertEquals(sc.syscalls.find((s: { names: string[] }) => s.names[0] === "clone").args, [
    { index: 0, value: 0x7E020000, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" },
  ]);
  // The spec is plain JSON.
  assertEquals(JSON.parse(JSON.stringify(spec)), spec);
});

Deno.test("cgroup limits from options", () => {
  assertEquals(cgroupLimits({ ...defaultRunOptions(), memory: 1, pidsLimit: 5 }), {
    memory: 1,
    memorySwap: undefined,
    cpus: undefined,
    cpuShares: undefined,
    pidsLimit: 5,
    devices: "default",
  });
  assertEquals(cgroupLimits({ ...defaultRunOptions(), privileged: true }).devices, "all");
});

Deno.test("bad ids and limits are refused", () => {
  throws(() => build({}, { id: "../x" }), InvalidArgumentError);
  assertError(
    () => build({ memory: 1024 }),
    InvalidArgumentError,
    "Minimum memory limit allowed is 6MB",
  );
});
