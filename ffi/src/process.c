/* The last steps of a container or exec process: limits, credentials, capabilities,
 * no_new_privs, seccomp, working directory, then exec with a PATH lookup in the container. */
#include "skiff.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const char *go_error(int e) {
  switch (e) {
  case ENOENT: return "no such file or directory";
  case EACCES: return "permission denied";
  case ENOEXEC: return "exec format error";
  case ENOTDIR: return "not a directory";
  case ELOOP: return "too many levels of symbolic links";
  default: return strerror(e);
  }
}

static int exec_error(struct skiff_err *err, int code, const char *fmt, const char *a,
                      const char *b) {
  skiff_error(err, 0, fmt, a, b);
  err->code = code;
  err->exit_code = code == ENOENT ? 127 : 126;
  return -code;
}

static int executable(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return -errno;
  if (S_ISDIR(st.st_mode)) return -EISDIR;
  if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0) return -EACCES;
  return 0;
}

int skiff_lookup_exec(const struct skiff_process *proc, char *out, size_t size,
                      struct skiff_err *err) {
  const char *name = proc->args[0];
  if (!name[0]) return exec_error(err, ENOENT, "exec: \"%s\": %s", name, "empty command");
  if (strchr(name, '/')) {
    int r = executable(name);
    if (r == -ENOENT) return exec_error(err, ENOENT, "exec: \"%s\": stat %s: no such file or directory", name, name);
    if (r == -EISDIR) return exec_error(err, EACCES, "exec: \"%s\": %s", name, "is a directory");
    if (r < 0) return exec_error(err, -r, "exec: \"%s\": %s", name, go_error(-r));
    if (strlen(name) >= size) return exec_error(err, ENAMETOOLONG, "exec: \"%s\": %s", name, "name too long");
    strcpy(out, name);
    return 0;
  }
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (char **e = proc->env; *e; e++)
    if (!strncmp(*e, "PATH=", 5)) path = *e + 5;
  int denied = 0;
  for (const char *p = path;;) {
    const char *colon = strchr(p, ':');
    size_t len = colon ? (size_t)(colon - p) : strlen(p);
    int n = len ? snprintf(out, size, "%.*s/%s", (int)len, p, name) : snprintf(out, size, "./%s", name);
    if (n > 0 && (size_t)n < size) {
      int r = executable(out);
      if (r == 0) return 0;
      if (r == -EACCES) denied = 1;
    }
    if (!colon) break;
    p = colon + 1;
  }
  (void)denied; /* Go's LookPath reports "not found" even when a match was not executable */
  return exec_error(err, ENOENT, "exec: \"%s\": %s", name, "executable file not found in $PATH");
}

/* Writes oom_score_adj. A process that is not dumpable (a monitor child or exec helper, see
 * monitor_launch.c) finds its /proc/self files owned by the host's root, which a user
 * namespace's root is not: for that one write it is dumpable again. */
static int write_oom_score_adj(int value, struct skiff_err *err) {
  char v[16];
  snprintf(v, sizeof v, "%d", value);
  struct skiff_err first = {0};
  if (skiff_write_file("/proc/self/oom_score_adj", v, &first) == 0) return 0;
  if (first.code != EACCES || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0 ||
      prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) {
    *err = first;
    return -1;
  }
  int r = skiff_write_file("/proc/self/oom_score_adj", v, err);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return r;
}

/* Enters the working directory (the CVE-2024-21626 class): it is opened inside the root with
 * the kernel refusing every step out of it and every magic link (/proc/self/fd/N, /proc/N/cwd
 * of a process holding a host directory), and entered by that descriptor, so nothing can be
 * swapped in between; then the kernel's own view of the cwd must be inside our root. */
static int enter_cwd(const char *cwd, struct skiff_err *err) {
  static const char failed[] = "chdir to cwd (\"%s\") set in config.json failed";
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char *rel = cwd;
  while (*rel == '/') rel++;
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd;
  if (root < 0) return skiff_error(err, errno, failed, cwd);
  do {
    fd = (int)syscall(SYS_openat2, root, *rel ? rel : ".", &how, sizeof how);
  } while (fd < 0 && errno == EAGAIN);
  int e = errno;
  close(root);
  if (fd < 0) return skiff_error(err, e, failed, cwd);
  int r = fchdir(fd);
  e = errno;
  close(fd);
  if (r < 0) return skiff_error(err, e, failed, cwd);
  /* the raw call: the kernel says "(unreachable)" for a directory outside our root */
  char buf[4096];
  long n = syscall(SYS_getcwd, buf, sizeof buf);
  if (n <= 0 || buf[0] != '/')
    return skiff_error(err, n < 0 ? errno : EXDEV, "working directory %s is outside the root", cwd);
  return 0;
}

/* Whether this user namespace has setgroups(2) denied ("deny" in /proc/self/setgroups). */
static int setgroups_denied(void) {
  char buf[16] = {0};
  int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n >= 4 && !strncmp(buf, "deny", 4);
}

int skiff_process_prepare(const struct skiff_process *proc, struct skiff_err *err) {
  for (size_t i = 0; i < proc->nrlimits; i++) {
    struct rlimit rl = {proc->rlimits[i].soft, proc->rlimits[i].hard};
    if (setrlimit(proc->rlimits[i].resource, &rl) < 0)
      return skiff_error(err, errno, "setrlimit %d", proc->rlimits[i].resource);
  }
  if (proc->has_oom_score_adj) {
    int r = write_oom_score_adj(proc->oom_score_adj, err);
    if (r < 0) return r;
  }
  /* Without no_new_privs, installing a filter needs CAP_SYS_ADMIN: do it while we have it
   * (as runc does); with no_new_privs, as late as possible. */
  if (proc->seccomp.enabled && !proc->no_new_privs) {
    int r = skiff_seccomp_install(&proc->seccomp, err);
    if (r < 0) return r;
  }
  /* the bounding set needs CAP_SETPCAP, which a non-root user no longer has after setuid */
  int r = skiff_caps_bounding(proc->caps, err);
  if (r < 0) return r;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return skiff_error(err, errno, "keep capabilities");
  /* a rootless user namespace of one id has setgroups denied: the groups stay as they are */
  if (setgroups(proc->ngids, proc->gids) < 0 &&
      !(errno == EPERM && (proc->ngids == 0 || setgroups_denied())))
    return skiff_error(err, errno, "setgroups");
  if (setresgid(proc->gid, proc->gid, proc->gid) < 0)
    return skiff_error(err, errno, "setgid %u", proc->gid);
  if (setresuid(proc->uid, proc->uid, proc->uid) < 0)
    return skiff_error(err, errno, "setuid %u", proc->uid);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return skiff_error(err, errno, "keep capabilities");
  r = skiff_caps_apply(proc->caps, err);
  if (r < 0) return r;
  if (proc->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return skiff_error(err, errno, "set no_new_privs");
  if ((r = enter_cwd(proc->cwd, err)) < 0) return r;
  if (proc->seccomp.enabled && proc->no_new_privs) {
    r = skiff_seccomp_install(&proc->seccomp, err);
    if (r < 0) return r;
  }
  return 0;
}

int skiff_process_exec(const struct skiff_process *proc, const char *path, struct skiff_err *err) {
  /* every fd above 2 goes away on exec, including the one reporting our errors */
  if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    for (int fd = 3; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  execve(path, proc->args, proc->env);
  int e = errno;
  return exec_error(err, e, "exec: \"%s\": %s", proc->args[0], go_error(e));
}
