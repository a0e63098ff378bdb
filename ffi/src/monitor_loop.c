/* The monitor's event loop: relays the container's output to the log and to attach clients,
 * client input to the container, and handles its exit (exit file, restart policy, clean-up). */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_MS 2000 /* after exit, how long output from leftover processes is still relayed */

static unsigned char out_buf[32768];

static void drop_client(struct monitor *m, int i) {
  close(m->clients[i].fd);
  m->clients[i] = m->clients[--m->nclients];
}

static int send_frame(int fd, int type, const void *data, size_t n) {
  unsigned char hdr[5] = {(unsigned char)type, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
  struct iovec iov[2] = {{hdr, 5}, {(void *)data, n}};
  int cnt = 2;
  struct iovec *v = iov;
  while (cnt > 0) {
    ssize_t w = sendmsg(fd, &(struct msghdr){.msg_iov = v, .msg_iovlen = cnt}, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1; /* includes the send timeout: a client that does not read is dropped */
    }
    while (cnt > 0 && (size_t)w >= v->iov_len) {
      w -= v->iov_len;
      v++;
      cnt--;
    }
    if (cnt > 0) {
      v->iov_base = (char *)v->iov_base + w;
      v->iov_len -= w;
    }
  }
  return 0;
}

void broadcast(struct monitor *m, int type, const void *data, size_t n) {
  for (int i = 0; i < m->nclients;) {
    if (send_frame(m->clients[i].fd, type, data, n) < 0) drop_client(m, i);
    else i++;
  }
}

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
    log_chunk(m->log_fd, stderr_stream ? "stderr" : "stdout", out_buf, n);
    broadcast(m, stderr_stream ? FRAME_STDERR : FRAME_STDOUT, out_buf, n);
  }
}

static void close_stdin(struct monitor *m) {
  if (m->in_fd >= 0 && m->in_fd != m->master) close(m->in_fd);
  if (m->in_fd != m->master) m->in_fd = -1;
  m->in_close_pending = 0;
  m->in_off = m->in_len = 0;
}

static void frame_done(struct monitor *m, struct client *c) {
  int type = c->hdr[0];
  if (type == FRAME_STDIN_CLOSE) {
    if (m->master < 0) m->in_close_pending = 1; /* a terminal stays open */
    if (m->in_off == m->in_len && m->in_close_pending) close_stdin(m);
  } else if (type == FRAME_RESIZE && c->small_len == 4 && m->master >= 0) {
    skiff_pty_resize(m->master, (c->small[0] << 8) | c->small[1], (c->small[2] << 8) | c->small[3]);
  }
  c->hdr_len = 0;
}

/* Reads what a client sent: at most the free space of the stdin buffer, so that payload
 * always fits; frames are parsed incrementally. Returns -1 when the client went away. */
static int read_client(struct monitor *m, struct client *c) {
  unsigned char tmp[sizeof m->in_buf];
  if (m->in_off > 0) {
    memmove(m->in_buf, m->in_buf + m->in_off, m->in_len - m->in_off);
    m->in_len -= m->in_off;
    m->in_off = 0;
  }
  size_t room = sizeof m->in_buf - m->in_len;
  if (room == 0) return 0;
  ssize_t n = recv(c->fd, tmp, room, MSG_DONTWAIT);
  if (n < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
  if (n == 0) return -1;
  for (ssize_t i = 0; i < n;) {
    if (c->hdr_len < 5) {
      c->hdr[c->hdr_len++] = tmp[i++];
      if (c->hdr_len == 5) {
        c->remaining = ((uint32_t)c->hdr[1] << 24) | ((uint32_t)c->hdr[2] << 16) |
                       ((uint32_t)c->hdr[3] << 8) | c->hdr[4];
        c->small_len = 0;
        if (c->remaining == 0) frame_done(m, c);
      }
      continue;
    }
    size_t take = (size_t)(n - i) < c->remaining ? (size_t)(n - i) : c->remaining;
    if (c->hdr[0] == FRAME_STDIN && m->in_fd >= 0 && !m->in_close_pending) {
      memcpy(m->in_buf + m->in_len, tmp + i, take);
      m->in_len += take;
    } else if (c->hdr[0] == FRAME_RESIZE) {
      for (size_t k = 0; k < take && c->small_len < 4; k++) c->small[c->small_len++] = tmp[i + k];
    }
    i += take;
    c->remaining -= take;
    if (c->remaining == 0) frame_done(m, c);
  }
  return 0;
}

static void write_stdin(struct monitor *m) {
  while (m->in_off < m->in_len) {
    ssize_t w = write(m->in_fd, m->in_buf + m->in_off, m->in_len - m->in_off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) return;
    if (w < 0) { /* the container closed its stdin */
      close_stdin(m);
      return;
    }
    m->in_off += w;
  }
  m->in_off = m->in_len = 0;
  if (m->in_close_pending) close_stdin(m);
}

static void release_waiting(struct monitor *m) {
  struct skiff_err err = {0};
  if (monitor_go(m, &err) < 0) {
    snprintf(m->exec_error, sizeof m->exec_error, "%s", err.msg);
    char line[1100];
    int n = snprintf(line, sizeof line, "%s\n", err.msg);
    log_chunk(m->log_fd, "stderr", (unsigned char *)line, n);
    broadcast(m, FRAME_STDERR, line, n);
  }
}

static void accept_client(struct monitor *m) {
  int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0) return;
  if (m->nclients == MAX_CLIENTS) {
    close(fd);
    return;
  }
  struct timeval tv = {.tv_sec = 5};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  m->clients[m->nclients++] = (struct client){.fd = fd};
  if (m->waiting_go) release_waiting(m);
}

