/* Layer unpacking, part 2: creating entries under the destination directory.
 *
 * Safety: every path is split into components (".." applied, escaping the root refused) and
 * walked from the root fd one component at a time with openat(O_DIRECTORY | O_NOFOLLOW), so
 * a symlink anywhere in a parent path refuses the entry instead of being followed; the entry
 * itself is created relative to its parent's fd (openat O_CREAT|O_EXCL|O_NOFOLLOW, mkdirat,
 * symlinkat, linkat without AT_SYMLINK_FOLLOW, mknodat) and its metadata set through its own
 * fd or with AT_SYMLINK_NOFOLLOW. Directory fds are cached by relative path; a cached fd is
 * dropped when the unpacker removes that directory (a later entry replacing it), which is the
 * only way the path could come to mean something else, since nothing else writes into dest
 * during the unpack. Messages and checks are those of the TypeScript unpacker it replaces. */
#include "unpack_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char WH_PREFIX[] = ".wh.";
static const char WH_OPAQUE[] = ".wh..wh..opq";

/* A cleaned entry path: components and their join ("a/b/c"; "" for the root). */
struct up_path {
  char *buf;   /* the components, NUL-separated */
  char **part;
  size_t n;
  char *rel;   /* joined */
  size_t *end; /* end[i]: length of the join of part[0..i] */
};

static void up_path_free(struct up_path *p) {
  free(p->buf);
  free(p->part);
  free(p->rel);
  free(p->end);
  memset(p, 0, sizeof *p);
}

/* Splits name as cleanEntryPath does: leading "/" and "./", empty and "." components dropped,
 * ".." applied. Returns 1 when ".." would leave the root, -ENOMEM, or 0. */
static int up_path_clean(const char *name, struct up_path *p) {
  size_t len = strlen(name);
  memset(p, 0, sizeof *p);
  p->buf = malloc(len + 1);
  p->part = malloc((len / 2 + 1) * sizeof *p->part);
  p->rel = malloc(len + 1);
  p->end = malloc((len / 2 + 1) * sizeof *p->end);
  if (!p->buf || !p->part || !p->rel || !p->end) {
    up_path_free(p);
    return -ENOMEM;
  }
  memcpy(p->buf, name, len + 1);
  for (char *s = p->buf, *next; s; s = next) {
    char *slash = strchr(s, '/');
    next = slash ? slash + 1 : NULL;
    if (slash) *slash = 0;
    if (*s == 0 || !strcmp(s, ".")) continue;
    if (!strcmp(s, "..")) {
      if (p->n == 0) return 1;
      p->n--;
      continue;
    }
    p->part[p->n++] = s;
  }
  size_t off = 0;
  for (size_t i = 0; i < p->n; i++) {
    if (i) p->rel[off++] = '/';
    size_t l = strlen(p->part[i]);
    memcpy(p->rel + off, p->part[i], l);
    off += l;
    p->end[i] = off;
  }
  p->rel[off] = 0;
  return 0;
}

/* ---- directory fd cache ---- */

static void up_cache_drop(struct up_cached_dir *c) {
  if (c->fd >= 0) close(c->fd);
  free(c->rel);
  c->rel = NULL;
  c->fd = -1;
}

static int up_cache_find(struct skiff_unpack *u, const char *rel, size_t len) {
  for (size_t i = 0; i < UP_CACHE_SIZE; i++) {
    struct up_cached_dir *c = &u->cache[i];
    if (c->fd >= 0 && strlen(c->rel) == len && !memcmp(c->rel, rel, len)) return (int)i;
  }
  return -1;
}

