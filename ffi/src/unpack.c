/* Layer unpacking, part 1: a push parser for tar (ustar, GNU long names, PAX local and global
 * headers with binary xattrs, base-256 numbers; GNU sparse files in unpack_sparse.c). The
 * caller feeds the decompressed stream in chunks of any size; each completed header becomes an
 * up_entry for unpack_fs.c, and file data is written straight from the caller's buffer. Errors
 * are sticky: after one, every call returns it again. The parser is the top of the unpacker's
 * layers (unpack_base.h lists them): it calls the other parts, none of them calls it. */
#include "unpack_fs.h"
#include "unpack_sparse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* PAX headers and GNU long names larger than this are refused (a real one is a few KiB). */
#define UP_META_MAX (64u << 20)

static int up_buf_append(struct up_buf *b, const void *data, size_t len) {
  if (b->len + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + len + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) return -ENOMEM;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, len);
  b->len += len;
  b->p[b->len] = 0;
  return 0;
}

static void up_buf_free(struct up_buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

static void up_pax_clear(struct up_pax *pax) {
  free(pax->path);
  free(pax->linkpath);
  for (size_t i = 0; i < pax->nxattrs; i++) {
    free(pax->xattrs[i].name);
    free(pax->xattrs[i].value);
  }
  free(pax->xattrs);
  up_pax_sparse_clear(&pax->sparse);
  memset(pax, 0, sizeof *pax);
}

int skiff_unpack_new(const char *dest, uint32_t flags, struct skiff_unpack **out) {
  *out = NULL;
  struct skiff_unpack *u = calloc(1, sizeof *u);
  if (!u) return -ENOMEM;
  u->dest = strdup(dest);
  if (!u->dest) {
    free(u);
    return -ENOMEM;
  }
  u->rootfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (u->rootfd < 0) {
    int e = errno;
    free(u->dest);
    free(u);
    return -e;
  }
  u->flags = flags;
  u->is_root = geteuid() == 0;
  u->have_proc = access("/proc/self/fd", X_OK) == 0;
  snprintf(u->opaque_xattr, sizeof u->opaque_xattr, "%soverlay.opaque",
           (flags & SKIFF_UNPACK_USER_XATTR) ? "user." : "trusted.");
  u->curfd = -1;
  for (size_t i = 0; i < UP_CACHE_SIZE; i++) u->cache[i].fd = -1;
  u->state = UP_HEADER;
  *out = u;
  return 0;
}

int skiff_unpack_set_idmap(struct skiff_unpack *u, int gid, const uint32_t *triples, uint32_t n) {
  struct up_idmap *m = calloc(n ? n : 1, sizeof *m);
  if (!m) return -ENOMEM;
  for (uint32_t i = 0; i < n; i++) {
    m[i].inside = triples[3 * i];
    m[i].outside = triples[3 * i + 1];
    m[i].count = triples[3 * i + 2];
  }
  if (gid) {
    free(u->gidmap);
    u->gidmap = m;
    u->ngidmap = n;
  } else {
    free(u->uidmap);
    u->uidmap = m;
    u->nuidmap = n;
  }
  return 0;
}

/* PAX mtime: "[-]SECONDS[.FRACTION]". */
static int up_time(const char *s, size_t n, struct timespec *ts) {
  int neg = n > 0 && s[0] == '-';
  size_t i = neg ? 1 : 0, dot = i;
  while (dot < n && s[dot] != '.') dot++;
  int64_t sec;
  if (up_dec(s + i, dot - i, &sec) < 0) return -1;
  long nsec = 0, scale = 100000000;
  for (size_t j = dot + 1; j < n; j++) {
    if (s[j] < '0' || s[j] > '9') return -1;
    nsec += (s[j] - '0') * scale;
    scale /= 10;
  }
  if (neg && nsec) {
    sec = -sec - 1;
    nsec = 1000000000 - nsec;
  } else if (neg) {
    sec = -sec;
  }
  ts->tv_sec = (time_t)sec;
  ts->tv_nsec = nsec;
  return 0;
}

static char *up_strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = 0;
  }
  return p;
}

