/* Running from a sealed copy of ourselves (the CVE-2019-5736 defence runc uses). */
#ifndef SKIFF_MONITOR_SEALED_H
#define SKIFF_MONITOR_SEALED_H
#include "skiff.h"

/* Returns 0 when this process already runs from a sealed in-memory copy of the monitor;
 * otherwise copies /proc/self/exe into a sealed memfd and re-executes it with the same
 * arguments and environment (no return), or returns -1 with err set. Every process that
 * enters a container then shows that copy at /proc/PID/exe: the host's binary is never
 * reachable from inside, and the copy cannot be written. */
int monitor_sealed_reexec(char **argv, struct skiff_err *err);

#endif