/* Keeps fd for rel (takes ownership); the least recently used entry makes room. */
static void up_cache_put(struct skiff_unpack *u, const char *rel, size_t len, int fd) {
  size_t victim = 0;
  for (size_t i = 0; i < UP_CACHE_SIZE; i++) {
    if (u->cache[i].fd < 0) {
      victim = i;
      break;
    }
    if (u->cache[i].used < u->cache[victim].used) victim = i;
  }
  up_cache_drop(&u->cache[victim]);
  char *r = malloc(len + 1);
  if (!r) {
    close(fd); /* not cached: the walk reopens it next time */
    return;
  }
  memcpy(r, rel, len);
  r[len] = 0;
  u->cache[victim].rel = r;
  u->cache[victim].fd = fd;
  u->cache[victim].used = ++u->tick;
}

/* Forgets cached directories at rel and below it (rel was removed). */
static void up_cache_forget(struct skiff_unpack *u, const char *rel) {
  size_t len = strlen(rel);
  for (size_t i = 0; i < UP_CACHE_SIZE; i++) {
    const char *r = u->cache[i].rel;
    if (u->cache[i].fd >= 0 && !strncmp(r, rel, len) && (r[len] == 0 || r[len] == '/'))
      up_cache_drop(&u->cache[i]);
  }
}

enum { UP_WALK_CREATE, UP_WALK_LINK, UP_WALK_EXISTING };

/* Returns a directory fd (owned by the cache or the root: do not close) for the first n
 * components of p, refusing symlinks and non-directories; UP_WALK_CREATE creates missing
 * directories (0755, as ensureDirs did). Negative on error (already recorded). */
static int up_dir(struct skiff_unpack *u, const struct up_path *p, size_t n, int how) {
  if (n == 0) return u->rootfd;
  int cur = u->rootfd;
  size_t start = 0;
  for (size_t k = n; k > 0; k--) {
    int i = up_cache_find(u, p->rel, p->end[k - 1]);
    if (i >= 0) {
      u->cache[i].used = ++u->tick;
      cur = u->cache[i].fd;
      start = k;
      break;
    }
  }
  for (size_t i = start; i < n; i++) {
    const char *comp = p->part[i];
    size_t rl = p->end[i];
    int fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && how == UP_WALK_CREATE) {
      if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
        return up_fail(u, UP_ERR_SYS, errno, "mkdir %s/%.*s", u->dest, (int)rl, p->rel);
      fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      int e = errno;
      struct stat st;
      int have = (e == ENOTDIR || e == ELOOP || e == ENOENT) &&
                 fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0;
      if (have && S_ISLNK(st.st_mode) && how != UP_WALK_EXISTING)
        return up_fail(u, UP_ERR_INVALID, 0, "Layer entry \"%s\" %s the symlink \"%.*s\"",
                       u->cur_name, how == UP_WALK_LINK ? "links through" : "goes through",
                       (int)rl, p->rel);
      if (how == UP_WALK_CREATE && have && !S_ISDIR(st.st_mode))
        return up_fail(u, UP_ERR_INVALID, 0, "Layer entry \"%s\": \"%.*s\" is not a directory",
                       u->cur_name, (int)rl, p->rel);
      if (how == UP_WALK_LINK && (e == ENOENT || e == ENOTDIR || e == ELOOP))
        return up_fail(u, UP_ERR_INVALID, 0,
                       "Layer entry \"%s\" links to a path the layer does not contain",
                       u->cur_name);
      return up_fail(u, UP_ERR_SYS, e, "open %s/%.*s", u->dest, (int)rl, p->rel);
    }
    up_cache_put(u, p->rel, rl, fd);
    int j = up_cache_find(u, p->rel, rl);
    cur = j >= 0 ? u->cache[j].fd : -1;
    if (cur < 0) return up_fail(u, UP_ERR_SYS, ENOMEM, "open %s/%.*s", u->dest, (int)rl, p->rel);
  }
  return cur;
}

/* ---- removal ---- */

