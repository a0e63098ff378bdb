/* The monitor's own clean-up after the container's last exit: its cgroups, and for --rm its
 * directories and name reservation, each removal under the lock the plan names. */
#ifndef SKIFF_MONITOR_CLEANUP_H
#define SKIFF_MONITOR_CLEANUP_H
#include "monitor_globals.h"

/* Removes the plan's cgroups (leftover processes are killed, EBUSY retried a short while). */
int monitor_remove_cgroups(struct monitor *m, struct skiff_err *err);
/* Removes a directory tree without following symlinks or crossing mounts; ENOENT is success. */
int remove_tree(const char *path, struct skiff_err *err);
/* Runs the plan's exit actions (cgroups, then removals in order); keeps the first error. */
int monitor_exit_actions(struct monitor *m, struct skiff_err *err);

#endif