static void json_string(char *out, size_t size, const char *s) {
  size_t o = 0;
  for (; *s && o + 8 < size; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') o += snprintf(out + o, size - o, "\\%c", ch);
    else if (ch < 0x20) o += snprintf(out + o, size - o, "\\u%04x", ch);
    else out[o++] = ch;
  }
  out[o] = 0;
}

static int state_file_exists(struct monitor *m, const char *name) {
  struct stat st;
  return fstatat(m->dirfd, name, &st, 0) == 0;
}

static void write_exit_file(struct monitor *m, int code) {
  char ts[64], msg[2200], json[2600], path[4200];
  struct skiff_err err = {0};
  int oom = m->oom_file[0] && monitor_oom_kills(m->oom_file) > m->oom_base;
  format_time(ts, sizeof ts);
  json_string(msg, sizeof msg, m->exec_error);
  int n = snprintf(json, sizeof json,
                   "{\"exitCode\":%d,\"exitedAt\":\"%s\",\"oomKilled\":%s,\"error\":\"%s\"}\n",
                   code, ts, oom ? "true" : "false", msg);
  snprintf(path, sizeof path, "%s/exit", m->plan->state_dir);
  skiff_write_atomic(path, json, n, &err); /* nobody to tell if this fails */
  /* the data root's copy survives a reboot that empties the run root */
  if (m->plan->exit_record) skiff_write_atomic(m->plan->exit_record, json, n, &err);
}

static int should_restart(struct monitor *m, int code) {
  const struct skiff_plan *p = m->plan;
  if (state_file_exists(m, "stopping")) return 0;
  switch (p->restart_policy) {
  case 1: return code != 0 && (p->restart_max == 0 || m->restarts < p->restart_max);
  case 2:
  case 3: return 1;
  default: return 0;
  }
}

