/* skiff-monitor exec <plan>: runs one process inside a running container. Joins its
 * namespaces and cgroups, forks (a pid namespace applies to children only), and relays the
 * process's stdio: through a pty when asked (restoring the caller's terminal whatever
 * happens), else through pipes. The process never holds the caller's terminal or any other
 * host file: it gets a session of its own (no controlling terminal to reopen as /dev/tty) and
 * pipes, so that it cannot push keystrokes into the calling shell with TIOCSTI. Leaves nothing
 * behind: it waits for its child, and with detach the process is reparented inside the
 * container. Errors are printed only by monitor_cmd_exec. */
#include "monitor_exec.h"

#include "monitor_globals.h"
#include "monitor_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* Namespaces in the order they are joined: user first (it grants the rights for the rest),
 * pid before the fork, mount last. */
static const int ns_order[] = {SKIFF_NS_USER, SKIFF_NS_IPC,    SKIFF_NS_UTS, SKIFF_NS_NET,
                               SKIFF_NS_PID,  SKIFF_NS_CGROUP, SKIFF_NS_MNT};
#define NS_ORDER_LEN (sizeof ns_order / sizeof *ns_order)

/* Signals forwarded to the process (SIGCHLD and SIGWINCH are handled here). */
static const int forwarded[] = {SIGCHLD, SIGWINCH, SIGINT,  SIGTERM,
                                SIGHUP,  SIGQUIT,  SIGUSR1, SIGUSR2};

static struct termios saved_tio;
static int tio_saved;

static void restore_tty(void) {
  if (tio_saved) tcsetattr(0, TCSADRAIN, &saved_tio);
  tio_saved = 0;
}

/* Puts the caller's terminal in raw mode while a pty is relayed (restored by restore_tty). */
static void raw_tty(void) {
  if (!isatty(0) || tcgetattr(0, &saved_tio) < 0) return;
  struct termios raw = saved_tio;
  cfmakeraw(&raw);
  tio_saved = tcsetattr(0, TCSANOW, &raw) == 0;
}

