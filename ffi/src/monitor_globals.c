/* Small helpers every part of the monitor uses: clocks, full reads, fds, state-dir files. */
#include "monitor_globals.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

ssize_t read_full(int fd, void *buf, size_t n) {
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

void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

int set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int monitor_state_write(const struct monitor *m, const char *name, const char *data, size_t len,
                        struct skiff_err *err) {
  char path[4200];
  if (snprintf(path, sizeof path, "%s/%s", m->plan->state_dir, name) >= (int)sizeof path)
    return skiff_error(err, ENAMETOOLONG, "write %s/%s", m->plan->state_dir, name);
  return skiff_write_atomic(path, data, len, err);
}

int monitor_state_write_pid(const struct monitor *m, const char *name, pid_t pid,
                            struct skiff_err *err) {
  char v[32];
  int n = snprintf(v, sizeof v, "%d", (int)pid);
  return monitor_state_write(m, name, v, (size_t)n, err);
}

int monitor_state_exists(const struct monitor *m, const char *name) {
  struct stat st;
  return fstatat(m->dirfd, name, &st, 0) == 0;
}
