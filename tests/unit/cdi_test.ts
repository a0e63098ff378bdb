/**
 * CDI's pure parts: device names and `--gpus` values, a spec's checks (absolute paths, no
 * `..`), the spec directories and their priority, GPU selection, and the edits a device makes
 * to a container's options (with a fake host).
 */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import {
  isQualifiedDeviceName,
  parseGpuRequest,
  parseQualifiedDevice,
} from "../../src/runtime/cdi_names.ts";
import { parseCdiSpec } from "../../src/runtime/cdi_spec.ts";
import {
  cdiSpecDirs,
  loadCdiRegistry,
  resolveCdiDevices,
  selectGpus,
} from "../../src/runtime/cdi_registry.ts";
import { applyCdiDevices, applyCdiRequests, type CdiHost } from "../../src/runtime/cdi_apply.ts";
import { defaultRunOptions } from "../../src/runtime/run_options.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

const message = (fn: () => unknown) => assertThrows(fn, InvalidArgumentError).message;

Deno.test("CDI names: told from paths, checked part by part", () => {
  assertEquals(
    ["vendor.com/gpu=0", "/dev/null", "/dev/a=b", "nvidia.com/gpu=all", "x:y"].map(
      isQualifiedDeviceName,
    ),
    [true, false, false, true, false],
  );
  assertEquals(parseQualifiedDevice("foo.bar.baz/foo-bar123.B_az=GPU-1:2"), {
    vendor: "foo.bar.baz",
    class: "foo-bar123.B_az",
    name: "GPU-1:2",
  });
  for (
    const bad of ["vendor.com/=x", "vendor.com/a/b=x", "-v.com/c=x", "v.com/c=../x", "v.com/c="]
  ) {
    assert(message(() => parseQualifiedDevice(bad)).startsWith(`invalid CDI device name "${bad}"`));
  }
});

Deno.test("--gpus: all, a count, devices, docker's key=value fields", () => {
  assertEquals(parseGpuRequest("all"), { kind: "all" });
  assertEquals(parseGpuRequest("2"), { kind: "count", count: 2 });
  assertEquals(parseGpuRequest("count=all,capabilities=compute"), { kind: "all" });
  assertEquals(parseGpuRequest('"device=0,GPU-ab"'), { kind: "devices", ids: ["0", "GPU-ab"] });
  assertEquals(parseGpuRequest("driver=nvidia,count=1"), { kind: "count", count: 1 });
  for (const bad of ["0", "-1", "x", "driver=amd,count=1", "device=", "foo=1", '"device=1', ""]) {
    assert(message(() => parseGpuRequest(bad)).startsWith(`invalid --gpus value`), bad);
  }
});

const spec = (edits: unknown, kind = "example.com/c") => ({
  cdiVersion: "0.6.0",
  kind,
  devices: [{ name: "d", containerEdits: edits }],
});

Deno.test("a spec's paths must be absolute and free of '..'; its shape is checked", () => {
  const parsed = parseCdiSpec(
    spec({ deviceNodes: [{ path: "/dev/x", hostPath: "/dev/null", major: 1, permissions: "rw" }] }),
    "/etc/cdi/a.json",
  );
  assertEquals(parsed.devices[0].edits.deviceNodes, [
    { path: "/dev/x", hostPath: "/dev/null", major: 1, permissions: "rw" },
  ]);
  const cases: [unknown, string][] = [
    [spec({ deviceNodes: [{ path: "dev/x" }] }), '"dev/x" is not an absolute path'],
    [spec({ mounts: [{ hostPath: "/a/../etc", containerPath: "/b" }] }), 'contains ".."'],
    [spec({ mounts: [{ hostPath: "/a", containerPath: "b" }] }), "is not an absolute path"],
    [spec({ hooks: [{ hookName: "prestart", path: "x" }] }), "is not an absolute path"],
    [spec({ env: ["NOEQUALS"] }), "is not KEY=VALUE"],
    [spec({ deviceNodes: [{ path: "/dev/x", major: -1 }] }), "whole number"],
    [spec({ deviceNodes: [{ path: "/dev/x", permissions: "rwx" }] }), "r, w, m"],
    [spec({}, "nokind"), "has no vendor"],
    [{ ...spec({}), cdiVersion: 6 }, "cdiVersion"],
    [{ ...spec({}), devices: [] }, "at least one device"],
    [{
      ...spec({}),
      devices: [{ name: "a", containerEdits: {} }, { name: "a", containerEdits: {} }],
    }, "defined twice"],
  ];
  for (const [doc, text] of cases) {
    const m = message(() => parseCdiSpec(doc, "/etc/cdi/bad.json"));
    assert(m.startsWith("CDI spec /etc/cdi/bad.json: ") && m.includes(text), m);
  }
});

