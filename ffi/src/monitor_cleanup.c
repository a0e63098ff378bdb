/* The monitor's own clean-up after the container's last exit (what `skiff container
 * cleanup` did in a second process): remove the container's cgroups once its processes are
 * reaped, and for --rm remove its directories, never following symlinks nor crossing mounts.
 * Runs after the exit records are written, so a failure here never loses the exit code. */
#include "monitor_cleanup.h"

#include "monitor_log.h"
#include "monitor_userns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RMDIR_TRIES 150 /* 10 ms apart: the kernel frees a cgroup shortly after its last task */

/* Reaps whatever was reparented to us (we are a subreaper); nothing else is waited for now. */
static void reap_leftovers(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

/* SIGKILLs every process listed in dir/cgroup.procs (cgroup.kill first where the kernel has
 * it). Best effort: a process may exit between the read and the kill. */
static void kill_cgroup(const char *dir) {
  char file[4200], buf[1024];
  snprintf(file, sizeof file, "%s/cgroup.kill", dir);
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (write(fd, "1", 1) < 0) { /* not supported: fall back to the list */
    }
    close(fd);
  }
  snprintf(file, sizeof file, "%s/cgroup.procs", dir);
  if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) return;
  long pid = 0;
  int digits = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] >= '0' && buf[i] <= '9') {
        pid = pid * 10 + (buf[i] - '0');
        digits++;
      } else {
        if (digits && pid > 1) kill((pid_t)pid, SIGKILL);
        pid = digits = 0;
      }
    }
  }
  if (digits && pid > 1) kill((pid_t)pid, SIGKILL);
  close(fd);
}

int monitor_remove_cgroups(struct monitor *m, struct skiff_err *err) {
  const struct skiff_plan *p = m->plan;
  int r = 0;
  for (size_t i = 0; i < p->ncgroups; i++) {
    const char *dir = p->cgroups[i];
    for (int attempt = 0;; attempt++) {
      if (rmdir(dir) == 0 || errno == ENOENT) break;
      if (errno != EBUSY || attempt >= RMDIR_TRIES) {
        if (r == 0) r = skiff_error(err, errno, "remove cgroup %s", dir);
        break;
      }
      if (attempt % 10 == 0) kill_cgroup(dir);
      reap_leftovers();
      sleep_ms(10);
    }
  }
  return r;
}

/* Appends "/name" to the path kept for messages; returns the old length to restore. */
static size_t path_push(char *path, size_t size, const char *name) {
  size_t len = strlen(path);
  snprintf(path + len, size - len, "/%s", name);
  return len;
}

/* Removes the entry name of the directory dirfd (dev: the device of the tree's top, not
 * crossed). path names the entry in messages. */
static int remove_at(int dirfd, const char *name, dev_t dev, char *path, size_t size,
                     struct skiff_err *err) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : skiff_error(err, errno, "stat %s", path);
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
      return skiff_error(err, errno, "remove %s", path);
    return 0;
  }
  if (st.st_dev != dev) return skiff_error(err, EBUSY, "remove %s: a mount point", path);
  /* a directory without owner permissions (overlay's work/work is 000) is opened up first */
  if ((st.st_mode & 0700) != 0700 && fchmodat(dirfd, name, (st.st_mode & 07777) | 0700, 0) < 0)
    return skiff_error(err, errno, "chmod %s", path);
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : skiff_error(err, errno, "open %s", path);
  DIR *d = fdopendir(fd);
  if (!d) {
    int e = errno;
    close(fd);
    return skiff_error(err, e, "read %s", path);
  }
  int r = 0;
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(d);
    if (!de) {
      if (errno) r = skiff_error(err, errno, "read %s", path);
      break;
    }
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    size_t len = path_push(path, size, de->d_name);
    r = remove_at(fd, de->d_name, dev, path, size, err);
    path[len] = 0;
    if (r < 0) break;
  }
  closedir(d);
  if (r < 0) return r;
  if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return skiff_error(err, errno, "remove %s", path);
  return 0;
}

