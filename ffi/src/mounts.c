/* The container's root file system, built in the cloned child before exec: the overlay,
 * the plan's mounts (each destination resolved inside the root), devices, /dev links,
 * pivot_root, masked and read-only paths. */
#include "skiff.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int skiff_mount_flag(const char *w, unsigned long *flags, unsigned long *prop, int *bind) {
  static const struct {
    const char *word;
    unsigned long set, clear;
  } words[] = {
      {"defaults", 0, 0},         {"ro", MS_RDONLY, 0},         {"rw", 0, MS_RDONLY},
      {"nosuid", MS_NOSUID, 0},   {"suid", 0, MS_NOSUID},       {"nodev", MS_NODEV, 0},
      {"dev", 0, MS_NODEV},       {"noexec", MS_NOEXEC, 0},     {"exec", 0, MS_NOEXEC},
      {"sync", MS_SYNCHRONOUS, 0}, {"async", 0, MS_SYNCHRONOUS}, {"dirsync", MS_DIRSYNC, 0},
      {"remount", MS_REMOUNT, 0}, {"mand", MS_MANDLOCK, 0},     {"nomand", 0, MS_MANDLOCK},
      {"atime", 0, MS_NOATIME},   {"noatime", MS_NOATIME, 0},   {"diratime", 0, MS_NODIRATIME},
      {"nodiratime", MS_NODIRATIME, 0}, {"relatime", MS_RELATIME, 0},
      {"norelatime", 0, MS_RELATIME},   {"strictatime", MS_STRICTATIME, 0},
  };
  static const struct {
    const char *word;
    unsigned long prop;
  } props[] = {
      {"private", MS_PRIVATE},   {"rprivate", MS_PRIVATE | MS_REC}, {"shared", MS_SHARED},
      {"rshared", MS_SHARED | MS_REC}, {"slave", MS_SLAVE},       {"rslave", MS_SLAVE | MS_REC},
      {"unbindable", MS_UNBINDABLE},   {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  if (!strcmp(w, "bind")) {
    *bind = 1;
    return 1;
  }
  if (!strcmp(w, "rbind")) {
    *bind = 2;
    return 1;
  }
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (!strcmp(w, words[i].word)) {
      *flags = (*flags & ~words[i].clear) | words[i].set;
      return 1;
    }
  for (size_t i = 0; i < sizeof props / sizeof *props; i++)
    if (!strcmp(w, props[i].word)) {
      *prop = props[i].prop;
      return 1;
    }
  return 0;
}

static int openat2_in_root(int rootfd, const char *rel, int flags) {
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  return (int)syscall(SYS_openat2, rootfd, rel[0] ? rel : ".", &how, sizeof how);
}

int skiff_open_in_root(int rootfd, const char *path, int flags, int mkdirs, int last_file,
                       struct skiff_err *err) {
  while (*path == '/') path++;
  int fd = openat2_in_root(rootfd, path, flags);
  if (fd >= 0) return fd;
  if (errno != ENOENT || !mkdirs) return skiff_error(err, errno, "open %s in the root", path);
  /* walk the prefixes, creating what is missing in the already resolved parent */
  char buf[4096];
  if (strlen(path) >= sizeof buf) return skiff_error(err, ENAMETOOLONG, "open %s", path);
  strcpy(buf, path);
  int parent = openat2_in_root(rootfd, "", O_PATH | O_DIRECTORY);
  if (parent < 0) return skiff_error(err, errno, "open the root");
  char *p = buf;
  for (;;) {
    char *slash = strchr(p, '/');
    int last = slash == NULL;
    if (slash) *slash = 0;
    if (*p && strcmp(p, ".")) {
      int next = openat2_in_root(rootfd, buf, last ? flags : O_PATH | O_DIRECTORY);
      if (next < 0 && errno == ENOENT) {
        const char *name = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
        int r;
        if (last && last_file) {
          r = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
          if (r >= 0) close(r);
        } else {
          r = mkdirat(parent, name, 0755);
        }
        if (r < 0 && errno != EEXIST) {
          int e = errno;
          close(parent);
          return skiff_error(err, e, "create %s in the root", buf);
        }
        next = openat2_in_root(rootfd, buf, last ? flags : O_PATH | O_DIRECTORY);
      }
      if (next < 0) {
        int e = errno;
        close(parent);
        return skiff_error(err, e, "open %s in the root", buf);
      }
      close(parent);
      parent = next;
    }
    if (last) break;
    *slash = '/';
    p = slash + 1;
  }
  if (parent == rootfd) return skiff_error(err, EINVAL, "open %s", path);
  return parent;
}

static void fdpath(char *buf, size_t size, int fd) { snprintf(buf, size, "/proc/self/fd/%d", fd); }

int skiff_rootfs_prepare(struct skiff_plan *plan, struct skiff_err *err) {
  skiff_cap_last();
  if (skiff_seccomp_prepare(&plan->proc.seccomp, err) < 0) return -1;
  if (!plan->overlay_data && plan->nlower > 0) {
    size_t cap = 64 + strlen(plan->upperdir ? plan->upperdir : "") +
                 strlen(plan->workdir ? plan->workdir : "");
    for (size_t i = 0; i < plan->nlower; i++) cap += strlen(plan->lowerdirs[i]) + 1;
    char *data = malloc(cap);
    if (!data) return skiff_error(err, ENOMEM, "mount overlay");
    size_t len = sprintf(data, "lowerdir=");
    for (size_t i = 0; i < plan->nlower; i++)
      len += sprintf(data + len, "%s%s", i ? ":" : "", plan->lowerdirs[i]);
    if (plan->upperdir && plan->workdir)
      len += sprintf(data + len, ",upperdir=%s,workdir=%s", plan->upperdir, plan->workdir);
    if (plan->ns_new[SKIFF_NS_USER]) /* trusted.* xattrs are not ours in a user namespace */
      sprintf(data + len, ",userxattr");
    plan->overlay_data = data;
  }
  /* the host's cgroup file systems, for mounts of type "cgroup" */
  plan->ncgfs = 0;
  FILE *f = fopen("/proc/self/mounts", "re");
  if (!f) return skiff_error(err, errno, "open /proc/self/mounts");
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    char src[256], dir[1024], type[64], opts[2048];
    if (sscanf(line, "%255s %1023s %63s %2047s", src, dir, type, opts) != 4) continue;
    int v2 = !strcmp(type, "cgroup2");
    if (!v2 && strcmp(type, "cgroup")) continue;
    if (!strcmp(dir, "/sys/fs/cgroup") && v2) plan->cgroup2_root = 1;
    if (strncmp(dir, "/sys/fs/cgroup/", 15) || strchr(dir + 15, '/') ||
        strlen(dir + 15) >= sizeof plan->cgfs[0].dir || plan->ncgfs == 24)
      continue;
    struct skiff_cgroup_fs *c = &plan->cgfs[plan->ncgfs++];
    snprintf(c->dir, sizeof c->dir, "%.63s", dir + 15);
    c->v2 = v2;
    c->data[0] = 0;
    unsigned long fl = 0, prop = 0;
    int bind = 0;
    size_t len = 0;
    for (char *sv = NULL, *w = strtok_r(opts, ",", &sv); w; w = strtok_r(NULL, ",", &sv)) {
      if (skiff_mount_flag(w, &fl, &prop, &bind) || !strncmp(w, "release_agent=", 14)) continue;
      int k = snprintf(c->data + len, sizeof c->data - len, "%s%s", len ? "," : "", w);
      if (k < 0 || (size_t)k >= sizeof c->data - len) break;
      len += k;
    }
  }
  fclose(f);
  return 0;
}