Deno.test("spec directories: SKIFF_CDI_SPEC_DIRS or /etc/cdi then /var/run/cdi", () => {
  assertEquals(cdiSpecDirs(() => undefined), ["/etc/cdi", "/var/run/cdi"]);
  assertEquals(cdiSpecDirs(() => "/a::/b"), ["/a", "/b"]);
  assertThrows(() => cdiSpecDirs(() => "/a:rel"), InvalidArgumentError);
  assertThrows(() => cdiSpecDirs(() => "/a/../b"), InvalidArgumentError);
});

Deno.test("the registry: later directories win, YAML and JSON, conflicts and broken files named", async () => {
  const base = await Deno.makeTempDir({ prefix: "skiff-cdi-unit-" });
  try {
    await Deno.mkdir(`${base}/low`);
    await Deno.mkdir(`${base}/high`);
    const gpu = (name: string, env: string) => ({ name, containerEdits: { env: [env] } });
    const gpus = (devices: unknown[]) =>
      JSON.stringify({ cdiVersion: "0.6.0", kind: "nvidia.com/gpu", devices });
    await Deno.writeTextFile(`${base}/low/a.json`, gpus([gpu("0", "FROM=low"), gpu("10", "X=1")]));
    await Deno.writeTextFile(
      `${base}/high/b.yaml`,
      'cdiVersion: "0.6.0"\nkind: nvidia.com/gpu\ndevices:\n  - name: "0"\n    containerEdits:\n      env: [FROM=high]\n  - name: "2"\n    containerEdits: {}\n',
    );
    await Deno.writeTextFile(`${base}/high/c.json`, gpus([gpu("2", "Y=1")]));
    await Deno.writeTextFile(`${base}/high/d.json`, "{ not json");
    // an alias bomb is left out, not expanded
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 12; i++) {
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${
          Array(10).fill("*" + String.fromCharCode(96 + i)).join(", ")
        }]`,
      );
    }
    await Deno.writeTextFile(`${base}/low/bomb.yaml`, bomb.join("\n") + "\n");
    const reg = await loadCdiRegistry([`${base}/low`, `${base}/high`, `${base}/missing`]);
    assertEquals(resolveCdiDevices(reg, ["nvidia.com/gpu=0"])[0].edits.env, ["FROM=high"]);
    assert(message(() => resolveCdiDevices(reg, ["nvidia.com/gpu=2"])).includes("defined by both"));
    const unknown = message(() => resolveCdiDevices(reg, ["nvidia.com/gpu=9"]));
    assert(
      unknown.includes("unresolvable CDI device nvidia.com/gpu=9") &&
        unknown.includes("(a spec was left out: CDI spec "),
      unknown,
    );
    assert(
      reg.errors.some((e) => e.startsWith(`CDI spec ${base}/low/bomb.yaml: `)),
      reg.errors.join("; "),
    );
    // by index: 0, 2, 10
    assertEquals(selectGpus(reg, { kind: "count", count: 3 }), [
      "nvidia.com/gpu=0",
      "nvidia.com/gpu=2",
      "nvidia.com/gpu=10",
    ]);
    assertEquals(selectGpus(reg, { kind: "all" }).length, 3);
    assert(message(() => selectGpus(reg, { kind: "count", count: 4 })).includes("describe 3 GPUs"));
    const none = await loadCdiRegistry([`${base}/missing`]);
    assert(message(() => selectGpus(none, { kind: "all" })).includes("describes a GPU"));
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("edits: nodes from the host's numbers, bind and tmpfs mounts, env, groups; hooks refused", async () => {
  const host: CdiHost = {
    deviceNode: (p) => {
      if (p === "/dev/null") return { type: "c", major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 };
      throw new Error("no such file or directory");
    },
    exists: (p) => p === "/opt/lib",
  };
  const doc = {
    cdiVersion: "0.6.0",
    kind: "example.com/c",
    containerEdits: { env: ["KIND=1"], additionalGids: [44] },
    devices: [{
      name: "d",
      containerEdits: {
        deviceNodes: [
          { path: "/dev/mine", hostPath: "/dev/null", permissions: "r" },
          { path: "/dev/made", type: "b", major: 8, minor: 1, fileMode: 0o640 },
        ],
        mounts: [
          { hostPath: "/opt/lib", containerPath: "/usr/lib/x", options: ["ro", "bind"] },
          { hostPath: "/tmpfs", containerPath: "/scratch", type: "tmpfs", options: ["size=1m"] },
        ],
        env: ["DEV=1"],
      },
    }],
  };
  const reg = {
    devices: new Map(),
    conflicts: new Map(),
    errors: [],
    kindErrors: new Map(),
    dirs: [],
  };
  const parsed = parseCdiSpec(doc, "/x.json");
  reg.devices.set("example.com/c=d", {
    qualified: "example.com/c=d",
    name: "d",
    edits: parsed.devices[0].edits,
    spec: parsed,
  });
  const o = defaultRunOptions();
  o.env = ["USER=1"];
  o.cdiDevices = ["example.com/c=d"];
  await applyCdiRequests(o, host, () => Promise.resolve(reg));
  assertEquals(o.devices, [
    {
      pathOnHost: "/dev/null",
      pathInContainer: "/dev/mine",
      cgroupPermissions: "r",
      type: "c",
      major: 1,
      minor: 3,
      mode: 0o666,
      uid: 0,
      gid: 0,
    },
    {
      pathOnHost: "/dev/made",
      pathInContainer: "/dev/made",
      cgroupPermissions: "rwm",
      type: "b",
      major: 8,
      minor: 1,
      mode: 0o640,
      uid: 0,
      gid: 0,
    },
  ]);
  assertEquals(o.mounts, [
    {
      type: "bind",
      source: "/opt/lib",
      target: "/usr/lib/x",
      readonly: true,
      propagation: "rprivate",
      recursive: false,
    },
    { type: "tmpfs", target: "/scratch", readonly: false, options: ["size=1m"] },
  ]);
  assertEquals(o.env, ["USER=1", "DEV=1", "KIND=1"]);
  assertEquals(o.groupAdd, ["44"]);

  const refuse = (edits: unknown) => {
    const p = parseCdiSpec(spec(edits), "/y.json");
    return message(() =>
      applyCdiDevices(defaultRunOptions(), [{
        qualified: "example.com/c=d",
        name: "d",
        edits: p.devices[0].edits,
        spec: p,
      }], host)
    );
  };
  assert(
    refuse({ hooks: [{ hookName: "createContainer", path: "/bin/h" }] }).includes(
      "runs no OCI hooks",
    ),
  );
  assert(
    refuse({ deviceNodes: [{ path: "/dev/gone" }] }).includes(
      "device node /dev/gone: no such file",
    ),
  );
  assert(
    refuse({ mounts: [{ hostPath: "/nope", containerPath: "/n" }] }).includes(
      "mount source /nope does not exist",
    ),
  );
  assert(
    refuse({ mounts: [{ hostPath: "/opt/lib", containerPath: "/n", type: "nfs" }] }).includes(
      'type "nfs"',
    ),
  );
  assert(
    refuse({ netDevices: [{ hostInterfaceName: "eth9", name: "eth1" }] }).includes("netDevices"),
  );
  // the spec's own edits are named by its file
  const withHook = parseCdiSpec(
    { ...spec({}), containerEdits: { hooks: [{ hookName: "prestart", path: "/bin/h" }] } },
    "/etc/cdi/h.json",
  );
  const specHook = message(() =>
    applyCdiDevices(defaultRunOptions(), [{
      qualified: "example.com/c=d",
      name: "d",
      edits: withHook.devices[0].edits,
      spec: withHook,
    }], host)
  );
  assert(
    specHook.startsWith("CDI spec /etc/cdi/h.json: its spec asks for a prestart hook"),
    specHook,
  );
  // nothing is read when nothing is asked
  let loaded = false;
  await applyCdiRequests(defaultRunOptions(), host, () => {
    loaded = true;
    return Promise.resolve(reg);
  });
  assertEquals(loaded, false);
});
