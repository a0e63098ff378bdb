/* The monitor's event loop: relays the container's output to the log and to attach clients,
 * client input to the container, and hands its exit over to monitor_exit.c. */
#include "monitor_loop.h"

#include "monitor_attach.h"
#include "monitor_exit.h"
#include "monitor_health.h"
#include "monitor_launch.h"
#include "monitor_logdrv.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define DRAIN_MS 2000 /* after exit, how long output from leftover processes is still relayed */

static unsigned char out_buf[32768];

/* The descriptors one poll watches, and where each sits in fds (-1: not watched). */
struct poll_set {
  struct pollfd fds[6 + MAX_CLIENTS];
  int n, sig, listen, out, err, in, clients;
};

/* Reads what the container wrote on one stream (a few rounds, so that one busy stream does
 * not starve the rest) into the log and to clients; closes the stream at EOF. */
static void relay_output(struct monitor *m, int *fd, int stderr_stream) {
  for (int rounds = 0; rounds < 4; rounds++) {
    ssize_t n = read(*fd, out_buf, sizeof out_buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) { /* EOF, or EIO from a pty whose other side is closed */
      if (*fd == m->master) {
        if (m->in_fd == m->master) m->in_fd = -1;
        m->master = -1;
      }
      close(*fd);
      *fd = -1;
      return;
    }
    /* a log write that fails loses those lines, never the container's output to clients */
    monitor_log_output(m, stderr_stream ? "stderr" : "stdout", out_buf, (size_t)n);
    monitor_attach_broadcast(m, stderr_stream ? FRAME_STDERR : FRAME_STDOUT, out_buf, n);
  }
}

/* Lets the waiting container process exec; its exec error goes to the log and clients, and
 * into the exit record. */
static void release_waiting(struct monitor *m) {
  struct skiff_err err = {0};
  if (monitor_go(m, &err) < 0) {
    snprintf(m->exec_error, sizeof m->exec_error, "%s", err.msg);
    char line[1100];
    int n = snprintf(line, sizeof line, "%s\n", err.msg);
    monitor_log_output(m, "stderr", (unsigned char *)line, (size_t)n);
    monitor_attach_broadcast(m, FRAME_STDERR, line, n);
  }
}

/* Reaps every child that exited; the container's exit starts the drain deadline. The pid
 * file goes before the container's process is reaped, while its zombie still holds the pid:
 * from then on no reader can take a pid the kernel may give to another process (during a
 * restart's back-off, or after the exit) for the container's. */
static void reap(struct monitor *m) {
  struct signalfd_siginfo si;
  while (read(m->sig_fd, &si, sizeof si) > 0) {
  }
  if (m->pid > 0 && !m->exited) {
    siginfo_t info = {0};
    int r = waitid(P_PID, (id_t)m->pid, &info, WEXITED | WNOHANG | WNOWAIT);
    if (r == 0 && info.si_pid == m->pid) unlinkat(m->dirfd, "pid", 0);
  }
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) return;
    if (monitor_health_reaped(m, pid)) continue;
    if (pid == m->pid && !m->exited) {
      m->exited = 1;
      m->status = st;
      m->deadline_ms = now_ms() + DRAIN_MS;
    }
  }
}

/* Fills the poll set: signals, the socket, open streams, stdin when there is some to write,
 * and the clients (read only while the stdin buffer has room). Returns the poll timeout. */
static int poll_set_fill(struct monitor *m, struct poll_set *s) {
  s->n = 0;
  s->out = s->err = s->in = -1;
  s->fds[s->sig = s->n++] = (struct pollfd){.fd = m->sig_fd, .events = POLLIN};
  s->fds[s->listen = s->n++] = (struct pollfd){.fd = m->listen_fd, .events = POLLIN};
  if (m->out_fd >= 0) s->fds[s->out = s->n++] = (struct pollfd){.fd = m->out_fd, .events = POLLIN};
  if (m->err_fd >= 0) s->fds[s->err = s->n++] = (struct pollfd){.fd = m->err_fd, .events = POLLIN};
  if (m->in_fd >= 0 && m->in_off < m->in_len)
    s->fds[s->in = s->n++] = (struct pollfd){.fd = m->in_fd, .events = POLLOUT};
  s->clients = s->n;
  int room = m->in_len < sizeof m->in_buf;
  for (int i = 0; i < m->nclients; i++)
    s->fds[s->n++] = (struct pollfd){.fd = m->clients[i].fd, .events = room ? POLLIN : 0};
  int health = monitor_health_timeout(m);
  if (!m->exited && !m->waiting_go) return health;
  int64_t left = (m->exited ? m->deadline_ms : m->go_deadline_ms) - now_ms();
  int t = left < 0 ? 0 : (int)left;
  return health >= 0 && health < t ? health : t;
}

/* Serves the clients that poll reported, backwards so that dropping one keeps the others'
 * indexes. */
static void serve_clients(struct monitor *m, const struct poll_set *s) {
  for (int i = s->n - s->clients - 1; i >= 0; i--) {
    short ev = s->fds[s->clients + i].revents;
    if (i >= m->nclients || !ev) continue;
    if (ev & (POLLHUP | POLLERR | POLLNVAL) && !(ev & POLLIN)) {
      monitor_attach_drop(m, i);
      continue;
    }
    if (monitor_attach_read(m, &m->clients[i]) < 0) monitor_attach_drop(m, i);
  }
}

/* Acts on what one poll reported. */
static void poll_set_serve(struct monitor *m, const struct poll_set *s) {
  if (m->waiting_go && now_ms() >= m->go_deadline_ms) release_waiting(m);
  if (s->fds[s->sig].revents) reap(m);
  if (s->out >= 0 && s->fds[s->out].revents) relay_output(m, &m->out_fd, 0);
  if (s->err >= 0 && s->fds[s->err].revents) relay_output(m, &m->err_fd, 1);
  if (s->in >= 0 && s->fds[s->in].revents && m->in_fd >= 0) monitor_stdin_write(m);
  serve_clients(m, s);
  if (m->in_fd >= 0 && m->in_off < m->in_len) monitor_stdin_write(m);
  if (s->fds[s->listen].revents && monitor_attach_accept(m) && m->waiting_go) release_waiting(m);
  monitor_health_tick(m);
}

int monitor_loop(struct monitor *m) {
  struct poll_set s;
  for (;;) {
    if (m->exited && ((m->out_fd < 0 && m->err_fd < 0) || now_ms() >= m->deadline_ms)) {
      if (monitor_finish_run(m)) return 0;
      continue;
    }
    int timeout = poll_set_fill(m, &s);
    if (poll(s.fds, s.n, timeout) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    poll_set_serve(m, &s);
  }
}
