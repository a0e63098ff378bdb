/* The plan's hook commands: run with the container's pid appended, waited for, and a failure
 * named in the error. */
#include "monitor_hook.h"
#include "tap.h"

#include <signal.h>
#include <unistd.h>

int main(void) {
  const char *dir = tap_tmpdir();
  char out[300], script[400], got[64];
  struct skiff_err err = {0};
  snprintf(out, sizeof out, "%s/args", dir);
  snprintf(script, sizeof script, "echo \"$@\" > %s", out);
  char *hook[] = {"sh", "-c", script, "hook", "net", NULL};
  ok(run_and_wait(hook, "4242", &err) == 0, "a hook that succeeds");
  ok(tap_read_file(out, got, sizeof got) > 0 && !strcmp(got, "net 4242\n"),
     "gets its own arguments and then the pid");
  char *none[] = {NULL};
  ok(run_and_wait(none, "1", &err) == 0, "no hook: nothing to run");

  char *fails[] = {"sh", "-c", "exit 3", NULL};
  ok(run_and_wait(fails, NULL, &err) < 0 && !strcmp(err.msg, "sh exited with status 3"),
     "an exit status is an error naming the command");
  memset(&err, 0, sizeof err);
  char *killed[] = {"sh", "-c", "kill -TERM $$", NULL};
  ok(run_and_wait(killed, NULL, &err) < 0 && !strcmp(err.msg, "sh killed by signal 15"),
     "so is a signal");
  memset(&err, 0, sizeof err);
  char *missing[] = {"/nonexistent/hook", NULL};
  ok(run_and_wait(missing, NULL, &err) < 0 &&
         !strcmp(err.msg, "/nonexistent/hook exited with status 127"),
     "a hook that does not exist");

  /* the monitor blocks signals (for its signalfd) and ignores SIGPIPE; a hook inherits neither */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  snprintf(script, sizeof script, "grep -E '^Sig(Blk|Ign)' /proc/self/status > %s", out);
  char *status[] = {"sh", "-c", script, NULL};
  memset(&err, 0, sizeof err);
  char buf[256];
  ok(run_and_wait(status, NULL, &err) == 0 && tap_read_file(out, buf, sizeof buf) > 0 &&
         strstr(buf, "SigBlk:\t0000000000000000"),
     "a hook starts with no signal blocked");
  /* SIGPIPE is bit 13 of SigIgn */
  char *ign = strstr(buf, "SigIgn:\t");
  ok(ign && !(strtoull(ign + 8, NULL, 16) & (1ULL << (SIGPIPE - 1))), "and SIGPIPE not ignored");
  unlink(out);
  rmdir(dir);
  return tap_done();
}