/* Removes name (in dirfd) and everything below it, never following a symlink. */
static int up_rmtree(int dirfd, const char *name) {
  if (unlinkat(dirfd, name, 0) == 0) return 0;
  if (errno != EISDIR && errno != EPERM) return -errno;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -errno;
  DIR *d = fdopendir(fd);
  if (!d) {
    int e = errno;
    close(fd);
    return -e;
  }
  int rc = 0;
  struct dirent *de;
  errno = 0;
  while (rc == 0 && (de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    rc = up_rmtree(fd, de->d_name);
    errno = 0;
  }
  if (rc == 0 && errno) rc = -errno;
  closedir(d);
  if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0) rc = -errno;
  return rc;
}

static void up_times_forget(struct skiff_unpack *u, const char *rel) {
  size_t len = strlen(rel);
  for (size_t i = 0; i < u->ntimes; i++) {
    char *r = u->times[i].rel;
    if (r && !strncmp(r, rel, len) && (r[len] == 0 || r[len] == '/')) {
      free(r);
      u->times[i].rel = NULL;
    }
  }
}

/* Removes whatever is at name (rel) so that a later entry can take its place, as docker does;
 * forgets cached fds and pending times below a removed directory. Nothing there is fine. */
static int up_remove_existing(struct skiff_unpack *u, int dirfd, const char *name,
                              const char *rel) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return 0;
    return up_fail(u, UP_ERR_SYS, errno, "lstat %s/%s", u->dest, rel);
  }
  if (S_ISDIR(st.st_mode)) {
    up_cache_forget(u, rel);
    up_times_forget(u, rel);
    int rc = up_rmtree(dirfd, name);
    if (rc < 0) return up_fail(u, UP_ERR_SYS, -rc, "remove %s/%s", u->dest, rel);
  } else if (unlinkat(dirfd, name, 0) < 0) {
    return up_fail(u, UP_ERR_SYS, errno, "remove %s/%s", u->dest, rel);
  }
  return 0;
}

/* ---- metadata ---- */

static int up_map(struct skiff_unpack *u, const struct up_idmap *m, size_t n, int64_t id,
                  const char *what, int64_t *out) {
  if (n == 0) {
    *out = id;
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    if (id >= m[i].inside && id < (int64_t)m[i].inside + m[i].count) {
      *out = (int64_t)m[i].outside + (id - m[i].inside);
      return 0;
    }
  }
  return up_fail(u, UP_ERR_INVALID, 0, "Layer entry \"%s\": %s %lld is not in the id map",
                 u->cur_name, what, (long long)id);
}

/* Owner from the header, mapped; *skip when owners are not applied. */
static int up_owner(struct skiff_unpack *u, const struct up_entry *e, uid_t *uid, gid_t *gid) {
  int64_t mu, mg;
  if (up_map(u, u->uidmap, u->nuidmap, e->uid, "uid", &mu) < 0 ||
      up_map(u, u->gidmap, u->ngidmap, e->gid, "gid", &mg) < 0)
    return -1;
  *uid = (uid_t)mu;
  *gid = (gid_t)mg;
  return 0;
}

/* Sets the entry's xattrs (global PAX ones not overridden, then its own) on fd, or on
 * name in dirfd without following it. Overlay's own attributes are dropped: a layer
 * expresses those only by whiteouts. Unsupported file systems, and namespaces we may not
 * write (security.*, trusted.* rootless; any on a symlink), are skipped as docker does. */
