/* OOM detection: the kill counter of v1 memory.oom_control and v2 memory.events files. */
#include "monitor_oom.h"
#include "tap.h"

#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  const char *dir = tap_tmpdir();
  char v1[300], v2dir[300], v2[320];
  snprintf(v1, sizeof v1, "%s/memory.oom_control", dir);
  tap_write_file(v1, "oom_kill_disable 1\nunder_oom 0\noom_kill 3\n");
  ok(monitor_oom_kills(v1) == 3, "v1 counter, not confused with oom_kill_disable");
  tap_write_file(v1, "oom_kill_disable 7\nunder_oom 0\n");
  ok(monitor_oom_kills(v1) == 0, "an old kernel without the counter: 0");
  ok(monitor_oom_kills("/nonexistent/memory.events") == 0, "an unreadable file: 0");

  /* the plan lists a cpu cgroup first (v1): the memory one is found among the rest */
  static struct skiff_plan plan;
  static struct monitor m;
  char cpu[300];
  snprintf(cpu, sizeof cpu, "%s/cpu", dir);
  snprintf(v2dir, sizeof v2dir, "%s/unified", dir);
  mkdir(cpu, 0700);
  mkdir(v2dir, 0700);
  snprintf(v2, sizeof v2, "%s/memory.events", v2dir);
  tap_write_file(v2, "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\noom_group_kill 0\n");
  char *cgroups[] = {cpu, v2dir, NULL};
  plan.cgroups = cgroups;
  plan.ncgroups = 2;
  m.plan = &plan;
  monitor_oom_watch(&m);
  ok(!strcmp(m.oom_file, v2) && m.oom_base == 2, "the counter is found and its value kept");
  ok(!monitor_oom_killed(&m), "kills before the launch do not count");
  tap_write_file(v2, "low 0\nhigh 0\nmax 5\noom 3\noom_kill 3\noom_group_kill 0\n");
  ok(monitor_oom_killed(&m), "a kill after the launch counts");

  plan.ncgroups = 0;
  monitor_oom_watch(&m);
  ok(m.oom_file[0] == 0 && !monitor_oom_killed(&m), "no memory cgroup: never OOM killed");

  unlink(v1);
  unlink(v2);
  rmdir(v2dir);
  rmdir(cpu);
  rmdir(dir);
  return tap_done();
}