/* Mounts the cgroup hierarchies the host has, as the container's cgroup namespace sees them. */
static int mount_cgroups(const struct skiff_plan *plan, int rootfd, const struct skiff_mount *m,
                         struct skiff_err *err) {
  char p[64], sub[4200];
  int fd = skiff_open_in_root(rootfd, m->destination, O_PATH | O_DIRECTORY, 1, 0, err);
  if (fd < 0) return fd;
  fdpath(p, sizeof p, fd);
  unsigned long base = m->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY);
  if (plan->cgroup2_root) {
    int r = mount("cgroup2", p, "cgroup2", base, NULL);
    int e = errno;
    close(fd);
    return r < 0 ? skiff_error(err, e, "mount cgroup2 on %s", m->destination) : 0;
  }
  if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0) {
    int e = errno;
    close(fd);
    return skiff_error(err, e, "mount tmpfs on %s", m->destination);
  }
  close(fd);
  int r = 0;
  for (int i = 0; r == 0 && i < plan->ncgfs; i++) {
    const struct skiff_cgroup_fs *c = &plan->cgfs[i];
    snprintf(sub, sizeof sub, "%s/%s", m->destination, c->dir);
    int sfd = skiff_open_in_root(rootfd, sub, O_PATH | O_DIRECTORY, 1, 0, err);
    if (sfd < 0) return sfd;
    fdpath(p, sizeof p, sfd);
    if (mount(c->v2 ? "cgroup2" : "cgroup", p, c->v2 ? "cgroup2" : "cgroup", base,
              c->v2 ? NULL : c->data) < 0)
      r = skiff_error(err, errno, "mount cgroup (%s) on %s", c->v2 ? "cgroup2" : c->data, sub);
    close(sfd);
  }
  if (r < 0) return r;
  if (base & MS_RDONLY) {
    fd = skiff_open_in_root(rootfd, m->destination, O_PATH | O_DIRECTORY, 0, 0, err);
    if (fd < 0) return fd;
    fdpath(p, sizeof p, fd);
    r = mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              NULL);
    int e = errno;
    close(fd);
    if (r < 0) return skiff_error(err, e, "remount %s read-only", m->destination);
  }
  return 0;
}

