/* Regression tests for the layer extractor (unpack.c, unpack_fs.c), one per crash the fuzzer
 * (bench/fuzz/unpack_fuzz.c) found; the crashing inputs themselves are in
 * bench/fuzz/corpus/unpack/regression-*. `make -C ffi test` builds it with AddressSanitizer,
 * so that a memory error fails the run; each test also checks what the user sees in the
 * unpacked directory. Prints "ok N - name" lines and exits non-zero when one failed. */
#include "skiff.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A tar built in memory, 512-byte blocks. */
struct tar {
  unsigned char buf[64 * 512];
  size_t len;
};

/* Appends a header (GNU magic when gnu, else ustar) and data padded to a block. */
static void add(struct tar *t, const char *name, char type, const char *data, size_t size,
                int gnu) {
  unsigned char *h = t->buf + t->len;
  memset(h, 0, 512);
  memcpy(h, name, strnlen(name, 100));
  snprintf((char *)h + 100, 8, "%07o", 0644);
  snprintf((char *)h + 108, 8, "%07o", 0);
  snprintf((char *)h + 116, 8, "%07o", 0);
  snprintf((char *)h + 124, 12, "%011zo", size);
  snprintf((char *)h + 136, 12, "%011o", 0);
  h[156] = (unsigned char)type;
  memcpy(h + 257, gnu ? "ustar  " : "ustar\0" "00", 8);
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (int i = 0; i < 512; i++) sum += h[i];
  snprintf((char *)h + 148, 8, "%06o", sum);
  t->len += 512;
  memcpy(t->buf + t->len, data, size);
  t->len += (size + 511) / 512 * 512;
}

static void end(struct tar *t) {
  memset(t->buf + t->len, 0, 1024);
  t->len += 1024;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Unpacks t into a new temporary directory (its path in dir), chunk bytes at a time. */
static int unpack(const struct tar *t, size_t chunk, char *dir, char *msg, size_t msgsize) {
  strcpy(dir, "/tmp/skiff-unpack-regress-XXXXXX");
  if (!mkdtemp(dir)) return -errno;
  struct skiff_unpack *u;
  int rc = skiff_unpack_new(dir, 0, &u);
  if (rc < 0) return rc;
  for (size_t off = 0; rc == 0 && off < t->len; off += chunk)
    rc = skiff_unpack_feed(u, t->buf + off, t->len - off < chunk ? t->len - off : chunk);
  if (rc == 0) rc = skiff_unpack_finish(u);
  msg[0] = 0;
  if (rc < 0) skiff_unpack_error(u, msg, (uint32_t)msgsize);
  skiff_unpack_free(u);
  return rc;
}

static void cleanup(const char *dir) {
  nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The fuzzer's first crash (regression-gnu-long-name-uaf.tar): an entry named by a GNU long
 * name ('L') read the freed long name to decide whether a type '0' entry ending in "/" is a
 * directory (heap use after free in up_header). */
static void test_gnu_long_name(void) {
  char longdir[200], longfile[200], path[300], dir[64], msg[512];
  memset(longdir, 'd', 150);
  strcpy(longdir + 150, "/");
  memset(longfile, 'f', 150);
  strcpy(longfile + 150, ".txt");
  for (size_t chunk = 1; chunk <= 4096; chunk *= 8) {
    struct tar t = {.len = 0};
    /* an old-style directory: type '0' whose long name ends in "/" */
    add(&t, "././@LongLink", 'L', longdir, strlen(longdir) + 1, 1);
    add(&t, "ddd/", '0', "", 0, 1);
    add(&t, "././@LongLink", 'L', longfile, strlen(longfile) + 1, 1);
    add(&t, "fff", '0', "content\n", 8, 1);
    end(&t);
    int rc = unpack(&t, chunk, dir, msg, sizeof msg);
    char name[96];
    snprintf(name, sizeof name, "GNU long names unpack (chunks of %zu bytes)", chunk);
    ok(rc == 0, name);
    if (rc < 0) printf("# %d %s\n", rc, msg + strlen(msg) + 1);
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, longdir);
    ok(lstat(path, &st) == 0 && S_ISDIR(st.st_mode),
       "a type 0 entry whose GNU long name ends in / is a directory");
    snprintf(path, sizeof path, "%s/%s", dir, longfile);
    char text[16] = {0};
    int fd = open(path, O_RDONLY);
    ok(fd >= 0 && read(fd, text, sizeof text - 1) == 8 && !strcmp(text, "content\n"),
       "a file named by a GNU long name has its content");
    if (fd >= 0) close(fd);
    cleanup(dir);
  }
}

int main(void) {
  test_gnu_long_name();
  return tap_done();
}
