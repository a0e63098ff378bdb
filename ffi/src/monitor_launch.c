/* Launching the container: stdio pipes, namespaces, clone; in the cloned child, namespaces
 * joined, root file system, console, credentials and exec. Between clone and exec the child
 * only reads data the plan prepared. It waits on the release pipe twice: for its id maps,
 * cgroups and network ('r'), and after reporting ready for the go that lets it exec ('g'). */
#include "monitor_launch.h"

#include "monitor_hook.h"
#include "monitor_oom.h"
#include "monitor_sync.h"
#include "monitor_userns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* What the cloned child is handed besides the monitor record. */
struct child_args {
  int rel_r, rep_w; /* release pipe (read end), report socket (child end) */
  int stdio[3];     /* the container's stdin, stdout, stderr, or -1 (a terminal) */
  const int *nsfd;  /* namespaces to join, by SKIFF_NS_*, or -1 */
};

/* ---- the cloned child ---- */

/* After pivot_root: a pty from the container's own devpts becomes its stdio, controlling
 * terminal and /dev/console (as runc does), so that tty(1) says /dev/pts/0. */
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

/* Joins the namespaces the plan names by path, the user namespace first so that it grants
 * the rights to join the others, the mount namespace last. */
static int child_join_namespaces(const struct skiff_plan *p, const int nsfd[],
                                 struct skiff_err *err) {
  static const int order[] = {SKIFF_NS_USER, SKIFF_NS_IPC,    SKIFF_NS_UTS,
                              SKIFF_NS_NET,  SKIFF_NS_CGROUP, SKIFF_NS_MNT};
  for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
    int ns = order[i];
    if (nsfd[ns] >= 0 && setns(nsfd[ns], skiff_ns_clone_flag(ns)) < 0)
      return skiff_error(err, errno, "join namespace %s", p->ns_path[ns]);
  }
  return 0;
}

/* Everything between the release and the ready report: namespaces, session, stdio, root file
 * system, console (*master), the executable (into path) and the process's credentials. */
static int child_setup(const struct skiff_plan *p, const struct child_args *a, char *path,
                       size_t size, int *master, struct skiff_err *err) {
  int r;
  if ((r = child_join_namespaces(p, a->nsfd, err)) < 0) return r;
  /* the cgroup namespace is made now that we are in our cgroups, so that they are its root */
  if (p->ns_new[SKIFF_NS_CGROUP] && unshare(CLONE_NEWCGROUP) < 0)
    return skiff_error(err, errno, "unshare cgroup namespace");
  if (setsid() < 0) return skiff_error(err, errno, "setsid");
  for (int i = 0; i < 3; i++)
    if (a->stdio[i] >= 0 && dup2(a->stdio[i], i) < 0)
      return skiff_error(err, errno, "dup2 stdio %d", i);
  umask(022);
  if ((r = skiff_rootfs_setup(p, NULL, err)) < 0) return r;
  if (p->proc.terminal && (r = open_console(master, err)) < 0) return r;
  if ((r = skiff_lookup_exec(&p->proc, path, size, err)) < 0) return r;
  return skiff_process_prepare(&p->proc, err);
}

/* Closes what the monitor holds on the host (its state directory, log, sockets, our ends of
 * the pipes): close-on-exec would drop them only at exec, and until then a working directory
 * like /proc/self/fd/N would find them. */
static void child_close_host_fds(const struct monitor *m) {
  const int fds[] = {m->report_fd, m->dirfd, m->log_fd, m->listen_fd, m->sig_fd,
                     m->out_fd,    m->err_fd, m->in_fd, m->rel_w,    m->rep_r, m->journal_fd};
  for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
    if (fds[i] > 2) close(fds[i]);
  for (int i = 0; i < m->nclients; i++)
    if (m->clients[i].fd > 2) close(m->clients[i].fd);
}

/* Not dumpable (the CVE-2019-5736 class): until its exec the child runs the monitor's code
 * in the container's pid namespace; this way the container's processes cannot open its
 * /proc/PID/exe, environ, mem or fds. A monitor that is not root (rootless) writes our id
 * maps and its network hook reads our namespaces through /proc/PID, which a non-dumpable
 * process gives to the host's root only: then it waits until those are done. The exec
 * makes the container's process dumpable again. */
