/* The monitor's events (`oom`, `die`, `start` after a restart by policy, and `destroy` for a
 * --rm container): appended to the store's event log so that `skiff events` sees them even
 * when no skiff process is alive then. */
#ifndef SKIFF_MONITOR_EVENT_H
#define SKIFF_MONITOR_EVENT_H
#include "skiff.h"

/* Reads the plan's event template (line 1: the die event before its exit code, line 2: after
 * it; then, each optional and empty when not due: the destroy, start and oom events) and
 * appends, with `oom` the oom event, then the die event with this exit code, each stamped
 * now in one write on an O_APPEND descriptor. Keeps the destroy and start lines for
 * monitor_event_destroy and monitor_event_start. Does nothing without a `die-event`
 * directive. 0, or -1 with err. */
int monitor_event_die(const struct skiff_plan *p, int code, int oom, struct skiff_err *err);
/* Appends the start event the last die read (the restart policy ran the container again), if
 * it had one. 0, or -1 with err. */
int monitor_event_start(const struct skiff_plan *p, struct skiff_err *err);
/* Whether a destroy event is due: the last die read one and the container's template is still
 * there (a `skiff rm` that removed the container first wrote its own). Asked before removing. */
int monitor_event_destroy_due(const struct skiff_plan *p);
/* Appends the destroy event the last die read, if it had one (a --rm container, once the
 * monitor removed it). 0, or -1 with err. */
int monitor_event_destroy(const struct skiff_plan *p, struct skiff_err *err);

#endif
