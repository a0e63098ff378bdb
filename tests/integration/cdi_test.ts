/**
 * CDI devices (`--device vendor.com/class=name`) and `--gpus` (issue 11), through fake CDI specs
 * in temporary directories (SKIFF_CDI_SPEC_DIRS) that describe real nodes (/dev/null,
 * /dev/zero): the node, the mount and the environment are checked inside the container. A spec
 * whose paths are relative or climb with `..`, or that needs a hook, is refused with one line
 * before anything is made; so is `--gpus` when no spec describes a GPU.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, type Sk, withBusyboxStore } from "../helpers/busybox_store.ts";
import { skiff } from "../helpers/skiff.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

/** Runs `fn` with a busybox store whose skiff reads CDI specs from `dirs` only. */
async function withSpecDirs(dirs: string[], fn: (sk: Sk) => Promise<void>): Promise<void> {
  const env = { SKIFF_CDI_SPEC_DIRS: dirs.join(":") };
  await withBusyboxStore(async (store) => {
    await fn((args, more = {}) => skiff(args, { ...store, ...more, env }));
  });
}

/** A failure before anything was made: exit 125, one `Error:` line holding `text`. */
async function refused(sk: Sk, args: string[], text: string): Promise<void> {
  const r = await sk(args);
  assertEquals(r.code, 125, r.stderr + r.stdout);
  const lines = r.stderr.trim().split("\n");
  assertEquals(lines.length, 1, r.stderr);
  assert(lines[0].startsWith("Error: "), r.stderr);
  assertStringIncludes(lines[0], text);
  assertEquals((await sk(["ps", "-aq"])).stdout.trim(), "", "a container was left behind");
}

const NULLS_YAML = (shared: string) =>
  `cdiVersion: "0.6.0"
kind: example.com/nulls
containerEdits:
  env:
    - CDI_KIND=nulls
devices:
  - name: "null"
    containerEdits:
      deviceNodes:
        - path: /dev/cdinull
          hostPath: /dev/null
          permissions: rw
      mounts:
        - hostPath: ${shared}
          containerPath: /opt/cdi
          options: [ro, nosuid, nodev, bind]
      env:
        - CDI_NULL=yes
  - name: zero
    containerEdits:
      deviceNodes:
        - path: /dev/zero2
          hostPath: /dev/zero
`;

const gpu = (name: string, node: string, host: string) => ({
  name,
  containerEdits: { deviceNodes: [{ path: node, hostPath: host }], env: [`GPU_${name}=here`] },
});

const GPUS_JSON = JSON.stringify({
  cdiVersion: "0.5.0",
  kind: "nvidia.com/gpu",
  devices: [
    gpu("0", "/dev/nvidia0", "/dev/zero"),
    gpu("1", "/dev/nvidia1", "/dev/null"),
    {
      name: "all",
      containerEdits: {
        deviceNodes: [
          { path: "/dev/nvidia0", hostPath: "/dev/zero" },
          { path: "/dev/nvidia1", hostPath: "/dev/null" },
        ],
      },
    },
  ],
  containerEdits: { env: ["NVIDIA_VISIBLE=cdi"] },
});

