/* Error formatting and small file helpers shared by the runtime parts of the library. */
#include "skiff.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int skiff_error(struct skiff_err *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof err->msg) n = sizeof err->msg - 1;
    if (code > 0)
      snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(code));
    err->code = code;
    if (err->exit_code == 0) err->exit_code = 1;
  }
  return code > 0 ? -code : -1;
}

static int write_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    data += n;
    len -= n;
  }
  return 0;
}

int skiff_write_atomic(const char *path, const char *data, size_t len, struct skiff_err *err) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid()) >= (int)sizeof tmp)
    return skiff_error(err, ENAMETOOLONG, "write %s", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return skiff_error(err, errno, "create %s", tmp);
  if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
    int e = errno;
    close(fd);
    unlink(tmp);
    return skiff_error(err, e, "write %s", tmp);
  }
  if (close(fd) < 0) {
    int e = errno;
    unlink(tmp);
    return skiff_error(err, e, "close %s", tmp);
  }
  if (rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    return skiff_error(err, e, "rename %s to %s", tmp, path);
  }
  return 0;
}

int skiff_write_file(const char *path, const char *data, struct skiff_err *err) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return skiff_error(err, errno, "open %s", path);
  if (write_all(fd, data, strlen(data)) < 0) {
    int e = errno;
    close(fd);
    return skiff_error(err, e, "write %s", path);
  }
  if (close(fd) < 0) return skiff_error(err, errno, "close %s", path);
  return 0;
}

/* Points stdin, stdout and stderr at /dev/null (a process detaching from its caller). */
void skiff_stdio_devnull(void) {
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return;
  dup2(null, 0); /* dup2 clears O_CLOEXEC on the copies */
  dup2(null, 1);
  dup2(null, 2);
  if (null > 2) close(null);
}

int skiff_kill(int pid, int sig) { return kill(pid, sig) < 0 ? -errno : 0; }
