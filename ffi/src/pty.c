/* Pseudo-terminals: a new pair from /dev/ptmx, and window size changes. */
#include "skiff.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

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
