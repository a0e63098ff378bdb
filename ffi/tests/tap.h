/* The C tests' output: "ok N - name" or "not ok N - name" a check, "1..N" at the end; the
 * program exits non-zero when a check failed. Also a scratch directory per test program. */
#ifndef SKIFF_TAP_H
#define SKIFF_TAP_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void ok(int cond, const char *name) {
  printf("%sok %d - %s\n", cond ? "" : "not ", ++tap_n, name);
  if (!cond) tap_failed = 1;
}

/* Prints the plan line; the exit code for main. */
static inline int tap_done(void) {
  printf("1..%d\n", tap_n);
  return tap_failed;
}

/* A new empty directory under $TMPDIR (or /tmp) for this program's files. */
static inline const char *tap_tmpdir(void) {
  static char dir[256];
  const char *base = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/skiff-ctest-XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    exit(2);
  }
  return dir;
}

/* Reads a whole small file into buf (NUL-terminated); its length, or -1. */
static inline long tap_read_file(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "re");
  if (!f) return -1;
  size_t n = fread(buf, 1, size - 1, f);
  fclose(f);
  buf[n] = 0;
  return (long)n;
}

/* Writes a small file; 0 or -1. */
static inline int tap_write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "we");
  if (!f) return -1;
  int r = fputs(text, f) < 0 ? -1 : 0;
  return fclose(f) < 0 ? -1 : r;
}

#endif