/* The one place errors are printed: the terminal restored first. */
static int fail(const char *prefix, const struct skiff_err *err, int code) {
  restore_tty();
  fprintf(stderr, "%s%s\n", prefix, err->msg);
  return code;
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

/* Opens each namespace of the container process that differs from ours (nsfd[ns], else -1). A
 * namespace the kernel lacks is skipped, except the mount namespace. */
static int open_namespaces(const struct skiff_plan *p, int nsfd[], struct skiff_err *err) {
  for (int i = 0; i < SKIFF_NS_COUNT; i++) nsfd[i] = -1;
  for (size_t i = 0; i < NS_ORDER_LEN; i++) {
    int ns = ns_order[i];
    char path[64], self[64];
    struct stat a, b;
    snprintf(path, sizeof path, "/proc/%d/ns/%s", p->exec_pid, skiff_ns_proc_name(ns));
    snprintf(self, sizeof self, "/proc/self/ns/%s", skiff_ns_proc_name(ns));
    if (stat(path, &a) < 0) {
      if (errno == ENOENT && ns != SKIFF_NS_MNT) continue;
      return skiff_error(err, errno, "container process %d", p->exec_pid);
    }
    if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) continue;
    if ((nsfd[ns] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
      return skiff_error(err, errno, "open %s", path);
  }
  return 0;
}

/* Joins the namespaces open_namespaces opened, closing each. */
static int join_namespaces(const struct skiff_plan *p, int nsfd[], struct skiff_err *err) {
  for (size_t i = 0; i < NS_ORDER_LEN; i++) {
    int ns = ns_order[i];
    if (nsfd[ns] < 0) continue;
    if (setns(nsfd[ns], skiff_ns_clone_flag(ns)) < 0)
      return skiff_error(err, errno, "join %s namespace of process %d", skiff_ns_proc_name(ns),
                         p->exec_pid);
    close_fd(&nsfd[ns]);
  }
  return 0;
}

/* The directory of a hierarchy named in /proc/<pid>/cgroup ("" is cgroup v2, "name=x" a named
 * v1 hierarchy, else the controllers). */
static void cgroup_hierarchy_dir(const char *ctrl, char *dir, size_t size) {
  struct stat st;
  if (!*ctrl) snprintf(dir, size, "/sys/fs/cgroup/unified");
  else if (!strncmp(ctrl, "name=", 5)) snprintf(dir, size, "/sys/fs/cgroup/%s", ctrl + 5);
  else snprintf(dir, size, "/sys/fs/cgroup/%s", ctrl);
  if (!*ctrl && stat(dir, &st) < 0) snprintf(dir, size, "/sys/fs/cgroup");
}

/* Joins the cgroups /proc/<pid>/cgroup lists: an error counts only for the controllers that
 * limit resources; the unified and named hierarchies are best effort. */
static int join_process_cgroups(const struct skiff_plan *p, const char *me,
                                struct skiff_err *err) {
  char line[4096], file[8400], dir[1200];
  snprintf(file, sizeof file, "/proc/%d/cgroup", p->exec_pid);
  FILE *f = fopen(file, "re");
  if (!f) return skiff_error(err, errno, "open %s", file);
  int r = 0;
  while (r == 0 && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c2 = 0;
    const char *ctrl = c1 + 1, *path = c2 + 1;
    struct stat st;
    cgroup_hierarchy_dir(ctrl, dir, sizeof dir);
    snprintf(file, sizeof file, "%s%s/cgroup.procs", dir, path);
    if (stat(file, &st) < 0) continue; /* a hierarchy not mounted here */
    struct skiff_err ignored = {0};
    int limits = *ctrl && strncmp(ctrl, "name=", 5);
    r = skiff_write_file(file, me, *ctrl ? err : &ignored);
    if (!limits) r = 0;
  }
  fclose(f);
  return r;
}

/* Moves us into the container's cgroups: the plan's, or those of the container process. */
static int join_cgroups(const struct skiff_plan *p, struct skiff_err *err) {
  char file[4200], me[32];
  snprintf(me, sizeof me, "%d\n", (int)getpid());
  /* rootless, a container gets no cgroups of its own (it stays in its caller's): none to join */
  if (geteuid() != 0) return 0;
  if (p->ncgroups == 0) return join_process_cgroups(p, me, err);
  for (size_t i = 0; i < p->ncgroups; i++) {
    snprintf(file, sizeof file, "%s/cgroup.procs", p->cgroups[i]);
    int r = skiff_write_file(file, me, err);
    if (r < 0) return r;
  }
  return 0;
}

static void copy_winsize(int master) {
  struct winsize ws;
  if (ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
}

/* A new pty pair for the process, sized like our terminal. */
static int open_pty(int *master, int *slave, struct skiff_err *err) {
  char pts[64];
  int r = skiff_pty_open(master, pts, sizeof pts, err);
  if (r < 0) return r;
  *slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*slave < 0) return skiff_error(err, errno, "open %s", pts);
  if (isatty(0)) copy_winsize(*master);
  return 0;
}

/* The process's ends of its stdio pipes (-1 where it has none), when there is no pty. */
struct child_pipes {
  int in, out, err;
};

/* Everything from the fork to the process's stdio: detached (a second fork, so that the
 * process is reparented inside the container, on /dev/null), on the pty slave, or on pipes
 * (stdin from /dev/null unless kept open); always in a new session. 0 in the process that
 * goes on to exec. */
static int child_stdio(const struct skiff_plan *p, int slave, const struct child_pipes *cp,
                       struct skiff_err *err) {
  if (p->detach) {
    pid_t again = fork();
    if (again < 0) _exit(125);
    if (again > 0) _exit(0);
    if (setsid() < 0) return skiff_error(err, errno, "setsid");
    skiff_stdio_devnull();
  } else if (slave >= 0) {
    if (setsid() < 0) return skiff_error(err, errno, "setsid");
    for (int i = 0; i < 3; i++)
      if (dup2(slave, i) < 0) return skiff_error(err, errno, "dup2 pty");
    if (ioctl(0, TIOCSCTTY, 0) < 0) return skiff_error(err, errno, "set controlling terminal");
  } else {
    if (setsid() < 0) return skiff_error(err, errno, "setsid");
    if (dup2(cp->out, 1) < 0 || dup2(cp->err, 2) < 0)
      return skiff_error(err, errno, "dup2 stdio pipes");
    if (cp->in >= 0) {
      if (dup2(cp->in, 0) < 0) return skiff_error(err, errno, "dup2 stdin pipe");
    } else {
      /* best effort: a container that removed its /dev/null still gets its exec; fd 0 is
       * closed then, never the caller's */
      int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null < 0) close(0);
      else if (dup2(null, 0) < 0) return skiff_error(err, errno, "stdin on /dev/null");
    }
  }
  return 0;
}

/* The forked child: stdio, then the process's credentials and exec; a failure goes back to
 * the parent as a message. Never returns. */
static void exec_child(const struct skiff_plan *p, int slave, const struct child_pipes *cp,
                       int rep_w) {
  struct skiff_err err = {0};
  char path[4096];
  if (child_stdio(p, slave, cp, &err) == 0 && skiff_lookup_exec(&p->proc, path, sizeof path, &err) == 0 &&
      skiff_process_prepare(&p->proc, &err) == 0)
    skiff_process_exec(&p->proc, path, &err);
  if (sync_send(rep_w, 'E', &err) < 0) _exit(126);
  _exit(err.exit_code ? err.exit_code : 126);
}

/* Waits until the child has exec'd (the report pipe closes) or reports why it could not; an
 * exec failure is returned as the error (exit_code 126, or 127 when not found). */
static int await_exec(pid_t pid, int rep_r, struct skiff_err *err) {
  struct child_msg msg;
  ssize_t got = read_full(rep_r, &msg, sizeof msg);
  close(rep_r);
  if (got != (ssize_t)sizeof msg || msg.type != 'E') return 0;
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  sync_msg_error(&msg, err);
  err->exit_code = msg.exit_code == 127 ? 127 : 126;
  return -1;
}

/* Writes all of buf to to (waiting while it is full); -1 on an error. */
static int write_all(int to, const char *buf, ssize_t n) {
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

/* Reads what is ready on from and writes it all to to; -1 at EOF or on an error. */
static int relay(int from, int to) {
  char buf[8192];
  ssize_t n = read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n <= 0) return -1;
  return write_all(to, buf, n);
}

/* One exec session being relayed: through the pty master (in_w == out_r == master), or the
 * pipes to the process's stdin, stdout and stderr; an fd is -1 once closed or absent. */
struct session {
  pid_t pid;
  int sfd, master, status;
  int in_w, out_r, err_r;
  int done, in_open;
  /* the detach keys (none: 0), how many of them were just typed, and whether all were */
  const unsigned char *keys;
  int nkeys, matched, detached;
  int64_t deadline; /* after the exit: stop relaying output at this time */
};

/* Relays our stdin to the process, watching for the detach keys as Docker's escape proxy
 * does: keys that may start the sequence are held back until it breaks (then they are sent)
 * or completes (then nothing of it is sent and 1 is returned). -1 at EOF or on an error. */
static int relay_stdin(struct session *s) {
  if (s->nkeys == 0) return relay(0, s->in_w);
  char buf[8192], out[8192 + 16];
  ssize_t n = read(0, buf, sizeof buf), o = 0;
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n <= 0) return -1;
  for (ssize_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)buf[i];
    if (c == s->keys[s->matched]) {
      if (++s->matched < s->nkeys) continue;
      return write_all(s->in_w, out, o) < 0 ? -1 : 1;
    }
    if (s->matched) { /* a broken sequence: what was held goes out first */
      memcpy(out + o, s->keys, (size_t)s->matched);
      o += s->matched;
      s->matched = 0;
      if (c == s->keys[0]) {
        s->matched = 1;
        continue;
      }
    }
    out[o++] = (char)c;
  }
  return write_all(s->in_w, out, o);
}

