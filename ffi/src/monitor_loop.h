/* The monitor's event loop, from the first launch to the container's last exit. */
#ifndef SKIFF_MONITOR_LOOP_H
#define SKIFF_MONITOR_LOOP_H
#include "monitor_globals.h"

/* Relays output to the log and attach clients and client input to the container, reaps the
 * container, and hands each exit to monitor_finish_run. Returns 0 when the work is done, 1
 * when poll failed. */
int monitor_loop(struct monitor *m);

#endif
