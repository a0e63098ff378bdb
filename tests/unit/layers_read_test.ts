/**
 * Reading a container's root from its layers before it is mounted (`/etc/passwd` for the user,
 * `diff`'s added-or-changed), on the fake host: whiteouts and opaque directories hide what is
 * below, and a symlink in a layer is never followed on the host.
 */
import { assertEquals } from "../helpers/assert.ts";
import { readFromLayers } from "../../src/runtime/rootfs_read.ts";
import { existsInLayers, runtimeMountpoints } from "../../src/runtime/diff.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";

const S_IFCHR = 0o020000;
const [UPPER, L2, L1] = ["/c/upper", "/layers/2", "/layers/1"];

async function scene(): Promise<FakeHost> {
  const host = new FakeHost();
  host.addFile("/etc/passwd", "host:x:0:0::/:/bin/sh\n");
  host.addFile(`${L1}/etc/passwd`, "root:x:0:0::/root:/bin/sh\n");
  host.addFile(`${L1}/etc/group`, "root:x:0:\n");
  host.addFile(`${L1}/var/cache/old`, "old\n");
  host.addFile(`${L1}/opt/tool`, "tool\n");
  host.addFile(`${L2}/etc/passwd`, "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n");
  await host.mknod(`${L2}/etc/group`, S_IFCHR, 0, 0); // a whiteout: removed in layer 2
  host.addDir(`${L2}/var/cache`);
  host.xattrs.set(`${L2}/var/cache`, new Map([["trusted.overlay.opaque", Uint8Array.of(0x79)]]));
  host.addSymlink(`${UPPER}/opt`, "/etc"); // the container replaced /opt with a symlink
  host.addFile(`${UPPER}/etc/hostname`, ""); // skiff's mount point, not in the image
  host.addFile(`${UPPER}/etc/hosts`, "127.0.0.1 localhost\n");
  return host;
}

Deno.test("readFromLayers: the top layer wins, a whiteout hides, a symlink is not followed", async () => {
  const host = await scene();
  const layers = [UPPER, L2, L1];
  assertEquals(
    await readFromLayers(layers, "/etc/passwd", host),
    "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n",
  );
  assertEquals(await readFromLayers(layers, "/etc/group", host), undefined);
  assertEquals(await readFromLayers([L1], "/etc/group", host), "root:x:0:\n");
  // /opt -> /etc in the upper layer: not followed to the host's /etc/passwd, nor below
  assertEquals(await readFromLayers(layers, "/opt/passwd", host), undefined);
  assertEquals(await readFromLayers(layers, "/opt/tool", host), undefined);
  assertEquals(
    await readFromLayers(layers, "/../../etc/passwd", host),
    await readFromLayers(layers, "/etc/passwd", host),
  );
});

Deno.test("existsInLayers and runtimeMountpoints: whiteouts, opaque directories, skiff's mount points", async () => {
  const host = await scene();
  const lowers = [L2, L1];
  assertEquals(await existsInLayers(lowers, "/etc/passwd", host), true);
  assertEquals(await existsInLayers(lowers, "/etc/group", host), false); // whited out
  assertEquals(await existsInLayers(lowers, "/var/cache", host), true);
  assertEquals(await existsInLayers(lowers, "/var/cache/old", host), false); // opaque above
  assertEquals(await existsInLayers(lowers, "/opt/tool", host), true);
  assertEquals(await existsInLayers(lowers, "/nothing", host), false);
  // an empty /etc/hostname the image lacks is skiff's; /etc/hosts has content: the user's
  assertEquals(await runtimeMountpoints(UPPER, lowers, host), ["etc/hostname"]);
});