/* Handles the pending signals: the child's exit, a resize, or one to forward. */
static void session_signals(struct session *s) {
  struct signalfd_siginfo si;
  while (read(s->sfd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGCHLD) {
      if (!s->done && waitpid(s->pid, &s->status, WNOHANG) == s->pid) {
        s->done = 1;
        s->deadline = now_ms() + 1000;
      }
    } else if (si.ssi_signo == SIGWINCH) {
      if (s->master >= 0) copy_winsize(s->master);
    } else {
      kill(s->pid, (int)si.ssi_signo);
    }
  }
}

/* Our stdin reached its end (or the process's stdin is gone): a terminal stays as it is; the
 * program on a pty gets an end-of-input character; a stdin pipe is closed. */
static void session_stdin_closed(struct session *s) {
  s->in_open = 0;
  if (s->master < 0) {
    close_fd(&s->in_w);
    return;
  }
  if (isatty(0)) return;
  char eot = 4;
  if (write(s->master, &eot, 1) < 0) { /* the program is gone: nothing to end */
  }
}

/* An output stream ended (or our side of it cannot be written): stop relaying it. A pipe is
 * closed, so that the process's next write fails instead of blocking. */
static void session_output_closed(struct session *s, int *fd) {
  if (*fd != s->master) close(*fd);
  *fd = -1;
}

