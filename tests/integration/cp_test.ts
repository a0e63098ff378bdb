/**
 * `skiff cp` with real containers (root only): both directions, running and
 * stopped, `-` tar streams, directory trees and docker's placement rules,
 * and hostile symlinks planted in the container, which must resolve inside
 * the container's root and never reach the host's files.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ensureFixtures, fixturePaths } from "../helpers/fixtures.ts";
import { skiff, SKIFF_BIN, type SkiffResult, type TempStore, tempStore } from "../helpers/skiff.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

type Sk = (args: string[], more?: { stdin?: string | Uint8Array }) => Promise<SkiffResult>;

async function withStore(fn: (s: TempStore, sk: Sk, dir: string) => Promise<void>): Promise<void> {
  await ensureFixtures();
  const store = await tempStore();
  const dir = await Deno.makeTempDir({ prefix: "skiff-cp-" });
  const sk: Sk = (args, more = {}) => skiff(args, { ...store, ...more });
  try {
    const load = await sk(["load", "-q", "-i", `${fixturePaths().busybox}.docker.tar`]);
    assertEquals(load.code, 0, load.stderr);
    await fn(store, sk, dir);
  } finally {
    const ids = (await sk(["ps", "-aq", "--no-trunc"])).stdout.trim().split("\n").filter(Boolean);
    if (ids.length > 0) await sk(["rm", "-f", ...ids]);
    await store.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs a shell pipeline with `SK` set to the skiff command line of the store. */
