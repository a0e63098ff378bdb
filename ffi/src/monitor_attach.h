/* The attach socket (<state dir>/attach): clients receive the container's output as frames
 * and send stdin, stdin-close and resize frames; stdin is buffered and written as the
 * container reads it. */
#ifndef SKIFF_MONITOR_ATTACH_H
#define SKIFF_MONITOR_ATTACH_H
#include "monitor_globals.h"

/* Creates the listening socket, mode 0600, replacing a stale one. */
int monitor_attach_listen(struct monitor *m, struct skiff_err *err);
/* Accepts one pending client; returns 1 when it was added, 0 when none or no room. */
int monitor_attach_accept(struct monitor *m);
/* Sends one frame to every client; a client that fails or does not read for 5 s is dropped. */
void monitor_attach_broadcast(struct monitor *m, int type, const void *data, size_t n);
/* Reads what client c sent (no more than the stdin buffer has room for) and acts on every
 * complete frame; returns -1 when the client went away. */
int monitor_attach_read(struct monitor *m, struct client *c);
/* Closes client i (the last one takes its place). */
void monitor_attach_drop(struct monitor *m, int i);
/* Drops every client, closes the socket and removes it from the state directory. */
void monitor_attach_close(struct monitor *m);
/* Writes buffered stdin to the container until it would block; closes stdin when asked and
 * drained, or when the container closed its end. */
void monitor_stdin_write(struct monitor *m);

#endif
