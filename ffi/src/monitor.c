/* skiff-monitor: the per-container monitor (the role conmon plays for Podman).
 *   skiff-monitor start <plan>   start a container, print its pid, stay as its parent
 *   skiff-monitor exec <plan>    run a process inside a running container
 *                                (plan "-": the plan's text is in $SKIFF_EXEC_PLAN)
 * Static, single-threaded C: it is the only thing alive for a container's lifetime. */
#include "monitor.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ssize_t read_full(int fd, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *)buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += r;
  }
  return (ssize_t)got;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* Resets what the monitor changed for itself before a child execs something else. */
static void reset_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  signal(SIGINT, SIG_DFL);
}

int run_and_wait(char **argv, const char *extra, struct skiff_err *err) {
  size_t n = 0;
  while (argv[n]) n++;
  if (n == 0) return 0;
  char **args = calloc(n + 2, sizeof *args);
  if (!args) return skiff_error(err, ENOMEM, "run %s", argv[0]);
  memcpy(args, argv, n * sizeof *args);
  args[n] = (char *)extra;
  pid_t pid = fork();
  if (pid < 0) {
    free(args);
    return skiff_error(err, errno, "fork for %s", argv[0]);
  }
  if (pid == 0) {
    reset_signals();
    execvp(args[0], args);
    _exit(127);
  }
  free(args);
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return skiff_error(err, errno, "wait for %s", argv[0]);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (WIFEXITED(status))
    return skiff_error(err, 0, "%s exited with status %d", argv[0], WEXITSTATUS(status));
  return skiff_error(err, 0, "%s killed by signal %d", argv[0], WTERMSIG(status));
}

static void send_msg(int fd, char type, const struct skiff_err *err) {
  struct child_msg msg = {.type = type};
  if (err) {
    msg.code = err->code;
    msg.exit_code = err->exit_code ? err->exit_code : 1;
    memcpy(msg.msg, err->msg, sizeof msg.msg);
  }
  while (write(fd, &msg, sizeof msg) < 0 && errno == EINTR) {
  }
}

