/* State shared by the monitor's files (the role of conmon's globals.h): the one record of a
 * running container, the attach frame types, and a few small helpers. Every other
 * monitor_*.c sits above this file; none of them is included from here.
 *
 * Layers, each depending only on those listed before it:
 *   globals, log, logdrv, sync, hook, userns, health, oom, attach, cleanup, event, launch, exit, loop, start, exec, sealed, main. */
#ifndef SKIFF_MONITOR_GLOBALS_H
#define SKIFF_MONITOR_GLOBALS_H
#include "skiff.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_CLIENTS 32
#define ATTACH_WAIT_MS 30000

/* Attach frame types (1 byte type, 4 bytes big-endian length, payload). */
enum { FRAME_STDIN = 0, FRAME_STDOUT = 1, FRAME_STDERR = 2, FRAME_STDIN_CLOSE = 3,
       FRAME_RESIZE = 4, FRAME_EXIT = 5 };

/* One attach client and the frame it is in the middle of sending. */
struct client {
  int fd;
  unsigned char hdr[5];
  int hdr_len;
  uint32_t remaining;
  unsigned char small[4];
  int small_len;
};

struct monitor {
  struct skiff_plan *plan;
  int dirfd, log_fd, listen_fd, sig_fd;
  int report_fd;            /* pipe to the waiting `start` process until the first launch */
  pid_t pid;                /* container process, 0 when none */
  int out_fd, err_fd, in_fd; /* our ends: output (pty master or pipe), stderr pipe, stdin */
  int master;               /* pty master or -1 */
  int rel_w, rep_r;         /* release pipe (to child), report pipe (from child) while starting */
  int waiting_go;           /* child is ready and waits for the first attach client */
  int64_t go_deadline_ms;   /* ...but no longer than this: a starter that died never attaches */
  int exited, status;
  int64_t deadline_ms;      /* after exit: stop draining output at this time */
  char exec_error[1024];
  char oom_file[4200];
  unsigned long long oom_base;
  int restarts;
  struct client clients[MAX_CLIENTS];
  int nclients;
  unsigned char in_buf[65536];
  size_t in_off, in_len;
  int in_close_pending;
  /* health checks (monitor_health.c) */
  pid_t health_pid;         /* the running check, 0 when none */
  pid_t health_for;         /* the container process the schedule below was made for */
  int64_t health_started_ms, health_next_ms;
  int64_t health_check_ms;  /* when the running check was started */
  /* log driver (monitor_logdrv.c) */
  long long log_size;       /* bytes in the current log file */
  int journal_fd;           /* journald's socket, or -1 */
};

/* Milliseconds on the monotonic clock. */
int64_t now_ms(void);
/* Sleeps ms milliseconds, resuming after signals. */
void sleep_ms(long ms);
/* Reads until n bytes, EOF or an error; returns the bytes read, or -1 with errno. */
ssize_t read_full(int fd, void *buf, size_t n);
/* Closes *fd when open and sets it to -1. */
void close_fd(int *fd);
/* Sets O_NONBLOCK; 0 or -1 with errno. */
int set_nonblock(int fd);
/* Writes data to <state dir>/name through a temporary file and rename. */
int monitor_state_write(const struct monitor *m, const char *name, const char *data, size_t len,
                        struct skiff_err *err);
/* Writes a pid (decimal, no newline) to <state dir>/name. */
int monitor_state_write_pid(const struct monitor *m, const char *name, pid_t pid,
                            struct skiff_err *err);
/* Whether <state dir>/name exists (the `stopping` mark set by `skiff stop`). */
int monitor_state_exists(const struct monitor *m, const char *name);

#endif