Deno.test(
  "--device vendor.com/class=name: the spec's node, mount and environment are in the container",
  opts,
  async () => {
    const base = await Deno.makeTempDir({ prefix: "skiff-cdi-" });
    try {
      const shared = `${base}/shared`;
      await Deno.mkdir(shared);
      await Deno.writeTextFile(`${shared}/hello`, "from the host\n");
      await Deno.mkdir(`${base}/etc`);
      await Deno.mkdir(`${base}/run`);
      await Deno.writeTextFile(`${base}/etc/nulls.yaml`, NULLS_YAML(shared));
      await Deno.writeTextFile(`${base}/run/gpus.json`, GPUS_JSON);
      await withSpecDirs([`${base}/etc`, `${base}/run`], async (sk) => {
        const out = await ok(sk, [
          "run",
          "--rm",
          "--device",
          "example.com/nulls=null",
          "busybox",
          "sh",
          "-c",
          "echo hi > /dev/cdinull && echo written; ls -l /dev/cdinull; cat /opt/cdi/hello; " +
          'echo "$CDI_NULL $CDI_KIND"; touch /opt/cdi/new 2>/dev/null || echo read-only',
        ]);
        const lines = out.trim().split("\n");
        assertEquals(lines[0], "written");
        assert(/^crw-rw-rw-\s.*\s1,\s+3\s.*\/dev\/cdinull$/.test(lines[1]), out);
        assertEquals(lines.slice(2), ["from the host", "yes nulls", "read-only"]);

        const all = await ok(sk, [
          "run",
          "--rm",
          "--gpus",
          "all",
          "busybox",
          "sh",
          "-c",
          'ls /dev | grep nvidia; head -c 3 /dev/nvidia0 | od -An -tx1; echo "$NVIDIA_VISIBLE"',
        ]);
        assertEquals(all.trim().split("\n").map((l) => l.trim()), [
          "nvidia0",
          "nvidia1",
          "00 00 00",
          "cdi",
        ]);
        const one = await ok(sk, [
          "run",
          "--rm",
          "--gpus",
          "1",
          "busybox",
          "sh",
          "-c",
          "ls /dev | grep nvidia; env | grep ^GPU_",
        ]);
        assertEquals(one.trim().split("\n"), ["nvidia0", "GPU_0=here"]);
        const named = await ok(sk, [
          "run",
          "--rm",
          "--gpus",
          '"device=1"',
          "busybox",
          "sh",
          "-c",
          "ls /dev | grep nvidia; env | grep ^GPU_",
        ]);
        assertEquals(named.trim().split("\n"), ["nvidia1", "GPU_1=here"]);
        // inspect shows docker's DeviceRequests for --gpus, and the nodes it became
        const id = (await ok(sk, ["create", "--gpus", "2", "busybox"])).trim();
        const shown = (field: string) =>
          ok(sk, ["inspect", "-f", `{{json .HostConfig.${field}}}`, id]).then(JSON.parse);
        assertEquals(await shown("DeviceRequests"), [
          { Driver: "", Count: 2, DeviceIDs: null, Capabilities: [["gpu"]], Options: {} },
        ]);
        assertEquals(
          (await shown("Devices")).map((d: { PathInContainer: string }) => d.PathInContainer),
          ["/dev/nvidia0", "/dev/nvidia1"],
        );
        await ok(sk, ["rm", id]);

        await refused(
          sk,
          ["run", "--rm", "--device", "example.com/nulls=nope", "busybox", "true"],
          "unresolvable CDI device example.com/nulls=nope",
        );
        await refused(sk, ["create", "--gpus", "3", "busybox"], "the CDI specs describe 2 GPUs");
        await refused(
          sk,
          ["run", "--rm", "--gpus", "device=7", "busybox", "true"],
          "unresolvable CDI device nvidia.com/gpu=7",
        );
        await refused(
          sk,
          ["run", "--rm", "--device", "example.com/=x", "busybox", "true"],
          "invalid CDI device name",
        );
      });
      // without a GPU spec, --gpus says so in one line
      await withSpecDirs([`${base}/etc`], async (sk) => {
        await refused(
          sk,
          ["run", "--rm", "--gpus", "all", "busybox", "true"],
          "describes a GPU (kind nvidia.com/gpu)",
        );
      });
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
);

Deno.test(
  "hostile CDI specs: relative and climbing paths, hooks, FIFOs and broken files are refused",
  opts,
  async () => {
    const base = await Deno.makeTempDir({ prefix: "skiff-cdi-bad-" });
    const spec = (kind: string, edits: unknown) =>
      JSON.stringify({
        cdiVersion: "0.6.0",
        kind,
        devices: [{ name: "d", containerEdits: edits }],
      });
    try {
      await Deno.writeTextFile(
        `${base}/relative.json`,
        spec("bad.example/relative", { deviceNodes: [{ path: "dev/null" }] }),
      );
      await Deno.writeTextFile(
        `${base}/climb.json`,
        spec("bad.example/climb", {
          mounts: [{ hostPath: "/etc", containerPath: "/opt/../../etc" }],
        }),
      );
      await Deno.writeTextFile(
        `${base}/hook.json`,
        spec("bad.example/hook", {
          hooks: [{ hookName: "createContainer", path: "/usr/bin/true" }],
        }),
      );
      await Deno.writeTextFile(
        `${base}/fifo.json`,
        spec("bad.example/fifo", { deviceNodes: [{ path: "/dev/f", type: "p" }] }),
      );
      await Deno.writeTextFile(`${base}/broken.yaml`, "cdiVersion: [\n");
      await withSpecDirs([base], async (sk) => {
        const run = (name: string) => ["run", "--rm", "--device", name, "busybox", "true"];
        await refused(sk, run("bad.example/relative=d"), '"dev/null" is not an absolute path');
        await refused(
          sk,
          run("bad.example/climb=d"),
          'containerPath "/opt/../../etc" contains ".."',
        );
        await refused(sk, run("bad.example/hook=d"), "skiff's runtime runs no OCI hooks");
        await refused(sk, run("bad.example/fifo=d"), "is a FIFO");
        await refused(sk, run("bad.example/broken=d"), "broken.yaml");
      });
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
);
