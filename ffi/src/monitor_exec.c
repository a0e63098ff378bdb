/* skiff-monitor exec <plan>: runs one process inside a running container. Joins its
 * namespaces and cgroups, forks (a pid namespace applies to children only), and relays a
 * pty when asked, restoring the caller's terminal whatever happens. Leaves nothing behind:
 * it waits for its child, and with detach the process is reparented inside the container. */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved_tio;
static int tio_saved;

static void restore_tty(void) {
  if (tio_saved) tcsetattr(0, TCSADRAIN, &saved_tio);
  tio_saved = 0;
}

static int fail(const char *prefix, const struct skiff_err *err, int code) {
  restore_tty();
  fprintf(stderr, "%s%s\n", prefix, err->msg);
  return code;
}

/* Moves us into the container's cgroups: the plan's, or those listed in /proc/<pid>/cgroup. */
static int join_cgroups(const struct skiff_plan *p, struct skiff_err *err) {
  char line[4096], file[8400], me[32];
  snprintf(me, sizeof me, "%d\n", (int)getpid());
  if (p->ncgroups > 0) {
    for (size_t i = 0; i < p->ncgroups; i++) {
      snprintf(file, sizeof file, "%s/cgroup.procs", p->cgroups[i]);
      int r = skiff_write_file(file, me, err);
      if (r < 0) return r;
    }
    return 0;
  }
  snprintf(file, sizeof file, "/proc/%d/cgroup", p->exec_pid);
  FILE *f = fopen(file, "re");
  if (!f) return skiff_error(err, errno, "open %s", file);
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c2 = 0;
    const char *ctrl = c1 + 1, *path = c2 + 1;
    char dir[1200];
    if (!*ctrl) snprintf(dir, sizeof dir, "/sys/fs/cgroup/unified");
    else if (!strncmp(ctrl, "name=", 5)) snprintf(dir, sizeof dir, "/sys/fs/cgroup/%s", ctrl + 5);
    else snprintf(dir, sizeof dir, "/sys/fs/cgroup/%s", ctrl);
    struct stat st;
    if (stat(dir, &st) < 0 && !*ctrl) snprintf(dir, sizeof dir, "/sys/fs/cgroup");
    snprintf(file, sizeof file, "%s%s/cgroup.procs", dir, path);
    if (stat(file, &st) < 0) continue; /* a hierarchy not mounted here */
    struct skiff_err ignored = {0};
    /* best effort outside the controllers that limit resources */
    int r = skiff_write_file(file, me, *ctrl ? err : &ignored);
    if (r < 0 && *ctrl && strncmp(ctrl, "name=", 5)) {
      fclose(f);
      return r;
    }
  }
  fclose(f);
  return 0;
}

static int relay(int from, int to) {
  char buf[8192];
  ssize_t n = read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n <= 0) return -1;
  for (ssize_t o = 0; o < n;) {
    ssize_t w = write(to, buf + o, n - o);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd pf = {.fd = to, .events = POLLOUT};
      poll(&pf, 1, 1000);
      continue;
    }
    if (w < 0) return -1;
    o += w;
  }
  return 0;
}

