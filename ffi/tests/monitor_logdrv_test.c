/* The monitor's log drivers: json-file records (escaping, partial lines), size rotation of the
 * file (never more than max-file files, each within max-size), and the health schedule's
 * interval inside and after the start period. */
#include "monitor_health.h"
#include "monitor_logdrv.h"
#include "tap.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char TS[] = "2026-12-07T06:56:03.123456789Z";

static void json_records(void) {
  char buf[512];
  const unsigned char text[] = "a \"q\" \\ \t\x01\n";
  size_t n = log_json_record(buf, sizeof buf, "stdout", TS, text, sizeof text - 1);
  ok(n == strlen(buf) && !strcmp(buf, "{\"log\":\"a \\\"q\\\" \\\\ \\t\\u0001\\n\",\"stream\":"
                                       "\"stdout\",\"time\":\"2026-12-07T06:56:03.123456789Z\"}\n"),
     "json-file: quotes, backslashes and control characters are escaped");
  ok(log_json_record(NULL, 0, "stdout", TS, text, sizeof text - 1) == n,
     "json-file: the measured length is the written length");
  char small[16];
  size_t m = log_json_record(small, sizeof small, "stdout", TS, (const unsigned char *)"hi", 2);
  ok(m > sizeof small && strlen(small) == sizeof small - 1, "json-file: a short buffer is cut");
  log_json_tag("web/\\\"x\\\"");
  n = log_json_record(buf, sizeof buf, "stderr", TS, (const unsigned char *)"hi\n", 3);
  ok(n == strlen(buf) && !strcmp(buf, "{\"log\":\"hi\\n\",\"stream\":\"stderr\",\"attrs\":{\"tag\":"
                                       "\"web/\\\"x\\\"\"},\"time\":\"2026-12-07T06:56:03.123456789Z\"}\n"),
     "json-file: with a tag, Docker's attrs between the stream and the time");
  log_json_tag("");
  n = log_json_record(buf, sizeof buf, "stdout", TS, (const unsigned char *)"x", 1);
  ok(!strstr(buf, "attrs"), "json-file: no tag, no attrs");
}

/* Sizes of the files named log* in dir; returns how many. */
static int log_files(const char *dir, long long *total, long long *largest) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  *total = *largest = 0;
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, "log", 3)) continue;
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    stat(p, &st);
    n++;
    *total += st.st_size;
    if (st.st_size > *largest) *largest = st.st_size;
  }
  closedir(d);
  return n;
}

static void rotation(const char *dir, int driver, int max_file, int one_chunk) {
  static char path[300];
  snprintf(path, sizeof path, "%s/log", dir);
  struct skiff_plan plan = {.log_path = path, .log_driver = driver, .log_max_size = 1000,
                            .log_max_file = max_file, .id = "abc"};
  struct monitor m = {.plan = &plan, .log_fd = -1, .journal_fd = -1};
  struct skiff_err err = {0};
  ok(monitor_log_open(&m, &err) == 0, "the log file opens");
  /* line by line, or all 500 lines in one chunk (rotations in the middle of a chunk) */
  static char all[500 * 64];
  size_t at = 0;
  for (int i = 0; i < 500; i++) {
    int n = snprintf(all + at, sizeof all - at, "line %d of the container\n", i);
    if (!one_chunk) monitor_log_output(&m, "stdout", (unsigned char *)all + at, (size_t)n);
    else at += (size_t)n;
  }
  if (one_chunk) monitor_log_output(&m, "stdout", (unsigned char *)all, at);
  long long total, largest;
  int files = log_files(dir, &total, &largest);
  char name[128];
  snprintf(name, sizeof name, "%s, max-file %d%s: %d files, %lld bytes, none over max-size",
           driver ? "json-file" : "k8s-file", max_file, one_chunk ? ", one chunk" : "", files,
           total);
  ok(files == max_file && largest <= 1000, name);
  char last[4096];
  int fd = open(path, O_RDONLY);
  ssize_t r = read(fd, last, sizeof last - 1);
  close(fd);
  last[r < 0 ? 0 : r] = 0;
  ok(strstr(last, "line 499 of the container") != NULL, "the newest line is in the current file");
  close(m.log_fd);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -f %s/log*", dir);
  if (system(cmd) != 0) ok(0, "clean up");
}

