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
                "hostname\tbox\ndomainname\tex.test\n"
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
                "sysctl\tnet/ipv4/ip_forward\t1\nsysctl\tkernel/sem\t250 32000 32 128\n"
                "uid-map\t0\t100000\t65536\n"
                "state-dir\t/run/x\nlog-path\t/x/log\nstop-signal\tSIGTERM\n"
                "restart\ton-failure\t3\nnetwork-hook\t/bin/hook\tadd\n"
                "wait-for-attach\t1\n"
                "netns-release\t/run/x/netns\n"
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
  ok(!strcmp(p.hostname, "box") && !strcmp(p.domainname, "ex.test"), "host and domain names");
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
  ok(p.nsysctls == 2 && !strcmp(p.sysctl_paths[1], "kernel/sem") &&
         !strcmp(p.sysctl_values[1], "250 32000 32 128"),
     "sysctls in order, paths and values");
  ok(p.nuidmaps == 1 && !strcmp(p.uidmaps[0], "0 100000 65536"), "id maps");
  ok(p.restart_policy == 1 && p.restart_max == 3, "restart policy");
  ok(!strcmp(p.network_hook[1], "add") && !p.network_hook[2] && !p.cleanup[0], "hooks");
  ok(p.wait_for_attach == 1, "wait-for-attach");
  ok(p.remove_cgroups == 1 && !strcmp(p.exit_record, "/d/exit.json"), "exit record and cgroups");
  ok(!strcmp(p.netns_release[0], "/run/x/netns") && !p.netns_release[1], "namespace file released");
  ok(p.nremovals == 2 && !strcmp(p.removals[0].lock, "/d/locks/names.lock") &&
         !strcmp(p.removals[1].path, "/run/x") && !p.removals[1].lock,
     "removals in order, with their locks");
  char relative[] = "skiff-plan\t1\narg\tsh\nremove\tx/y\n";
  ok(skiff_plan_parse(relative, &p, &err) < 0 && strstr(err.msg, "absolute"),
     "a relative removal is refused");
  char relative_ns[] = "skiff-plan\t1\narg\tsh\nnetns-release\tx/netns\n";
  ok(skiff_plan_parse(relative_ns, &p, &err) < 0 && strstr(err.msg, "absolute"),
     "a relative namespace file is refused");

  char climb[] = "skiff-plan\t1\narg\tsh\nsysctl\tnet/../../etc/x\t1\n";
  ok(skiff_plan_parse(climb, &p, &err) < 0 && strstr(err.msg, "bad path"),
     "a sysctl path that climbs out of /proc/sys is refused");
  char abs_sysctl[] = "skiff-plan\t1\narg\tsh\nsysctl\t/etc/passwd\t1\n";
  ok(skiff_plan_parse(abs_sysctl, &p, &err) < 0, "an absolute sysctl path is refused");

  char bad[] = "skiff-plan\t1\narg\tsh\nfrobnicate\t1\n";
  ok(skiff_plan_parse(bad, &p, &err) < 0 && strstr(err.msg, "line 3") &&
         strstr(err.msg, "frobnicate"), "unknown directives are rejected with the line");
  char badnum[] = "skiff-plan\t1\narg\tsh\nuser\tx\t0\n";
  ok(skiff_plan_parse(badnum, &p, &err) < 0 && strstr(err.msg, "bad number"), "bad numbers");
  char nohdr[] = "arg\tsh\n";
  ok(skiff_plan_parse(nohdr, &p, &err) < 0, "header is required");
}

/* The checked-in plans that tests/unit/plan_fixture_test.ts proves the TypeScript writer
 * produces byte for byte: read here through skiff_plan_load, every value written down
 * again, so the two sides agree on the format. Run from ffi/ (make test). */
