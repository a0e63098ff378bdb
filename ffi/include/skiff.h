/* skiff's C library: the system calls Deno has no API for.
 * Convention (after crun): a function that can fail returns a negative
 * value, -errno, and never prints; callers add context. */
#ifndef SKIFF_H
#define SKIFF_H
#include <stdint.h>
#include <sys/types.h>

/* fsops.c: file operations that must not follow symlinks */
int skiff_lchown(const char *path, int64_t uid, int64_t gid);
int skiff_mknod(const char *path, uint32_t mode, uint32_t major, uint32_t minor);
int skiff_lsetxattr(const char *path, const char *name, const void *value, uint32_t size);
int64_t skiff_lgetxattr(const char *path, const char *name, void *buf, uint32_t size);
int64_t skiff_llistxattr(const char *path, char *buf, uint32_t size);
int skiff_lutimes(const char *path, int64_t atime_sec, int64_t atime_nsec, int64_t mtime_sec,
                  int64_t mtime_nsec);

#endif