/* journald's native protocol: a datagram per line, MESSAGE in the binary-safe form. */
static void journald(const char *dir) {
  static char path[300];
  snprintf(path, sizeof path, "%s/journal", dir);
  int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    ok(0, "a short socket path");
    return;
  }
  memcpy(addr.sun_path, path, strlen(path) + 1);
  ok(bind(srv, (struct sockaddr *)&addr, sizeof addr) == 0, "a fake journal socket");
  struct skiff_plan plan = {.log_driver = 2, .journal_socket = path, .log_tag = "web",
                            .id = "0123456789abcdef0123"};
  struct monitor m = {.plan = &plan, .log_fd = -1, .journal_fd = -1};
  struct skiff_err err = {0};
  ok(monitor_log_open(&m, &err) == 0, "journald: the socket connects");
  monitor_log_output(&m, "stderr", (const unsigned char *)"one\ntwo", 7);
  char buf[1024];
  ssize_t n = recv(srv, buf, sizeof buf - 1, MSG_DONTWAIT);
  buf[n < 0 ? 0 : n] = 0;
  const char want_head[] = "MESSAGE\n\3\0\0\0\0\0\0\0one\nPRIORITY=3\n";
  ok(n > 0 && !memcmp(buf, want_head, sizeof want_head - 1) &&
         strstr(buf + 20, "CONTAINER_ID=0123456789ab\n") &&
         strstr(buf + 20, "CONTAINER_ID_FULL=0123456789abcdef0123\n") &&
         strstr(buf + 20, "SYSLOG_IDENTIFIER=web\n") && !strstr(buf + 20, "PARTIAL"),
     "journald: a full line with its priority, ids and tag");
  n = recv(srv, buf, sizeof buf - 1, MSG_DONTWAIT);
  buf[n < 0 ? 0 : n] = 0;
  ok(n > 0 && !memcmp(buf + 16, "two\n", 4) && strstr(buf + 20, "CONTAINER_PARTIAL_MESSAGE=true"),
     "journald: a partial line is marked");
  close(m.journal_fd);
  close(srv);
  unlink(path);
}

static void health_interval(void) {
  struct skiff_plan p = {.health_interval_ms = 30000, .health_start_period_ms = 10000,
                         .health_start_interval_ms = 500};
  ok(monitor_health_interval(&p, 1000, 2000) == 500, "the start interval inside the start period");
  ok(monitor_health_interval(&p, 1000, 11000) == 30000, "the interval after it");
  p.health_start_interval_ms = 0;
  ok(monitor_health_interval(&p, 1000, 2000) == 30000, "no start interval: the interval");
}

/* The schedule starts the check when due, and kills one that runs past the deadline. */
static void health_schedule(void) {
  static char *cmd[] = {"sleep", "100", NULL};
  struct skiff_plan p = {.health_cmd = cmd, .health_interval_ms = 10, .health_deadline_ms = 100};
  struct monitor m = {.plan = &p, .pid = getpid()};
  int64_t until = now_ms() + 5000;
  while (m.health_pid == 0 && now_ms() < until) {
    monitor_health_tick(&m);
    sleep_ms(5);
  }
  ok(m.health_pid > 0, "a check is started once due");
  ok(monitor_health_timeout(&m) > 0, "while it runs, the poll waits for its deadline");
  pid_t check = m.health_pid;
  int status = 0, reaped = 0;
  while (!reaped && now_ms() < until) {
    monitor_health_tick(&m);
    pid_t r = waitpid(check, &status, WNOHANG);
    if (r == check) reaped = monitor_health_reaped(&m, r);
    else sleep_ms(10);
  }
  ok(reaped && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
     "a check past its deadline is killed and reaped as the check");
  ok(m.health_pid == 0 && monitor_health_timeout(&m) >= 0, "the next one is scheduled");
}

int main(void) {
  const char *dir = tap_tmpdir();
  json_records();
  rotation(dir, 0, 3, 0);
  rotation(dir, 1, 2, 0);
  rotation(dir, 1, 1, 0);
  rotation(dir, 0, 3, 1);
  rotation(dir, 1, 2, 1);
  journald(dir);
  health_interval();
  health_schedule();
  rmdir(dir);
  return tap_done();
}
