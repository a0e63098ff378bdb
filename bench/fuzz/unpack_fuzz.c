/* libFuzzer harness for the layer extractor (ffi/src/unpack.c, unpack_fs.c).
 *
 * Each input is a (decompressed) layer tar. It is unpacked into a fresh directory
 * WORK/root, fed in chunks of varying sizes so that every header and data boundary of the push
 * parser is crossed, with the owner, id-map and xattr options chosen from the input's length.
 * After each input the harness checks what a hostile layer must never achieve, and aborts
 * (a crash libFuzzer reports) when it did:
 *   - nothing appeared, changed or disappeared beside the root: WORK holds exactly "root" and
 *     the canary directory, and the canary holds exactly its one file, unchanged;
 *   - no file descriptor is left open;
 *   - a failed unpack has an error message.
 * Then the root is removed (never following symlinks) for the next input. */
#include "skiff.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char work[64], root[96], canary[96];
static const char CANARY_TEXT[] = "the canary: nothing may change it\n";

static void die(const char *what) {
  fprintf(stderr, "unpack_fuzz: %s: %s\n", what, strerror(errno));
  abort();
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  int r = flag == FTW_DP ? rmdir(path) : unlink(path);
  if (r < 0) {
    fprintf(stderr, "unpack_fuzz: remove %s: %s\n", path, strerror(errno));
    abort();
  }
  return 0;
}

static void remove_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0 && errno == ENOENT) return;
  /* A layer may leave directories without any permission: root reads them anyway. */
  if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0) die("nftw");
}

static void remove_work(void) {
  remove_tree(work);
}

static int lowest_free_fd(void) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open /dev/null");
  close(fd);
  return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *tmp = getenv("FUZZ_TMPDIR");
  snprintf(work, sizeof work, "%s/skiff-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(work)) die("mkdtemp");
  snprintf(root, sizeof root, "%s/root", work);
  snprintf(canary, sizeof canary, "%s/canary", work);
  if (mkdir(canary, 0755) < 0) die("mkdir canary");
  char path[160];
  snprintf(path, sizeof path, "%s/keep", canary);
  FILE *f = fopen(path, "w");
  if (!f || fputs(CANARY_TEXT, f) < 0 || fclose(f) != 0) die("write canary");
  atexit(remove_work);
  return 0;
}

/* The names in dir, sorted and joined by '/', into out. */
static void list_dir(const char *dir, char *out, size_t size) {
  struct dirent **names;
  int n = scandir(dir, &names, NULL, alphasort);
  if (n < 0) die(dir);
  out[0] = 0;
  size_t len = 0;
  for (int i = 0; i < n; i++) {
    if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
      len += (size_t)snprintf(out + len, len < size ? size - len : 0, "%s/", names[i]->d_name);
    free(names[i]);
  }
  free(names);
}

static void check_outside(void) {
  char list[512];
  list_dir(work, list, sizeof list);
  if (strcmp(list, "canary/root/")) {
    fprintf(stderr, "unpack_fuzz: the work directory holds \"%s\", not \"canary/root/\"\n", list);
    abort();
  }
  list_dir(canary, list, sizeof list);
  if (strcmp(list, "keep/")) {
    fprintf(stderr, "unpack_fuzz: the canary directory holds \"%s\", not \"keep/\"\n", list);
    abort();
  }
  char path[160], text[sizeof CANARY_TEXT + 16];
  snprintf(path, sizeof path, "%s/keep", canary);
  struct stat st;
  if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
      (st.st_mode & 07777) != 0644) {
    fprintf(stderr, "unpack_fuzz: the canary file was replaced, linked or changed mode\n");
    abort();
  }
  FILE *f = fopen(path, "re");
  if (!f) die("open canary");
  size_t got = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[got] = 0;
  if (strcmp(text, CANARY_TEXT)) {
    fprintf(stderr, "unpack_fuzz: the canary file's content changed\n");
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd_floor = lowest_free_fd();
  if (mkdir(root, 0755) < 0) die("mkdir root");
  /* Options from the length, so that the tar bytes stay what the seeds are. */
  uint32_t flags = (size & 1 ? 0 : SKIFF_UNPACK_CHOWN) | (size & 2 ? SKIFF_UNPACK_USER_XATTR : 0);
  struct skiff_unpack *u;
  int rc = skiff_unpack_new(root, flags, &u);
  if (rc < 0) {
    errno = -rc;
    die("skiff_unpack_new");
  }
  if ((size & 4) && (flags & SKIFF_UNPACK_CHOWN)) {
    const uint32_t map[] = {0, 100000, 1000, 1000, 200000, 64536};
    if (skiff_unpack_set_idmap(u, 0, map, 2) < 0 || skiff_unpack_set_idmap(u, 1, map, 1) < 0)
      die("skiff_unpack_set_idmap");
  }
  /* Chunk sizes from a small generator seeded by the length: 1 byte to a few blocks. */
  uint32_t seed = (uint32_t)size * 2654435761u + 1;
  size_t off = 0;
  while (rc == 0 && off < size) {
    seed = seed * 1103515245u + 12345u;
    size_t chunk = 1 + (seed >> 8) % 1500;
    if (chunk > size - off) chunk = size - off;
    rc = skiff_unpack_feed(u, data + off, chunk);
    off += chunk;
  }
  if (rc == 0) rc = skiff_unpack_finish(u);
  if (rc < 0) {
    /* Errors are sticky: the same code again, and a message that says what went wrong. */
    if (skiff_unpack_feed(u, "x", 1) != rc || skiff_unpack_finish(u) != rc) {
      fprintf(stderr, "unpack_fuzz: an error was not sticky\n");
      abort();
    }
    char msg[8192];
    int n = skiff_unpack_error(u, msg, sizeof msg);
    size_t elen = strnlen(msg, sizeof msg);
    if (n <= 0 || elen + 1 >= sizeof msg || msg[elen + 1] == 0) {
      fprintf(stderr, "unpack_fuzz: failed (%d) without a message\n", rc);
      abort();
    }
    char small[7];
    skiff_unpack_error(u, small, sizeof small); /* truncation must stay in bounds */
  }
  skiff_unpack_free(u);
  check_outside();
  int fd = lowest_free_fd();
  if (fd != fd_floor) {
    fprintf(stderr, "unpack_fuzz: descriptor %d was left open\n", fd_floor);
    abort();
  }
  remove_tree(root);
  return 0;
}
