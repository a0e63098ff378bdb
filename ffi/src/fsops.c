/* File operations for layer unpacking and export that never follow a final symlink. */
#include "skiff.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

int skiff_lchown(const char *path, int64_t uid, int64_t gid) {
  return lchown(path, (uid_t)uid, (gid_t)gid) < 0 ? -errno : 0;
}

int skiff_mknod(const char *path, uint32_t mode, uint32_t major, uint32_t minor) {
  return mknod(path, (mode_t)mode, makedev(major, minor)) < 0 ? -errno : 0;
}

int skiff_lsetxattr(const char *path, const char *name, const void *value, uint32_t size) {
  return lsetxattr(path, name, value, size, 0) < 0 ? -errno : 0;
}

int64_t skiff_lgetxattr(const char *path, const char *name, void *buf, uint32_t size) {
  ssize_t n = lgetxattr(path, name, buf, size);
  return n < 0 ? -errno : n;
}

int64_t skiff_llistxattr(const char *path, char *buf, uint32_t size) {
  ssize_t n = llistxattr(path, buf, size);
  return n < 0 ? -errno : n;
}

int skiff_lutimes(const char *path, int64_t atime_sec, int64_t atime_nsec, int64_t mtime_sec,
                  int64_t mtime_nsec) {
  struct timespec ts[2] = {{atime_sec, atime_nsec}, {mtime_sec, mtime_nsec}};
  return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}
