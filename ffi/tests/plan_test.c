/* Unit tests for the runtime parts of libskiff that need no root: the plan reader, mount
 * option words, capability names and the seccomp filter (installed in a forked child). */
#include "skiff.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_plan(void) {
  char text[] = "skiff-plan\t1\n"
                "id\tabc\n"
                "lower\t/l/top\n"
                "lower\t/l/bottom\n"
                "upper\t/u\nwork\t/w\ntarget\t/m\n"
                "hostname\tbox\n"
                "arg\tsh\narg\t-c\narg\techo a\\tb\\nc \\\\ d\n"
                "env\tPATH=/bin\n"
                "user\t1000\t100\ngroup\t10\ngroup\t20\n"
                "cap\tCAP_CHOWN\ncap\tkill\n"
                "seccomp\t1\nseccomp-allow\t0\t1\t2\nseccomp-allow\t3\n"
                "seccomp-cond\t135\t0\teq\t0\t0\n"
                "rlimit\tnofile\t1024\t2048\n"
                "namespace\tpid\nnamespace\tnet\t/run/netns/x\n"
                "mount\ttmpfs\t/dev\ttmpfs\tnosuid,strictatime,ro\tmode=755\n"
                "mount\t/src\t/dst\tbind\trbind,ro,rprivate,foo=bar\t\n"
                "mount\t/vol\t/sub\tbind\trbind\t\ta/b\n"
                "device\t/dev/null\tc\t1\t3\t438\t0\t0\n"
                "uid-map\t0\t100000\t65536\n"
                "state-dir\t/run/x\nlog-path\t/x/log\nstop-signal\tSIGTERM\n"
                "restart\ton-failure\t3\nnetwork-hook\t/bin/hook\tadd\n"
                "wait-for-attach\t1\n"
                "remove-cgroups\t1\nexit-record\t/d/exit.json\n"
                "remove\t/d/ctr\t/d/locks/names.lock\nremove\t/run/x\n";
  struct skiff_plan p;
  struct skiff_err err = {0};
  int r = skiff_plan_parse(text, &p, &err);
  ok(r == 0, "a full plan parses");
  if (r < 0) {
    printf("# %s\n", err.msg);
    return;
  }
  ok(p.nlower == 2 && !strcmp(p.lowerdirs[0], "/l/top") && !p.lowerdirs[2], "lower dirs in order");
  ok(!strcmp(p.proc.args[2], "echo a\tb\nc \\ d") && !p.proc.args[3], "fields are unescaped");
  ok(p.proc.uid == 1000 && p.proc.gid == 100 && p.proc.ngids == 2 && p.proc.gids[1] == 20, "ids");
  ok(p.proc.caps == ((1ULL << 0) | (1ULL << 5)), "capabilities by name");
  ok(p.proc.seccomp.enabled && p.proc.seccomp.nallow == 4 && p.proc.seccomp.ncond == 1, "seccomp");
  ok(p.proc.nrlimits == 1 && p.proc.rlimits[0].resource == RLIMIT_NOFILE &&
         p.proc.rlimits[0].hard == 2048, "rlimits");
  ok(p.ns_new[SKIFF_NS_PID] && !p.ns_new[SKIFF_NS_NET] && !strcmp(p.ns_path[SKIFF_NS_NET], "/run/netns/x"),
     "namespaces created and joined");
  ok(p.nmounts == 3 && p.mounts[0].flags == (MS_NOSUID | MS_STRICTATIME | MS_RDONLY) &&
         !strcmp(p.mounts[0].data, "mode=755"), "mount flags and data");
  ok(p.mounts[1].bind == 2 && p.mounts[1].propagation == (MS_PRIVATE | MS_REC) &&
         !strcmp(p.mounts[1].data, "foo=bar") && !p.mounts[1].subpath, "bind mount options");
  ok(p.mounts[2].subpath && !strcmp(p.mounts[2].subpath, "a/b") && !strcmp(p.mounts[2].source, "/vol"),
     "a volume subpath beneath its source");
  ok(p.ndevices == 1 && p.devices[0].mode == 0666, "devices");
  ok(p.nuidmaps == 1 && !strcmp(p.uidmaps[0], "0 100000 65536"), "id maps");
  ok(p.restart_policy == 1 && p.restart_max == 3, "restart policy");
  ok(!strcmp(p.network_hook[1], "add") && !p.network_hook[2] && !p.cleanup[0], "hooks");
  ok(p.wait_for_attach == 1, "wait-for-attach");
  ok(p.remove_cgroups == 1 && !strcmp(p.exit_record, "/d/exit.json"), "exit record and cgroups");
  ok(p.nremovals == 2 && !strcmp(p.removals[0].lock, "/d/locks/names.lock") &&
         !strcmp(p.removals[1].path, "/run/x") && !p.removals[1].lock,
     "removals in order, with their locks");
  char relative[] = "skiff-plan\t1\narg\tsh\nremove\tx/y\n";
  ok(skiff_plan_parse(relative, &p, &err) < 0 && strstr(err.msg, "absolute"),
     "a relative removal is refused");

  char bad[] = "skiff-plan\t1\narg\tsh\nfrobnicate\t1\n";
  ok(skiff_plan_parse(bad, &p, &err) < 0 && strstr(err.msg, "line 3") &&
         strstr(err.msg, "frobnicate"), "unknown directives are rejected with the line");
  char badnum[] = "skiff-plan\t1\narg\tsh\nuser\tx\t0\n";
  ok(skiff_plan_parse(badnum, &p, &err) < 0 && strstr(err.msg, "bad number"), "bad numbers");
  char nohdr[] = "arg\tsh\n";
  ok(skiff_plan_parse(nohdr, &p, &err) < 0, "header is required");
}

static void test_names(void) {
  ok(skiff_cap_from_name("CAP_SYS_ADMIN") == 21 && skiff_cap_from_name("net_raw") == 13,
     "capability names");
  ok(skiff_cap_from_name("CAP_NOPE") == -1, "unknown capability");
  unsigned long f = 0, prop = 0;
  int bind = 0;
  ok(skiff_mount_flag("noexec", &f, &prop, &bind) && f == MS_NOEXEC, "mount flag word");
  ok(!skiff_mount_flag("size=1m", &f, &prop, &bind), "data word is not a flag");
}

static void test_seccomp(void) {
  struct skiff_seccomp sc = {.enabled = 1, .default_errno = EPERM};
  unsigned allow[512];
  size_t k = 0;
  for (unsigned nr = 0; nr < 460; nr++)
    if (nr != SYS_getppid) allow[k++] = nr;
  sc.allow = allow;
  sc.nallow = k;
  struct skiff_seccomp_cond cond = {.nr = SYS_getppid, .arg = 0, .masked = 0, .value = 42};
  sc.cond = &cond;
  sc.ncond = 1;
  pid_t pid = fork();
  if (pid == 0) {
    struct skiff_err err = {0};
    if (skiff_seccomp_prepare(&sc, &err) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        skiff_seccomp_install(&sc, &err) < 0)
      _exit(10);
    long a = syscall(SYS_getppid, 0);
    int denied = a < 0 && errno == EPERM;
    long b = syscall(SYS_getppid, 42);
    _exit(denied && b > 0 ? 0 : 11);
  }
  int st;
  waitpid(pid, &st, 0);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "seccomp: default errno and conditional rule");
}

int main(void) {
  test_plan();
  test_names();
  test_seccomp();
  return tap_done();
}
