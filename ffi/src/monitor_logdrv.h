/* The container's log through the plan's driver: k8s-file (the default, monitor_log.c's
 * lines), json-file (Docker's {"log","stream","time"} lines) or journald (native protocol
 * datagrams), with the file rotated by size (--log-opt max-size, max-file). */
#ifndef SKIFF_MONITOR_LOGDRV_H
#define SKIFF_MONITOR_LOGDRV_H
#include "monitor_globals.h"

/* Opens what the driver writes to: the log file (no log-path: nothing, the `none` driver) or
 * journald's socket. */
int monitor_log_open(struct monitor *m, struct skiff_err *err);
/* Writes one chunk of a stream ("stdout" or "stderr") through the driver, a record per line
 * (a trailing partial line is marked partial), rotating the file before a record would take
 * it past max-size. A failed write loses those lines, never the container. */
void monitor_log_output(struct monitor *m, const char *stream, const unsigned char *data,
                        size_t n);
/* Docker's json-file record of one line: {"log":"<text>","stream":"..","time":".."} and a
 * newline; text is JSON-escaped (control characters as \u00XX). Writes at most size bytes
 * to buf (NULL to measure) and returns the record's full length. */
size_t log_json_record(char *buf, size_t size, const char *stream, const char *ts,
                       const unsigned char *text, size_t len);
/* Sets json-file's tag (`--log-opt tag=`, already JSON-escaped; NULL or "" for none): records
 * then carry Docker's "attrs":{"tag":".."} between the stream and the time. */
void log_json_tag(const char *escaped);

#endif