/* Relays what a pipe holds now, without waiting for its end: once the process has exited, all
 * it wrote is there, and what a process it left behind writes later is not waited for. */
static void session_drain(struct session *s, int *fd, int to) {
  struct pollfd pf = {.fd = *fd, .events = POLLIN};
  while (*fd >= 0 && poll(&pf, 1, 0) > 0)
    if (relay(*fd, to) < 0) session_output_closed(s, fd);
}

/* Relays the stdio and signals until the process exits and its output is drained (pipes: what
 * they hold; a pty: at most a second more); then reaps it. */
static void session_run(struct session *s) {
  while (!s->done || s->out_r >= 0 || s->err_r >= 0) {
    if (s->done && s->master < 0) {
      session_drain(s, &s->out_r, 1);
      session_drain(s, &s->err_r, 2);
      break;
    }
    struct pollfd fds[4];
    int n = 0, i_in = -1, i_out = -1, i_err = -1;
    fds[n++] = (struct pollfd){.fd = s->sfd, .events = POLLIN};
    if (s->in_open && !s->done) fds[i_in = n++] = (struct pollfd){.fd = 0, .events = POLLIN};
    if (s->out_r >= 0) fds[i_out = n++] = (struct pollfd){.fd = s->out_r, .events = POLLIN};
    if (s->err_r >= 0) fds[i_err = n++] = (struct pollfd){.fd = s->err_r, .events = POLLIN};
    int timeout = s->done ? (int)(s->deadline - now_ms()) : -1;
    if (s->done && timeout <= 0) break;
    if (poll(fds, n, timeout) < 0 && errno != EINTR) break;
    if (fds[0].revents) session_signals(s);
    if (i_in >= 0 && fds[i_in].revents) {
      int r = relay_stdin(s);
      if (r < 0) session_stdin_closed(s);
      if (r > 0) {
        s->detached = 1;
        return; /* the process runs on: see detach_session */
      }
    }
    if (i_out >= 0 && fds[i_out].revents && relay(s->out_r, 1) < 0)
      session_output_closed(s, &s->out_r);
    if (i_err >= 0 && fds[i_err].revents && relay(s->err_r, 2) < 0)
      session_output_closed(s, &s->err_r);
  }
  if (s->in_w != s->master) close_fd(&s->in_w);
  if (s->out_r != s->master) close_fd(&s->out_r);
  if (s->err_r != s->master) close_fd(&s->err_r);
  if (!s->done) {
    while (waitpid(s->pid, &s->status, 0) < 0 && errno == EINTR) {
    }
  }
}

/* Our own pid namespace, opened before the container's is joined: the process that keeps a
 * detached exec's terminal is made in it (-1 if it could not be opened). */
static int own_pidns = -1;

/* The detach keys were typed: our caller gets its terminal back (exit 0, as Docker's), and a
 * process of ours keeps the pty's master open and drains it until the exec'd process and its
 * children have closed the terminal; closing it now would hang their session up. It is made
 * in our own pid namespace (not visible in the container's) with no stdio of the caller. */
static int detach_session(struct session *s) {
  restore_tty();
  if (own_pidns >= 0) setns(own_pidns, CLONE_NEWPID); /* best effort */
  fflush(NULL);
  pid_t keeper = fork();
  if (keeper < 0) return 0; /* nobody to keep the terminal: it is hung up as we exit */
  if (keeper > 0) return 0;
  setsid();
  skiff_stdio_devnull();
  char buf[4096];
  for (;;) {
    ssize_t n = read(s->master, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(0);
  }
}

/* Enters the container: plan, namespaces, cgroups, seccomp program. We are not dumpable
 * first (the CVE-2019-5736 class): our forked child runs our code in the container's pid
 * namespace until its exec, and the container's processes must not open its /proc/PID/exe,
 * mem or fds, nor read its environment (the plan may be in it). */
static int enter(const char *plan_path, struct skiff_plan *plan, struct skiff_err *err) {
  int nsfd[SKIFF_NS_COUNT], r;
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return skiff_error(err, errno, "set not dumpable");
  if ((r = load_plan(plan_path, plan, err)) < 0) return r;
  if (!plan->exec_pid) return skiff_error(err, 0, "exec plan without exec-pid");
  if (plan->ndetach_keys) own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  if ((r = open_namespaces(plan, nsfd, err)) < 0) return r;
  if ((r = join_cgroups(plan, err)) < 0) return r;
  if ((r = join_namespaces(plan, nsfd, err)) < 0) return r;
  if ((r = skiff_seccomp_prepare(&plan->proc.seccomp, err)) < 0) return r;
  skiff_cap_last(); /* read now: /proc may not be there once the process has its root */
  return 0;
}

/* A pipe whose end kept by us (*ours) is non-blocking; both ends close on exec. */
static int open_pipe(int *ours, int *theirs, int ours_reads, struct skiff_err *err) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return skiff_error(err, errno, "create pipe");
  *ours = fds[ours_reads ? 0 : 1];
  *theirs = fds[ours_reads ? 1 : 0];
  if (fcntl(*ours, F_SETFL, O_NONBLOCK) < 0) return skiff_error(err, errno, "pipe non-blocking");
  return 0;
}

