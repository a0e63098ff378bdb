/* The monitor's log writer: k8s-file lines, one per newline, a trailing partial line as P. */
#include "monitor_log.h"
#include "tap.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* Whether s starts with a timestamp such as 2026-12-07T06:56:03.123456789Z. */
static int is_timestamp(const char *s) {
  static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
  for (size_t i = 0; i < sizeof shape - 1; i++)
    if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i]) return 0;
  return 1;
}

/* Checks that every line of text is "<timestamp> <rest>" and the rests, joined by '|', are
 * want. */
static int lines_are(const char *text, const char *want) {
  char rests[512] = "";
  size_t o = 0;
  for (const char *line = text; *line;) {
    const char *nl = strchr(line, '\n');
    if (!nl || !is_timestamp(line) || line[30] != ' ') return 0;
    o += snprintf(rests + o, sizeof rests - o, "%s%.*s", o ? "|" : "", (int)(nl - line - 31),
                  line + 31);
    line = nl + 1;
  }
  return !strcmp(rests, want);
}

/* Logs one chunk into a fresh file and returns what the file holds. */
static const char *log_once(const char *dir, const char *stream, const char *chunk, int *r) {
  static char buf[1024];
  char path[300];
  snprintf(path, sizeof path, "%s/log", dir);
  unlink(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  *r = log_chunk(fd, stream, (const unsigned char *)chunk, strlen(chunk));
  close(fd);
  if (tap_read_file(path, buf, sizeof buf) < 0) buf[0] = 0;
  return buf;
}

int main(void) {
  const char *dir = tap_tmpdir();
  char ts[64];
  int r;
  format_time(ts, sizeof ts);
  ok(strlen(ts) == 30 && is_timestamp(ts), "time is RFC 3339 with nanoseconds, in UTC");

  const char *text = log_once(dir, "stdout", "one\ntwo\n", &r);
  ok(r == 0 && lines_are(text, "stdout F one|stdout F two"), "a line per newline, marked F");
  text = log_once(dir, "stderr", "a\nrest", &r);
  ok(r == 0 && lines_are(text, "stderr F a|stderr P rest"), "a trailing partial line is marked P");
  text = log_once(dir, "stdout", "\n", &r);
  ok(r == 0 && lines_are(text, "stdout F "), "an empty line is still a line");
  text = log_once(dir, "stdout", "tab\there \\ \"q\"\n", &r);
  ok(r == 0 && lines_are(text, "stdout F tab\there \\ \"q\""), "text is written as it came");
  text = log_once(dir, "stdout", "", &r);
  ok(r == 0 && text[0] == 0, "an empty chunk writes nothing");

  ok(log_chunk(-1, "stdout", (const unsigned char *)"x\n", 2) == 0, "no log file: nothing to do");
  char path[300];
  snprintf(path, sizeof path, "%s/log", dir);
  int ro = open(path, O_RDONLY | O_CLOEXEC);
  ok(log_chunk(ro, "stdout", (const unsigned char *)"x\ny\n", 4) == -EBADF,
     "a failed write is returned, not printed");
  close(ro);
  unlink(path);
  rmdir(dir);
  return tap_done();
}
