/**
 * --volumes-from parsing (issue 11) and how the other container's mounts are added: its
 * volumes (an anonymous one by its name, so it is shared), its binds, ro/rw overriding each
 * mount's mode, and the new container's own mounts winning at the same target.
 */
import { deepStrictEqual as assertEquals, rejects, throws } from "node:assert/strict";
import { mountsWithVolumesFrom, parseVolumesFrom } from "../../src/runtime/volumes_from.ts";
import { anonymousVolumeName } from "../../src/runtime/volume_names.ts";
import type { MountSpec } from "../../src/runtime/mounts.ts";
import { openStore, type Store } from "../../src/store/store.ts";
import { createContainerRecord } from "../../src/runtime/container_store.ts";
import { defaultRunOptions } from "../../src/runtime/run_options.ts";

Deno.test("--volumes-from NAME[:ro|:rw]: Docker's forms and refusals", () => {
  assertEquals(parseVolumesFrom("data"), { container: "data" });
  assertEquals(parseVolumesFrom("data:ro"), { container: "data", readonly: true });
  assertEquals(parseVolumesFrom("data:rw"), { container: "data", readonly: false });
  assertEquals(parseVolumesFrom("data:z"), { container: "data" });
  throws(() => parseVolumesFrom("data:rx"), { message: "invalid mode for volumes-from: rx" });
  throws(() => parseVolumesFrom("data:ro,rw"), { message: "invalid mode for volumes-from: ro,rw" });
  throws(() => parseVolumesFrom(":ro"), { message: "invalid volumes-from specification: :ro" });
});

Deno.test("the other container's volumes and binds come first; own mounts win", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const id = "ab".repeat(32);
    const donorMounts: MountSpec[] = [
      { type: "volume", target: "/anon", readonly: false, noCopy: false },
      { type: "volume", name: "named", target: "/named", readonly: true, noCopy: false },
      {
        type: "bind",
        source: "/srv",
        target: "/srv",
        readonly: false,
        propagation: "rprivate",
        recursive: true,
        createSource: true,
      },
      { type: "tmpfs", target: "/scratch", readonly: false, options: [] },
      { type: "volume", name: "mine", target: "/taken", readonly: false, noCopy: false },
    ];
    // a store holding one container record, as container_store.ts writes it
    const store: Store = await openStore({ root: `${tmp}/root`, runroot: `${tmp}/run` });
    await createContainerRecord(
      store,
      {
        Id: id,
        Image: "img",
        ImageName: "busybox",
        Created: new Date(0).toISOString(),
        Layers: [],
        Path: "sh",
        Args: [],
        Env: [],
        WorkingDir: "",
        User: "",
        Hostname: "h",
        Labels: {},
        StopSignal: "SIGTERM",
        StopTimeout: 10,
        Limits: {},
        CgroupParent: "",
        Options: { ...defaultRunOptions(), mounts: donorMounts },
        ImageConfig: {},
      } as Parameters<typeof createContainerRecord>[1],
      "donor",
    );
    const own: MountSpec[] = [{ type: "tmpfs", target: "/taken", readonly: false, options: [] }];
    const merged = await mountsWithVolumesFrom(store, ["donor:ro"], own);
    assertEquals(merged.map((m) => [m.type, m.target, m.readonly]), [
      ["volume", "/anon", true],
      ["volume", "/named", true],
      ["bind", "/srv", true],
      ["tmpfs", "/taken", false],
    ]);
    const anon = merged[0] as Extract<MountSpec, { type: "volume" }>;
    assertEquals(anon.name, await anonymousVolumeName(id, "/anon"));
    assertEquals(anon.noCopy, true);
    assertEquals((merged[2] as Extract<MountSpec, { type: "bind" }>).createSource, false);
    const kept = await mountsWithVolumesFrom(store, ["donor"], []);
    assertEquals(kept.map((m) => m.readonly), [false, true, false, false]);
    await rejects(() => mountsWithVolumesFrom(store, ["gone"], []), /No such container: gone/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
