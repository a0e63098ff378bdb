/* Runs a hook command from the plan as a child of the monitor and waits for it. */
#include "monitor_hook.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void monitor_reset_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  signal(SIGINT, SIG_DFL);
}

/* Waits for pid; the command's status as an error unless it exited with 0. */
static int wait_command(pid_t pid, const char *name, struct skiff_err *err) {
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return skiff_error(err, errno, "wait for %s", name);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (WIFEXITED(status))
    return skiff_error(err, 0, "%s exited with status %d", name, WEXITSTATUS(status));
  return skiff_error(err, 0, "%s killed by signal %d", name, WTERMSIG(status));
}

int run_and_wait(char **argv, const char *extra, struct skiff_err *err) {
  size_t n = 0;
  while (argv[n]) n++;
  if (n == 0) return 0;
  char **args = calloc(n + 2, sizeof *args);
  if (!args) return skiff_error(err, ENOMEM, "run %s", argv[0]);
  memcpy(args, argv, n * sizeof *args);
  args[n] = (char *)extra;
  pid_t pid = fork();
  if (pid < 0) {
    free(args);
    return skiff_error(err, errno, "fork for %s", argv[0]);
  }
  if (pid == 0) {
    monitor_reset_signals();
    execvp(args[0], args);
    _exit(127);
  }
  free(args);
  return wait_command(pid, argv[0], err);
}
