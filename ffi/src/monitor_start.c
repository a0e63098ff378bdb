/* The start command: the caller forks the monitor and waits on a pipe for one report,
 * "P<pid>\n" or "E<exit code> <message>"; the monitor detaches (own session, stdio on
 * /dev/null, a subreaper), opens what it keeps for the container's life, launches it and
 * runs the event loop. Errors are printed only here, at the top. */
#include "monitor_start.h"

#include "monitor_attach.h"
#include "monitor_globals.h"
#include "monitor_launch.h"
#include "monitor_logdrv.h"
#include "monitor_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reports to the waiting `start` process; a starter that is gone is not told. */
static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int fd, const char *fmt, ...) {
  char buf[1200];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 1) n = sizeof buf - 1;
  if (write(fd, buf, n) < 0) { /* the starter is gone: nothing to tell */
  }
}

/* The caller's side: waits for the monitor's report, prints the pid or the error, and returns
 * the exit code to leave with. */
static int await_report(int fd) {
  char buf[1300];
  ssize_t n = read_full(fd, buf, sizeof buf - 1);
  buf[n < 0 ? 0 : n] = 0;
  if (buf[0] == 'P') {
    printf("%s", buf + 1);
    return 0;
  }
  if (buf[0] == 'E') {
    char *sp = strchr(buf, ' ');
    int code = atoi(buf + 1);
    fprintf(stderr, "Error: %s\n", sp ? sp + 1 : "unknown");
    return code > 0 && code < 256 ? code : 1;
  }
  fprintf(stderr, "Error: the monitor exited before starting the container\n");
  return 1;
}

/* Leaves the caller's session and terminal behind; signals a terminal or a closed reader
 * would send are ignored, and orphaned processes of the container are reparented to us. */
static void detach(void) {
  /* each step only fails if we already are what it asks for */
  setsid();
  skiff_stdio_devnull();
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

/* The state directory, held open, and <state dir>/monitor.pid. */
static int open_state(struct monitor *m, struct skiff_err *err) {
  m->dirfd = open(m->plan->state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (m->dirfd < 0) return skiff_error(err, errno, "open %s", m->plan->state_dir);
  return monitor_state_write_pid(m, "monitor.pid", getpid(), err);
}

/* What the monitor keeps for the container's life: the log, the attach socket, a signalfd
 * for SIGCHLD, and / as working directory. */
static int open_channels(struct monitor *m, struct skiff_err *err) {
  int r;
  if ((r = monitor_log_open(m, err)) < 0) return r;
  if ((r = monitor_attach_listen(m, err)) < 0) return r;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) return skiff_error(err, errno, "block SIGCHLD");
  m->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (m->sig_fd < 0) return skiff_error(err, errno, "signalfd");
  if (chdir("/") < 0) return skiff_error(err, errno, "chdir /");
  return 0;
}

/* The monitor's side of the fork: never returns to the caller's code. */
static int run_monitor(struct skiff_plan *plan, int rep) {
  static struct monitor m;
  struct skiff_err err = {0};
  m.report_fd = rep;
  detach();
  m.plan = plan;
  m.listen_fd = m.log_fd = m.sig_fd = m.rel_w = m.rep_r = m.journal_fd = -1;
  if (open_state(&m, &err) < 0) {
    report(rep, "E1 %s", err.msg);
    _exit(1);
  }
  if (open_channels(&m, &err) < 0) {
    report(rep, "E1 %s", err.msg);
    goto fail;
  }
  if (monitor_launch(&m, 1, &err) < 0) {
    report(rep, "E%d %s", err.exit_code ? err.exit_code : 1, err.msg);
    goto fail;
  }
  report(rep, "P%d\n", (int)m.pid);
  close(rep);
  m.report_fd = -1;
  return monitor_loop(&m);
fail:
  unlinkat(m.dirfd, "attach", 0);
  unlinkat(m.dirfd, "pid", 0);
  unlinkat(m.dirfd, "monitor.pid", 0);
  _exit(1);
}

int monitor_cmd_start(const char *plan_path) {
  static struct skiff_plan plan;
  struct skiff_err err = {0};
  if (skiff_plan_load(plan_path, &plan, &err) < 0) {
    fprintf(stderr, "Error: %s\n", err.msg);
    return 1;
  }
  if (mkdir(plan.state_dir, 0700) < 0 && errno != EEXIST) {
    fprintf(stderr, "Error: create %s: %s\n", plan.state_dir, strerror(errno));
    return 1;
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) {
    fprintf(stderr, "Error: create pipe: %s\n", strerror(errno));
    return 1;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "Error: fork: %s\n", strerror(errno));
    return 1;
  }
  if (pid > 0) {
    close(pipefd[1]);
    return await_report(pipefd[0]);
  }
  close(pipefd[0]);
  return run_monitor(&plan, pipefd[1]);
}
