/* The k8s-file log: "<RFC3339Nano UTC> stdout|stderr F|P <text>" a line. Each chunk is
 * written as it arrives (a trailing partial line gets P), so memory use stays flat. */
#include "monitor_log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

void format_time(char *buf, size_t size) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

static int writev_all(int fd, struct iovec *iov, int cnt) {
  while (cnt > 0) {
    ssize_t n = writev(fd, iov, cnt);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    while (cnt > 0 && (size_t)n >= iov->iov_len) {
      n -= iov->iov_len;
      iov++;
      cnt--;
    }
    if (cnt > 0) {
      iov->iov_base = (char *)iov->iov_base + n;
      iov->iov_len -= n;
    }
  }
  return 0;
}

int log_chunk(int fd, const char *stream, const unsigned char *data, size_t n) {
  if (fd < 0 || n == 0) return 0;
  char ts[64], full[80], partial[80];
  int r = 0;
  format_time(ts, sizeof ts);
  int fl = snprintf(full, sizeof full, "%s %s F ", ts, stream);
  int pl = snprintf(partial, sizeof partial, "%s %s P ", ts, stream);
  while (n > 0) {
    const unsigned char *nl = memchr(data, '\n', n);
    size_t len = nl ? (size_t)(nl - data) : n;
    struct iovec iov[3] = {
        {nl ? full : partial, (size_t)(nl ? fl : pl)},
        {(void *)data, len},
        {"\n", 1},
    };
    /* a full disk loses this line; the next ones are still tried */
    int w = writev_all(fd, iov, 3);
    if (w < 0 && r == 0) r = w;
    if (!nl) break;
    data += len + 1;
    n -= len + 1;
  }
  return r;
}