static int up_xattrs(struct skiff_unpack *u, const struct up_entry *e, int fd, int dirfd,
                     const char *name, const char *rel, int symlink) {
  char proc[64 + NAME_MAX], path[PATH_MAX];
  for (int pass = 0; pass < 2; pass++) {
    const struct up_pax *px = pass == 0 ? e->gpax : e->pax;
    if (!px) continue;
    for (size_t i = 0; i < px->nxattrs; i++) {
      const struct up_xattr *x = &px->xattrs[i];
      if (pass == 0 && e->pax) {
        int overridden = 0;
        for (size_t j = 0; j < e->pax->nxattrs && !overridden; j++)
          overridden = !strcmp(e->pax->xattrs[j].name, x->name);
        if (overridden) continue;
      }
      if (!strncmp(x->name, "trusted.overlay.", 16) || !strncmp(x->name, "user.overlay.", 13))
        continue;
      int rc;
      if (fd >= 0) {
        rc = fsetxattr(fd, x->name, x->value, x->len, 0);
      } else if (u->have_proc) {
        /* The parent's fd link, then the last component, which is not followed. */
        snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", dirfd, name);
        rc = lsetxattr(proc, x->name, x->value, x->len, 0);
      } else {
        /* Without /proc: by path, whose parents the walk has just checked. */
        snprintf(path, sizeof path, "%s/%s", u->dest, rel);
        rc = lsetxattr(path, x->name, x->value, x->len, 0);
      }
      if (rc < 0) {
        int err = errno;
        if (err == EOPNOTSUPP) continue;
        if (err == EPERM && (symlink || strncmp(x->name, "user.", 5))) continue;
        return up_fail(u, UP_ERR_SYS, err, "lsetxattr %s/%s", u->dest, rel);
      }
    }
  }
  return 0;
}

/* Owner, mode, xattrs and time of a non-directory that is not a regular file (symlink,
 * device, fifo), set by name in dirfd without following it. */
static int up_finish_at(struct skiff_unpack *u, const struct up_entry *e, int dirfd,
                        const char *name, const char *rel, int set_mode) {
  if (u->flags & SKIFF_UNPACK_CHOWN) {
    uid_t uid;
    gid_t gid;
    if (up_owner(u, e, &uid, &gid) < 0) return u->err_rc;
    if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
      return up_fail(u, UP_ERR_SYS, errno, "lchown %s/%s", u->dest, rel);
  }
  /* chmod after chown: chown clears setuid and setgid bits. The node was just made by
   * mknodat, so it is not a symlink and fchmodat has nothing to follow. */
  if (set_mode && fchmodat(dirfd, name, e->mode, 0) < 0)
    return up_fail(u, UP_ERR_SYS, errno, "chmod %s/%s", u->dest, rel);
  int rc = up_xattrs(u, e, -1, dirfd, name, rel, !set_mode);
  if (rc < 0) return rc;
  struct timespec ts[2] = {e->mtime, e->mtime};
  if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return up_fail(u, UP_ERR_SYS, errno, "lutimes %s/%s", u->dest, rel);
  return 0;
}

/* Owner (when asked), mode and xattrs of a new file or directory, through its fd. */
static int up_fd_attrs(struct skiff_unpack *u, const struct up_entry *e, int fd,
                       const char *rel) {
  int rc = 0;
  if (u->flags & SKIFF_UNPACK_CHOWN) {
    uid_t uid;
    gid_t gid;
    if (up_owner(u, e, &uid, &gid) < 0) rc = u->err_rc;
    else if (fchown(fd, uid, gid) < 0)
      rc = up_fail(u, UP_ERR_SYS, errno, "lchown %s/%s", u->dest, rel);
  }
  if (rc == 0 && fchmod(fd, e->mode) < 0)
    rc = up_fail(u, UP_ERR_SYS, errno, "chmod %s/%s", u->dest, rel);
  if (rc == 0) rc = up_xattrs(u, e, fd, -1, NULL, rel, 0);
  return rc;
}

/* Owner, mode, xattrs and time of a new regular file, through its fd; closes it. */
int up_file_done(struct skiff_unpack *u, const struct up_entry *e, int fd) {
  const char *rel = u->cur_rel ? u->cur_rel : "";
  int rc = up_fd_attrs(u, e, fd, rel);
  struct timespec ts[2] = {e->mtime, e->mtime};
  if (rc == 0 && futimens(fd, ts) < 0)
    rc = up_fail(u, UP_ERR_SYS, errno, "lutimes %s/%s", u->dest, rel);
  if (close(fd) < 0 && rc == 0) rc = up_fail(u, UP_ERR_SYS, errno, "close %s/%s", u->dest, rel);
  return rc;
}

