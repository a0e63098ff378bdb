/* Parent and child of a launch or exec talk through one fixed-size message. */
#include "monitor_sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sync_send(int fd, char type, const struct skiff_err *err) {
  struct child_msg msg = {.type = type};
  if (err) {
    msg.code = err->code;
    msg.exit_code = err->exit_code ? err->exit_code : 1;
    memcpy(msg.msg, err->msg, sizeof msg.msg);
  }
  while (write(fd, &msg, sizeof msg) < 0)
    if (errno != EINTR) return -errno;
  return 0;
}

int sync_send_fd(int sock, char type, int fd) {
  struct child_msg msg = {.type = type};
  struct iovec iov = {&msg, sizeof msg};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    memset(&ctl, 0, sizeof ctl);
    mh.msg_control = ctl.buf;
    mh.msg_controllen = sizeof ctl.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
    if (errno != EINTR) return -errno;
  return 0;
}

ssize_t sync_recv_fd(int sock, struct child_msg *msg, int *fd) {
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct iovec iov = {msg, sizeof *msg};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                      .msg_controllen = sizeof ctl.buf};
  ssize_t n;
  while ((n = recvmsg(sock, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n < 0) return n;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      memcpy(fd, CMSG_DATA(c), sizeof *fd);
  return n;
}

int sync_msg_error(const struct child_msg *msg, struct skiff_err *err) {
  memcpy(err->msg, msg->msg, sizeof err->msg);
  err->msg[sizeof err->msg - 1] = 0;
  err->code = msg->code;
  err->exit_code = msg->exit_code;
  return -1;
}