static int up_pax_xattr(struct up_pax *pax, const char *name, size_t nlen, const char *v,
                        size_t vlen) {
  for (size_t i = 0; i < pax->nxattrs; i++) {
    if (strlen(pax->xattrs[i].name) == nlen && !memcmp(pax->xattrs[i].name, name, nlen)) {
      char *nv = up_strndup(v, vlen);
      if (!nv) return -ENOMEM;
      free(pax->xattrs[i].value);
      pax->xattrs[i].value = nv;
      pax->xattrs[i].len = vlen;
      return 0;
    }
  }
  struct up_xattr *x = realloc(pax->xattrs, (pax->nxattrs + 1) * sizeof *x);
  if (!x) return -ENOMEM;
  pax->xattrs = x;
  x[pax->nxattrs].name = up_strndup(name, nlen);
  x[pax->nxattrs].value = up_strndup(v, vlen);
  if (!x[pax->nxattrs].name || !x[pax->nxattrs].value) {
    free(x[pax->nxattrs].name);
    free(x[pax->nxattrs].value);
    return -ENOMEM;
  }
  x[pax->nxattrs].len = vlen;
  pax->nxattrs++;
  return 0;
}

/* Parses PAX records "LEN KEY=VALUE\n" into pax; a malformed record ends the header quietly,
 * as tar-stream did. */
static int up_pax_parse(const char *buf, size_t len, struct up_pax *pax) {
  static const char xattr[] = "SCHILY.xattr.", sparse[] = "GNU.sparse.";
  while (len > 0) {
    size_t i = 0;
    while (i < len && buf[i] != ' ') i++;
    int64_t rlen;
    if (i >= len || up_dec(buf, i, &rlen) < 0 || rlen <= 0 || (uint64_t)rlen > len ||
        (size_t)rlen < i + 2)
      return 0;
    const char *rec = buf + i + 1, *end = buf + rlen - 1; /* end: the trailing newline */
    const char *eq = memchr(rec, '=', (size_t)(end - rec));
    if (!eq) return 0;
    size_t klen = (size_t)(eq - rec), vlen = (size_t)(end - eq - 1);
    const char *v = eq + 1;
#define KEY(k) (klen == sizeof(k) - 1 && !memcmp(rec, k, klen))
    int rc = 0;
    if (KEY("path")) {
      free(pax->path);
      if (!(pax->path = up_strndup(v, vlen))) rc = -ENOMEM;
    } else if (KEY("linkpath")) {
      free(pax->linkpath);
      if (!(pax->linkpath = up_strndup(v, vlen))) rc = -ENOMEM;
    } else if (KEY("size")) {
      int64_t n;
      if (up_dec(v, vlen, &n) == 0) {
        pax->size = (uint64_t)n;
        pax->has_size = 1;
      }
    } else if (KEY("uid")) {
      pax->has_uid = up_dec(v, vlen, &pax->uid) == 0;
    } else if (KEY("gid")) {
      pax->has_gid = up_dec(v, vlen, &pax->gid) == 0;
    } else if (KEY("mtime")) {
      pax->has_mtime = up_time(v, vlen, &pax->mtime) == 0;
    } else if (klen > sizeof xattr - 1 && !memcmp(rec, xattr, sizeof xattr - 1)) {
      rc = up_pax_xattr(pax, rec + sizeof xattr - 1, klen - (sizeof xattr - 1), v, vlen);
    } else if (klen > sizeof sparse - 1 && !memcmp(rec, sparse, sizeof sparse - 1)) {
      rc = up_pax_sparse_key(&pax->sparse, rec + sizeof sparse - 1, klen - (sizeof sparse - 1),
                             v, vlen);
    }
#undef KEY
    if (rc < 0) return rc;
    buf += rlen;
    len -= (size_t)rlen;
  }
  return 0;
}

static uint64_t up_padding(uint64_t size) { return (512 - size % 512) % 512; }

