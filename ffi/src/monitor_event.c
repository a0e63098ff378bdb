/* The monitor's events: `die` at each exit and, for a --rm container, `destroy` once it is
 * removed. The TypeScript side keeps the lines in a template file beside the container
 * (src/runtime/container_events.ts, rewritten on rename); this reads it at the exit and only
 * adds the exit code and the time. */
#include "monitor_event.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The destroy line read with the die template, written after the removal. */
static char *destroy_line;

/* Appends `head` [code] `tail` and the time to the log in one write. */
static int append(const char *log, const char *head, int code, const char *tail,
                  struct skiff_err *err) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  size_t size = strlen(head) + strlen(tail) + 96;
  char *line = malloc(size);
  if (!line) return skiff_error(err, ENOMEM, "event line");
  char num[16] = "";
  if (code >= 0) snprintf(num, sizeof num, "%d", code);
  int n = snprintf(line, size, "%s%s%s,\"time\":%lld,\"timeNano\":%lld%09ld}\n", head, num, tail,
                   (long long)ts.tv_sec, (long long)ts.tv_sec, (long)ts.tv_nsec);
  int r = 0;
  int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) r = skiff_error(err, errno, "open %s", log);
  else {
    if (write(fd, line, (size_t)n) != n) r = skiff_error(err, errno, "write %s", log);
    close(fd);
  }
  free(line);
  return r;
}

int monitor_event_die(const struct skiff_plan *p, int code, struct skiff_err *err) {
  if (!p->event_log || !p->event_template) return 0;
  int fd = open(p->event_template, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return skiff_error(err, errno, "open %s", p->event_template);
  static char buf[65536];
  size_t len = 0;
  for (ssize_t n; len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return skiff_error(err, errno, "read %s", p->event_template);
    }
    len += (size_t)n;
  }
  close(fd);
  buf[len] = 0;
  /* line 1: before the exit code, line 2: after it, line 3 (optional): the destroy event */
  char *head = buf, *tail = strchr(head, '\n');
  if (!tail) return skiff_error(err, EINVAL, "%s: expected two lines", p->event_template);
  *tail++ = 0;
  char *destroy = strchr(tail, '\n');
  if (!destroy) return skiff_error(err, EINVAL, "%s: expected two lines", p->event_template);
  *destroy++ = 0;
  char *end = strchr(destroy, '\n');
  if (end) *end = 0;
  free(destroy_line);
  destroy_line = *destroy ? strdup(destroy) : NULL;
  return append(p->event_log, head, code, tail, err);
}

int monitor_event_destroy_due(const struct skiff_plan *p) {
  return p->event_log && destroy_line && access(p->event_template, F_OK) == 0;
}

int monitor_event_destroy(const struct skiff_plan *p, struct skiff_err *err) {
  if (!p->event_log || !destroy_line) return 0;
  int r = append(p->event_log, destroy_line, -1, "", err);
  free(destroy_line);
  destroy_line = NULL;
  return r;
}