static int up_record_time(struct skiff_unpack *u, const char *rel, struct timespec ts) {
  if (u->ntimes == u->captimes) {
    size_t cap = u->captimes ? u->captimes * 2 : 64;
    struct up_dirtime *t = realloc(u->times, cap * sizeof *t);
    if (!t) return up_fail(u, UP_ERR_SYS, ENOMEM, "record directory times");
    u->times = t;
    u->captimes = cap;
  }
  char *r = strdup(rel);
  if (!r) return up_fail(u, UP_ERR_SYS, ENOMEM, "record directory times");
  u->times[u->ntimes].rel = r;
  u->times[u->ntimes].ts = ts;
  u->ntimes++;
  return 0;
}

/* A directory entry: created 0700 unless a directory is there (anything else is replaced),
 * then owner, mode and xattrs; its time is set at the end, once nothing more is created in it. */
static int up_directory(struct skiff_unpack *u, const struct up_entry *e, int dirfd,
                        const char *name, const char *rel) {
  int fd = u->rootfd;
  if (*rel) {
    if (mkdirat(dirfd, name, 0700) < 0) {
      if (errno != EEXIST) return up_fail(u, UP_ERR_SYS, errno, "mkdir %s/%s", u->dest, rel);
      struct stat st;
      if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return up_fail(u, UP_ERR_SYS, errno, "lstat %s/%s", u->dest, rel);
      if (!S_ISDIR(st.st_mode)) {
        int rc = up_remove_existing(u, dirfd, name, rel);
        if (rc < 0) return rc;
        if (mkdirat(dirfd, name, 0700) < 0)
          return up_fail(u, UP_ERR_SYS, errno, "mkdir %s/%s", u->dest, rel);
      }
    }
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return up_fail(u, UP_ERR_SYS, errno, "open %s/%s", u->dest, rel);
  }
  int rc = up_fd_attrs(u, e, fd, rel);
  if (fd != u->rootfd) close(fd);
  if (rc == 0) rc = up_record_time(u, rel, e->mtime);
  return rc;
}

/* Runs create (which fails with EEXIST when something is at name); on EEXIST replaces what is
 * there (a later entry wins, as in docker) and runs it once more. */
#define UP_CREATE(u, dirfd, name, rel, call)                                                   \
  ({                                                                                           \
    int r_ = (call);                                                                           \
    if (r_ < 0 && errno == EEXIST) {                                                           \
      int rm_ = up_remove_existing((u), (dirfd), (name), (rel));                               \
      if (rm_ < 0) return rm_;                                                                 \
      r_ = (call);                                                                             \
    }                                                                                          \
    r_;                                                                                        \
  })

static int up_whiteout(struct skiff_unpack *u, const struct up_path *p) {
  int dirfd = up_dir(u, p, p->n - 1, UP_WALK_CREATE);
  if (dirfd < 0) return dirfd;
  const char *base = p->part[p->n - 1];
  size_t plen = p->n > 1 ? p->end[p->n - 2] : 0;
  if (!strcmp(base, WH_OPAQUE)) {
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return up_fail(u, UP_ERR_SYS, errno, "open %s/%.*s", u->dest, (int)plen, p->rel);
    int rc = fsetxattr(fd, u->opaque_xattr, "y", 1, 0);
    int e = errno;
    close(fd);
    if (rc < 0) return up_fail(u, UP_ERR_SYS, e, "lsetxattr %s/%.*s", u->dest, (int)plen, p->rel);
    return 0;
  }
  const char *target = base + sizeof WH_PREFIX - 1;
  if (!*target || !strcmp(target, ".") || !strcmp(target, ".."))
    return up_fail(u, UP_ERR_INVALID, 0, "Layer entry \"%s\" is an invalid whiteout",
                   u->cur_name);
  char *rel = malloc(plen + strlen(target) + 2);
  if (!rel) return up_fail(u, UP_ERR_SYS, ENOMEM, "whiteout");
  snprintf(rel, plen + strlen(target) + 2, "%.*s%s%s", (int)plen, p->rel, plen ? "/" : "",
           target);
  int rc = up_remove_existing(u, dirfd, target, rel);
  if (rc == 0 && mknodat(dirfd, target, S_IFCHR | 0000, makedev(0, 0)) < 0)
    rc = up_fail(u, UP_ERR_SYS, errno, "mknod %s/%s", u->dest, rel);
  free(rel);
  return rc;
}

