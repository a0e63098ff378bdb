/* skiff-monitor exec <plan>: runs one more process inside a running container. */
#ifndef SKIFF_MONITOR_EXEC_H
#define SKIFF_MONITOR_EXEC_H

/* Runs the exec command; returns the exit code to leave with: the process's own (128 + signal
 * when killed), 126/127 when it could not be started, 125 for any other failure, 0 for a
 * detached process once it started. */
int monitor_cmd_exec(const char *plan_path);

#endif