static void copy_winsize(int master) {
  struct winsize ws;
  if (ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
}

/* The plan comes in a file, or with "-" in $SKIFF_EXEC_PLAN: the environment, unlike the
 * command line, is readable only by our owner, and saves the caller a temporary file. The
 * variable never reaches the container: the process gets the plan's environment. */
static int load_plan(const char *plan_path, struct skiff_plan *plan, struct skiff_err *err) {
  if (strcmp(plan_path, "-")) return skiff_plan_load(plan_path, plan, err);
  const char *text = getenv("SKIFF_EXEC_PLAN");
  if (!text) return skiff_error(err, 0, "exec plan \"-\" without SKIFF_EXEC_PLAN");
  char *buf = strdup(text); /* parsed in place; lives as long as the plan */
  if (!buf) return skiff_error(err, ENOMEM, "read exec plan");
  return skiff_plan_parse(buf, plan, err);
}

int cmd_exec(const char *plan_path) {
  static struct skiff_plan plan;
  struct skiff_err err = {0};
  if (load_plan(plan_path, &plan, &err) < 0) return fail("Error: ", &err, 125);
  if (!plan.exec_pid) {
    skiff_error(&err, 0, "exec plan without exec-pid");
    return fail("Error: ", &err, 125);
  }
  static const int order[] = {SKIFF_NS_USER, SKIFF_NS_IPC,    SKIFF_NS_UTS, SKIFF_NS_NET,
                              SKIFF_NS_PID,  SKIFF_NS_CGROUP, SKIFF_NS_MNT};
  int nsfd[SKIFF_NS_COUNT];
  for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
    int ns = order[i];
    char path[64], self[64];
    struct stat a, b;
    nsfd[ns] = -1;
    snprintf(path, sizeof path, "/proc/%d/ns/%s", plan.exec_pid, skiff_ns_proc_name(ns));
    snprintf(self, sizeof self, "/proc/self/ns/%s", skiff_ns_proc_name(ns));
    if (stat(path, &a) < 0) {
      if (errno == ENOENT && ns != SKIFF_NS_MNT) continue;
      skiff_error(&err, errno, "container process %d", plan.exec_pid);
      return fail("Error: ", &err, 125);
    }
    if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) continue;
    if ((nsfd[ns] = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
      skiff_error(&err, errno, "open %s", path);
      return fail("Error: ", &err, 125);
    }
  }
  if (join_cgroups(&plan, &err) < 0) return fail("Error: ", &err, 125);
  for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
    int ns = order[i];
    if (nsfd[ns] < 0) continue;
    if (setns(nsfd[ns], skiff_ns_clone_flag(ns)) < 0) {
      skiff_error(&err, errno, "join %s namespace of process %d", skiff_ns_proc_name(ns),
                  plan.exec_pid);
      return fail("Error: ", &err, 125);
    }
    close(nsfd[ns]);
  }
  if (skiff_seccomp_prepare(&plan.proc.seccomp, &err) < 0) return fail("Error: ", &err, 125);
  skiff_cap_last();
  int master = -1, slave = -1;
  char pts[64];
  if (plan.proc.terminal && !plan.detach) {
    if (skiff_pty_open(&master, pts, sizeof pts, &err) < 0) return fail("Error: ", &err, 125);
    slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
      skiff_error(&err, errno, "open %s", pts);
      return fail("Error: ", &err, 125);
    }
    if (isatty(0)) copy_winsize(master);
  }
  int rep[2];
  if (pipe2(rep, O_CLOEXEC) < 0) {
    skiff_error(&err, errno, "create pipe");
    return fail("Error: ", &err, 125);
  }
  sigset_t set, old;
  sigemptyset(&set);
  int fwd[] = {SIGCHLD, SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof fwd / sizeof *fwd; i++) sigaddset(&set, fwd[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    skiff_error(&err, errno, "fork");
    return fail("Error: ", &err, 125);
  }
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(rep[0]);
    if (plan.detach) {
      pid_t again = fork();
      if (again < 0) _exit(125);
      if (again > 0) _exit(0);
      setsid();
      skiff_stdio_devnull();
    } else if (slave >= 0) {
      setsid();
      dup2(slave, 0);
      dup2(slave, 1);
      dup2(slave, 2);
      ioctl(0, TIOCSCTTY, 0);
    } else if (!plan.proc.open_stdin) {
      int null = open("/dev/null", O_RDONLY);
      if (null >= 0) dup2(null, 0);
    }
    char path[4096];
    if (skiff_lookup_exec(&plan.proc, path, sizeof path, &err) == 0 &&
        skiff_process_prepare(&plan.proc, &err) == 0)
      skiff_process_exec(&plan.proc, path, &err);
    struct child_msg msg = {.type = 'E', .code = err.code, .exit_code = err.exit_code};
    memcpy(msg.msg, err.msg, sizeof msg.msg);
    if (write(rep[1], &msg, sizeof msg) < 0) _exit(126);
    _exit(err.exit_code ? err.exit_code : 126);
  }
  close(rep[1]);
  if (slave >= 0) close(slave);
  struct child_msg msg;
  ssize_t got = 0;
  for (;;) {
    ssize_t r = read(rep[0], (char *)&msg + got, sizeof msg - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += r;
    if ((size_t)got == sizeof msg) break;
  }
  close(rep[0]);
  int status = 0;
  if ((size_t)got == sizeof msg && msg.type == 'E') {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    msg.msg[sizeof msg.msg - 1] = 0;
    snprintf(err.msg, sizeof err.msg, "%s", msg.msg);
    int code = msg.exit_code == 127 ? 127 : 126;
    return fail("OCI runtime exec failed: exec failed: unable to start container process: ",
                &err, code);
  }
  if (plan.detach) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return 0;
  }
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    skiff_error(&err, errno, "signalfd");
    return fail("Error: ", &err, 125);
  }
  if (master >= 0 && isatty(0) && tcgetattr(0, &saved_tio) == 0) {
    struct termios raw = saved_tio;
    cfmakeraw(&raw);
    tio_saved = tcsetattr(0, TCSANOW, &raw) == 0;
  }
  int done = 0, in_open = master >= 0, out_open = master >= 0;
  int64_t deadline = 0;
  while (!done || out_open) {
    struct pollfd fds[3];
    int n = 0, i_in = -1, i_out = -1;
    fds[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    if (in_open && !done) fds[i_in = n++] = (struct pollfd){.fd = 0, .events = POLLIN};
    if (out_open) fds[i_out = n++] = (struct pollfd){.fd = master, .events = POLLIN};
    int timeout = done ? (int)(deadline - now_ms()) : -1;
    if (done && timeout <= 0) break;
    if (poll(fds, n, timeout) < 0 && errno != EINTR) break;
    if (fds[0].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD) {
          if (!done && waitpid(pid, &status, WNOHANG) == pid) {
            done = 1;
            deadline = now_ms() + 1000;
          }
        } else if (si.ssi_signo == SIGWINCH) {
          if (master >= 0) copy_winsize(master);
        } else {
          kill(pid, (int)si.ssi_signo);
        }
      }
    }
    if (i_in >= 0 && fds[i_in].revents && relay(0, master) < 0) {
      in_open = 0;
      if (!isatty(0)) {
        char eot = 4; /* end of input for the program on the terminal */
        if (write(master, &eot, 1) < 0) {
        }
      }
    }
    if (i_out >= 0 && fds[i_out].revents && relay(master, 1) < 0) out_open = 0;
  }
  if (!done) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  restore_tty();
  if (master >= 0) close(master);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 125;
}
