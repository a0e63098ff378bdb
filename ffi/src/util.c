/* Error formatting and small file helpers shared by the runtime parts of the library. */
#include "skiff.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
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

/* ---- namespaces ---- */

int skiff_ns_clone_flag(int ns) {
  static const int flags[SKIFF_NS_COUNT] = {
      [SKIFF_NS_USER] = CLONE_NEWUSER, [SKIFF_NS_MNT] = CLONE_NEWNS,
      [SKIFF_NS_PID] = CLONE_NEWPID,   [SKIFF_NS_NET] = CLONE_NEWNET,
      [SKIFF_NS_IPC] = CLONE_NEWIPC,   [SKIFF_NS_UTS] = CLONE_NEWUTS,
      [SKIFF_NS_CGROUP] = CLONE_NEWCGROUP,
  };
  return ns >= 0 && ns < SKIFF_NS_COUNT ? flags[ns] : 0;
}

const char *skiff_ns_proc_name(int ns) {
  static const char *names[SKIFF_NS_COUNT] = {
      [SKIFF_NS_USER] = "user", [SKIFF_NS_MNT] = "mnt", [SKIFF_NS_PID] = "pid",
      [SKIFF_NS_NET] = "net",   [SKIFF_NS_IPC] = "ipc", [SKIFF_NS_UTS] = "uts",
      [SKIFF_NS_CGROUP] = "cgroup",
  };
  return ns >= 0 && ns < SKIFF_NS_COUNT ? names[ns] : "?";
}

/* ---- pty ---- */

int skiff_pty_open(int *master, char *slave_path, size_t size, struct skiff_err *err) {
  int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return skiff_error(err, errno, "open /dev/ptmx");
  int unlock = 0, n = 0;
  if (ioctl(fd, TIOCSPTLCK, &unlock) < 0) {
    int e = errno;
    close(fd);
    return skiff_error(err, e, "unlock pty");
  }
  if (ioctl(fd, TIOCGPTN, &n) < 0) {
    int e = errno;
    close(fd);
    return skiff_error(err, e, "get pty number");
  }
  snprintf(slave_path, size, "/dev/pts/%d", n);
  *master = fd;
  return 0;
}

int skiff_pty_resize(int fd, unsigned rows, unsigned cols) {
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  return ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
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
