/* The plan's hook commands (network hook before release, clean-up command after the last
 * exit): run as the monitor's children and waited for. */
#ifndef SKIFF_MONITOR_HOOK_H
#define SKIFF_MONITOR_HOOK_H
#include "skiff.h"

/* Resets what the monitor changed for itself (blocked signals, ignored SIGPIPE, SIGHUP,
 * SIGINT) before a child execs something else. */
void monitor_reset_signals(void);
/* Runs argv (NULL-terminated; empty: nothing to do) with extra appended when set, and waits;
 * an exit status other than 0 or a signal is an error naming the command. */
int run_and_wait(char **argv, const char *extra, struct skiff_err *err);

#endif