/* Moves past a member's data and padding. */
static void up_skip(struct skiff_unpack *u, uint64_t n) {
  u->remaining = n;
  u->state = n ? UP_SKIP : UP_HEADER;
}

static int up_meta_done(struct skiff_unpack *u) {
  struct up_buf *m = &u->meta;
  int rc = 0;
  switch (u->meta_type) {
  case 'x':
    up_pax_clear(&u->pax);
    rc = up_pax_parse(m->p, m->len, &u->pax);
    break;
  case 'g':
    up_pax_clear(&u->gpax);
    rc = up_pax_parse(m->p, m->len, &u->gpax);
    break;
  case 'L':
  case 'K': {
    char *s = up_strndup(m->p ? m->p : "", m->p ? strnlen(m->p, m->len) : 0);
    if (!s) return up_fail(u, UP_ERR_SYS, ENOMEM, "read a long name");
    char **slot = u->meta_type == 'L' ? &u->longname : &u->longlink;
    free(*slot);
    *slot = s;
    break;
  }
  }
  m->len = 0;
  if (rc < 0) return up_fail(u, UP_ERR_SYS, -rc, "read a PAX header");
  up_skip(u, u->pad);
  return 0;
}

/* Ends the file being written: full size when sparse, metadata, close, then the padding. */
static int up_data_done(struct skiff_unpack *u) {
  int fd = u->curfd;
  u->curfd = -1;
  int rc = up_sparse_end(u, fd);
  if (rc < 0) close(fd);
  else rc = up_file_done(u, &u->cur, fd);
  /* The entry's own PAX header applied to it only. */
  up_pax_clear(&u->pax);
  u->cur.pax = NULL;
  if (rc < 0) return rc;
  up_skip(u, u->pad);
  return 0;
}

/* Does what a sparse step left to the parser (UP_SPARSE_SKIP, UP_SPARSE_DONE); passes 0 and
 * errors on. */
static int up_sparse_then(struct skiff_unpack *u, int rc) {
  if (rc == UP_SPARSE_DONE) return up_data_done(u);
  if (rc != UP_SPARSE_SKIP) return rc;
  /* No file to write (a whiteout, say): skip the data as for any such entry. */
  up_skip(u, u->remaining + (u->remaining ? u->pad : 0));
  up_pax_clear(&u->pax);
  u->cur.pax = NULL;
  up_sparse_free(u);
  return 0;
}

