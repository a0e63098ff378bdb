/* Shared state of the per-container monitor (monitor*.c), after conmon's one-header layout. */
#ifndef SKIFF_MONITOR_H
#define SKIFF_MONITOR_H
#include "skiff.h"

#include <stdint.h>
#include <sys/types.h>

#define MAX_CLIENTS 32
#define ATTACH_WAIT_MS 30000

/* Attach frame types (1 byte type, 4 bytes big-endian length, payload). */
enum { FRAME_STDIN = 0, FRAME_STDOUT = 1, FRAME_STDERR = 2, FRAME_STDIN_CLOSE = 3,
       FRAME_RESIZE = 4, FRAME_EXIT = 5 };

/* One message from the cloned child to the monitor over the sync pipe. */
struct child_msg {
  char type; /* 'R' ready to exec, 'E' error */
  int code, exit_code;
  char msg[1024];
};

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
  int oom_v2;
  unsigned long long oom_base;
  int restarts;
  struct client clients[MAX_CLIENTS];
  int nclients;
  unsigned char in_buf[65536];
  size_t in_off, in_len;
  int in_close_pending;
};

/* monitor.c */
int monitor_launch(struct monitor *m, int first, struct skiff_err *err);
int monitor_go(struct monitor *m, struct skiff_err *err);
int run_and_wait(char **argv, const char *extra, struct skiff_err *err);
int64_t now_ms(void);
/* monitor_loop.c */
int monitor_loop(struct monitor *m);
void broadcast(struct monitor *m, int type, const void *data, size_t n);
/* monitor_log.c */
void format_time(char *buf, size_t size);
void log_chunk(int fd, const char *stream, const unsigned char *data, size_t n);
/* monitor_cleanup.c: after the last exit */
/* Removes the plan's cgroups (leftover processes are killed, EBUSY retried a short while). */
int monitor_remove_cgroups(struct monitor *m, struct skiff_err *err);
/* Removes a directory tree without following symlinks or crossing mounts; ENOENT is success. */
int remove_tree(const char *path, struct skiff_err *err);
/* Runs the plan's exit actions (cgroups, then removals in order); keeps the first error. */
int monitor_exit_actions(struct monitor *m, struct skiff_err *err);
/* monitor_exec.c */
int cmd_exec(const char *plan_path);

/* monitor.c: the OOM kill counter of a memory cgroup events file (0 when unreadable). */
unsigned long long monitor_oom_kills(const char *file);

#endif
