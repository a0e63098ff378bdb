/**
 * The working directory (the CVE-2024-21626 class): a container must never
 * start in a directory of the host, whether `-w` names a magic link such as
 * /proc/self/fd/N, a symlink to one, or a directory that another container
 * swaps for such a symlink between the runtime's check and the process's
 * entry into it. And no descriptor of the host reaches the container's
 * process: it holds stdin, stdout and stderr only.
 */
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, type Sk, withBusyboxStore } from "../helpers/busybox_store.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

const probe = `
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
/* fds: prints every open descriptor but the one reading the list, with its target. */
static int fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return 1;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d)) continue;
    char p[64], t[4096];
    snprintf(p, sizeof p, "/proc/self/fd/%s", e->d_name);
    ssize_t n = readlink(p, t, sizeof t - 1);
    t[n < 0 ? 0 : n] = 0;
    printf("fd %s -> %s\\n", e->d_name, t);
  }
  return 0;
}
/* race DIR N: DIR/w is a directory, DIR/l a symlink to /proc/self/fd/N; both names are swapped
 * back and forth until DIR/stop exists. */
static int race(const char *dir, const char *n) {
  char w[512], l[512], stop[512], target[64], marker[600];
  snprintf(w, sizeof w, "%s/w", dir);
  snprintf(l, sizeof l, "%s/l", dir);
  snprintf(stop, sizeof stop, "%s/stop", dir);
  snprintf(marker, sizeof marker, "%s/inside-marker", w);
  snprintf(target, sizeof target, "/proc/self/fd/%s", n);
  mkdir(w, 0755);
  close(open(marker, O_CREAT | O_WRONLY, 0644));
  symlink(target, l);
  unsigned long swaps = 0;
  for (;;) {
    if (renameat2(AT_FDCWD, w, AT_FDCWD, l, RENAME_EXCHANGE) == 0) swaps++;
    if ((swaps & 1023) == 0 && access(stop, F_OK) == 0) break;
  }
  printf("swaps %lu\\n", swaps);
  return 0;
}
int main(int argc, char **argv) {
  char buf[4096];
  if (argc == 2 && !strcmp(argv[1], "fds")) return fds();
  if (argc == 4 && !strcmp(argv[1], "ln")) return symlink(argv[2], argv[3]) != 0;
  if (argc == 2 && !strcmp(argv[1], "cwd")) {
    ssize_t n = readlink("/proc/self/cwd", buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    printf("%s\\n", buf);
    return n < 0;
  }
  if (argc == 3 && !strcmp(argv[1], "settle")) { /* DIR/w the directory again, DIR/stop gone */
    struct stat st;
    char l[4200];
    snprintf(l, sizeof l, "%s/stop", argv[2]);
    unlink(l);
    snprintf(buf, sizeof buf, "%s/w", argv[2]);
    if (lstat(buf, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
    snprintf(l, sizeof l, "%s/l", argv[2]);
    return renameat2(AT_FDCWD, buf, AT_FDCWD, l, RENAME_EXCHANGE) != 0;
  }
  if (argc == 4 && !strcmp(argv[1], "race")) return race(argv[2], argv[3]);
  return 2;
}
`;

