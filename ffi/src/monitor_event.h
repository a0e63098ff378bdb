/* The `die` event: appended by the monitor to the store's event log when the container exits,
 * so that `skiff events` sees it even when no skiff process is alive then. */
#ifndef SKIFF_MONITOR_EVENT_H
#define SKIFF_MONITOR_EVENT_H
#include "skiff.h"

/* Appends the plan's die event with this exit code and the current time to its event log, in
 * one write on an O_APPEND descriptor (whole lines whatever other writers do). Does nothing
 * without a `die-event` directive. Returns 0, or -1 with err filled. */
int monitor_event_die(const struct skiff_plan *p, int code, struct skiff_err *err);

#endif