async function sh(store: TempStore, script: string): Promise<SkiffResult> {
  const sk = `${SKIFF_BIN} --root ${store.root} --runroot ${store.runroot}`;
  const out = await new Deno.Command("bash", {
    args: ["-c", script],
    env: { SK: sk },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function ok(sk: Sk, args: string[], more?: { stdin?: string }): Promise<string> {
  const r = await sk(args, more);
  assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function hostile(sk: Sk, name: string, detach: boolean): Promise<void> {
  const script = "ln -s / /escape && ln -s ../../../../etc /up && mkdir -p /tmp && " +
    "echo container-passwd > /etc/passwd" + (detach ? " && sleep 600" : "");
  await ok(sk, ["run", ...(detach ? ["-d"] : []), "--name", name, "busybox", "sh", "-c", script]);
}

async function makeTree(dir: string): Promise<string> {
  const tree = `${dir}/tree`;
  await Deno.mkdir(`${tree}/sub/deep`, { recursive: true });
  await Deno.writeTextFile(`${tree}/a.txt`, "alpha\n");
  await Deno.writeTextFile(`${tree}/sub/deep/b.txt`, "beta\n");
  await Deno.symlink("a.txt", `${tree}/link`);
  await Deno.chmod(`${tree}/a.txt`, 0o640);
  return tree;
}

for (const running of [true, false]) {
  const state = running ? "running" : "stopped";

  Deno.test(`cp: a file and a directory tree both ways, ${state} container`, opts, async () => {
    await withStore(async (_store, sk, dir) => {
      await ok(sk, [
        "run",
        ...(running ? ["-d"] : []),
        "--name",
        "c",
        "busybox",
        "sh",
        "-c",
        "mkdir -p /data/in && echo inside > /data/in/f" + (running ? " && sleep 600" : ""),
      ]);
      const tree = await makeTree(dir);
      // Host file to a new name, then into an existing directory.
      await ok(sk, ["cp", `${tree}/a.txt`, "c:/data/copied.txt"]);
      await ok(sk, ["cp", `${tree}/a.txt`, "c:/data/in"]);
      // A directory into an existing directory, and its content only (SRC/.) to a new one.
      await ok(sk, ["cp", tree, "c:/data/"]);
      await ok(sk, ["cp", `${tree}/.`, "c:/flat"]);
      // Back out: the whole /data tree to a new host directory, and one file.
      await ok(sk, ["cp", "c:/data", `${dir}/back`]);
      assertEquals(await Deno.readTextFile(`${dir}/back/copied.txt`), "alpha\n");
      assertEquals(await Deno.readTextFile(`${dir}/back/in/a.txt`), "alpha\n");
      assertEquals(await Deno.readTextFile(`${dir}/back/in/f`), "inside\n");
      assertEquals(await Deno.readTextFile(`${dir}/back/tree/sub/deep/b.txt`), "beta\n");
      assertEquals(await Deno.readLink(`${dir}/back/tree/link`), "a.txt");
      assertEquals((await Deno.stat(`${dir}/back/tree/a.txt`)).mode! & 0o777, 0o640);
      await ok(sk, ["cp", "c:/flat/sub/deep/b.txt", `${dir}/b-copy`]);
      assertEquals(await Deno.readTextFile(`${dir}/b-copy`), "beta\n");
      // Copying into a container without -a makes root the owner; -a keeps the owner.
      await Deno.chown(`${tree}/a.txt`, 1234, 4321);
      await ok(sk, ["cp", `${tree}/a.txt`, "c:/owned-root"]);
      await ok(sk, ["cp", "-a", `${tree}/a.txt`, "c:/owned-kept"]);
      await ok(sk, ["cp", "-a", "c:/owned-root", `${dir}/r1`]);
      await ok(sk, ["cp", "-a", "c:/owned-kept", `${dir}/r2`]);
      assertEquals((await Deno.stat(`${dir}/r1`)).uid, 0);
      assertEquals((await Deno.stat(`${dir}/r2`)).uid, 1234);
      // Out of a container, files become the invoking user's (root here) unless -a, as docker.
      await ok(sk, ["cp", "c:/owned-kept", `${dir}/r3`]);
      const r3 = await Deno.stat(`${dir}/r3`);
      assertEquals([r3.uid, r3.gid], [0, 0]);
      if (running) {
        const seen = await ok(sk, ["exec", "c", "cat", "/data/copied.txt", "/flat/a.txt"]);
        assertEquals(seen, "alpha\nalpha\n");
      }
      // Errors, one line each.
      const missing = await sk(["cp", "c:/nope", dir]);
      assertEquals(missing.code, 1);
      assertStringIncludes(missing.stderr, "No such container:path: c:/nope");
      const noParent = await sk(["cp", `${tree}/a.txt`, "c:/no/such/dir"]);
      assertEquals(noParent.code, 1);
      const dirOnFile = await sk(["cp", tree, "c:/data/copied.txt"]);
      assertStringIncludes(dirOnFile.stderr, "cannot overwrite non-directory");
      const both = await sk(["cp", "c:/a", "c:/b"]);
      assertStringIncludes(both.stderr, "copying between containers is not supported");
      const none = await sk(["cp", "/a", "/b"]);
      assertStringIncludes(none.stderr, "must specify at least one container source");
    });
  });

  Deno.test(`cp: tar streams on stdin and stdout, ${state} container`, opts, async () => {
    await withStore(async (store, sk, dir) => {
      await ok(sk, [
        "run",
        ...(running ? ["-d"] : []),
        "--name",
        "c",
        "busybox",
        "sh",
        "-c",
        "mkdir /dst" + (running ? " && sleep 600" : ""),
      ]);
      const tree = await makeTree(dir);
      const put = await sh(store, `tar -C ${tree} -c . | $SK cp - c:/dst`);
      assertEquals(put.code, 0, put.stderr);
      const list = await sh(store, `$SK cp c:/dst - | tar -t | sort`);
      assertEquals(list.code, 0, list.stderr);
      assertEquals(list.stdout.trim().split("\n"), [
        "dst/",
        "dst/a.txt",
        "dst/link",
        "dst/sub/",
        "dst/sub/deep/",
        "dst/sub/deep/b.txt",
      ]);
      const file = await sh(store, `$SK cp c:/dst/sub/deep/b.txt - | tar -xO`);
      assertEquals(file.stdout, "beta\n");
      const notDir = await sh(store, `tar -C ${tree} -c . | $SK cp - c:/dst/a.txt`);
      assertEquals(notDir.code, 1);
      // A tar entry with .. cannot leave the destination: enough .. to climb out of the
      // container root and the store to the host's /, an absolute name, and a symlink entry
      // followed by a file written through it.
      const up = "../".repeat(40);
      const marker = `skiff-cp-evil-${crypto.randomUUID()}`;
      const evil = await sh(
        store,
        `cd ${dir} && mkdir -p e && echo x > e/f && tar -c -P -f - --transform 's,^e/f,${up}tmp/${marker}-dots,' e/f | $SK cp - c:/dst`,
      );
      assertEquals(evil.code, 1);
      await sh(
        store,
        `cd ${dir} && tar -c -P -f - --transform 's,^e/f,/tmp/${marker}-abs,' e/f | $SK cp - c:/dst`,
      );
      await sh(
        store,
        `cd ${dir} && mkdir -p s x && ln -sfn ${up}tmp s/l && echo x > x/f && tar -c -P -f - -C ${dir} s/l --transform 's,^x/f,s/l/${marker}-link,' x/f | $SK cp - c:/dst`,
      );
      for (const name of ["dots", "abs", "link"]) {
        assert(!(await exists(`/tmp/${marker}-${name}`)), `a tar entry (${name}) reached the host`);
      }
    });
  });

  Deno.test(`cp: hostile symlinks stay inside the root, ${state} container`, opts, async () => {
    await withStore(async (_store, sk, dir) => {
      await hostile(sk, "h", running);
      if (!running) await ok(sk, ["wait", "h"]);
      const marker = `skiff-cp-escape-${crypto.randomUUID()}`;
      await Deno.writeTextFile(`${dir}/payload`, "payload\n");
      // Writing through /escape (-> /) lands in the container's /tmp, not the host's.
      await ok(sk, ["cp", `${dir}/payload`, `h:/escape/tmp/${marker}`]);
      assert(!(await exists(`/tmp/${marker}`)), "cp wrote to the host's /tmp");
      await ok(sk, ["cp", `h:/tmp/${marker}`, `${dir}/again`]);
      assertEquals(await Deno.readTextFile(`${dir}/again`), "payload\n");
      // Reading through /up (-> ../../../../etc) reads the container's /etc/passwd.
      await ok(sk, ["cp", "h:/up/passwd", `${dir}/passwd`]);
      assertEquals(await Deno.readTextFile(`${dir}/passwd`), "container-passwd\n");
      // A directory copied to /escape/etc goes into the container's /etc.
      await Deno.mkdir(`${dir}/conf`);
      await Deno.writeTextFile(`${dir}/conf/${marker}`, "x");
      await ok(sk, ["cp", `${dir}/conf/.`, "h:/escape/etc"]);
      assert(!(await exists(`/etc/${marker}`)), "cp wrote to the host's /etc");
      await ok(sk, ["cp", `h:/etc/${marker}`, `${dir}/m`]);
      // Without -L the symlink itself is copied; with -L its target (inside the root).
      await ok(sk, ["cp", "h:/up", `${dir}/uplink`]);
      assertEquals(await Deno.readLink(`${dir}/uplink`), "../../../../etc");
      await ok(sk, ["cp", "-L", "h:/up", `${dir}/updir`]);
      assertEquals(await Deno.readTextFile(`${dir}/updir/passwd`), "container-passwd\n");
    });
  });

  Deno.test(`cp -L: a symlink to a file copies the file, ${state} container`, opts, async () => {
    await withStore(async (store, sk, dir) => {
      // /abs points at a host path through enough .. to leave the store: inside the root it
      // is the container's own /etc/passwd.
      const up = "../".repeat(40);
      const script = `echo container-passwd > /etc/passwd && ln -s ${up}etc/passwd /abs && ` +
        "echo hello > /file && ln -s file /rel" + (running ? " && sleep 600" : "");
      await ok(sk, [
        "run",
        ...(running ? ["-d"] : []),
        "--name",
        "l",
        "busybox",
        "sh",
        "-c",
        script,
      ]);
      if (!running) await ok(sk, ["wait", "l"]);
      else await ok(sk, ["exec", "l", "sh", "-c", "until [ -L /rel ]; do sleep 0.05; done"]);
      await ok(sk, ["cp", "-L", "l:/rel", `${dir}/rel`]);
      assertEquals(await Deno.readTextFile(`${dir}/rel`), "hello\n");
      assertEquals((await Deno.lstat(`${dir}/rel`)).isFile, true);
      await ok(sk, ["cp", "-L", "l:/abs", `${dir}/abs`]);
      assertEquals(await Deno.readTextFile(`${dir}/abs`), "container-passwd\n");
      // To stdout: a whole tar holding the file's content under the link's name.
      const tar = await sh(store, `$SK cp -L l:/rel - | tar -xO rel`);
      assertEquals([tar.code, tar.stdout], [0, "hello\n"], tar.stderr);
    });
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test(
  "cp: a stopped container's volumes and bind mounts are read and written",
  opts,
  async () => {
    await withStore(async (store, sk, dir) => {
      const host = `${dir}/bound`;
      await Deno.mkdir(host);
      await Deno.writeTextFile(`${host}/h`, "on-the-host\n");
      await ok(sk, [
        "run",
        "--name",
        "v",
        ...["-v", "vol1:/vol", "-v", `${host}:/bind`, "-v", `${host}:/robind:ro`],
        "busybox",
        "sh",
        "-c",
        "echo in-volume > /vol/f",
      ]);
      await ok(sk, ["cp", "v:/vol/f", `${dir}/f`]);
      assertEquals(await Deno.readTextFile(`${dir}/f`), "in-volume\n");
      const bound = await sh(store, `$SK cp v:/bind/h - | tar -xO`);
      assertEquals(bound.stdout, "on-the-host\n", bound.stderr);
      await Deno.writeTextFile(`${dir}/n`, "new\n");
      await ok(sk, ["cp", `${dir}/n`, "v:/bind/n"]);
      assertEquals(await Deno.readTextFile(`${host}/n`), "new\n");
      await ok(sk, ["cp", `${dir}/n`, "v:/vol/n"]);
      const seen = await ok(sk, ["run", "--rm", "-v", "vol1:/vol", "busybox", "cat", "/vol/n"]);
      assertEquals(seen, "new\n");
      const ro = await sk(["cp", `${dir}/n`, "v:/robind/n2"]);
      assertEquals(ro.code, 1);
      assert(!(await exists(`${host}/n2`)), "cp wrote through a read-only bind");
      // Nothing stays mounted once cp is done.
      const mounts = await Deno.readTextFile("/proc/self/mountinfo");
      assert(!mounts.includes(store.root), mounts);
    });
  },
);

Deno.test("cp: a stopped container cannot send a bind mount onto a host path", opts, async () => {
  await withStore(async (_store, sk, dir) => {
    const host = `${dir}/bound`;
    await Deno.mkdir(host);
    await Deno.writeTextFile(`${host}/secret`, "bound\n");
    // While running, the container moves the mount point's parent away and leaves a symlink
    // that climbs out of its root to the host's /tmp: the bind must land inside the root.
    const marker = `skiff-cp-bind-${crypto.randomUUID()}`;
    const up = "../".repeat(40);
    await ok(sk, [
      "run",
      "--name",
      "s",
      "-v",
      `${host}:/a/${marker}`,
      "busybox",
      "sh",
      "-c",
      `mv /a /a2 && ln -s ${up}tmp /a && mkdir -p /tmp/${marker}`,
    ]);
    const r = await sk(["cp", `s:/a/${marker}/secret`, `${dir}/out`]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(await Deno.readTextFile(`${dir}/out`), "bound\n");
    assert(!(await exists(`/tmp/${marker}`)), "the bind's target was made on the host");
    const mounts = await Deno.readTextFile("/proc/self/mountinfo");
    assert(!mounts.includes(`/tmp/${marker}`), "a bind was mounted on the host's /tmp");
  });
});