/* Pipes for the process's stdout, stderr and (with -i) stdin, when there is no pty. */
static int open_pipes(const struct skiff_plan *p, struct session *s, struct child_pipes *cp,
                      struct skiff_err *err) {
  int r;
  if ((r = open_pipe(&s->out_r, &cp->out, 1, err)) < 0) return r;
  if ((r = open_pipe(&s->err_r, &cp->err, 1, err)) < 0) return r;
  if (p->proc.open_stdin && (r = open_pipe(&s->in_w, &cp->in, 0, err)) < 0) return r;
  return 0;
}

int monitor_cmd_exec(const char *plan_path) {
  static struct skiff_plan plan;
  struct skiff_err err = {0};
  struct session s = {.master = -1, .in_w = -1, .out_r = -1, .err_r = -1};
  struct child_pipes cp = {-1, -1, -1};
  int slave = -1, rep[2];
  if (enter(plan_path, &plan, &err) < 0) return fail("Error: ", &err, 125);
  if (plan.proc.terminal && !plan.detach && open_pty(&s.master, &slave, &err) < 0)
    return fail("Error: ", &err, 125);
  if (!plan.proc.terminal && !plan.detach && open_pipes(&plan, &s, &cp, &err) < 0)
    return fail("Error: ", &err, 125);
  if (pipe2(rep, O_CLOEXEC) < 0) {
    skiff_error(&err, errno, "create pipe");
    return fail("Error: ", &err, 125);
  }
  sigset_t set, old;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) sigaddset(&set, forwarded[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  fflush(NULL);
  s.pid = fork();
  if (s.pid < 0) {
    skiff_error(&err, errno, "fork");
    return fail("Error: ", &err, 125);
  }
  if (s.pid == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(rep[0]);
    exec_child(&plan, slave, &cp, rep[1]);
  }
  /* a closed reader makes our writes fail with EPIPE, not kill us (after the fork: an ignored
   * signal would stay ignored in the process across its exec) */
  signal(SIGPIPE, SIG_IGN);
  close(rep[1]);
  if (slave >= 0) close(slave);
  close_fd(&cp.in);
  close_fd(&cp.out);
  close_fd(&cp.err);
  if (await_exec(s.pid, rep[0], &err) < 0)
    return fail("OCI runtime exec failed: exec failed: unable to start container process: ",
                &err, err.exit_code);
  if (plan.detach) {
    while (waitpid(s.pid, &s.status, 0) < 0 && errno == EINTR) {
    }
    return 0;
  }
  s.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s.sfd < 0) {
    skiff_error(&err, errno, "signalfd");
    kill(s.pid, SIGKILL);
    waitpid(s.pid, &s.status, 0);
    return fail("Error: ", &err, 125);
  }
  if (s.master >= 0) {
    raw_tty();
    s.in_w = s.out_r = s.master;
    if (plan.proc.open_stdin) {
      s.keys = plan.detach_keys;
      s.nkeys = plan.ndetach_keys;
    }
  }
  s.in_open = s.in_w >= 0;
  session_run(&s);
  if (s.detached) return detach_session(&s);
  restore_tty();
  if (s.master >= 0) close(s.master);
  if (WIFEXITED(s.status)) return WEXITSTATUS(s.status);
  if (WIFSIGNALED(s.status)) return 128 + WTERMSIG(s.status);
  return 125;
}