#ifndef PLAN_FIXTURES
#define PLAN_FIXTURES "../tests/fixtures/plan"
#endif
#define FIXTURE_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int streq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static void test_launch_fixture(void) {
  struct skiff_plan p;
  struct skiff_err err = {0};
  int r = skiff_plan_load(PLAN_FIXTURES "/launch.plan", &p, &err);
  ok(r == 0, "fixture launch.plan: loads");
  if (r < 0) {
    printf("# %s\n", err.msg);
    return;
  }
  ok(streq(p.id, FIXTURE_ID), "fixture launch.plan: id");
  ok(p.nlower == 2 && streq(p.lowerdirs[0], "/var/lib/skiff/layers/top/diff") &&
         streq(p.lowerdirs[1], "/var/lib/skiff/layers/base/diff") && !p.lowerdirs[2] &&
         streq(p.upperdir, "/var/lib/skiff/containers/x/upper") &&
         streq(p.workdir, "/var/lib/skiff/containers/x/work") &&
         streq(p.target, "/var/lib/skiff/containers/x/merged") && p.readonly_root == 1,
     "fixture launch.plan: root file system");
  ok(streq(p.hostname, "box"), "fixture launch.plan: hostname");
  const struct skiff_process *pr = &p.proc;
  ok(streq(pr->args[0], "sh") && streq(pr->args[1], "-c") &&
         streq(pr->args[2], "printf 'a\tb\\n' && echo back\\slash\nnext line") &&
         streq(pr->args[3], "literal \\t") && !pr->args[4],
     "fixture launch.plan: arguments unescaped (tab, newline, backslash)");
  ok(streq(pr->env[0], "PATH=/usr/bin:/bin") && streq(pr->env[1], "TABBED=x\ty") &&
         streq(pr->env[2], "EMPTY=") && !pr->env[3],
     "fixture launch.plan: environment");
  ok(streq(pr->cwd, "/work dir") && pr->uid == 1000 && pr->gid == 100 && pr->ngids == 2 &&
         pr->gids[0] == 10 && pr->gids[1] == 4294967294u,
     "fixture launch.plan: cwd, user and groups");
  ok(pr->terminal == 1 && pr->open_stdin == 1 && pr->no_new_privs == 1,
     "fixture launch.plan: terminal, stdin, no-new-privileges");
  ok(pr->caps == ((1ULL << 0) | (1ULL << 10) | (1ULL << 21)),
     "fixture launch.plan: capabilities (CHOWN, NET_BIND_SERVICE, SYS_ADMIN)");
  const struct skiff_seccomp *sc = &pr->seccomp;
  int allow_ok = sc->nallow == 35;
  for (size_t i = 0; allow_ok && i < sc->nallow; i++) allow_ok = sc->allow[i] == i;
  ok(sc->enabled && sc->default_errno == 1 && allow_ok,
     "fixture launch.plan: seccomp allow list over two lines");
  ok(sc->nerrnos == 1 && sc->errnos[0].nr == 435 && sc->errnos[0].errno_value == 38,
     "fixture launch.plan: seccomp errno rule");
  ok(sc->ncond == 4 && sc->cond[0].nr == 135 && sc->cond[0].arg == 0 && !sc->cond[0].masked &&
         sc->cond[0].value == 0xffffffffULL && sc->cond[1].nr == 56 && sc->cond[1].masked &&
         sc->cond[1].value == 0 && sc->cond[1].mask == 0x7E020000ULL && sc->cond[2].nr == 41 &&
         sc->cond[2].masked && sc->cond[2].value == 0x80000000ULL &&
         sc->cond[2].mask == 0x80000000ULL && sc->cond[3].arg == 2 && !sc->cond[3].masked &&
         sc->cond[3].value == (1ULL << 40),
     "fixture launch.plan: seccomp conditions (eq, maskedEq, 64-bit values)");
  ok(pr->nrlimits == 2 && pr->rlimits[0].resource == RLIMIT_NOFILE &&
         pr->rlimits[0].soft == 1024 && pr->rlimits[0].hard == 1048576 &&
         pr->rlimits[1].resource == RLIMIT_CORE && pr->rlimits[1].soft == RLIM_INFINITY &&
         pr->rlimits[1].hard == RLIM_INFINITY,
     "fixture launch.plan: rlimits (-1 is unlimited)");
  ok(pr->has_oom_score_adj && pr->oom_score_adj == -500, "fixture launch.plan: oom-score-adj");
  ok(p.ns_new[SKIFF_NS_PID] && p.ns_new[SKIFF_NS_MNT] && p.ns_new[SKIFF_NS_IPC] &&
         p.ns_new[SKIFF_NS_UTS] && p.ns_new[SKIFF_NS_CGROUP] && !p.ns_new[SKIFF_NS_USER] &&
         !p.ns_new[SKIFF_NS_NET] && streq(p.ns_path[SKIFF_NS_NET], "/run/skiff/netns/x") &&
         !p.ns_path[SKIFF_NS_PID],
     "fixture launch.plan: namespaces created and joined");
  ok(p.nmounts == 4 && streq(p.mounts[0].type, "proc") &&
         p.mounts[0].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV) && !p.mounts[0].bind &&
         streq(p.mounts[0].data, ""),
     "fixture launch.plan: proc mount");
  ok(streq(p.mounts[1].destination, "/dev") && p.mounts[1].flags == (MS_NOSUID | MS_STRICTATIME) &&
         streq(p.mounts[1].data, "mode=755,size=65536k"),
     "fixture launch.plan: tmpfs mount with data");
  ok(streq(p.mounts[2].source, "/srv/data dir") && p.mounts[2].bind == 2 &&
         p.mounts[2].flags == MS_RDONLY && p.mounts[2].propagation == (MS_PRIVATE | MS_REC) &&
         streq(p.mounts[2].data, "x-custom") && !p.mounts[2].subpath,
     "fixture launch.plan: bind mount options (unknown words become data)");
  ok(streq(p.mounts[3].source, "/var/lib/skiff/volumes/v/_data") && p.mounts[3].bind == 2 &&
         streq(p.mounts[3].subpath, "a/b"),
     "fixture launch.plan: volume subpath");
  ok(p.ndevices == 2 && streq(p.devices[0].path, "/dev/null") && p.devices[0].type == 'c' &&
         p.devices[0].major == 1 && p.devices[0].minor == 3 && p.devices[0].mode == 0666 &&
         p.devices[1].type == 'b' && p.devices[1].major == 8 && p.devices[1].mode == 0660 &&
         p.devices[1].uid == 0 && p.devices[1].gid == 6,
     "fixture launch.plan: devices");
  ok(p.nmasked == 2 && streq(p.masked[1], "/sys/firmware") && p.nreadonly == 2 &&
         streq(p.readonly[1], "/proc/sysrq-trigger") && p.ncgroups == 1 &&
         streq(p.cgroups[0], "/sys/fs/cgroup/skiff/x"),
     "fixture launch.plan: masked, read-only and cgroup paths");
  ok(p.nuidmaps == 1 && streq(p.uidmaps[0], "0 100000 65536") && p.ngidmaps == 1 &&
         streq(p.gidmaps[0], "0 200000 65536"),
     "fixture launch.plan: id maps");
  ok(streq(p.state_dir, "/run/skiff/containers/x") &&
         streq(p.log_path, "/var/lib/skiff/containers/x/ctr.log") &&
         streq(p.stop_signal, "SIGQUIT") && p.restart_policy == 1 && p.restart_max == 3,
     "fixture launch.plan: state files, stop signal, restart policy");
  ok(streq(p.network_hook[0], "/usr/bin/skiff") && streq(p.network_hook[2], "x") &&
         !p.network_hook[3] && streq(p.cleanup[1], "cleanup") && !p.cleanup[3],
     "fixture launch.plan: network hook and cleanup command");
  ok(p.remove_cgroups == 1 && streq(p.exit_record, "/var/lib/skiff/containers/x/exit.json") &&
         p.nremovals == 3 && streq(p.removals[0].lock, "/var/lib/skiff/locks/names.lock") &&
         !p.removals[0].if_content && streq(p.removals[1].path, "/var/lib/skiff/names/box") &&
         !p.removals[1].lock && streq(p.removals[1].if_content, FIXTURE_ID) &&
         streq(p.removals[2].path, "/run/skiff/containers/x") && !p.removals[2].lock &&
         !p.removals[2].if_content,
     "fixture launch.plan: exit actions");
  ok(p.wait_for_attach == 1 && p.exec_pid == 0 && p.detach == 0,
     "fixture launch.plan: wait-for-attach, not an exec plan");
}

