/* The attach socket: framed output out to clients, framed input in to the container. */
#include "monitor_attach.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

int monitor_attach_listen(struct monitor *m, struct skiff_err *err) {
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

void monitor_attach_drop(struct monitor *m, int i) {
  close(m->clients[i].fd);
  m->clients[i] = m->clients[--m->nclients];
}

int monitor_attach_accept(struct monitor *m) {
  int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0) return 0;
  if (m->nclients == MAX_CLIENTS) {
    close(fd);
    return 0;
  }
  /* a client that stops reading is dropped rather than stalling the container */
  struct timeval tv = {.tv_sec = 5};
  if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0) {
    close(fd);
    return 0;
  }
  m->clients[m->nclients++] = (struct client){.fd = fd};
  return 1;
}

void monitor_attach_close(struct monitor *m) {
  while (m->nclients > 0) monitor_attach_drop(m, 0);
  close_fd(&m->listen_fd);
  unlinkat(m->dirfd, "attach", 0);
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

void monitor_attach_broadcast(struct monitor *m, int type, const void *data, size_t n) {
  for (int i = 0; i < m->nclients;) {
    if (send_frame(m->clients[i].fd, type, data, n) < 0) monitor_attach_drop(m, i);
    else i++;
  }
}

static void close_stdin(struct monitor *m) {
  if (m->in_fd >= 0 && m->in_fd != m->master) close(m->in_fd);
  if (m->in_fd != m->master) m->in_fd = -1;
  m->in_close_pending = 0;
  m->in_off = m->in_len = 0;
}

/* A whole frame has arrived: act on stdin-close and resize (stdin bytes are already queued). */
static void frame_done(struct monitor *m, struct client *c) {
  int type = c->hdr[0];
  if (type == FRAME_STDIN_CLOSE) {
    if (m->master < 0) m->in_close_pending = 1; /* a terminal stays open */
    if (m->in_off == m->in_len && m->in_close_pending) close_stdin(m);
  } else if (type == FRAME_RESIZE && c->small_len == 4 && m->master >= 0) {
    /* a resize that fails leaves the old size: nothing a client could do about it */
    skiff_pty_resize(m->master, (c->small[0] << 8) | c->small[1], (c->small[2] << 8) | c->small[3]);
  }
  c->hdr_len = 0;
}

/* Moves the unwritten stdin bytes to the front of the buffer. */
static void compact_stdin(struct monitor *m) {
  if (m->in_off == 0) return;
  memmove(m->in_buf, m->in_buf + m->in_off, m->in_len - m->in_off);
  m->in_len -= m->in_off;
  m->in_off = 0;
}

/* Takes the next header byte; a frame without payload is complete at once. */
static void header_byte(struct monitor *m, struct client *c, unsigned char b) {
  c->hdr[c->hdr_len++] = b;
  if (c->hdr_len < 5) return;
  c->remaining = ((uint32_t)c->hdr[1] << 24) | ((uint32_t)c->hdr[2] << 16) |
                 ((uint32_t)c->hdr[3] << 8) | c->hdr[4];
  c->small_len = 0;
  if (c->remaining == 0) frame_done(m, c);
}

/* Takes up to the rest of the current frame's payload from data; returns the bytes used. */
static size_t payload(struct monitor *m, struct client *c, const unsigned char *data, size_t n) {
  size_t take = n < c->remaining ? n : c->remaining;
  if (c->hdr[0] == FRAME_STDIN && m->in_fd >= 0 && !m->in_close_pending) {
    memcpy(m->in_buf + m->in_len, data, take);
    m->in_len += take;
  } else if (c->hdr[0] == FRAME_RESIZE) {
    for (size_t k = 0; k < take && c->small_len < 4; k++) c->small[c->small_len++] = data[k];
  }
  c->remaining -= take;
  if (c->remaining == 0) frame_done(m, c);
  return take;
}

int monitor_attach_read(struct monitor *m, struct client *c) {
  unsigned char tmp[sizeof m->in_buf];
  compact_stdin(m);
  size_t room = sizeof m->in_buf - m->in_len;
  if (room == 0) return 0;
  ssize_t n = recv(c->fd, tmp, room, MSG_DONTWAIT);
  if (n < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
  if (n == 0) return -1;
  for (size_t i = 0; i < (size_t)n;) {
    if (c->hdr_len < 5) header_byte(m, c, tmp[i++]);
    else i += payload(m, c, tmp + i, (size_t)n - i);
  }
  return 0;
}

void monitor_stdin_write(struct monitor *m) {
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
