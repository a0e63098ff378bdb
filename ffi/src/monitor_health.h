/* The health check schedule: while the container runs, the plan's health command (skiff's
 * `healthcheck run`, which runs the check inside the container and records the result) is
 * started as the monitor's child at each interval, never two at once. No timer service: the
 * event loop's poll timeout wakes the monitor when the next check is due. */
#ifndef SKIFF_MONITOR_HEALTH_H
#define SKIFF_MONITOR_HEALTH_H
#include "monitor_globals.h"

/* Milliseconds until the next check is due (0: now), or -1 when none is scheduled (no health
 * command, no running container, or a check still running). A new container process (first
 * launch or a restart) starts a new schedule: the start period counts from it. */
int monitor_health_timeout(struct monitor *m);
/* Starts the check when it is due. */
void monitor_health_tick(struct monitor *m);
/* Called for each reaped child: 1 when it was the check (the next one is scheduled an
 * interval after it ended), else 0. */
int monitor_health_reaped(struct monitor *m, pid_t pid);
/* The interval that applies at now_ms: the start interval inside the start period (when set),
 * else the interval. */
long long monitor_health_interval(const struct skiff_plan *p, int64_t started_ms, int64_t now);

#endif
