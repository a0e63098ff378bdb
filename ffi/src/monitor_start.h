/* skiff-monitor start <plan>: becomes the container's monitor in a new session and tells the
 * waiting caller the container's pid (or why it did not start). */
#ifndef SKIFF_MONITOR_START_H
#define SKIFF_MONITOR_START_H

/* Runs the start command; returns the caller's exit code (the monitor itself runs on in a
 * forked child until the container's last exit). */
int monitor_cmd_start(const char *plan_path);

#endif
