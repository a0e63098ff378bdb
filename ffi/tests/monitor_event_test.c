/* The monitor's events: the die line the plan prepared, with the exit code and the time, appended
 * whole to the event log (an oom line before it when asked), the start line after a restart;
 * nothing without a die-event directive. */
#include "monitor_event.h"
#include "tap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char log_path[512], template_path[512];

static void read_log(char *buf, size_t size) {
  buf[0] = 0;
  int fd = open(log_path, O_RDONLY);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, size - 1);
  buf[n > 0 ? n : 0] = 0;
  close(fd);
}

int main(void) {
  const char *dir = tap_tmpdir();
  snprintf(log_path, sizeof log_path, "%s/events.log", dir);
  snprintf(template_path, sizeof template_path, "%s/event-template", dir);
  struct skiff_plan p = {0};
  struct skiff_err err = {0};
  char buf[4096];
  ok(monitor_event_die(&p, 3, 0, &err) == 0 && access(log_path, F_OK) != 0,
     "without a die-event nothing is written");
  p.event_log = log_path;
  p.event_template = template_path;
  ok(monitor_event_die(&p, 3, 0, &err) < 0 && strstr(err.msg, "event-template"),
     "a missing template is an error naming it");
  tap_write_file(template_path, "{\"Action\":\"die\",\"Attributes\":{\"exitCode\":\"\n"
                                "\"},\"scope\":\"local\"\n\n");
  ok(monitor_event_die(&p, 3, 0, &err) == 0, "the die event is written");
  ok(monitor_event_die(&p, 137, 0, &err) == 0, "a second one is appended");
  read_log(buf, sizeof buf);
  char *second = strchr(buf, '\n');
  const char *want = "{\"Action\":\"die\",\"Attributes\":{\"exitCode\":\"3\"},\"scope\":\"local\",\"time\":";
  ok(strncmp(buf, want, strlen(want)) == 0,
     "the code sits between the prepared parts, the time follows");
  ok(second && strstr(second + 1, "\"exitCode\":\"137\"") && second[strlen(second) - 1] == '\n',
     "one line each");
  long long t = 0, nano = 0;
  char *tp = strstr(buf, "\"time\":");
  ok(tp && sscanf(tp, "\"time\":%lld,\"timeNano\":%lld}", &t, &nano) == 2 &&
         nano / 1000000000LL == t && t > 1600000000LL,
     "time and timeNano agree");
  struct stat st;
  ok(stat(log_path, &st) == 0 && (st.st_mode & 0777) == 0600, "the log is private");
  ok(!monitor_event_destroy_due(&p) && monitor_event_destroy(&p, &err) == 0,
     "without a destroy line no destroy is due");
  tap_write_file(template_path, "{\"Action\":\"die\",\"x\":\"\n\"\n{\"Action\":\"destroy\"\n");
  ok(monitor_event_die(&p, 0, 0, &err) == 0 && monitor_event_destroy_due(&p), "a destroy is due");
  ok(monitor_event_destroy(&p, &err) == 0, "the destroy event is written");
  read_log(buf, sizeof buf);
  ok(strstr(buf, "{\"Action\":\"destroy\",\"time\":") != NULL, "the destroy line, timed");
  ok(!monitor_event_destroy_due(&p), "only once");
  /* a template with start and oom lines: oom before die only when asked, start on its own */
  unlink(log_path);
  tap_write_file(template_path, "{\"Action\":\"die\",\"c\":\"\n\"\n\n"
                                "{\"Action\":\"start\"\n{\"Action\":\"oom\"\n");
  ok(monitor_event_die(&p, 137, 1, &err) == 0 && !monitor_event_destroy_due(&p),
     "an oom kill: written, no destroy due");
  ok(monitor_event_start(&p, &err) == 0, "the start event is written");
  ok(monitor_event_die(&p, 1, 0, &err) == 0, "a die without an oom kill");
  read_log(buf, sizeof buf);
  const char *oom = strstr(buf, "{\"Action\":\"oom\",\"time\":");
  const char *die = strstr(buf, "{\"Action\":\"die\",\"c\":\"137\",\"time\":");
  const char *start = strstr(buf, "{\"Action\":\"start\",\"time\":");
  const char *die2 = strstr(buf, "{\"Action\":\"die\",\"c\":\"1\",\"time\":");
  ok(oom && die && start && die2 && oom < die && die < start && start < die2,
     "oom, die, start, die: in that order");
  ok(strstr(oom + 1, "{\"Action\":\"oom\"") == NULL, "one oom only: the second run was not killed");
  /* an older template (three lines) has no start line: nothing to write */
  tap_write_file(template_path, "{\"Action\":\"die\",\"c\":\"\n\"\n\n");
  ok(monitor_event_die(&p, 0, 1, &err) == 0 && monitor_event_start(&p, &err) == 0,
     "a three-line template: die only");
  read_log(buf, sizeof buf);
  ok(strstr(buf, "\"c\":\"0\"") && !strstr(strstr(buf, "\"c\":\"0\""), "start"),
     "no start or oom after it");
  p.event_log = "/nonexistent-dir/events.log";
  ok(monitor_event_die(&p, 1, 0, &err) < 0 && strstr(err.msg, "/nonexistent-dir"),
     "an unwritable log is an error naming it");
  return tap_done();
}