static void test_exec_fixture(void) {
  struct skiff_plan p;
  struct skiff_err err = {0};
  int r = skiff_plan_load(PLAN_FIXTURES "/exec.plan", &p, &err);
  ok(r == 0, "fixture exec.plan: loads");
  if (r < 0) {
    printf("# %s\n", err.msg);
    return;
  }
  const struct skiff_process *pr = &p.proc;
  ok(p.exec_pid == 4242 && p.detach == 1 && !p.target && !p.state_dir && !p.wait_for_attach,
     "fixture exec.plan: pid to join, detached");
  ok(streq(pr->args[0], "ps") && streq(pr->args[1], "-ef") && !pr->args[2] &&
         streq(pr->env[0], "PATH=/bin") && !pr->env[1] && streq(pr->cwd, "/") && pr->uid == 0 &&
         pr->gid == 0 && pr->ngids == 0 && !pr->terminal && !pr->open_stdin && !pr->no_new_privs,
     "fixture exec.plan: process");
  ok(pr->caps == (1ULL << 5) && !pr->seccomp.enabled && pr->nrlimits == 1 &&
         pr->rlimits[0].resource == RLIMIT_NPROC && pr->rlimits[0].soft == 50 &&
         pr->rlimits[0].hard == 60 && !pr->has_oom_score_adj,
     "fixture exec.plan: capabilities, no seccomp filter, rlimits");
  ok(p.ncgroups == 1 && streq(p.cgroups[0], "/sys/fs/cgroup/skiff/x") && !p.network_hook[0],
     "fixture exec.plan: cgroups");
}

static void test_detach_keys(void) {
  struct skiff_plan p;
  struct skiff_err err = {0};
  char ok_text[] = "skiff-plan\t1\nexec-pid\t7\narg\tsh\ndetach-keys\t16\t17\n";
  ok(skiff_plan_parse(ok_text, &p, &err) == 0 && p.ndetach_keys == 2 &&
         p.detach_keys[0] == 16 && p.detach_keys[1] == 17,
     "detach-keys: the bytes in order");
  char big[] = "skiff-plan\t1\ndetach-keys\t256\n";
  ok(skiff_plan_parse(big, &p, &err) < 0, "detach-keys: a byte above 255 is refused");
  char many[] = "skiff-plan\t1\ndetach-keys\t1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12\t13\t14"
                "\t15\t16\t17\n";
  ok(skiff_plan_parse(many, &p, &err) < 0 && strstr(err.msg, "at most 16"),
     "detach-keys: more than 16 are refused");
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
  test_launch_fixture();
  test_exec_fixture();
  test_detach_keys();
  test_names();
  test_seccomp();
  return tap_done();
}