static int up_hardlink(struct skiff_unpack *u, const struct up_entry *e, const struct up_path *p) {
  struct up_path t;
  int rc = up_path_clean(e->linkname, &t);
  if (rc < 0) return up_fail(u, UP_ERR_SYS, -rc, "hard link");
  if (rc > 0 || t.n == 0) {
    up_path_free(&t);
    return up_fail(u, UP_ERR_INVALID, 0,
                   "Layer entry \"%s\" is a hard link to \"%s\", outside the layer root",
                   u->cur_name, e->linkname);
  }
  int tdir = up_dir(u, &t, t.n - 1, UP_WALK_LINK);
  if (tdir < 0) {
    up_path_free(&t);
    return tdir;
  }
  /* Our own reference: resolving the link's parent may evict the cached one. */
  tdir = fcntl(tdir, F_DUPFD_CLOEXEC, 0);
  if (tdir < 0) {
    up_path_free(&t);
    return up_fail(u, UP_ERR_SYS, errno, "dup");
  }
  const char *tbase = t.part[t.n - 1];
  struct stat st;
  if (fstatat(tdir, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    int err = errno;
    rc = err == ENOENT
             ? up_fail(u, UP_ERR_INVALID, 0,
                       "Layer entry \"%s\" links to \"%s\", which the layer does not contain",
                       u->cur_name, e->linkname)
             : up_fail(u, UP_ERR_SYS, err, "lstat %s/%s", u->dest, t.rel);
  } else if (S_ISDIR(st.st_mode)) {
    rc = up_fail(u, UP_ERR_INVALID, 0,
                 "Layer entry \"%s\" is a hard link to the directory \"%s\"", u->cur_name,
                 e->linkname);
  } else {
    int dirfd = up_dir(u, p, p->n - 1, UP_WALK_CREATE);
    if (dirfd < 0) {
      rc = dirfd;
    } else {
      /* linkat without AT_SYMLINK_FOLLOW links a symlink itself, which is what tar means. */
      const char *name = p->part[p->n - 1];
      int r = linkat(tdir, tbase, dirfd, name, 0);
      if (r < 0 && errno == EEXIST) {
        rc = up_remove_existing(u, dirfd, name, p->rel);
        if (rc == 0) r = linkat(tdir, tbase, dirfd, name, 0);
      }
      if (rc == 0 && r < 0) rc = up_fail(u, UP_ERR_SYS, errno, "link %s/%s", u->dest, p->rel);
    }
  }
  close(tdir);
  up_path_free(&t);
  return rc;
}

static int up_entry_path(struct skiff_unpack *u, const struct up_entry *e,
                         const struct up_path *p, int *fdout) {
  size_t n = p->n;
  const char *base = n ? p->part[n - 1] : "";
  if (!strncmp(base, WH_PREFIX, sizeof WH_PREFIX - 1)) return up_whiteout(u, p);
  if (n == 0) {
    /* The root itself ("./"): only its metadata applies. */
    return e->type == '5' ? up_directory(u, e, u->rootfd, "", "") : 0;
  }
  int dirfd = up_dir(u, p, n - 1, UP_WALK_CREATE);
  if (dirfd < 0) return dirfd;
  const char *rel = p->rel;
  switch (e->type) {
  case '5':
    return up_directory(u, e, dirfd, base, rel);
  case '0': {
    int fd = UP_CREATE(u, dirfd, base, rel,
                       openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                              0600));
    if (fd < 0) return up_fail(u, UP_ERR_SYS, errno, "open %s/%s", u->dest, rel);
    *fdout = fd;
    return 0;
  }
  case '2': {
    int r = UP_CREATE(u, dirfd, base, rel, symlinkat(e->linkname, dirfd, base));
    if (r < 0) return up_fail(u, UP_ERR_SYS, errno, "symlink %s/%s", u->dest, rel);
    return up_finish_at(u, e, dirfd, base, rel, 0);
  }
  case '1':
    return up_hardlink(u, e, p);
  case '3':
  case '4':
  case '6': {
    mode_t kind = e->type == '6' ? S_IFIFO : e->type == '4' ? S_IFBLK : S_IFCHR;
    int r = UP_CREATE(u, dirfd, base, rel,
                      mknodat(dirfd, base, kind | (e->mode & 0777),
                              makedev(e->devmajor, e->devminor)));
    if (r < 0) {
      /* Unprivileged users may not create devices; rootless docker skips them too. */
      if (errno == EPERM && kind != S_IFIFO && !u->is_root) return 0;
      return up_fail(u, UP_ERR_SYS, errno, "mknod %s/%s", u->dest, rel);
    }
    return up_finish_at(u, e, dirfd, base, rel, 1);
  }
  default:
    /* Other types (sockets never appear; vendor extensions) are skipped, as docker does. */
    return 0;
  }
}

