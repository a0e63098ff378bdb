/* skiff-portproxy: forwards a container's published TCP ports from host addresses that kernel
 * NAT cannot forward out of the host, IPv6 loopback ([::1]:PORT) above all: IPv6 has no
 * route_localnet, so a connection from ::1 DNATed to a container is dropped when its answer
 * comes back on the bridge. Docker runs docker-proxy for this; skiff runs this program, started
 * by the container's monitor as its network hook once the container's namespaces exist:
 *
 *   skiff-portproxy tcp LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT [tcp ...]... PID
 *
 * It binds every listening socket first (an error is one line on stderr and exit status 1, so
 * the start fails), then leaves a child in a session of its own and exits 0. The child accepts
 * connections, each copied both ways by a process of its own, and ends, with every copy, when
 * the container's process PID ends (a pidfd, polled): nothing outlives the container, whoever
 * ends it, and nothing needs to find and kill it. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define MAX_FORWARDS 64

struct forward {
  int listener;
  struct sockaddr_storage target;
  socklen_t target_len;
};

/* Parses ADDR and PORT into a socket address; 0 or -1. */
static int parse_addr(const char *addr, const char *port, struct sockaddr_storage *out,
                      socklen_t *len) {
  char *end;
  long p = strtol(port, &end, 10);
  if (*port == '\0' || *end != '\0' || p < 1 || p > 65535) return -1;
  memset(out, 0, sizeof *out);
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((unsigned short)p);
    *len = sizeof *v4;
    return 0;
  }
  if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((unsigned short)p);
    *len = sizeof *v6;
    return 0;
  }
  return -1;
}

/* A listening TCP socket on ADDR:PORT; -1 after a message on stderr. */
static int listen_on(const char *addr, const char *port) {
  struct sockaddr_storage sa;
  socklen_t len;
  if (parse_addr(addr, port, &sa, &len) < 0) {
    fprintf(stderr, "skiff-portproxy: invalid listen address %s port %s\n", addr, port);
    return -1;
  }
  int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (sa.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 128) < 0) {
    fprintf(stderr, "skiff-portproxy: listen on %s%s%s:%s: %s\n", sa.ss_family == AF_INET6 ? "[" : "",
            addr, sa.ss_family == AF_INET6 ? "]" : "", port, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

/* Writes all of buf; 0 or -1. */
static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Copies a and b into each other until both sides have ended; half-closes pass through. */
static void copy_both_ways(int a, int b) {
  static char buf[65536];
  int open_a = 1, open_b = 1;
  while (open_a || open_b) {
    struct pollfd p[2] = {{.fd = open_a ? a : -1, .events = POLLIN},
                          {.fd = open_b ? b : -1, .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < 2; i++) {
      if (!p[i].revents) continue;
      int from = i == 0 ? a : b, to = i == 0 ? b : a;
      ssize_t n = read(from, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        shutdown(to, SHUT_WR);
        if (i == 0) open_a = 0;
        else open_b = 0;
        continue;
      }
      if (write_all(to, buf, (size_t)n) < 0) return;
    }
  }
}

/* Serves one accepted connection in a child process. */
static void serve(int client, const struct forward *f) {
  pid_t pid = fork();
  if (pid != 0) return; /* the parent (or a failed fork: the client is closed by the caller) */
  int up = socket(f->target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (up < 0 || connect(up, (const struct sockaddr *)&f->target, f->target_len) < 0) _exit(1);
  copy_both_ways(client, up);
  _exit(0);
}

int main(int argc, char **argv) {
  if (argc < 7 || (argc - 2) % 5 != 0 || (argc - 2) / 5 > MAX_FORWARDS) {
    fprintf(stderr,
            "usage: skiff-portproxy tcp LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT... PID\n");
    return 2;
  }
  int count = (argc - 2) / 5;
  struct forward forwards[MAX_FORWARDS];
  for (int i = 0; i < count; i++) {
    char **a = argv + 1 + 5 * i;
    if (strcmp(a[0], "tcp") != 0) {
      fprintf(stderr, "skiff-portproxy: only tcp is forwarded, not %s\n", a[0]);
      return 2;
    }
    if (parse_addr(a[3], a[4], &forwards[i].target, &forwards[i].target_len) < 0) {
      fprintf(stderr, "skiff-portproxy: invalid target address %s port %s\n", a[3], a[4]);
      return 2;
    }
    forwards[i].listener = listen_on(a[1], a[2]);
    if (forwards[i].listener < 0) return 1;
  }
  char *end;
  long target_pid = strtol(argv[argc - 1], &end, 10);
  if (*end != '\0' || target_pid <= 0) {
    fprintf(stderr, "skiff-portproxy: invalid process id %s\n", argv[argc - 1]);
    return 2;
  }
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)target_pid, 0);
  if (pidfd < 0) {
    fprintf(stderr, "skiff-portproxy: watch process %ld: %s\n", target_pid, strerror(errno));
    return 1;
  }
  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "skiff-portproxy: fork: %s\n", strerror(errno));
    return 1;
  }
  if (child > 0) return 0; /* the monitor's hook is done; the child serves */
  setsid();
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
  }
  signal(SIGCHLD, SIG_IGN); /* copies are reaped by the kernel */
  signal(SIGPIPE, SIG_IGN);
  struct pollfd p[MAX_FORWARDS + 1];
  p[0] = (struct pollfd){.fd = pidfd, .events = POLLIN};
  for (int i = 0; i < count; i++) p[i + 1] = (struct pollfd){.fd = forwards[i].listener, .events = POLLIN};
  for (;;) {
    if (poll(p, (nfds_t)count + 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[0].revents) break; /* the container's process ended */
    for (int i = 0; i < count; i++) {
      if (!p[i + 1].revents) continue;
      int client = accept4(forwards[i].listener, NULL, NULL, SOCK_CLOEXEC);
      if (client < 0) continue;
      serve(client, &forwards[i]);
      close(client);
    }
  }
  signal(SIGTERM, SIG_IGN);
  kill(0, SIGTERM); /* the copies still running: the whole session */
  return 0;
}