/** Compiles the probe statically into a new directory; returns that directory. */
async function buildProbe(): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/probe.c`, probe);
  const cc = await new Deno.Command("gcc", {
    args: ["-static", "-O2", "-o", `${dir}/probe`, `${dir}/probe.c`],
  }).output();
  assertEquals(cc.success, true, new TextDecoder().decode(cc.stderr));
  return dir;
}

/** The descriptors the probe lists, as "N -> target" lines. */
function fdLines(stdout: string): string[] {
  return stdout.split("\n").filter((l) => l.startsWith("fd ")).map((l) => l.slice(3));
}

async function withProbe(fn: (sk: Sk, probeDir: string) => Promise<void>): Promise<void> {
  const dir = await buildProbe();
  try {
    await withBusyboxStore((_store, sk) => fn(sk, dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("-w /proc/self/fd/N and symlinks to it fail in run and exec", opts, async () => {
  await withProbe(async (sk, probeDir) => {
    const p = `${probeDir}:/p:ro`;
    await ok(sk, [
      "run",
      "-d",
      "--name",
      "box",
      "-v",
      "vol:/vol",
      "-v",
      p,
      "busybox",
      "sleep",
      "600",
    ]);
    await ok(sk, ["exec", "box", "/p/probe", "ln", "/proc/self/fd/3", "/vol/l"]);
    for (let n = 3; n < 10; n++) {
      const w = `/proc/self/fd/${n}`;
      const r = await sk(["run", "--rm", "-w", w, "busybox", "ls", "-a"]);
      assert(r.code !== 0, `run -w ${w} started in ${r.stdout}`);
      const e = await sk(["exec", "-w", w, "box", "ls", "-a"]);
      assert(e.code !== 0, `exec -w ${w} started in ${e.stdout}`);
      assertStringIncludes(e.stderr, `chdir to cwd ("${w}")`);
    }
    const r = await sk(["run", "--rm", "-v", "vol:/vol", "-w", "/vol/l", "busybox", "ls", "-a"]);
    assert(r.code !== 0, `run -w /vol/l started in ${r.stdout}`);
    const e = await sk(["exec", "-w", "/vol/l", "box", "ls", "-a"]);
    assert(e.code !== 0, `exec -w /vol/l started in ${e.stdout}`);
    assertStringIncludes(e.stderr, `chdir to cwd ("/vol/l")`);
    // a real directory still works, and is where the process is
    const fine = await ok(sk, ["exec", "-w", "/etc", "box", "/p/probe", "cwd"]);
    assertEquals(fine, "/etc\n");
  });
});

Deno.test(
  "a working directory swapped for /proc/self/fd/N never lands on the host",
  opts,
  async () => {
    await withProbe(async (sk, probeDir) => {
      const p = `${probeDir}:/p:ro`;
      // another container swaps /vol/w (a directory) and /vol/l (-> /proc/self/fd/3) non-stop
      await ok(sk, [
        "run",
        "-d",
        "--name",
        "racer",
        "-v",
        "vol:/vol",
        "-v",
        p,
        "busybox",
        "/p/probe",
        "race",
        "/vol",
        "3",
      ]);
      let inside = 0;
      for (let i = 0; i < 30; i++) {
        const r = await sk([
          "run",
          "--rm",
          "-v",
          "vol:/vol",
          "-w",
          "/vol/w",
          "busybox",
          "ls",
          "-a",
        ]);
        for (const host of ["monitor.pid", "attach", "ctr.log"]) {
          assert(!r.stdout.includes(host), `run ${i} started in a host directory: ${r.stdout}`);
        }
        if (r.code === 0) {
          assertStringIncludes(r.stdout, "inside-marker", `run ${i}`);
          inside++;
        }
      }
      await ok(sk, ["run", "--rm", "-v", "vol:/vol", "busybox", "touch", "/vol/stop"]);
      await ok(sk, ["wait", "racer"]);
      assertStringIncludes(await ok(sk, ["logs", "racer"]), "swaps ");
      // the working directory itself works when nobody swaps it
      await ok(sk, [
        "run",
        "--rm",
        "-v",
        "vol:/vol",
        "-v",
        p,
        "busybox",
        "/p/probe",
        "settle",
        "/vol",
      ]);
      const r = await ok(sk, [
        "run",
        "--rm",
        "-v",
        "vol:/vol",
        "-w",
        "/vol/w",
        "busybox",
        "ls",
        "-a",
      ]);
      assertStringIncludes(r, "inside-marker");
      console.log(`${inside} of 30 runs started inside /vol/w, the rest failed`);
    });
  },
);

Deno.test("the container's process holds no descriptor but its stdio", opts, async () => {
  await withProbe(async (sk, probeDir) => {
    const p = `${probeDir}:/p:ro`;
    const run = fdLines(await ok(sk, ["run", "--rm", "-v", p, "busybox", "/p/probe", "fds"]));
    assertEquals(run.map((l) => l.split(" ")[0]), ["0", "1", "2"], run.join("\n"));
    await ok(sk, ["run", "-d", "--name", "box", "-v", p, "-w", "/etc", "busybox", "sleep", "600"]);
    const exec = fdLines(await ok(sk, ["exec", "box", "/p/probe", "fds"]));
    assertEquals(exec.map((l) => l.split(" ")[0]), ["0", "1", "2"], exec.join("\n"));
    const execW = fdLines(await ok(sk, ["exec", "-w", "/tmp", "box", "/p/probe", "fds"]));
    assertEquals(execW.map((l) => l.split(" ")[0]), ["0", "1", "2"], execW.join("\n"));
  });
});