int up_entry_begin(struct skiff_unpack *u, const struct up_entry *e, int *fd) {
  *fd = -1;
  struct up_path p;
  int rc = up_path_clean(e->name, &p);
  if (rc < 0) return up_fail(u, UP_ERR_SYS, -rc, "read an entry name");
  if (rc > 0)
    return up_fail(u, UP_ERR_INVALID, 0, "Layer entry \"%s\" escapes the layer root", e->name);
  free(u->cur_rel);
  u->cur_rel = p.rel; /* kept for messages until the entry's data is written */
  rc = up_entry_path(u, e, &p, fd);
  p.rel = NULL;
  up_path_free(&p);
  return rc;
}

int up_apply_dir_times(struct skiff_unpack *u) {
  /* Any order will do: setting a directory's times changes nothing in its parent. A record
   * made later for the same directory comes later and wins. */
  for (size_t i = 0; i < u->ntimes; i++) {
    const char *rel = u->times[i].rel;
    if (!rel) continue;
    struct timespec ts[2] = {u->times[i].ts, u->times[i].ts};
    if (!*rel) {
      if (futimens(u->rootfd, ts) < 0)
        return up_fail(u, UP_ERR_SYS, errno, "lutimes %s", u->dest);
      continue;
    }
    struct up_path p;
    int rc = up_path_clean(rel, &p);
    if (rc != 0) return up_fail(u, UP_ERR_SYS, rc < 0 ? -rc : EINVAL, "lutimes %s", rel);
    int dirfd = up_dir(u, &p, p.n - 1, UP_WALK_EXISTING);
    if (dirfd >= 0 && utimensat(dirfd, p.part[p.n - 1], ts, AT_SYMLINK_NOFOLLOW) < 0)
      dirfd = up_fail(u, UP_ERR_SYS, errno, "lutimes %s/%s", u->dest, rel);
    up_path_free(&p);
    if (dirfd < 0) return dirfd;
  }
  return 0;
}

void up_fs_free(struct skiff_unpack *u) {
  for (size_t i = 0; i < UP_CACHE_SIZE; i++) up_cache_drop(&u->cache[i]);
  for (size_t i = 0; i < u->ntimes; i++) free(u->times[i].rel);
  free(u->times);
  u->times = NULL;
  u->ntimes = u->captimes = 0;
  free(u->cur_rel);
  u->cur_rel = NULL;
}
