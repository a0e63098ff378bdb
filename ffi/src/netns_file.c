/* netns_file.c: persistent network namespaces held by a file (a bind mount of a namespace, as
 * `ip netns add` and Podman make them), so a container's network can be set up before the
 * container exists and outlive no process by accident. The new namespace is made on the
 * calling thread only for the bind mount; the thread returns to its own at once. */
#include "skiff.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

int skiff_netns_create(const char *path, struct skiff_err *err) {
  int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return skiff_error(err, errno, "create network namespace file %s", path);
  close(fd);
  int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) {
    int e = errno;
    unlink(path);
    return skiff_error(err, e, "open /proc/thread-self/ns/net");
  }
  int r = 0;
  if (unshare(CLONE_NEWNET) < 0) {
    r = skiff_error(err, errno, "create a network namespace");
    close(home);
    unlink(path);
    return r;
  }
  if (mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0)
    r = skiff_error(err, errno, "bind the network namespace to %s", path);
  if (setns(home, CLONE_NEWNET) < 0 && r == 0) {
    /* the thread stays in the new namespace: fail loudly rather than go on there */
    r = skiff_error(err, errno, "return to the caller's network namespace");
  }
  close(home);
  if (r < 0) {
    umount2(path, MNT_DETACH);
    unlink(path);
  }
  return r;
}

int skiff_netns_remove(const char *path, struct skiff_err *err) {
  /* EINVAL: not a mount point (already unmounted); ENOENT: already gone */
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return skiff_error(err, errno, "unmount network namespace file %s", path);
  if (unlink(path) < 0 && errno != ENOENT)
    return skiff_error(err, errno, "remove network namespace file %s", path);
  return 0;
}
