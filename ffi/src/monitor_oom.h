/* OOM kills of the container: the memory cgroup's kill counter, read at launch and at exit. */
#ifndef SKIFF_MONITOR_OOM_H
#define SKIFF_MONITOR_OOM_H
#include "monitor_globals.h"

/* The kernel's count of OOM kills in a memory cgroup file (v1 memory.oom_control, v2
 * memory.events): the number after "oom_kill "; 0 when unreadable. */
unsigned long long monitor_oom_kills(const char *file);
/* Finds the OOM counter among the plan's cgroups and records its value now (none: no file). */
void monitor_oom_watch(struct monitor *m);
/* Whether the counter grew since monitor_oom_watch. */
int monitor_oom_killed(const struct monitor *m);

#endif
