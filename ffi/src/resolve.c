/* resolve.c: opening a path inside a container's root from the host (cp, export),
 * with the kernel keeping every step of the lookup inside that root (openat2
 * RESOLVE_IN_ROOT): absolute symlinks and ".." are taken relative to the root,
 * so no symlink planted in the container can lead to a host file. */
#include "skiff.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int skiff_openat2_in_root(const char *root, const char *path, int flags, int follow) {
  int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return -errno;
  while (*path == '/') path++;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof how);
  } while (fd < 0 && errno == EAGAIN);
  int e = errno;
  close(rootfd);
  return fd < 0 ? -e : fd;
}

/* Opens `path` beneath the directory `dirfd`, following symlinks only while they stay beneath
 * it: an absolute symlink or a ".." that climbs out fails with EXDEV, a magic link with ELOOP. */
int skiff_open_beneath(int dirfd, const char *path, int flags) {
  while (*path == '/') path++;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = (int)syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof how);
  } while (fd < 0 && errno == EAGAIN);
  return fd < 0 ? -errno : fd;
}

int skiff_close_fd(int fd) { return close(fd) < 0 ? -errno : 0; }
