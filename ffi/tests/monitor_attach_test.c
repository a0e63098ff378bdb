/* The attach socket without a container: the socket file, frames out to clients, and stdin,
 * stdin-close frames in (split across reads as a slow client sends them). */
#include "monitor_attach.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Sends raw bytes from the client's end. */
static void client_send(int fd, const void *data, size_t n) {
  if (write(fd, data, n) != (ssize_t)n) perror("client write");
}

/* Reads what is ready on fd (waiting up to a second); its length, or -1. */
static ssize_t read_ready(int fd, void *buf, size_t size) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (poll(&p, 1, 1000) <= 0) return -1;
  return read(fd, buf, size);
}

static void test_socket(const char *dir) {
  static struct skiff_plan plan;
  static struct monitor m;
  struct skiff_err err = {0};
  char path[300];
  plan.state_dir = (char *)dir;
  m.plan = &plan;
  m.dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  snprintf(path, sizeof path, "%s/attach", dir);
  tap_write_file(path, "stale");
  ok(monitor_attach_listen(&m, &err) == 0, "the socket listens, replacing a stale file");
  struct stat st;
  ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600,
     "it is a socket only its owner may use");
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/attach", m.dirfd);
  ok(connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 && monitor_attach_accept(&m) == 1 &&
         m.nclients == 1,
     "a client is accepted");
  ok(monitor_attach_accept(&m) == 0 && m.nclients == 1, "no pending client: nothing added");
  monitor_attach_close(&m);
  char c;
  ok(m.nclients == 0 && m.listen_fd == -1 && stat(path, &st) < 0 && errno == ENOENT &&
         read_ready(fd, &c, 1) == 0,
     "closing drops the clients and removes the socket");
  close(fd);
  close(m.dirfd);
}

static void test_output(void) {
  static struct monitor m;
  int a[2], b[2];
  unsigned char buf[64];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a);
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b);
  m.clients[0] = (struct client){.fd = a[0]};
  m.clients[1] = (struct client){.fd = b[0]};
  m.nclients = 2;
  close(b[1]); /* the second client went away */
  monitor_attach_broadcast(&m, FRAME_STDERR, "oops\n", 5);
  ssize_t n = read_ready(a[1], buf, sizeof buf);
  ok(n == 10 && !memcmp(buf, "\x02\x00\x00\x00\x05oops\n", 10),
     "a frame is type, big-endian length, payload");
  ok(m.nclients == 1 && m.clients[0].fd == a[0], "a client that is gone is dropped");
  monitor_attach_broadcast(&m, FRAME_EXIT, "\x00\x00\x00\x89", 4);
  n = read_ready(a[1], buf, sizeof buf);
  ok(n == 9 && !memcmp(buf, "\x05\x00\x00\x00\x04\x00\x00\x00\x89", 9), "the exit frame");
  close(a[1]);
  monitor_attach_drop(&m, 0);
}

static void test_input(void) {
  static struct monitor m;
  int sv[2], in[2];
  char buf[64];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
  pipe2(in, O_CLOEXEC | O_NONBLOCK);
  m.master = -1;
  m.in_fd = in[1];
  m.clients[0] = (struct client){.fd = sv[0]};
  m.nclients = 1;
  struct client *c = &m.clients[0];

  client_send(sv[1], "\x00\x00\x00", 3); /* a header split over two reads */
  ok(monitor_attach_read(&m, c) == 0 && m.in_len == 0, "half a header waits for the rest");
  client_send(sv[1], "\x00\x06hel", 5);
  client_send(sv[1], "lo\n", 3);
  monitor_attach_read(&m, c);
  ok(m.in_len == 6 && !memcmp(m.in_buf, "hello\n", 6), "stdin payload is queued across reads");
  monitor_stdin_write(&m);
  ssize_t n = read(in[0], buf, sizeof buf);
  ok(n == 6 && !memcmp(buf, "hello\n", 6) && m.in_len == 0, "and written to the container");

  client_send(sv[1], "\x04\x00\x00\x00\x04\x00\x18\x00\x50", 9); /* resize, no terminal */
  client_send(sv[1], "\x00\x00\x00\x00\x02hi\x03\x00\x00\x00\x00", 12);
  monitor_attach_read(&m, c);
  ok(m.in_len == 2 && m.in_close_pending && m.in_fd == in[1],
     "stdin-close waits until queued input is written");
  monitor_stdin_write(&m);
  n = read(in[0], buf, sizeof buf);
  ssize_t eof = read(in[0], buf + 2, sizeof buf - 2);
  ok(n == 2 && !memcmp(buf, "hi", 2) && m.in_fd == -1 && eof == 0,
     "then the container's stdin is closed");
  client_send(sv[1], "\x00\x00\x00\x00\x01x", 6);
  ok(monitor_attach_read(&m, c) == 0 && m.in_len == 0, "input after the close is dropped");

  close(sv[1]);
  ok(monitor_attach_read(&m, c) == -1, "a client that hung up is reported");
  monitor_attach_drop(&m, 0);
  close(in[0]);
}

int main(void) {
  const char *dir = tap_tmpdir();
  test_socket(dir);
  test_output();
  test_input();
  char path[300];
  snprintf(path, sizeof path, "%s/attach", dir);
  unlink(path);
  rmdir(dir);
  return tap_done();
}
