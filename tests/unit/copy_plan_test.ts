/**
 * `cp` and the volume copy on the fake host (no root): where a copy lands by Docker's rules,
 * and that every container path (the source, the destination, each archive entry) is
 * resolved inside the container's root, so a hostile symlink never names a host file.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { archivePath, extractTar, planDestination, statSource } from "../../src/runtime/copy.ts";
import { copyTreeInRoot } from "../../src/runtime/copy_tree.ts";
import { encodeTarHeader, type TarHeader, tarPadding } from "../../src/image/tar_write.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";
import { InvalidArgumentError, NotFoundError } from "../../src/errors.ts";

const ROOT = "/var/lib/skiff/overlay/c1/merged";

/** A container root with a hostile symlink to `/`, and a host with files worth stealing. */
function scene(): FakeHost {
  const host = new FakeHost();
  host.addFile("/etc/shadow", "root:secret\n");
  host.addDir("/home/me");
  host.workingDir = "/home/me";
  host.addFile(`${ROOT}/etc/hostname`, "c1\n");
  host.addDir(`${ROOT}/srv`);
  host.addSymlink(`${ROOT}/escape`, "/");
  host.addSymlink(`${ROOT}/srv/up`, "../../../../..");
  return host;
}

function tar(entries: [TarHeader, string?][]): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (const [h, data] of entries) {
    const body = new TextEncoder().encode(data ?? "");
    chunks.push(encodeTarHeader({ ...h, size: h.type === "file" ? body.length : undefined }));
    if (h.type === "file") chunks.push(body, tarPadding(body.length));
  }
  chunks.push(new Uint8Array(1024));
  return ReadableStream.from(chunks);
}

Deno.test("cp source: a symlink out of the container finds the container's file, never the host's", async () => {
  const host = scene();
  // the host has /etc/shadow, the container does not: through `escape -> /` it is not found
  await assertRejects(
    () => statSource(ROOT, "/escape/etc/shadow", { describe: "c1:/escape/etc/shadow" }, host),
    NotFoundError,
  );
  const src = await statSource(ROOT, "/srv/up/etc/hostname", { describe: "x" }, host);
  assertEquals([src.name, src.isDir, src.contentOnly], ["hostname", false, false]);
  assert(host.opened.length > 0);
  for (const o of host.opened) assert(o.resolved.startsWith(ROOT), o.resolved);
  assertEquals(host.opened.map((o) => o.resolved), [
    `${ROOT}/etc/shadow`,
    `${ROOT}/etc/hostname`,
  ]);
});

Deno.test("cp destination: Docker's rules for where a source lands", async () => {
  const host = scene();
  const file = { path: "/tmp/a", name: "a", isDir: false, contentOnly: false };
  const dir = { path: "/tmp/d", name: "d", isDir: true, contentOnly: false };
  const content = { path: "/tmp/d/.", name: ".", isDir: true, contentOnly: true };
  // into an existing directory (followed inside the root), under the source's own name
  assertEquals(await planDestination(ROOT, "/escape/srv", file, "c1:/escape/srv", host), {
    dir: "/escape/srv",
  });
  // SRC/. puts the content only
  assertEquals(await planDestination(ROOT, "/srv", content, "c1:/srv", host), {
    dir: "/srv",
    rename: { from: ".", to: "" },
  });
  // a new name in an existing directory
  assertEquals(await planDestination(ROOT, "/srv/b", file, "c1:/srv/b", host), {
    dir: "/srv",
    rename: { from: "a", to: "b" },
  });
  // a file onto a file is allowed; a directory onto a file, or into a missing directory, not
  assertEquals(await planDestination(ROOT, "/etc/hostname", file, "c1:/etc/hostname", host), {
    dir: "/etc",
    rename: { from: "a", to: "hostname" },
  });
  // (the last: the host's /home exists, the container's does not; the host is never looked at)
  const refused = [
    ["/etc/hostname", dir, InvalidArgumentError],
    ["/nothing/b", file, NotFoundError],
    ["/nothing/", file, NotFoundError],
    ["/escape/home/me/b", file, NotFoundError],
  ] as const;
  for (const [dest, src, kind] of refused) {
    await assertRejects(() => planDestination(ROOT, dest, src, `c1:${dest}`, host), kind);
  }
  for (const o of host.opened) assert(o.resolved.startsWith(ROOT), o.resolved);
});