static void child_not_dumpable(void) { prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

/* The cloned child: everything up to exec. Never returns. A report that cannot be sent is
 * seen by the monitor as the child's exit. */
static void child_main(const struct monitor *m, const struct child_args *a) {
  struct skiff_err err = {0};
  char c, path[4096];
  int master = -1, root = geteuid() == 0;
  if (root) child_not_dumpable();
  monitor_reset_signals();
  /* the starter reads its pipe until EOF: it must not wait for our exec (closed here too) */
  child_close_host_fds(m);
  if (read_full(a->rel_r, &c, 1) != 1) _exit(1); /* the monitor gave up on us */
  if (!root) child_not_dumpable();
  if (child_setup(m->plan, a, path, sizeof path, &master, &err) == 0) {
    if (sync_send_fd(a->rep_w, 'R', master) < 0) _exit(1);
    if (master >= 0) close(master);
    if (read_full(a->rel_r, &c, 1) != 1) _exit(1);
    skiff_process_exec(&m->plan->proc, path, &err);
  }
  sync_send(a->rep_w, 'E', &err);
  _exit(err.exit_code ? err.exit_code : 1);
}

/* ---- the monitor's side ---- */

/* Clears what the previous run left in the record. */
static void launch_reset(struct monitor *m) {
  m->out_fd = m->err_fd = m->in_fd = m->master = -1;
  m->exited = 0;
  m->exec_error[0] = 0;
  m->in_off = m->in_len = 0;
  m->in_close_pending = 0;
}

/* Pipes for the container's stdio, our ends non-blocking; stdio[] gets the child's ends. With
 * a terminal nothing is opened here: the child opens the pty inside the container and
 * passes us the master. */
static int open_stdio(struct monitor *m, int stdio[3], struct skiff_err *err) {
  const struct skiff_process *proc = &m->plan->proc;
  int o[2], e[2], i[2];
  if (proc->terminal) return 0;
  if (pipe2(o, O_CLOEXEC) < 0) return skiff_error(err, errno, "create stdout pipe");
  m->out_fd = o[0];
  stdio[1] = o[1];
  if (pipe2(e, O_CLOEXEC) < 0) return skiff_error(err, errno, "create stderr pipe");
  m->err_fd = e[0];
  stdio[2] = e[1];
  if (proc->open_stdin) {
    if (pipe2(i, O_CLOEXEC) < 0) return skiff_error(err, errno, "create stdin pipe");
    stdio[0] = i[0];
    m->in_fd = i[1];
    if (set_nonblock(m->in_fd) < 0) return skiff_error(err, errno, "stdin pipe");
  } else if ((stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
    return skiff_error(err, errno, "open /dev/null");
  }
  if (set_nonblock(m->out_fd) < 0 || set_nonblock(m->err_fd) < 0)
    return skiff_error(err, errno, "output pipes");
  return 0;
}

/* Opens the namespaces the plan joins by path and adds those it creates to *flags (the cgroup
 * namespace is made later by the child). A pid namespace applies to children only, so it is
 * joined here, before clone. */
static int open_namespaces(const struct skiff_plan *p, int nsfd[], int *flags,
                           struct skiff_err *err) {
  for (int i = 0; i < SKIFF_NS_COUNT; i++) {
    if (p->ns_path[i]) {
      if ((nsfd[i] = open(p->ns_path[i], O_RDONLY | O_CLOEXEC)) < 0)
        return skiff_error(err, errno, "open namespace %s", p->ns_path[i]);
    } else if (p->ns_new[i] && i != SKIFF_NS_CGROUP) {
      *flags |= skiff_ns_clone_flag(i);
    }
  }
  if (nsfd[SKIFF_NS_PID] >= 0 && setns(nsfd[SKIFF_NS_PID], CLONE_NEWPID) < 0)
    return skiff_error(err, errno, "join namespace %s", p->ns_path[SKIFF_NS_PID]);
  return 0;
}

/* Writes the plan's uid and gid maps for the child's new user namespace. */
static int write_id_maps(const struct skiff_plan *p, pid_t pid, struct skiff_err *err) {
  if (!p->ns_new[SKIFF_NS_USER]) return 0;
  return monitor_write_maps(pid, p->uidmaps, p->nuidmaps, p->gidmaps, p->ngidmaps, err);
}

/* Moves the child into each of the plan's cgroups. */
static int join_cgroups(const struct skiff_plan *p, pid_t pid, struct skiff_err *err) {
  char pidstr[32], file[4200];
  snprintf(pidstr, sizeof pidstr, "%d\n", (int)pid);
  for (size_t i = 0; i < p->ncgroups; i++) {
    snprintf(file, sizeof file, "%s/cgroup.procs", p->cgroups[i]);
    int r = skiff_write_file(file, pidstr, err);
    if (r < 0) return r;
  }
  return 0;
}

/* What the host does for the child while it waits: id maps, cgroups (and the OOM counter's
 * starting value), then the network hook with the child's pid. */
static int configure_child(struct monitor *m, pid_t pid, struct skiff_err *err) {
  const struct skiff_plan *p = m->plan;
  char pidstr[32];
  int r;
  if ((r = write_id_maps(p, pid, err)) < 0) return r;
  if ((r = join_cgroups(p, pid, err)) < 0) return r;
  monitor_oom_watch(m);
  snprintf(pidstr, sizeof pidstr, "%d", (int)pid);
  if (p->network_hook[0] && (r = run_and_wait(p->network_hook, pidstr, err)) < 0) return r;
  return 0;
}

/* Releases the child for its set-up and waits for its report: ready (with the pty master for
 * a terminal) or the error that stopped it. */
static int await_ready(struct monitor *m, struct skiff_err *err) {
  const struct skiff_process *proc = &m->plan->proc;
  struct child_msg msg;
  int passed = -1;
  if (write(m->rel_w, "r", 1) != 1) return skiff_error(err, errno, "release the container process");
  ssize_t n = sync_recv_fd(m->rep_r, &msg, &passed);
  if (passed >= 0 && proc->terminal) {
    m->master = m->out_fd = passed;
    if (proc->open_stdin) m->in_fd = passed;
    if (set_nonblock(passed) < 0) return skiff_error(err, errno, "pty master");
  } else if (passed >= 0) {
    close(passed);
  }
  if (n != (ssize_t)sizeof msg) return skiff_error(err, 0, "the container process exited during setup");
  if (msg.type == 'E') return sync_msg_error(&msg, err);
  return 0;
}

int monitor_go(struct monitor *m, struct skiff_err *err) {
  struct child_msg msg;
  int r = 0;
  m->waiting_go = 0;
  if (write(m->rel_w, "g", 1) != 1) r = skiff_error(err, errno, "release the container process");
  ssize_t n = r == 0 ? read_full(m->rep_r, &msg, sizeof msg) : 0;
  if (n == (ssize_t)sizeof msg && msg.type == 'E') r = sync_msg_error(&msg, err);
  close_fd(&m->rel_w);
  close_fd(&m->rep_r);
  return r;
}

/* Undoes a failed launch: the child is killed (unless its exec failed: then its own exit code
 * stands) and reaped so that no zombie is left, and our ends are closed. */
static void launch_abort(struct monitor *m, pid_t pid, const struct skiff_err *err) {
  if (pid > 0) {
    if (!(err->exit_code == 126 || err->exit_code == 127)) kill(pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    m->pid = 0;
  }
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

int monitor_launch(struct monitor *m, int first, struct skiff_err *err) {
  struct skiff_plan *p = m->plan;
  int nsfd[SKIFF_NS_COUNT], rel[2] = {-1, -1}, rep[2] = {-1, -1}, flags = SIGCHLD, r;
  struct child_args a = {.stdio = {-1, -1, -1}, .nsfd = nsfd};
  pid_t pid = -1;
  for (int i = 0; i < SKIFF_NS_COUNT; i++) nsfd[i] = -1;
  launch_reset(m);
  if ((r = open_stdio(m, a.stdio, err)) < 0) goto out;
  if ((r = skiff_rootfs_prepare(p, err)) < 0) goto out;
  if (pipe2(rel, O_CLOEXEC) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rep) < 0) {
    r = skiff_error(err, errno, "create sync pipes");
    goto out;
  }
  if ((r = open_namespaces(p, nsfd, &flags, err)) < 0) goto out;
  pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
  if (pid < 0) {
    r = skiff_error(err, errno, "clone");
    goto out;
  }
  if (pid == 0) {
    close(rel[1]);
    close(rep[0]);
    a.rel_r = rel[0];
    a.rep_w = rep[1];
    child_main(m, &a);
  }
  m->pid = pid;
  /* the child's ends: a report socket we kept open would never show the child's exit or exec */
  close_fd(&rel[0]);
  close_fd(&rep[1]);
  m->rel_w = rel[1];
  m->rep_r = rep[0];
  rel[1] = rep[0] = -1;
  if ((r = configure_child(m, pid, err)) < 0) goto out;
  if ((r = await_ready(m, err)) < 0) goto out;
  if ((r = monitor_state_write_pid(m, "pid", pid, err)) < 0) goto out;
  if (first && p->wait_for_attach) {
    m->waiting_go = 1;
    m->go_deadline_ms = now_ms() + ATTACH_WAIT_MS;
  } else {
    r = monitor_go(m, err);
  }
out:
  for (int i = 0; i < 3; i++) close_fd(&a.stdio[i]);
  for (int i = 0; i < 2; i++) {
    close_fd(&rel[i]);
    close_fd(&rep[i]);
  }
  for (int i = 0; i < SKIFF_NS_COUNT; i++) close_fd(&nsfd[i]);
  if (r < 0) launch_abort(m, pid, err);
  return r;
}
