/* The container log in k8s-file format: "<RFC3339Nano UTC> stdout|stderr F|P <text>" a line. */
#ifndef SKIFF_MONITOR_LOG_H
#define SKIFF_MONITOR_LOG_H
#include <stddef.h>

/* Writes the current UTC time as 2006-01-02T15:04:05.999999999Z (30 characters). */
void format_time(char *buf, size_t size);
/* Appends one chunk of a stream ("stdout" or "stderr") to the log fd, a line per newline; a
 * trailing partial line is marked P. Nothing is written for fd < 0 or an empty chunk.
 * Returns 0, or -errno when the write failed (lines are lost, the container is not). */
int log_chunk(int fd, const char *stream, const unsigned char *data, size_t n);

#endif