static int up_header(struct skiff_unpack *u) {
  const unsigned char *h = u->hdr;
  uint64_t sum = 8 * ' ';
  int64_t ssum = 8 * ' ';
  for (size_t i = 0; i < 512; i++) {
    if (i >= 148 && i < 156) continue;
    sum += h[i];
    ssum += (signed char)h[i];
  }
  if (sum == 8 * ' ') return 0; /* a zero block: end-of-archive marker or padding */
  int64_t stored;
  if (up_num(h + 148, 8, &stored) < 0 || (stored != (int64_t)sum && stored != ssum))
    return up_fail(u, UP_ERR_TAR, 0,
                   "Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?");
  int ustar = !memcmp(h + 257, "ustar\0", 6);
  int gnu = !memcmp(h + 257, "ustar ", 6) && !memcmp(h + 263, " \0", 2);
  if (!ustar && !gnu) return up_fail(u, UP_ERR_TAR, 0, "Invalid tar header: unknown format.");

  char type = (char)h[156];
  int64_t size, mode = 0, uid = 0, gid = 0, mtime = 0, major = 0, minor = 0;
  if (up_num(h + 124, 12, &size) < 0 || size < 0 || up_num(h + 100, 8, &mode) < 0 ||
      up_num(h + 108, 8, &uid) < 0 || up_num(h + 116, 8, &gid) < 0 ||
      up_num(h + 136, 12, &mtime) < 0 || up_num(h + 329, 8, &major) < 0 ||
      up_num(h + 337, 8, &minor) < 0)
    return up_fail(u, UP_ERR_TAR, 0, "Invalid tar header: a number is out of range");

  if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
    if ((uint64_t)size > UP_META_MAX)
      return up_fail(u, UP_ERR_TAR, 0, "Invalid tar header: a %c header of %lld bytes",
                     type, (long long)size);
    u->meta_type = type;
    u->meta.len = 0;
    u->remaining = (uint64_t)size;
    u->pad = up_padding((uint64_t)size);
    u->state = UP_META;
    return size == 0 ? up_meta_done(u) : 0;
  }

  /* A member: long names and PAX values override the header's fields. */
  char name[257];
  size_t nlen = strnlen((const char *)h, 100);
  if (ustar && h[345]) {
    size_t plen = strnlen((const char *)h + 345, 155);
    memcpy(name, h + 345, plen);
    name[plen] = '/';
    memcpy(name + plen + 1, h, nlen);
    nlen += plen + 1;
  } else {
    memcpy(name, h, nlen);
  }
  name[nlen] = 0;
  char link[101];
  size_t llen = strnlen((const char *)h + 157, 100);
  memcpy(link, h + 157, llen);
  link[llen] = 0;

  const struct up_pax *pax = &u->pax, *g = &u->gpax;
  const char *ename = u->longname ? u->longname : name;
  if (pax->path && *pax->path) ename = pax->path;
  else if (g->path && *g->path) ename = g->path;
  const char *elink = u->longlink ? u->longlink : link;
  if (pax->linkpath && *pax->linkpath) elink = pax->linkpath;
  else if (g->linkpath && *g->linkpath) elink = g->linkpath;
  if (pax->has_size) size = (int64_t)pax->size;
  else if (g->has_size) size = (int64_t)g->size;
  int sparse = up_sparse_header(u, h, gnu, &type, &ename);
  if (sparse < 0) return sparse;

  free(u->cur_name);
  free(u->cur_link);
  u->cur_name = strdup(ename);
  u->cur_link = strdup(elink);
  if (!u->cur_name || !u->cur_link) return up_fail(u, UP_ERR_SYS, ENOMEM, "read a tar header");
  free(u->longname);
  free(u->longlink);
  u->longname = u->longlink = NULL;

  struct up_entry *e = &u->cur;
  memset(e, 0, sizeof *e);
  e->name = u->cur_name;
  e->linkname = u->cur_link;
  /* ename may have been the long name freed above: only the copy is read from here on. */
  size_t enlen = strlen(u->cur_name);
  if (type == 0 || type == '7') type = '0';
  if (type == '0' && enlen > 0 && u->cur_name[enlen - 1] == '/') type = '5';
  e->type = type;
  e->mode = (uint32_t)mode & 07777;
  e->uid = pax->has_uid ? pax->uid : g->has_uid ? g->uid : uid;
  e->gid = pax->has_gid ? pax->gid : g->has_gid ? g->gid : gid;
  e->devmajor = (uint32_t)major;
  e->devminor = (uint32_t)minor;
  if (pax->has_mtime) e->mtime = pax->mtime;
  else if (g->has_mtime) e->mtime = g->mtime;
  else e->mtime = (struct timespec){.tv_sec = (time_t)mtime, .tv_nsec = 0};
  e->pax = pax;
  e->gpax = g;

  int fd = -1;
  int rc = up_entry_begin(u, e, &fd);
  if (rc < 0) return rc;
  /* What a walk of the unpacked layer would add up (Docker's layer size): regular files' and
   * symlinks' sizes; hard links, whiteouts and directories count nothing. A sparse file's
   * size is added once its map is read. */
  if (type == '2') u->content_size += strlen(u->cur_link);
  else if (fd >= 0 && !u->sparse.active) u->content_size += (uint64_t)size;
  u->pad = up_padding((uint64_t)size);
  if (u->sparse.active) return up_sparse_then(u, up_sparse_start(u, fd, (uint64_t)size));
  if (fd >= 0) {
    u->curfd = fd;
    u->remaining = (uint64_t)size;
    u->state = UP_DATA;
    if (size == 0) rc = up_data_done(u);
  } else {
    /* Directories, links and skipped types: any data is not ours to write. */
    up_skip(u, (uint64_t)size + (size ? u->pad : 0));
    up_pax_clear(&u->pax);
    e->pax = NULL;
  }
  return rc;
}