/* Opens a volume subpath beneath the volume's directory: symlinks planted in the volume are
 * followed only while they stay inside it. Returns the descriptor, or -errno with err set. */
static int open_subpath(const struct skiff_mount *m, struct skiff_err *err) {
  int dir = open(m->source, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return skiff_error(err, errno, "open volume %s", m->source);
  int fd = skiff_open_beneath(dir, m->subpath, O_PATH);
  close(dir);
  if (fd == -EXDEV || fd == -ELOOP)
    return skiff_error(err, 0, "volume subpath %s leads outside the volume", m->subpath);
  if (fd < 0) return skiff_error(err, -fd, "volume subpath %s", m->subpath);
  return fd;
}

static int do_mount(const struct skiff_plan *plan, int rootfd, const struct skiff_mount *m,
                    struct skiff_err *err) {
  char p[64], src[64];
  if (!strcmp(m->type, "cgroup")) return mount_cgroups(plan, rootfd, m, err);
  int is_file = 0, srcfd = -1;
  if (m->bind && m->subpath) {
    /* mounted by descriptor: what was opened beneath the volume is what gets mounted */
    srcfd = open_subpath(m, err);
    if (srcfd < 0) return srcfd;
    struct stat st;
    if (fstat(srcfd, &st) < 0) {
      int e = errno;
      close(srcfd);
      return skiff_error(err, e, "stat volume subpath %s", m->subpath);
    }
    is_file = !S_ISDIR(st.st_mode);
    fdpath(src, sizeof src, srcfd);
  } else if (m->bind) {
    struct stat st;
    if (stat(m->source, &st) < 0) return skiff_error(err, errno, "stat bind source %s", m->source);
    is_file = !S_ISDIR(st.st_mode);
  }
  int fd = skiff_open_in_root(rootfd, m->destination, O_PATH, 1, is_file, err);
  if (fd < 0) {
    if (srcfd >= 0) close(srcfd);
    return fd;
  }
  fdpath(p, sizeof p, fd);
  int r;
  if (m->bind) {
    r = mount(srcfd >= 0 ? src : m->source, p, NULL, MS_BIND | (m->bind == 2 ? MS_REC : 0), NULL);
    if (r < 0 && srcfd >= 0)
      r = skiff_error(err, errno, "bind mount volume subpath %s on %s", m->subpath,
                      m->destination);
    else if (r < 0)
      r = skiff_error(err, errno, "bind mount %s on %s", m->source, m->destination);
    if (srcfd >= 0) close(srcfd);
  } else {
    r = mount(m->source, p, m->type, m->flags & ~MS_REMOUNT, m->data[0] ? m->data : NULL);
    if (r < 0 && errno == EPERM && !strcmp(m->type, "sysfs")) /* no net namespace of our own */
      r = mount("/sys", p, NULL, MS_BIND | MS_REC, NULL);
    if (r < 0) r = skiff_error(err, errno, "mount %s on %s", m->type, m->destination);
  }
  close(fd);
  if (r < 0) return r;
  unsigned long extra = m->flags & ~MS_REMOUNT;
  if ((m->bind && extra) || m->propagation) {
    /* reopen: the path now leads to the new mount, not to the one below it */
    fd = skiff_open_in_root(rootfd, m->destination, O_PATH, 0, 0, err);
    if (fd < 0) return fd;
    fdpath(p, sizeof p, fd);
    if (m->bind && extra && mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | extra, NULL) < 0)
      r = skiff_error(err, errno, "remount %s", m->destination);
    if (r == 0 && m->propagation && mount(NULL, p, NULL, m->propagation, NULL) < 0)
      r = skiff_error(err, errno, "set propagation of %s", m->destination);
    close(fd);
  }
  return r;
}

