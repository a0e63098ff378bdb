/* The message a starting process sends to its parent (monitor launch and exec): 'R' ready to
 * exec (with the pty master passed along), or 'E' and the error that stopped it. */
#ifndef SKIFF_MONITOR_SYNC_H
#define SKIFF_MONITOR_SYNC_H
#include "skiff.h"

#include <sys/types.h>

struct child_msg {
  char type; /* 'R' ready to exec, 'E' error */
  int code, exit_code;
  char msg[1024];
};

/* Sends a message of type (with err's code and text when err is set); 0 or -errno. */
int sync_send(int fd, char type, const struct skiff_err *err);
/* Sends a message with fd attached (SCM_RIGHTS) unless fd < 0; 0 or -errno. */
int sync_send_fd(int sock, char type, int fd);
/* Receives one message and the fd passed with it (into *fd, left as is when none); returns
 * the bytes read, or -1 with errno. */
ssize_t sync_recv_fd(int sock, struct child_msg *msg, int *fd);
/* Copies an 'E' message into err; returns -1 (the error as a failed call's result). */
int sync_msg_error(const struct child_msg *msg, struct skiff_err *err);

#endif
