/**
 * Volumes at start, on the fake host (the store's volume records in a temporary directory):
 * a new volume is filled from the image's content at its target, resolved inside the image's
 * layers mounted as one overlay, so a symlink in the image never names a host directory.
 */
import { assertEquals } from "../helpers/assert.ts";
import { tempEngineStore } from "../helpers/fake_images.ts";
import { anonymousVolumeName, prepareVolumes } from "../../src/runtime/volumes.ts";
import type { ContainerRecord } from "../../src/runtime/container_store.ts";
import type { VolumeMountSpec } from "../../src/runtime/mounts.ts";
import type { Store } from "../../src/store/store.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";

const ID = "cd".repeat(32);
const LAYERS = ["/layers/top", "/layers/base"];

function volume(target: string, o: Partial<VolumeMountSpec> = {}): VolumeMountSpec {
  return { type: "volume", target, readonly: false, noCopy: false, ...o };
}

function record(mounts: VolumeMountSpec[]): ContainerRecord {
  return { Id: ID, Name: "c", Options: { mounts } } as unknown as ContainerRecord;
}

/** An image whose top layer plants `escape -> /`, and a host with a /data of its own. */
function scene(store: Store, volumes: string[]): FakeHost {
  const host = new FakeHost();
  host.addFile("/data/host-only", "host\n");
  host.addFile("/layers/base/data/conf", "image\n");
  host.addSymlink("/layers/base/data/passwd", "/etc/passwd");
  host.addSymlink("/layers/top/escape", "/");
  for (const v of volumes) host.addDir(`${store.volumes}/${v}/_data`);
  // `mount -t overlay` shows the layers merged at its target (top layer wins)
  host.onRun = (program, command) => {
    if (program !== "mount") return {};
    const target = command.args[command.args.length - 1];
    for (const layer of [...LAYERS].reverse()) {
      for (const [f, data] of [...host.files].filter(([f]) => f.startsWith(`${layer}/`))) {
        host.addFile(`${target}${f.slice(layer.length)}`, data);
      }
      for (const [l, to] of [...host.links].filter(([l]) => l.startsWith(`${layer}/`))) {
        host.addSymlink(`${target}${l.slice(layer.length)}`, to);
      }
    }
    return {};
  };
  return host;
}

Deno.test("a new volume gets the image's content at its target, resolved inside the image", async () => {
  const { store, cleanup } = await tempEngineStore();
  try {
    const host = scene(store, ["v1"]);
    const out = await prepareVolumes(
      store,
      record([volume("/escape/data", { name: "v1" })]),
      LAYERS,
      host,
    );
    const dir = `${store.volumes}/v1/_data`;
    assertEquals(out, { "/escape/data": dir });
    assertEquals(host.file(`${dir}/conf`), "image\n");
    assertEquals(host.links.get(`${dir}/passwd`), "/etc/passwd"); // kept as a link
    assertEquals(host.file(`${dir}/host-only`), undefined); // the host's /data never read
    // mounted once, read inside the mount, unmounted
    assertEquals(host.runs.map((r) => r.program), ["mount", "umount"]);
    const mnt = host.runs[0].command.args.at(-1)!;
    assertEquals(host.opened[0], { root: mnt, path: "/escape/data", resolved: `${mnt}/data` });
  } finally {
    await cleanup();
  }
});

Deno.test("nothing is mounted or copied for nocopy, a target the image lacks, or a filled volume", async () => {
  const { store, cleanup } = await tempEngineStore();
  try {
    const anon = await anonymousVolumeName(ID, "/srv");
    const host = scene(store, ["v1", "v2", anon]);
    host.addFile(`${store.volumes}/v2/_data/mine`, "kept\n");
    const out = await prepareVolumes(
      store,
      record([
        volume("/data", { name: "v1", noCopy: true }),
        volume("/escape/data", { name: "v2" }),
        volume("/srv"),
      ]),
      LAYERS,
      host,
    );
    assertEquals(out, {
      "/data": `${store.volumes}/v1/_data`,
      "/escape/data": `${store.volumes}/v2/_data`,
      "/srv": `${store.volumes}/${anon}/_data`,
    });
    assertEquals(host.runs, []);
    assertEquals(host.file(`${store.volumes}/v1/_data/conf`), undefined);
    assertEquals(host.file(`${store.volumes}/v2/_data/conf`), undefined);
    assertEquals(host.file(`${store.volumes}/v2/_data/mine`), "kept\n");
  } finally {
    await cleanup();
  }
});