static int up_write_all(struct skiff_unpack *u, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(u->curfd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return up_fail(u, UP_ERR_SYS, errno, "write %s/%s", u->dest, u->cur_name);
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int skiff_unpack_feed(struct skiff_unpack *u, const void *buf, uint64_t len) {
  if (u->err_kind) return u->err_rc;
  const unsigned char *p = buf;
  while (len > 0) {
    int rc = 0;
    size_t n;
    switch (u->state) {
    case UP_HEADER:
      n = 512 - u->hdrlen < len ? 512 - u->hdrlen : (size_t)len;
      memcpy(u->hdr + u->hdrlen, p, n);
      u->hdrlen += n;
      if (u->hdrlen == 512) {
        u->hdrlen = 0;
        rc = up_header(u);
      }
      break;
    case UP_META:
      n = u->remaining < len ? (size_t)u->remaining : (size_t)len;
      if (up_buf_append(&u->meta, p, n) < 0) {
        rc = up_fail(u, UP_ERR_SYS, ENOMEM, "read a PAX header");
        break;
      }
      u->remaining -= n;
      if (u->remaining == 0) rc = up_meta_done(u);
      break;
    case UP_DATA:
      n = u->remaining < len ? (size_t)u->remaining : (size_t)len;
      rc = u->sparse.active ? up_sparse_write(u, p, n) : up_write_all(u, p, n);
      if (rc < 0) break;
      u->remaining -= n;
      if (u->remaining == 0) rc = up_data_done(u);
      break;
    case UP_SPARSE_EXT:
    case UP_SPARSE_MAP:
      rc = up_sparse_then(u, up_sparse_feed(u, p, (size_t)len, &n));
      break;
    default: /* UP_SKIP */
      n = u->remaining < len ? (size_t)u->remaining : (size_t)len;
      u->remaining -= n;
      if (u->remaining == 0) u->state = UP_HEADER;
      break;
    }
    if (rc < 0) return rc;
    p += n;
    len -= n;
  }
  return 0;
}

int skiff_unpack_finish(struct skiff_unpack *u) {
  if (u->err_kind) return u->err_rc;
  if (u->state != UP_HEADER || u->hdrlen != 0)
    return up_fail(u, UP_ERR_TAR, 0, "Unexpected end of data");
  return up_apply_dir_times(u);
}

uint64_t skiff_unpack_content_size(const struct skiff_unpack *u) { return u->content_size; }

int skiff_unpack_error(const struct skiff_unpack *u, char *buf, uint32_t size) {
  if (size == 0) return 0;
  size_t el = strlen(u->err_entry), ml = strlen(u->err_msg);
  if (el + ml + 2 > size) {
    el = 0;
    if (ml + 2 > size) ml = size - 2;
  }
  if (size < 2) {
    buf[0] = 0;
    return 0;
  }
  memcpy(buf, u->err_entry, el);
  buf[el] = 0;
  memcpy(buf + el + 1, u->err_msg, ml);
  buf[el + 1 + ml] = 0;
  return (int)(el + ml + 2);
}

void skiff_unpack_free(struct skiff_unpack *u) {
  if (!u) return;
  if (u->curfd >= 0) close(u->curfd);
  up_fs_free(u);
  if (u->rootfd >= 0) close(u->rootfd);
  up_pax_clear(&u->pax);
  up_pax_clear(&u->gpax);
  up_buf_free(&u->meta);
  up_sparse_free(u);
  free(u->longname);
  free(u->longlink);
  free(u->cur_name);
  free(u->cur_link);
  free(u->uidmap);
  free(u->gidmap);
  free(u->dest);
  free(u);
}
