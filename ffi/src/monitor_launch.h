/* Launching the container process: clone into new namespaces and, in the child, everything
 * up to exec. The child reports ready and then waits for a go (the first attach client when
 * the plan waits for one) before it execs. */
#ifndef SKIFF_MONITOR_LAUNCH_H
#define SKIFF_MONITOR_LAUNCH_H
#include "monitor_globals.h"

/* Starts the container process and leaves it ready (first launch with wait-for-attach) or
 * released; writes <state dir>/pid. On failure nothing of the launch is left open and err
 * carries the child's own message and exit code (126/127 when its exec failed). */
int monitor_launch(struct monitor *m, int first, struct skiff_err *err);
/* Lets a ready container process exec; an exec failure comes back as the error. */
int monitor_go(struct monitor *m, struct skiff_err *err);

#endif