int remove_tree(const char *target, struct skiff_err *err) {
  char path[4096], parent[4096];
  if (snprintf(path, sizeof path, "%s", target) >= (int)sizeof path)
    return skiff_error(err, ENAMETOOLONG, "remove %s", target);
  const char *slash = strrchr(target, '/');
  if (target[0] != '/' || !slash || !slash[1] || !strcmp(slash + 1, "..") ||
      !strcmp(slash + 1, "."))
    return skiff_error(err, EINVAL, "remove %s: expected an absolute path to a directory", target);
  snprintf(parent, sizeof parent, "%.*s", (int)(slash - target), target);
  int dirfd = open(parent[0] ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return errno == ENOENT ? 0 : skiff_error(err, errno, "open %s", parent);
  struct stat st;
  int r = 0;
  if (fstatat(dirfd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
    r = errno == ENOENT ? 0 : skiff_error(err, errno, "stat %s", target);
  else
    r = remove_at(dirfd, slash + 1, st.st_dev, path, sizeof path, err);
  close(dirfd);
  return r;
}

/* Holds an exclusive flock on path (created when missing), recording who holds it as
 * src/store/lock.ts does; returns the fd or -errno. */
static int take_lock(const char *path, struct skiff_err *err) {
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return skiff_error(err, errno, "open lock %s", path);
  while (flock(fd, LOCK_EX) < 0) {
    if (errno == EINTR) continue;
    int e = errno;
    close(fd);
    return skiff_error(err, e, "lock %s", path);
  }
  char line[128], ts[64];
  format_time(ts, sizeof ts);
  int n = snprintf(line, sizeof line, "%d %s\n", (int)getpid(), ts);
  if (ftruncate(fd, 0) == 0 && pwrite(fd, line, n, 0) < 0) { /* who holds it is a hint only */
  }
  return fd;
}

/* Removes a small file only if it holds exactly `want` (a name reservation that may have
 * been handed to another container since). */
static int remove_if_content(const char *path, const char *want, struct skiff_err *err) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : skiff_error(err, errno, "open %s", path);
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  int e = errno;
  close(fd);
  if (n < 0) return skiff_error(err, e, "read %s", path);
  buf[n] = '\0';
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = '\0';
  if (strcmp(buf, want) != 0) return 0;
  if (unlink(path) < 0 && errno != ENOENT) return skiff_error(err, errno, "remove %s", path);
  return 0;
}

/* One removal of the plan, under its lock when it names one. */
static int run_removal(const struct skiff_removal *rm, struct skiff_err *err) {
  int lock = -1;
  if (rm->lock && (lock = take_lock(rm->lock, err)) < 0) return lock;
  int r = rm->if_content ? remove_if_content(rm->path, rm->if_content, err)
                         : remove_tree(rm->path, err);
  if (lock >= 0) close(lock); /* closing releases the flock */
  return r;
}

/* Every removal of the plan; the first error is kept, the others still run. */
static int run_removals(void *plan, struct skiff_err *err) {
  const struct skiff_plan *p = plan;
  int r = 0;
  for (size_t i = 0; i < p->nremovals; i++) {
    struct skiff_err e = {0};
    if (run_removal(&p->removals[i], &e) < 0 && r == 0) {
      *err = e;
      r = -1;
    }
  }
  return r;
}

int monitor_exit_actions(struct monitor *m, struct skiff_err *err) {
  const struct skiff_plan *p = m->plan;
  int r = 0;
  struct skiff_err e = {0};
  /* in the monitor itself: an umount process per container end costs more than the rest */
  for (char **ns = p->netns_release; ns && *ns; ns++) {
    memset(&e, 0, sizeof e);
    if (skiff_netns_remove(*ns, &e) < 0 && r == 0) {
      *err = e;
      r = -1;
    }
  }
  memset(&e, 0, sizeof e);
  if (p->remove_cgroups && monitor_remove_cgroups(m, &e) < 0 && r == 0) {
    *err = e;
    r = -1;
  }
  memset(&e, 0, sizeof e);
  /* rootless, the container's files belong to its ids: removed as root of its mapping */
  if (p->nremovals && geteuid() != 0 && p->ns_new[SKIFF_NS_USER]) {
    if (monitor_userns_run(p->uidmaps, p->nuidmaps, p->gidmaps, p->ngidmaps, run_removals,
                           (void *)p, &e) < 0 && r == 0) {
      *err = e;
      r = -1;
    }
  } else if (run_removals((void *)p, &e) < 0 && r == 0) {
    *err = e;
    r = -1;
  }
  return r;
}
