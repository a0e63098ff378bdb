/* The monitor's one event: `die`. The TypeScript side prepared the line around the exit code
 * (src/runtime/container_events.ts); this only adds the code and the time. */
#include "monitor_event.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int monitor_event_die(const struct skiff_plan *p, int code, struct skiff_err *err) {
  if (!p->event_log || !p->die_prefix || !p->die_suffix) return 0;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  size_t size = strlen(p->die_prefix) + strlen(p->die_suffix) + 96;
  char *line = malloc(size);
  if (!line) return skiff_error(err, ENOMEM, "die event");
  int n = snprintf(line, size, "%s%d%s,\"time\":%lld,\"timeNano\":%lld%09ld}\n", p->die_prefix,
                   code, p->die_suffix, (long long)ts.tv_sec, (long long)ts.tv_sec,
                   (long)ts.tv_nsec);
  int r = 0;
  int fd = open(p->event_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) r = skiff_error(err, errno, "open %s", p->event_log);
  else {
    if (write(fd, line, (size_t)n) != n) r = skiff_error(err, errno, "write %s", p->event_log);
    close(fd);
  }
  free(line);
  return r;
}
