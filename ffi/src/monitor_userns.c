/* User namespace id maps: written directly where the kernel lets us, else by newuidmap and
 * newgidmap; and `skiff-monitor unshare`, a command run as root of a new user namespace. */
#include "monitor_userns.h"

#include "monitor_hook.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Whether maps is the one line "C ID 1": only the caller's own id, mapped anywhere inside. */
static int only_own(char **maps, size_t n, unsigned id) {
  unsigned c, h, s;
  char extra;
  return n == 1 && sscanf(maps[0], "%u %u %u %c", &c, &h, &s, &extra) == 3 && h == id && s == 1;
}

static int write_direct(pid_t pid, const char *name, char **maps, size_t n,
                        struct skiff_err *err) {
  char data[4096], file[64];
  size_t len = 0;
  for (size_t i = 0; i < n && len < sizeof data; i++)
    len += snprintf(data + len, sizeof data - len, "%s\n", maps[i]);
  if (len >= sizeof data) return skiff_error(err, E2BIG, "%s: too many ranges", name);
  snprintf(file, sizeof file, "/proc/%d/%s", (int)pid, name);
  return skiff_write_file(file, data, err);
}

/* Runs newuidmap or newgidmap for pid with the maps, its stderr kept for the error. */
static int run_helper(const char *tool, pid_t pid, char **maps, size_t n, struct skiff_err *err) {
  size_t argc = 0, cap = 3 + 3 * n;
  char **argv = calloc(cap, sizeof *argv), pidstr[32], *words = NULL;
  if (!argv) return skiff_error(err, ENOMEM, "%s", tool);
  size_t total = 0;
  for (size_t i = 0; i < n; i++) total += strlen(maps[i]) + 1;
  if (!(words = malloc(total + 1))) {
    free(argv);
    return skiff_error(err, ENOMEM, "%s", tool);
  }
  snprintf(pidstr, sizeof pidstr, "%d", (int)pid);
  argv[argc++] = (char *)tool;
  argv[argc++] = pidstr;
  char *w = words;
  for (size_t i = 0; i < n; i++) {
    strcpy(w, maps[i]);
    for (char *t = strtok(w, " "); t && argc < cap - 1; t = strtok(NULL, " ")) argv[argc++] = t;
    w += strlen(maps[i]) + 1;
  }
  int out[2];
  if (pipe2(out, O_CLOEXEC) < 0) {
    free(argv), free(words);
    return skiff_error(err, errno, "%s", tool);
  }
  pid_t child = fork();
  if (child == 0) {
    monitor_reset_signals();
    dup2(out[1], 2);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) dup2(null, 0), dup2(null, 1);
    char path[64];
    const char *dirs[] = {"/usr/bin/", "/bin/", "/usr/sbin/", "/usr/local/bin/"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
      snprintf(path, sizeof path, "%s%s", dirs[i], tool);
      execv(path, argv);
    }
    _exit(127);
  }
  int e = errno;
  close(out[1]);
  free(argv), free(words);
  if (child < 0) {
    close(out[0]);
    return skiff_error(err, e, "fork for %s", tool);
  }
  char msg[512];
  size_t got = 0;
  ssize_t r;
  while (got < sizeof msg - 1 && ((r = read(out[0], msg + got, sizeof msg - 1 - got)) > 0 ||
                                  (r < 0 && errno == EINTR)))
    if (r > 0) got += (size_t)r;
  close(out[0]);
  msg[got] = 0;
  char *nl = strchr(msg, '\n');
  if (nl) *nl = 0;
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return skiff_error(err, errno, "wait for %s", tool);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return skiff_error(err, ENOENT, "%s not found: install Debian's uidmap package", tool);
  return skiff_error(err, 0, "%s refused the mapping: %s", tool, got ? msg : "no reason given");
}

int monitor_write_maps(pid_t pid, char **uidmaps, size_t nuid, char **gidmaps, size_t ngid,
                       struct skiff_err *err) {
  int r;
  if (geteuid() == 0 || (only_own(uidmaps, nuid, geteuid()) && only_own(gidmaps, ngid, getegid()))) {
    if (nuid && (r = write_direct(pid, "uid_map", uidmaps, nuid, err)) < 0) return r;
    if (ngid && geteuid() != 0) {
      char file[64];
      snprintf(file, sizeof file, "/proc/%d/setgroups", (int)pid);
      if ((r = skiff_write_file(file, "deny", err)) < 0) return r;
    }
    if (ngid && (r = write_direct(pid, "gid_map", gidmaps, ngid, err)) < 0) return r;
    return 0;
  }
  if (nuid && (r = run_helper("newuidmap", pid, uidmaps, nuid, err)) < 0) return r;
  if (ngid && (r = run_helper("newgidmap", pid, gidmaps, ngid, err)) < 0) return r;
  return 0;
}