/* The container has exited and its output is drained: record, restart or finish. */
static int finish_run(struct monitor *m) {
  int st = m->status;
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
  if (m->master >= 0) close(m->master);
  if (m->out_fd >= 0 && m->out_fd != m->master) close(m->out_fd);
  if (m->err_fd >= 0) close(m->err_fd);
  if (m->in_fd >= 0 && m->in_fd != m->master) close(m->in_fd);
  m->master = m->out_fd = m->err_fd = m->in_fd = -1;
  m->pid = 0;
  write_exit_file(m, code);
  while (should_restart(m, code)) {
    m->restarts++;
    char path[4200], v[32];
    struct skiff_err err = {0};
    snprintf(path, sizeof path, "%s/restarts", m->plan->state_dir);
    int n = snprintf(v, sizeof v, "%d", m->restarts);
    skiff_write_atomic(path, v, n, &err);
    /* back off as Docker does: 100ms doubling, at most about a minute */
    int shift = m->restarts < 10 ? m->restarts - 1 : 9;
    int64_t delay = 100LL << shift;
    struct timespec ts = {delay / 1000, (delay % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
    if (state_file_exists(m, "stopping")) break;
    if (monitor_launch(m, 0, &err) == 0) return 0; /* running again */
    snprintf(m->exec_error, sizeof m->exec_error, "%s", err.msg);
    code = err.exit_code ? err.exit_code : 1;
    write_exit_file(m, code);
  }
  /* No restart follows: readers may report the container exited before cleanup has run. */
  struct skiff_err ferr = {0};
  char fpath[4200];
  snprintf(fpath, sizeof fpath, "%s/finished", m->plan->state_dir);
  skiff_write_atomic(fpath, "", 0, &ferr);
  unsigned char payload[4] = {(unsigned char)(code >> 24), (unsigned char)(code >> 16),
                              (unsigned char)(code >> 8), (unsigned char)code};
  broadcast(m, FRAME_EXIT, payload, 4);
  while (m->nclients > 0) drop_client(m, 0);
  close(m->listen_fd);
  unlinkat(m->dirfd, "attach", 0);
  struct skiff_err err = {0};
  int r = run_and_wait(m->plan->cleanup, NULL, &err);
  struct skiff_err aerr = {0};
  if (monitor_exit_actions(m, &aerr) < 0 && r == 0) {
    err = aerr;
    r = -1;
  }
  if (r < 0) {
    /* nobody is left to tell: the message stays beside the exit file (if that still exists) */
    char epath[4200], line[sizeof err.msg + 1];
    int n = snprintf(line, sizeof line, "%s\n", err.msg);
    snprintf(epath, sizeof epath, "%s/cleanup-error", m->plan->state_dir);
    skiff_write_atomic(epath, line, (size_t)n, &aerr);
  }
  unlinkat(m->dirfd, "monitor.pid", 0);
  return 1;
}

static void reap(struct monitor *m) {
  struct signalfd_siginfo si;
  while (read(m->sig_fd, &si, sizeof si) > 0) {
  }
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) return;
    if (pid == m->pid && !m->exited) {
      m->exited = 1;
      m->status = st;
      m->deadline_ms = now_ms() + DRAIN_MS;
    }
  }
}

int monitor_loop(struct monitor *m) {
  struct pollfd fds[6 + MAX_CLIENTS];
  for (;;) {
    if (m->exited && ((m->out_fd < 0 && m->err_fd < 0) || now_ms() >= m->deadline_ms)) {
      if (finish_run(m)) return 0;
      continue;
    }
    int n = 0, i_sig = -1, i_listen = -1, i_out = -1, i_err = -1, i_in = -1, i_cl = -1;
    fds[i_sig = n++] = (struct pollfd){.fd = m->sig_fd, .events = POLLIN};
    fds[i_listen = n++] = (struct pollfd){.fd = m->listen_fd, .events = POLLIN};
    if (m->out_fd >= 0) fds[i_out = n++] = (struct pollfd){.fd = m->out_fd, .events = POLLIN};
    if (m->err_fd >= 0) fds[i_err = n++] = (struct pollfd){.fd = m->err_fd, .events = POLLIN};
    if (m->in_fd >= 0 && m->in_off < m->in_len)
      fds[i_in = n++] = (struct pollfd){.fd = m->in_fd, .events = POLLOUT};
    i_cl = n;
    int room = m->in_len < sizeof m->in_buf;
    for (int i = 0; i < m->nclients; i++)
      fds[n++] = (struct pollfd){.fd = m->clients[i].fd, .events = room ? POLLIN : 0};
    int timeout = -1;
    if (m->exited || m->waiting_go) {
      int64_t left = (m->exited ? m->deadline_ms : m->go_deadline_ms) - now_ms();
      timeout = left < 0 ? 0 : (int)left;
    }
    int r = poll(fds, n, timeout);
    if (r < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (m->waiting_go && now_ms() >= m->go_deadline_ms) release_waiting(m);
    if (fds[i_sig].revents) reap(m);
    if (i_out >= 0 && fds[i_out].revents) relay_output(m, &m->out_fd, 0);
    if (i_err >= 0 && fds[i_err].revents) relay_output(m, &m->err_fd, 1);
    if (i_in >= 0 && fds[i_in].revents && m->in_fd >= 0) write_stdin(m);
    /* clients: walk backwards so that dropping one keeps the others' indexes */
    int ncl = n - i_cl;
    for (int i = ncl - 1; i >= 0; i--) {
      if (i >= m->nclients || !fds[i_cl + i].revents) continue;
      if (fds[i_cl + i].revents & (POLLHUP | POLLERR | POLLNVAL) &&
          !(fds[i_cl + i].revents & POLLIN)) {
        drop_client(m, i);
        continue;
      }
      if (read_client(m, &m->clients[i]) < 0) drop_client(m, i);
    }
    if (m->in_fd >= 0 && m->in_off < m->in_len) write_stdin(m);
    if (fds[i_listen].revents) accept_client(m);
  }
}
