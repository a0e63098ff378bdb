/* After the container process exits: the exit record, the restart policy, and once no
 * restart follows, the end of the monitor's work (clients told, hooks and clean-up run). */
#ifndef SKIFF_MONITOR_EXIT_H
#define SKIFF_MONITOR_EXIT_H
#include "monitor_globals.h"

/* The exit code Docker reports for a wait status: the code, or 128 + the signal. */
int monitor_exit_code(int status);
/* Formats the exit record, one line of JSON:
 * {"exitCode":N,"exitedAt":"<ts>","oomKilled":bool,"error":"<escaped error>"}
 * Returns its length, or -1 when it does not fit in size. */
int monitor_exit_record(char *buf, size_t size, int code, const char *ts, int oom,
                        const char *error);
/* Writes the exit record to <state dir>/exit and to the plan's persistent copy, if any. */
int monitor_write_exit(struct monitor *m, int code, struct skiff_err *err);
/* Whether the restart policy restarts after an exit with code (never once `stopping` exists). */
int monitor_should_restart(const struct monitor *m, int code);
/* The container has exited and its output is drained: records the exit, then restarts it
 * (returns 0: running again) or finishes (returns 1: the monitor's work is done). */
int monitor_finish_run(struct monitor *m);

#endif