Deno.test("cp into a container: an archive's symlink cannot carry later entries out", async () => {
  const host = scene();
  const n = await extractTar(
    tar([
      [{ name: "link", type: "symlink", mode: 0o777, linkname: "/" }],
      [{ name: "link/etc/shadow", type: "file", mode: 0o600 }, "planted\n"],
      [{ name: "dir", type: "dir", mode: 0o750, uid: 1000, gid: 1000 }],
      [{ name: "dir/f", type: "file", mode: 0o4755, uid: 1000, gid: 1000 }, "hello\n"],
    ]),
    ROOT,
    { dir: "/srv" },
    "root",
    host,
  );
  assert(n > 0);
  assertEquals(host.file("/etc/shadow"), "root:secret\n"); // the host's is untouched
  assertEquals(host.file(`${ROOT}/etc/shadow`), "planted\n"); // landed inside the root
  assertEquals(host.links.get(`${ROOT}/srv/link`), "/");
  assertEquals(host.file(`${ROOT}/srv/dir/f`), "hello\n");
  // modes as the archive says; owners made root's ("root"), not the archive's
  assertEquals(host.modes.get(`${ROOT}/srv/dir/f`), 0o4755);
  assertEquals(host.modes.get(`${ROOT}/srv/dir`), 0o750);
  assertEquals(host.owners.get(`${ROOT}/srv/dir/f`), [0, 0]);
  for (const o of host.opened) assert(o.resolved.startsWith(ROOT), o.resolved);
});

Deno.test("cp out of a container: a symlink inside is archived as a link, not followed", async () => {
  const host = scene();
  host.addSymlink(`${ROOT}/srv/shadow`, "/etc/shadow");
  host.addFile(`${ROOT}/srv/data.txt`, "data\n");
  const src = await statSource(ROOT, "/srv", { describe: "c1:/srv" }, host);
  const where = await planDestination("/", "/home/me/out", src, "out", host);
  await extractTar(archivePath(ROOT, src, {}, host), "/", where, "keep", host);
  assertEquals(host.file("/home/me/out/data.txt"), "data\n");
  assertEquals(host.links.get("/home/me/out/shadow"), "/etc/shadow");
  assertEquals(host.links.get("/home/me/out/up"), "../../../../..");
  // nothing of the host's /etc came along
  assertEquals([...host.files.keys()].filter((f) => f.includes("secret")), []);
  assertEquals(host.file("/home/me/out/shadow"), undefined);
});

Deno.test("volume copy: the image's path is resolved inside the image, symlinks kept", async () => {
  const host = new FakeHost();
  host.addFile("/data/host-only", "host\n");
  const img = "/var/lib/skiff/tmp/mnt";
  host.addSymlink(`${img}/escape`, "/");
  host.addFile(`${img}/data/conf`, "image\n");
  host.addSymlink(`${img}/data/passwd`, "/etc/passwd");
  host.addDir("/var/lib/skiff/volumes/v/_data");
  await copyTreeInRoot(img, "/escape/data", "/var/lib/skiff/volumes/v/_data", host);
  assertEquals(host.file("/var/lib/skiff/volumes/v/_data/conf"), "image\n");
  assertEquals(host.file("/var/lib/skiff/volumes/v/_data/host-only"), undefined);
  assertEquals(host.links.get("/var/lib/skiff/volumes/v/_data/passwd"), "/etc/passwd");
  assertEquals(host.opened[0], { root: img, path: "/escape/data", resolved: `${img}/data` });
});
