/* What happens when the container process has exited: the exit record is written first (so a
 * failure later never loses the exit code), then the restart policy decides, and once no
 * restart follows, clients get the exit frame and the hooks and exit actions run. Nobody is
 * left to tell about a failure here: a clean-up error is kept beside the exit record. */
#include "monitor_exit.h"

#include "monitor_attach.h"
#include "monitor_cleanup.h"
#include "monitor_event.h"
#include "monitor_hook.h"
#include "monitor_launch.h"
#include "monitor_log.h"
#include "monitor_oom.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int monitor_exit_code(int st) {
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

/* Copies s into out as the inside of a JSON string (truncated to fit). */
static void json_string(char *out, size_t size, const char *s) {
  size_t o = 0;
  for (; *s && o + 8 < size; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') o += snprintf(out + o, size - o, "\\%c", ch);
    else if (ch < 0x20) o += snprintf(out + o, size - o, "\\u%04x", ch);
    else out[o++] = ch;
  }
  out[o] = 0;
}

int monitor_exit_record(char *buf, size_t size, int code, const char *ts, int oom,
                        const char *error) {
  char msg[2200];
  json_string(msg, sizeof msg, error);
  int n = snprintf(buf, size,
                   "{\"exitCode\":%d,\"exitedAt\":\"%s\",\"oomKilled\":%s,\"error\":\"%s\"}\n",
                   code, ts, oom ? "true" : "false", msg);
  return n < 0 || (size_t)n >= size ? -1 : n;
}

int monitor_write_exit(struct monitor *m, int code, struct skiff_err *err) {
  char ts[64], json[2600];
  format_time(ts, sizeof ts);
  int n = monitor_exit_record(json, sizeof json, code, ts, monitor_oom_killed(m), m->exec_error);
  if (n < 0) return skiff_error(err, EOVERFLOW, "format the exit record");
  int r = monitor_state_write(m, "exit", json, (size_t)n, err);
  /* the data root's copy survives a reboot that empties the run root */
  struct skiff_err copy = {0};
  if (m->plan->exit_record && skiff_write_atomic(m->plan->exit_record, json, n, &copy) < 0 &&
      r == 0) {
    *err = copy;
    r = -1;
  }
  return r;
}

/* The restart policy `update` gave a running container: the state file "restart-policy"
 * holds "POLICY MAX" (0 no, 1 on-failure, 2 always, 3 unless-stopped); 0 if absent or bad. */
static int policy_override(const struct monitor *m, int *policy, int *max) {
  int fd = openat(m->dirfd, "restart-policy", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return 0;
  char buf[64];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  int pol, mx;
  if (sscanf(buf, "%d %d", &pol, &mx) != 2 || pol < 0 || pol > 3 || mx < 0) return 0;
  *policy = pol;
  *max = mx;
  return 1;
}

int monitor_should_restart(const struct monitor *m, int code) {
  const struct skiff_plan *p = m->plan;
  if (monitor_state_exists(m, "stopping")) return 0;
  int policy = p->restart_policy, max = p->restart_max;
  policy_override(m, &policy, &max);
  switch (policy) {
  case 1: return code != 0 && (max == 0 || m->restarts < max);
  case 2:
  case 3: return 1;
  default: return 0;
  }
}

/* Closes our ends of the container's stdio. */
static void close_streams(struct monitor *m) {
  if (m->master >= 0) close(m->master);
  if (m->out_fd >= 0 && m->out_fd != m->master) close(m->out_fd);
  if (m->err_fd >= 0) close(m->err_fd);
  if (m->in_fd >= 0 && m->in_fd != m->master) close(m->in_fd);
  m->master = m->out_fd = m->err_fd = m->in_fd = -1;
}

/* Restarts while the policy says so, backing off as Docker does (100 ms doubling, at most
 * about a minute); a launch that fails is recorded as an exit of its own. Returns 1 when the
 * container runs again, 0 with *code the last exit code when no restart follows. */
static int restart(struct monitor *m, int *code) {
  while (monitor_should_restart(m, *code)) {
    struct skiff_err err = {0};
    m->restarts++;
    char v[32];
    int n = snprintf(v, sizeof v, "%d", m->restarts);
    struct skiff_err count_err = {0};
    monitor_state_write(m, "restarts", v, (size_t)n, &count_err); /* a count for inspect only */
    int shift = m->restarts < 10 ? m->restarts - 1 : 9;
    sleep_ms(100L << shift);
    if (monitor_state_exists(m, "stopping")) break;
    if (monitor_launch(m, 0, &err) == 0) {
      char ts[64];
      format_time(ts, sizeof ts);
      struct skiff_err started_err = {0};
      /* State.StartedAt of this run, for inspect and ps's "Up N seconds" */
      monitor_state_write(m, "started", ts, strlen(ts), &started_err);
      struct skiff_err event_err = {0};
      monitor_event_start(m->plan, &event_err); /* Docker's start event of a policy restart */
      return 1;
    }
    snprintf(m->exec_error, sizeof m->exec_error, "%s", err.msg);
    *code = err.exit_code ? err.exit_code : 1;
    struct skiff_err exit_err = {0};
    monitor_write_exit(m, *code, &exit_err); /* nobody to tell */
  }
  return 0;
}

/* Runs the plan's clean-up command and exit actions; keeps the first error. */
static int clean_up(struct monitor *m, struct skiff_err *err) {
  int r = run_and_wait(m->plan->cleanup, NULL, err);
  struct skiff_err aerr = {0};
  if (monitor_exit_actions(m, &aerr) < 0 && r == 0) {
    *err = aerr;
    r = -1;
  }
  return r;
}

/* No restart follows: tells readers and clients, cleans up, and keeps a clean-up error in
 * <state dir>/cleanup-error (if the directory still exists). */
static void finish(struct monitor *m, int code) {
  struct skiff_err err = {0}, ferr = {0};
  /* readers may report the container exited before cleanup has run */
  monitor_state_write(m, "finished", "", 0, &ferr);
  unsigned char payload[4] = {(unsigned char)(code >> 24), (unsigned char)(code >> 16),
                              (unsigned char)(code >> 8), (unsigned char)code};
  monitor_attach_broadcast(m, FRAME_EXIT, payload, 4);
  monitor_attach_close(m);
  struct skiff_err eerr = {0};
  int destroy = monitor_event_destroy_due(m->plan);
  if (clean_up(m, &err) == 0) {
    if (destroy) monitor_event_destroy(m->plan, &eerr); /* --rm: the monitor removed it */
  } else {
    char line[sizeof err.msg + 1];
    int n = snprintf(line, sizeof line, "%s\n", err.msg);
    struct skiff_err werr = {0};
    monitor_state_write(m, "cleanup-error", line, (size_t)n, &werr);
  }
  unlinkat(m->dirfd, "monitor.pid", 0);
}

int monitor_finish_run(struct monitor *m) {
  int code = monitor_exit_code(m->status);
  struct skiff_err err = {0};
  close_streams(m);
  m->pid = 0;
  monitor_write_exit(m, code, &err); /* nobody to tell if this fails */
  struct skiff_err eerr = {0};
  /* an event lost is not worth more than that */
  monitor_event_die(m->plan, code, monitor_oom_killed(m), &eerr);
  if (restart(m, &code)) return 0;
  finish(m, code);
  return 1;
}
