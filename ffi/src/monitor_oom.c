/* Whether the container was killed for memory: the memory cgroup's oom_kill counter grew. */
#include "monitor_oom.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

unsigned long long monitor_oom_kills(const char *file) {
  char buf[4096];
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *s = strstr(buf, "oom_kill ");
  return s ? strtoull(s + 9, NULL, 10) : 0;
}

void monitor_oom_watch(struct monitor *m) {
  static const char *files[] = {"memory.oom_control", "memory.events"};
  for (size_t i = 0; i < m->plan->ncgroups; i++) {
    for (int k = 0; k < 2; k++) {
      snprintf(m->oom_file, sizeof m->oom_file, "%s/%s", m->plan->cgroups[i], files[k]);
      if (access(m->oom_file, R_OK) == 0) {
        m->oom_base = monitor_oom_kills(m->oom_file);
        return;
      }
    }
  }
  m->oom_file[0] = 0;
}

int monitor_oom_killed(const struct monitor *m) {
  return m->oom_file[0] && monitor_oom_kills(m->oom_file) > m->oom_base;
}