int monitor_userns_run(char **uidmaps, size_t nuid, char **gidmaps, size_t ngid,
                       int (*fn)(void *arg, struct skiff_err *err), void *arg,
                       struct skiff_err *err) {
  int go[2], rep[2];
  if (pipe2(go, O_CLOEXEC) < 0) return skiff_error(err, errno, "create a user namespace");
  if (pipe2(rep, O_CLOEXEC) < 0) {
    close(go[0]), close(go[1]);
    return skiff_error(err, errno, "create a user namespace");
  }
  pid_t child = fork();
  if (child == 0) {
    struct skiff_err e = {0};
    char c = 0;
    int r;
    close(go[1]);
    close(rep[0]);
    if (unshare(CLONE_NEWUSER) < 0) {
      r = skiff_error(&e, errno, "create a user namespace");
    } else if (write(rep[1], "u", 1) != 1 || read(go[0], &c, 1) != 1 || c != 'g') {
      _exit(1); /* the monitor reports why */
    } else if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
      r = skiff_error(&e, errno, "become root of the user namespace");
    } else {
      r = fn(arg, &e);
    }
    if (r < 0 && write(rep[1], e.msg, strlen(e.msg)) < 0) _exit(1);
    _exit(r < 0 ? 1 : 0);
  }
  int e = errno, r = 0;
  close(go[0]);
  close(rep[1]);
  if (child < 0) {
    close(go[1]), close(rep[0]);
    return skiff_error(err, e, "fork for a user namespace");
  }
  char msg[sizeof err->msg];
  ssize_t got = read(rep[0], msg, 1);
  if (got == 1 && msg[0] == 'u') {
    r = monitor_write_maps(child, uidmaps, nuid, gidmaps, ngid, err);
    if (write(go[1], r == 0 ? "g" : "x", 1) != 1 && r == 0) r = skiff_error(err, errno, "release");
    got = 0;
  }
  close(go[1]);
  ssize_t n;
  while (got >= 0 && (size_t)got < sizeof msg - 1 &&
         ((n = read(rep[0], msg + got, sizeof msg - 1 - got)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0) got += n;
  close(rep[0]);
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return r < 0 ? r : skiff_error(err, errno, "wait for a user namespace");
  if (r < 0) return r;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  msg[got > 0 ? got : 0] = 0;
  return skiff_error(err, 0, "%s", got > 0 ? msg : "the user namespace's process failed");
}

/* Splits "a,b,c" in place into at most max lines. */
static size_t split_maps(char *s, char **out, size_t max) {
  size_t n = 0;
  for (char *t = strtok(s, ","); t && n < max; t = strtok(NULL, ",")) out[n++] = t;
  return n;
}

int monitor_cmd_unshare(int argc, char **argv) {
  struct skiff_err err = {0};
  char *uid[64], *gid[64];
  if (argc < 5) {
    fprintf(stderr, "Usage: skiff-monitor unshare UIDMAP GIDMAP CMD...\n");
    return 125;
  }
  size_t nu = split_maps(argv[2], uid, 64), ng = split_maps(argv[3], gid, 64);
  /* the maps are written from outside the namespace, by a child made before it exists */
  int go[2], done[2];
  if (pipe2(go, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0) {
    perror("Error: pipe");
    return 125;
  }
  pid_t self = getpid(), child = fork();
  if (child < 0) {
    perror("Error: fork");
    return 125;
  }
  if (child == 0) {
    char c;
    close(go[1]);
    close(done[0]);
    if (read(go[0], &c, 1) != 1) _exit(1);
    int r = monitor_write_maps(self, uid, nu, gid, ng, &err);
    if (r < 0) {
      if (write(done[1], err.msg, strlen(err.msg)) < 0) _exit(1);
      _exit(1);
    }
    _exit(0);
  }
  close(go[0]);
  close(done[1]);
  int unshared = unshare(CLONE_NEWUSER | CLONE_NEWNS);
  int e = errno;
  if (write(go[1], "g", 1) != 1) e = errno;
  close(go[1]);
  char msg[600];
  ssize_t got = read(done[0], msg, sizeof msg - 1);
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (unshared < 0) {
    fprintf(stderr, "Error: create a user namespace: %s\n", strerror(e));
    return 125;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    msg[got > 0 ? got : 0] = 0;
    fprintf(stderr, "Error: %s\n", got > 0 ? msg : "could not write the id maps");
    return 125;
  }
  if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
    perror("Error: become root of the user namespace");
    return 125;
  }
  execvp(argv[4], argv + 4);
  fprintf(stderr, "Error: %s: %s\n", argv[4], strerror(errno));
  return errno == ENOENT ? 127 : 126;
}
