/* The message a starting process sends its parent: ready with a descriptor, or an error with
 * its exit code. */
#include "monitor_sync.h"
#include "tap.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  int sv[2], p[2];
  struct child_msg msg;
  struct skiff_err err = {0};
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
  pipe2(p, O_CLOEXEC);

  int got = -1;
  ok(sync_send_fd(sv[1], 'R', p[1]) == 0, "ready is sent with a descriptor");
  ssize_t n = sync_recv_fd(sv[0], &msg, &got);
  ok(n == (ssize_t)sizeof msg && msg.type == 'R' && got >= 0 && got != p[1],
     "it arrives with a descriptor of its own");
  ok(write(got, "x", 1) == 1 && read(p[0], &msg.msg, 1) == 1 && msg.msg[0] == 'x',
     "the descriptor is the one sent");
  ok((fcntl(got, F_GETFD) & FD_CLOEXEC) != 0, "and is not inherited by the container");
  close(got);

  got = -1;
  sync_send_fd(sv[1], 'R', -1);
  n = sync_recv_fd(sv[0], &msg, &got);
  ok(n == (ssize_t)sizeof msg && msg.type == 'R' && got == -1, "ready without a descriptor");

  struct skiff_err sent = {.code = 2, .exit_code = 127};
  snprintf(sent.msg, sizeof sent.msg, "exec: \"nope\": executable file not found in $PATH");
  sync_send(sv[1], 'E', &sent);
  n = sync_recv_fd(sv[0], &msg, &got);
  ok(n == (ssize_t)sizeof msg && msg.type == 'E' && sync_msg_error(&msg, &err) == -1 &&
         err.code == 2 && err.exit_code == 127 && !strcmp(err.msg, sent.msg),
     "an error keeps its code, exit code and message");

  struct skiff_err plain = {.code = 5};
  snprintf(plain.msg, sizeof plain.msg, "mount proc");
  sync_send(sv[1], 'E', &plain);
  sync_recv_fd(sv[0], &msg, &got);
  sync_msg_error(&msg, &err);
  ok(err.exit_code == 1 && !strcmp(err.msg, "mount proc"), "an error without exit code exits 1");

  close(sv[1]);
  ok(sync_recv_fd(sv[0], &msg, &got) == 0, "a child that is gone sends nothing");
  ok(sync_send(p[0], 'E', &plain) < 0, "a send that fails is reported");
  close(sv[0]);
  close(p[0]);
  close(p[1]);
  return tap_done();
}
