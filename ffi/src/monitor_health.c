/* Runs the plan's health command on schedule as a child of the monitor. */
#include "monitor_health.h"

#include "monitor_hook.h"

#include <signal.h>
#include <unistd.h>

long long monitor_health_interval(const struct skiff_plan *p, int64_t started_ms, int64_t now) {
  if (p->health_start_interval_ms > 0 && now < started_ms + p->health_start_period_ms)
    return p->health_start_interval_ms;
  return p->health_interval_ms;
}

static int running(const struct monitor *m) {
  return m->plan->health_cmd[0] && m->pid > 0 && !m->exited && !m->waiting_go;
}

int monitor_health_timeout(struct monitor *m) {
  if (!running(m) || m->health_pid > 0) return -1;
  int64_t now = now_ms();
  if (m->health_for != m->pid) {
    m->health_for = m->pid;
    m->health_started_ms = now;
    m->health_next_ms = now + monitor_health_interval(m->plan, now, now);
  }
  int64_t left = m->health_next_ms - now;
  return left < 0 ? 0 : left > 0x7fffffff ? 0x7fffffff : (int)left;
}

void monitor_health_tick(struct monitor *m) {
  if (monitor_health_timeout(m) != 0) return;
  pid_t pid = fork();
  if (pid < 0) { /* tried again an interval later */
    int64_t now = now_ms();
    m->health_next_ms = now + monitor_health_interval(m->plan, m->health_started_ms, now);
    return;
  }
  if (pid == 0) {
    monitor_reset_signals();
    /* only stdio (/dev/null) goes to the check: not the container's pipes nor the socket */
    close_range(3, ~0U, 0);
    execvp(m->plan->health_cmd[0], m->plan->health_cmd);
    _exit(127);
  }
  m->health_pid = pid;
}

int monitor_health_reaped(struct monitor *m, pid_t pid) {
  if (pid <= 0 || pid != m->health_pid) return 0;
  m->health_pid = 0;
  int64_t now = now_ms();
  m->health_next_ms = now + monitor_health_interval(m->plan, m->health_started_ms, now);
  return 1;
}