static int split_parent(int rootfd, const char *path, char *name, size_t size,
                        struct skiff_err *err) {
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (!slash || !slash[1] || strlen(path) >= sizeof dir)
    return skiff_error(err, EINVAL, "bad path %s", path);
  memcpy(dir, path, slash - path);
  dir[slash - path] = 0;
  snprintf(name, size, "%s", slash + 1);
  return skiff_open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, 1, 0, err);
}

static int make_device(int rootfd, const struct skiff_device *d, struct skiff_err *err) {
  char name[256], p[64];
  int dfd = split_parent(rootfd, d->path, name, sizeof name, err);
  if (dfd < 0) return dfd;
  mode_t type = d->type == 'b' ? S_IFBLK : S_IFCHR;
  int r = 0;
  unlinkat(dfd, name, 0); /* a stale node or file from the image */
  if (mknodat(dfd, name, type | (d->mode & 07777), makedev(d->major, d->minor)) == 0) {
    if (fchownat(dfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
      r = skiff_error(err, errno, "chown %s", d->path);
    else if (fchmodat(dfd, name, d->mode & 07777, 0) < 0)
      r = skiff_error(err, errno, "chmod %s", d->path);
  } else if (errno == EPERM) {
    /* not allowed to create nodes (user namespace): bind the host's node instead */
    int fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) r = skiff_error(err, errno, "create %s", d->path);
    else {
      fdpath(p, sizeof p, fd);
      if (mount(d->path, p, NULL, MS_BIND, NULL) < 0)
        r = skiff_error(err, errno, "bind mount %s", d->path);
      close(fd);
    }
  } else {
    r = skiff_error(err, errno, "mknod %s", d->path);
  }
  close(dfd);
  return r;
}

static int dev_links(int rootfd, const char *console, struct skiff_err *err) {
  static const char *links[][2] = {
      {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
      {"stderr", "/proc/self/fd/2"}, {"core", "/proc/kcore"},      {"ptmx", "pts/ptmx"},
  };
  int dfd = skiff_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 1, 0, err);
  if (dfd < 0) return dfd;
  for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
    if (!strcmp(links[i][0], "ptmx")) unlinkat(dfd, "ptmx", 0); /* devpts wants the link */
    if (symlinkat(links[i][1], dfd, links[i][0]) < 0 && errno != EEXIST) {
      int e = errno;
      close(dfd);
      return skiff_error(err, e, "symlink /dev/%s", links[i][0]);
    }
  }
  int r = 0;
  if (console) {
    char p[64];
    int fd = openat(dfd, "console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) r = skiff_error(err, errno, "create /dev/console");
    else {
      fdpath(p, sizeof p, fd);
      if (mount(console, p, NULL, MS_BIND, NULL) < 0)
        r = skiff_error(err, errno, "bind mount %s on /dev/console", console);
      close(fd);
    }
  }
  close(dfd);
  return r;
}

static int mask_path(int rootfd, const char *path, struct skiff_err *err) {
  char p[64];
  int fd = skiff_open_in_root(rootfd, path, O_PATH, 0, 0, err);
  if (fd < 0) return err->code == ENOENT ? 0 : fd;
  struct stat st;
  if (fstat(fd, &st) < 0) {
    int e = errno;
    close(fd);
    return skiff_error(err, e, "stat %s", path);
  }
  fdpath(p, sizeof p, fd);
  int r = S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0,mode=755")
                              : mount("/dev/null", p, NULL, MS_BIND, NULL);
  int e = errno;
  close(fd);
  return r < 0 ? skiff_error(err, e, "mask %s", path) : 0;
}

static unsigned long locked_flags(const char *p) {
  struct statvfs sv;
  unsigned long f = 0;
  if (statvfs(p, &sv) < 0) return 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  return f;
}

static int readonly_path(int rootfd, const char *path, struct skiff_err *err) {
  char p[64];
  int fd = skiff_open_in_root(rootfd, path, O_PATH, 0, 0, err);
  if (fd < 0) return err->code == ENOENT ? 0 : fd;
  fdpath(p, sizeof p, fd);
  int r = mount(p, p, NULL, MS_BIND | MS_REC, NULL);
  int e = errno;
  close(fd);
  if (r < 0) return skiff_error(err, e, "bind mount %s", path);
  fd = skiff_open_in_root(rootfd, path, O_PATH, 0, 0, err);
  if (fd < 0) return fd;
  fdpath(p, sizeof p, fd);
  r = mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(p), NULL);
  e = errno;
  close(fd);
  return r < 0 ? skiff_error(err, e, "remount %s read-only", path) : 0;
}

