/* The monitor's exit handling that needs no container: exit codes, the exit record and where
 * it is written, and the restart policy. */
#include "monitor_exit.h"
#include "tap.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The wait status of a child that raised sig (when not 0) or else exited with code. */
static int status_of(int sig, int code) {
  pid_t pid = fork();
  if (pid == 0) {
    if (sig) raise(sig);
    _exit(code);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return st;
}

static void test_codes(void) {
  ok(monitor_exit_code(status_of(0, 3)) == 3, "an exit code is kept");
  ok(monitor_exit_code(status_of(SIGKILL, 0)) == 137, "a signal is 128 + its number");
}

static void test_record(void) {
  char buf[512];
  int n = monitor_exit_record(buf, sizeof buf, 127, "2026-01-02T03:04:05.000000006Z", 0,
                              "exec: \"nope\": not found\\ here\n\x01");
  const char *want = "{\"exitCode\":127,\"exitedAt\":\"2026-01-02T03:04:05.000000006Z\","
                     "\"oomKilled\":false,\"error\":\"exec: \\\"nope\\\": not found\\\\ here"
                     "\\u000a\\u0001\"}\n";
  ok(n == (int)strlen(want) && !strcmp(buf, want), "the record is one line of JSON, escaped");
  n = monitor_exit_record(buf, sizeof buf, 0, "t", 1, "");
  ok(n > 0 && strstr(buf, "\"oomKilled\":true,\"error\":\"\"}"), "an OOM kill is recorded");
  ok(monitor_exit_record(buf, 20, 0, "t", 0, "") == -1, "a record that does not fit is refused");
}

static void test_write(const char *dir) {
  static struct skiff_plan plan;
  static struct monitor m;
  char state[300], copy[300], path[320], a[512], b[512];
  struct skiff_err err = {0};
  snprintf(state, sizeof state, "%s/run", dir);
  snprintf(copy, sizeof copy, "%s/exit.json", dir);
  mkdir(state, 0700);
  plan.state_dir = state;
  plan.exit_record = copy;
  m.plan = &plan;
  snprintf(m.exec_error, sizeof m.exec_error, "boom");
  ok(monitor_write_exit(&m, 137, &err) == 0, "the exit record is written");
  snprintf(path, sizeof path, "%s/exit", state);
  long la = tap_read_file(path, a, sizeof a), lb = tap_read_file(copy, b, sizeof b);
  ok(la > 0 && strstr(a, "{\"exitCode\":137,\"exitedAt\":\"") == a &&
         strstr(a, "\",\"oomKilled\":false,\"error\":\"boom\"}\n"),
     "into the state directory");
  ok(lb == la && !strcmp(a, b), "and the same record into the persistent copy");

  snprintf(state, sizeof state, "%s/gone", dir);
  unlink(copy);
  memset(&err, 0, sizeof err);
  ok(monitor_write_exit(&m, 1, &err) < 0 && strstr(err.msg, "/gone/exit"),
     "a state directory that is gone is an error naming the file");
  ok(tap_read_file(copy, b, sizeof b) > 0 && strstr(b, "\"exitCode\":1,"),
     "the persistent copy is still written");
  unlink(copy);
  unlink(path);
  snprintf(state, sizeof state, "%s/run", dir);
  rmdir(state);
}

static void test_restart(const char *dir) {
  static struct skiff_plan plan;
  static struct monitor m;
  char stopping[300];
  plan.state_dir = (char *)dir;
  m.plan = &plan;
  m.dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  plan.restart_policy = 0;
  ok(!monitor_should_restart(&m, 1), "no policy: no restart");
  plan.restart_policy = 1;
  plan.restart_max = 2;
  m.restarts = 1;
  ok(monitor_should_restart(&m, 1) && !monitor_should_restart(&m, 0),
     "on-failure restarts a failure only");
  m.restarts = 2;
  ok(!monitor_should_restart(&m, 1), "on-failure:2 stops after two restarts");
  plan.restart_max = 0;
  ok(monitor_should_restart(&m, 1), "on-failure without a count restarts on");
  plan.restart_policy = 2;
  ok(monitor_should_restart(&m, 0), "always restarts after success too");
  snprintf(stopping, sizeof stopping, "%s/stopping", dir);
  tap_write_file(stopping, "");
  ok(!monitor_should_restart(&m, 0), "never once the container is being stopped");
  unlink(stopping);
  char policy[300];
  snprintf(policy, sizeof policy, "%s/restart-policy", dir);
  tap_write_file(policy, "0 0");
  ok(!monitor_should_restart(&m, 1), "a policy set by update replaces the plan's");
  tap_write_file(policy, "1 3");
  m.restarts = 2;
  ok(monitor_should_restart(&m, 1) && !monitor_should_restart(&m, 0), "with its count");
  tap_write_file(policy, "9 x");
  ok(monitor_should_restart(&m, 0), "a bad file is ignored");
  unlink(policy);
  close(m.dirfd);
}

int main(void) {
  const char *dir = tap_tmpdir();
  test_codes();
  test_record();
  test_write(dir);
  test_restart(dir);
  rmdir(dir);
  return tap_done();
}