/* Sends the ready message with the pty master attached (SCM_RIGHTS). */
static void send_msg_fd(int sock, char type, int fd) {
  struct child_msg msg = {.type = type};
  struct iovec iov = {&msg, sizeof msg};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    memset(&ctl, 0, sizeof ctl);
    mh.msg_control = ctl.buf;
    mh.msg_controllen = sizeof ctl.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

/* Receives one child message and the fd passed with it, if any; returns the bytes read. */
static ssize_t recv_msg_fd(int sock, struct child_msg *msg, int *fd) {
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct iovec iov = {msg, sizeof *msg};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                      .msg_controllen = sizeof ctl.buf};
  ssize_t n;
  while ((n = recvmsg(sock, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      memcpy(fd, CMSG_DATA(c), sizeof *fd);
  return n;
}

/* In the child, after pivot_root: a pty from the container's own devpts becomes its stdio,
 * controlling terminal and /dev/console (as runc does), so that tty(1) says /dev/pts/0. */
static int open_console(int *master, struct skiff_err *err) {
  char pts[64], self[64];
  int r = skiff_pty_open(master, pts, sizeof pts, err);
  if (r < 0) return r;
  int slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return skiff_error(err, errno, "open %s", pts);
  for (int i = 0; i < 3; i++)
    if (dup2(slave, i) < 0) return skiff_error(err, errno, "dup2 %s", pts);
  if (ioctl(0, TIOCSCTTY, 0) < 0) return skiff_error(err, errno, "set controlling terminal");
  int fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return skiff_error(err, errno, "create /dev/console");
  snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
  r = mount(pts, self, NULL, MS_BIND, NULL);
  int e = errno;
  close(fd);
  close(slave);
  return r < 0 ? skiff_error(err, e, "bind mount %s on /dev/console", pts) : 0;
}

/* The cloned child: everything up to exec. Never returns. */
static void child_main(struct monitor *m, int rel_r, int rep_w, int stdio[3], int nsfd[],
                       const char *console) {
  const struct skiff_plan *p = m->plan;
  struct skiff_err err = {0};
  char c, path[4096];
  reset_signals();
  /* the starter reads its pipe until EOF: it must not wait for our exec */
  if (m->report_fd >= 0) close(m->report_fd);
  if (read_full(rel_r, &c, 1) != 1) _exit(1); /* the monitor gave up on us */
  static const int order[] = {SKIFF_NS_USER, SKIFF_NS_IPC,    SKIFF_NS_UTS,
                              SKIFF_NS_NET,  SKIFF_NS_CGROUP, SKIFF_NS_MNT};
  for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
    int ns = order[i];
    if (nsfd[ns] >= 0 && setns(nsfd[ns], skiff_ns_clone_flag(ns)) < 0) {
      skiff_error(&err, errno, "join namespace %s", p->ns_path[ns]);
      goto fail;
    }
  }
  /* the cgroup namespace is made now that we are in our cgroups, so that they are its root */
  if (p->ns_new[SKIFF_NS_CGROUP] && unshare(CLONE_NEWCGROUP) < 0) {
    skiff_error(&err, errno, "unshare cgroup namespace");
    goto fail;
  }
  if (setsid() < 0) {
    skiff_error(&err, errno, "setsid");
    goto fail;
  }
  for (int i = 0; i < 3; i++)
    if (stdio[i] >= 0 && dup2(stdio[i], i) < 0) {
      skiff_error(&err, errno, "dup2 stdio %d", i);
      goto fail;
    }
  umask(022);
  if (skiff_rootfs_setup(p, console, &err) < 0) goto fail;
  int master = -1;
  if (p->proc.terminal && open_console(&master, &err) < 0) goto fail;
  if (skiff_lookup_exec(&p->proc, path, sizeof path, &err) < 0) goto fail;
  if (skiff_process_prepare(&p->proc, &err) < 0) goto fail;
  send_msg_fd(rep_w, 'R', master);
  if (master >= 0) close(master);
  if (read_full(rel_r, &c, 1) != 1) _exit(1);
  skiff_process_exec(&p->proc, path, &err);
fail:
  send_msg(rep_w, 'E', &err);
  _exit(err.exit_code ? err.exit_code : 1);
}

static int set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* The kernel's count of OOM kills in a memory cgroup file (v1 memory.oom_control, v2
 * memory.events); 0 when unreadable. */
unsigned long long monitor_oom_kills(const char *file) {
  char buf[4096];
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *s = strstr(buf, "oom_kill ");
  return s ? strtoull(s + 9, NULL, 10) : 0;
}

/* Finds the memory cgroup's OOM counter among the plan's cgroups. */
static void find_oom_file(struct monitor *m) {
  m->oom_file[0] = 0;
  for (size_t i = 0; i < m->plan->ncgroups; i++) {
    static const char *files[] = {"memory.oom_control", "memory.events"};
    for (int k = 0; k < 2; k++) {
      snprintf(m->oom_file, sizeof m->oom_file, "%s/%s", m->plan->cgroups[i], files[k]);
      if (access(m->oom_file, R_OK) == 0) {
        m->oom_base = monitor_oom_kills(m->oom_file);
        return;
      }
    }
  }
  m->oom_file[0] = 0;
}

int monitor_go(struct monitor *m, struct skiff_err *err) {
  struct child_msg msg;
  int r = 0;
  m->waiting_go = 0;
  if (write(m->rel_w, "g", 1) != 1) r = skiff_error(err, errno, "release the container process");
  ssize_t n = r == 0 ? read_full(m->rep_r, &msg, sizeof msg) : 0;
  if (n == (ssize_t)sizeof msg && msg.type == 'E') {
    memcpy(err->msg, msg.msg, sizeof err->msg);
    err->msg[sizeof err->msg - 1] = 0;
    err->code = msg.code;
    err->exit_code = msg.exit_code;
    r = -1;
  }
  close_fd(&m->rel_w);
  close_fd(&m->rep_r);
  return r;
}

static int write_pid_file(struct monitor *m, const char *name, pid_t pid, struct skiff_err *err) {
  char path[4200], v[32];
  snprintf(path, sizeof path, "%s/%s", m->plan->state_dir, name);
  int n = snprintf(v, sizeof v, "%d", (int)pid);
  return skiff_write_atomic(path, v, n, err);
}

int monitor_launch(struct monitor *m, int first, struct skiff_err *err) {
  struct skiff_plan *p = m->plan;
  int stdio[3] = {-1, -1, -1}, rel[2] = {-1, -1}, rep[2] = {-1, -1};
  int nsfd[SKIFF_NS_COUNT];
  int r = 0;
  pid_t pid = -1;
  for (int i = 0; i < SKIFF_NS_COUNT; i++) nsfd[i] = -1;
  m->out_fd = m->err_fd = m->in_fd = m->master = -1;
  m->exited = 0;
  m->exec_error[0] = 0;
  m->in_off = m->in_len = 0;
  m->in_close_pending = 0;

  if (p->proc.terminal) {
    /* the child opens the pty inside the container and passes us the master */
  } else {
    int o[2], e[2];
    if (pipe2(o, O_CLOEXEC) < 0) {
      r = skiff_error(err, errno, "create stdout pipe");
      goto out;
    }
    m->out_fd = o[0];
    stdio[1] = o[1];
    if (pipe2(e, O_CLOEXEC) < 0) {
      r = skiff_error(err, errno, "create stderr pipe");
      goto out;
    }
    m->err_fd = e[0];
    stdio[2] = e[1];
    if (p->proc.open_stdin) {
      int i[2];
      if (pipe2(i, O_CLOEXEC) < 0) {
        r = skiff_error(err, errno, "create stdin pipe");
        goto out;
      }
      stdio[0] = i[0];
      m->in_fd = i[1];
      set_nonblock(m->in_fd);
    } else if ((stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
      r = skiff_error(err, errno, "open /dev/null");
      goto out;
    }
    set_nonblock(m->out_fd);
    set_nonblock(m->err_fd);
  }
  if ((r = skiff_rootfs_prepare(p, err)) < 0) goto out;
  if (pipe2(rel, O_CLOEXEC) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rep) < 0) {
    r = skiff_error(err, errno, "create sync pipes");
    goto out;
  }
  int flags = SIGCHLD;
  for (int i = 0; i < SKIFF_NS_COUNT; i++) {
    if (p->ns_path[i]) {
      if ((nsfd[i] = open(p->ns_path[i], O_RDONLY | O_CLOEXEC)) < 0) {
        r = skiff_error(err, errno, "open namespace %s", p->ns_path[i]);
        goto out;
      }
    } else if (p->ns_new[i] && i != SKIFF_NS_CGROUP) {
      flags |= skiff_ns_clone_flag(i);
    }
  }
  /* joining a pid namespace only applies to children: do it here, before clone */
  if (nsfd[SKIFF_NS_PID] >= 0 && setns(nsfd[SKIFF_NS_PID], CLONE_NEWPID) < 0) {
    r = skiff_error(err, errno, "join namespace %s", p->ns_path[SKIFF_NS_PID]);
    goto out;
  }
  pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
  if (pid < 0) {
    r = skiff_error(err, errno, "clone");
    goto out;
  }
  if (pid == 0) {
    close(rel[1]);
    close(rep[0]);
    child_main(m, rel[0], rep[1], stdio, nsfd, NULL);
  }
  m->pid = pid;
  close_fd(&rel[0]);
  close_fd(&rep[1]);
  m->rel_w = rel[1];
  m->rep_r = rep[0];
  rel[1] = rep[0] = -1;
  if (p->ns_new[SKIFF_NS_USER]) {
    static const char *names[] = {"uid_map", "gid_map"};
    for (int k = 0; k < 2; k++) {
      char **maps = k ? p->gidmaps : p->uidmaps;
      size_t cnt = k ? p->ngidmaps : p->nuidmaps, len = 0;
      char data[4096], file[64];
      if (cnt == 0) continue;
      for (size_t i = 0; i < cnt && len < sizeof data; i++)
        len += snprintf(data + len, sizeof data - len, "%s\n", maps[i]);
      snprintf(file, sizeof file, "/proc/%d/%s", (int)pid, names[k]);
      if ((r = skiff_write_file(file, data, err)) < 0) goto out;
    }
  }
  char pidstr[32];
  snprintf(pidstr, sizeof pidstr, "%d\n", (int)pid);
  for (size_t i = 0; i < p->ncgroups; i++) {
    char file[4200];
    snprintf(file, sizeof file, "%s/cgroup.procs", p->cgroups[i]);
    if ((r = skiff_write_file(file, pidstr, err)) < 0) goto out;
  }
  find_oom_file(m);
  snprintf(pidstr, sizeof pidstr, "%d", (int)pid);
  if (p->network_hook[0] && (r = run_and_wait(p->network_hook, pidstr, err)) < 0) goto out;
  if (write(m->rel_w, "r", 1) != 1) {
    r = skiff_error(err, errno, "release the container process");
    goto out;
  }
  struct child_msg msg;
  int passed = -1;
  ssize_t n = recv_msg_fd(m->rep_r, &msg, &passed);
  if (passed >= 0 && p->proc.terminal) {
    m->master = m->out_fd = passed;
    if (p->proc.open_stdin) m->in_fd = passed;
    set_nonblock(passed);
  } else if (passed >= 0) {
    close(passed);
  }
  if (n != (ssize_t)sizeof msg) {
    r = skiff_error(err, 0, "the container process exited during setup");
    goto out;
  }
  if (msg.type == 'E') {
    memcpy(err->msg, msg.msg, sizeof err->msg);
    err->msg[sizeof err->msg - 1] = 0;
    err->code = msg.code;
    err->exit_code = msg.exit_code;
    r = -1;
    goto out;
  }
  if ((r = write_pid_file(m, "pid", pid, err)) < 0) goto out;
  if (first && p->wait_for_attach) {
    m->waiting_go = 1;
    m->go_deadline_ms = now_ms() + ATTACH_WAIT_MS;
  } else {
    r = monitor_go(m, err);
  }
out:
  for (int i = 0; i < 3; i++)
    if (stdio[i] >= 0 && (i == 0 || stdio[i] != stdio[i - 1])) close(stdio[i]);
  close_fd(&rel[0]);
  close_fd(&rel[1]);
  close_fd(&rep[0]);
  close_fd(&rep[1]);
  for (int i = 0; i < SKIFF_NS_COUNT; i++) close_fd(&nsfd[i]);
  if (r < 0 && pid > 0 && !(err->exit_code == 126 || err->exit_code == 127)) {
    kill(pid, SIGKILL);
  }
  if (r < 0 && pid > 0) {
    /* keep the exit status for the caller; reaped here so that no zombie is left */
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    m->pid = 0;
  }
  if (r < 0) {
    close_fd(&m->rel_w);
    close_fd(&m->rep_r);
    if (m->master >= 0) {
      close_fd(&m->master);
      m->out_fd = m->in_fd = -1;
    }
    close_fd(&m->out_fd);
    close_fd(&m->err_fd);
    close_fd(&m->in_fd);
  }
  return r;
}

static int open_attach_socket(struct monitor *m, struct skiff_err *err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  /* through /proc/self/fd so that a long state directory does not overflow sun_path */
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/attach", m->dirfd);
  unlinkat(m->dirfd, "attach", 0);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return skiff_error(err, errno, "create attach socket");
  mode_t old = umask(0177);
  int r = bind(fd, (struct sockaddr *)&addr, sizeof addr);
  int e = errno;
  umask(old);
  if (r < 0 || listen(fd, 16) < 0) {
    if (r == 0) e = errno;
    close(fd);
    return skiff_error(err, e, "listen on %s/attach", m->plan->state_dir);
  }
  m->listen_fd = fd;
  return 0;
}

/* Reports to the waiting `start` process: "P<pid>\n" or "E<exit code> <message>". */
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

static int cmd_start(const char *plan_path) {
  static struct skiff_plan plan;
  static struct monitor m;
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
    char buf[1300];
    ssize_t n = read_full(pipefd[0], buf, sizeof buf - 1);
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
  /* the monitor: own session, no terminal, stdio on /dev/null */
  close(pipefd[0]);
  int rep = pipefd[1];
  m.report_fd = rep;
  setsid();
  skiff_stdio_devnull();
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  m.plan = &plan;
  m.listen_fd = m.log_fd = m.sig_fd = m.rel_w = m.rep_r = -1;
  m.dirfd = open(plan.state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (m.dirfd < 0) {
    report(rep, "E1 open %s: %s", plan.state_dir, strerror(errno));
    _exit(1);
  }
  if (write_pid_file(&m, "monitor.pid", getpid(), &err) < 0) {
    report(rep, "E1 %s", err.msg);
    _exit(1);
  }
  if (plan.log_path) {
    m.log_fd = open(plan.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (m.log_fd < 0) {
      report(rep, "E1 open log %s: %s", plan.log_path, strerror(errno));
      goto fail;
    }
  }
  if (open_attach_socket(&m, &err) < 0) {
    report(rep, "E1 %s", err.msg);
    goto fail;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  m.sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (m.sig_fd < 0) {
    report(rep, "E1 signalfd: %s", strerror(errno));
    goto fail;
  }
  if (chdir("/") < 0) {
    report(rep, "E1 chdir /: %s", strerror(errno));
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

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "start")) return cmd_start(argv[2]);
  if (argc == 3 && !strcmp(argv[1], "exec")) return cmd_exec(argv[2]);
  fprintf(stderr, "Usage: skiff-monitor start|exec <plan file>\n");
  return 2;
}