/* Writes one --sysctl under the container's /proc/sys (its namespaces decide what the key
 * means), before /proc/sys is made read-only. The path never leaves /proc/sys. */
static int write_sysctl(const char *path, const char *value, struct skiff_err *err) {
  int dir = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return skiff_error(err, errno, "open /proc/sys");
  int fd = skiff_open_beneath(dir, path, O_WRONLY | O_NOFOLLOW);
  close(dir);
  if (fd < 0) return skiff_error(err, -fd, "open /proc/sys/%s", path);
  size_t len = strlen(value);
  ssize_t n = write(fd, value, len);
  int e = errno;
  close(fd);
  if (n < 0 || (size_t)n != len) return skiff_error(err, n < 0 ? e : EIO, "write /proc/sys/%s", path);
  return 0;
}

int skiff_rootfs_setup(const struct skiff_plan *plan, const char *console, struct skiff_err *err) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return skiff_error(err, errno, "make / private");
  if (plan->nlower > 0 && !plan->overlay_data)
    return skiff_error(err, EINVAL, "mount overlay: not prepared");
  if (plan->nlower > 0) {
    if (mount("overlay", plan->target, "overlay", 0, plan->overlay_data) < 0)
      return skiff_error(err, errno, "mount overlay on %s", plan->target);
  } else if (mount(plan->target, plan->target, NULL, MS_BIND | MS_REC, NULL) < 0) {
    return skiff_error(err, errno, "bind mount %s", plan->target);
  }
  int rootfd = open(plan->target, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return skiff_error(err, errno, "open %s", plan->target);
  int r = 0;
  for (size_t i = 0; r == 0 && i < plan->nmounts; i++) r = do_mount(plan, rootfd, &plan->mounts[i], err);
  for (size_t i = 0; r == 0 && i < plan->ndevices; i++)
    r = make_device(rootfd, &plan->devices[i], err);
  if (r == 0) r = dev_links(rootfd, console, err);
  if (r == 0 && plan->proc.cwd[0]) { /* Docker creates a missing working directory */
    int fd = skiff_open_in_root(rootfd, plan->proc.cwd, O_PATH, 1, 0, err);
    if (fd < 0) r = fd;
    else close(fd);
  }
  close(rootfd);
  if (r < 0) return r;
  if (plan->ns_new[SKIFF_NS_UTS] && plan->hostname && plan->hostname[0] &&
      sethostname(plan->hostname, strlen(plan->hostname)) < 0)
    return skiff_error(err, errno, "sethostname %s", plan->hostname);
  if (plan->ns_new[SKIFF_NS_UTS] && plan->domainname && plan->domainname[0] &&
      setdomainname(plan->domainname, strlen(plan->domainname)) < 0)
    return skiff_error(err, errno, "setdomainname %s", plan->domainname);
  /* pivot_root(".", "."): the old root ends up on top of the new one; detach it */
  if (chdir(plan->target) < 0) return skiff_error(err, errno, "chdir %s", plan->target);
  if (syscall(SYS_pivot_root, ".", ".") < 0) return skiff_error(err, errno, "pivot_root %s", plan->target);
  if (umount2(".", MNT_DETACH) < 0) return skiff_error(err, errno, "unmount the old root");
  if (chdir("/") < 0) return skiff_error(err, errno, "chdir /");
  rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return skiff_error(err, errno, "open /");
  for (size_t i = 0; r == 0 && i < plan->nsysctls; i++)
    r = write_sysctl(plan->sysctl_paths[i], plan->sysctl_values[i], err);
  for (size_t i = 0; r == 0 && i < plan->nmasked; i++) r = mask_path(rootfd, plan->masked[i], err);
  for (size_t i = 0; r == 0 && i < plan->nreadonly; i++)
    r = readonly_path(rootfd, plan->readonly[i], err);
  close(rootfd);
  if (r < 0) return r;
  if (plan->readonly_root &&
      mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), NULL) < 0)
    return skiff_error(err, errno, "remount / read-only");
  return 0;
}
