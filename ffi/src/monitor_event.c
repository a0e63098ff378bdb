/* The monitor's events: `oom` before the `die` of a run the kernel killed for memory, `die` at
 * each exit, `start` when the restart policy runs it again, and, for a --rm container,
 * `destroy` once it is removed. The TypeScript side keeps the lines in a template file beside the container
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

/* The destroy line read with the die template, written after the removal; the start line,
 * written after a restart. */
static char *destroy_line, *start_line;

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

/* The next line of the template (NUL-terminated in place), or "" past its end. */
static char *next_line(char **at) {
  char *line = *at;
  if (!*line) return line;
  char *end = strchr(line, '\n');
  if (end) {
    *end = 0;
    *at = end + 1;
  } else {
    *at = line + strlen(line);
  }
  return line;
}

/* Keeps a copy of an optional template line (NULL when empty). */
static void keep(char **slot, const char *line) {
  free(*slot);
  *slot = *line ? strdup(line) : NULL;
}

int monitor_event_die(const struct skiff_plan *p, int code, int oom, struct skiff_err *err) {
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
  /* line 1: before the exit code, line 2: after it, then (each optional, empty if not due)
   * the destroy event, the start event and the oom event */
  char *head = buf, *tail = strchr(head, '\n');
  if (!tail) return skiff_error(err, EINVAL, "%s: expected two lines", p->event_template);
  *tail++ = 0;
  char *rest = strchr(tail, '\n');
  if (!rest) return skiff_error(err, EINVAL, "%s: expected two lines", p->event_template);
  *rest++ = 0;
  keep(&destroy_line, next_line(&rest));
  keep(&start_line, next_line(&rest));
  const char *oom_line = next_line(&rest);
  /* Docker writes the oom event before the die of the run it ended */
  if (oom && *oom_line && append(p->event_log, oom_line, -1, "", err) < 0) return -1;
  return append(p->event_log, head, code, tail, err);
}

int monitor_event_start(const struct skiff_plan *p, struct skiff_err *err) {
  if (!p->event_log || !start_line) return 0;
  return append(p->event_log, start_line, -1, "", err);
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
