/* Layer unpacking, part 3: GNU sparse files. A sparse member stores only the stretches of a
 * file that hold data, with a map saying where each belongs; the holes between them are not in
 * the archive. GNU tar writes four forms, all read here:
 *   old GNU  type 'S' in a GNU header: up to 4 map entries in the header, then extension
 *            headers of 21 entries each while the "is extended" byte is set; the header's
 *            size is the stored data, its "real size" field the file's size.
 *   PAX 0.0  GNU.sparse.offset / GNU.sparse.numbytes records, repeated, in order;
 *            GNU.sparse.size is the file's size.
 *   PAX 0.1  the same map as one GNU.sparse.map record "off,len,off,len,...".
 *   PAX 1.0  GNU.sparse.major=1, minor=0, GNU.sparse.realsize; the map is at the start of the
 *            data: decimal numbers one per line (the count, then offset and length pairs),
 *            padded to a 512-byte block.
 * PAX 0.1 and 1.0 name the member ./GNUSparseFile.PID/NAME and give the real name in
 * GNU.sparse.name.
 *
 * The file is created like any regular file, each stretch is written at its offset with
 * pwrite, so the holes are never written and stay holes, and the file is then truncated up to
 * its full size. A map is checked before any data is written: stretches in order, not
 * overlapping, inside the file, and exactly as long together as the data stored; anything
 * else refuses the layer as a malformed tar. */
#include "unpack_sparse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Map entries of one file (16 bytes each) beyond this refuse the layer. */
#define UP_SPARSE_MAX (1u << 20)

static int up_map_add(struct up_sparse_map *m, uint64_t off, uint64_t len) {
  if (m->n >= UP_SPARSE_MAX) return -E2BIG;
  if (m->n == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 8;
    struct up_sparse_seg *s = realloc(m->seg, cap * sizeof *s);
    if (!s) return -ENOMEM;
    m->seg = s;
    m->cap = cap;
  }
  m->seg[m->n].off = off;
  m->seg[m->n].len = len;
  m->n++;
  return 0;
}

static void up_map_free(struct up_sparse_map *m) {
  free(m->seg);
  memset(m, 0, sizeof *m);
}

/* "off,len,off,len,..." (PAX 0.1). */
static int up_map_parse_list(struct up_sparse_map *m, const char *v, size_t vlen) {
  int64_t nums[2];
  int k = 0;
  size_t start = 0;
  for (size_t i = 0; i <= vlen; i++) {
    if (i < vlen && v[i] != ',') continue;
    if (up_dec(v + start, i - start, &nums[k]) < 0) return 1;
    if (++k == 2) {
      int rc = up_map_add(m, (uint64_t)nums[0], (uint64_t)nums[1]);
      if (rc < 0) return rc == -E2BIG ? 1 : rc;
      k = 0;
    }
    start = i + 1;
  }
  return k != 0;
}

int up_pax_sparse_key(struct up_pax_sparse *sp, const char *key, size_t klen, const char *v,
                      size_t vlen) {
#define KEY(k) (klen == sizeof(k) - 1 && !memcmp(key, k, klen))
  int64_t n = 0;
  int bad = 0, rc = 0;
  sp->any = 1;
  if (KEY("size") || KEY("realsize")) {
    bad = up_dec(v, vlen, &n) < 0;
    sp->size = (uint64_t)n;
    sp->has_size = 1;
  } else if (KEY("major")) {
    bad = up_dec(v, vlen, &sp->major) < 0;
    sp->has_major = 1;
  } else if (KEY("minor")) {
    bad = up_dec(v, vlen, &sp->minor) < 0;
    sp->has_minor = 1;
  } else if (KEY("numblocks")) {
    bad = up_dec(v, vlen, &sp->numblocks) < 0;
    sp->has_numblocks = 1;
  } else if (KEY("name")) {
    char *s = malloc(vlen + 1);
    if (!s) return -ENOMEM;
    memcpy(s, v, vlen);
    s[vlen] = 0;
    free(sp->name);
    sp->name = s;
  } else if (KEY("offset")) {
    /* 0.0: an offset, then its numbytes. */
    bad = sp->has_offset || up_dec(v, vlen, &n) < 0;
    sp->offset = (uint64_t)n;
    sp->has_offset = 1;
  } else if (KEY("numbytes")) {
    bad = !sp->has_offset || up_dec(v, vlen, &n) < 0;
    if (!bad) {
      rc = up_map_add(&sp->map, sp->offset, (uint64_t)n);
      if (rc == -E2BIG) bad = 1, rc = 0;
    }
    sp->has_offset = 0;
  } else if (KEY("map")) {
    rc = up_map_parse_list(&sp->map, v, vlen);
    if (rc > 0) bad = 1, rc = 0;
  }
#undef KEY
  if (bad) sp->bad = 1;
  return rc < 0 ? rc : 0;
}

void up_pax_sparse_clear(struct up_pax_sparse *sp) {
  free(sp->name);
  up_map_free(&sp->map);
  memset(sp, 0, sizeof *sp);
}

static void up_sparse_reset(struct up_sparse *s) {
  up_map_free(&s->map);
  memset(s, 0, sizeof *s);
}

void up_sparse_free(struct skiff_unpack *u) { up_sparse_reset(&u->sparse); }

/* Map entries of an old GNU header or extension header: n slots of 24 bytes (offset, length);
 * the first slot whose offset starts with a NUL ends them. */
static int up_sparse_slots(struct skiff_unpack *u, const unsigned char *p, size_t n,
                           const char *name) {
  for (size_t i = 0; i < n && p[24 * i]; i++) {
    int64_t off, len;
    if (up_num(p + 24 * i, 12, &off) < 0 || up_num(p + 24 * i + 12, 12, &len) < 0 || off < 0 ||
        len < 0)
      return up_fail(u, UP_ERR_TAR, 0,
                     "Invalid tar header: the sparse map of \"%s\" has an invalid number", name);
    int rc = up_map_add(&u->sparse.map, (uint64_t)off, (uint64_t)len);
    if (rc == -E2BIG)
      return up_fail(u, UP_ERR_TAR, 0,
                     "Invalid tar header: the sparse map of \"%s\" has more than %u entries",
                     name, UP_SPARSE_MAX);
    if (rc < 0) return up_fail(u, UP_ERR_SYS, -rc, "read a sparse map");
  }
  return 0;
}

int up_sparse_header(struct skiff_unpack *u, const unsigned char *h, int gnu, char *type,
                     const char **name) {
  struct up_sparse *s = &u->sparse;
  const struct up_pax_sparse *sp = &u->pax.sparse;
  up_sparse_reset(s);
  if (*type == 'S') {
    if (!gnu)
      return up_fail(u, UP_ERR_TAR, 0,
                     "Invalid tar header: \"%s\" is a GNU sparse file in a non-GNU header",
                     *name);
    int64_t real;
    if (up_num(h + 483, 12, &real) < 0 || real < 0)
      return up_fail(u, UP_ERR_TAR, 0,
                     "Invalid tar header: the sparse file \"%s\" has an invalid size", *name);
    s->active = 1;
    s->realsize = (uint64_t)real;
    s->ext = h[482] != 0;
    *type = '0';
    return up_sparse_slots(u, h + 386, 4, *name);
  }
  if (!sp->any || (*type != '0' && *type != 0 && *type != '7')) return 0;
  if (sp->bad)
    return up_fail(u, UP_ERR_TAR, 0, "Invalid tar header: the sparse map of \"%s\" is malformed",
                   *name);
  int v1 = sp->has_major && sp->major == 1 && sp->has_minor && sp->minor == 0;
  int v0 = (!sp->has_major || sp->major == 0) && (sp->map.n > 0 || sp->has_numblocks);
  if (!v1 && !v0) {
    if (!sp->has_major && !sp->has_minor && !sp->map.n && !sp->has_numblocks)
      return 0; /* only a name or a size: nothing says the data is sparse */
    return up_fail(u, UP_ERR_TAR, 0,
                   "Invalid tar header: \"%s\" is a sparse file of an unknown format %lld.%lld",
                   *name, (long long)sp->major, (long long)sp->minor);
  }
  if (!sp->has_size || sp->size > INT64_MAX)
    return up_fail(u, UP_ERR_TAR, 0,
                   "Invalid tar header: the sparse file \"%s\" has no valid size", *name);
  if (v0 && (sp->has_offset || (sp->has_numblocks && (uint64_t)sp->numblocks != sp->map.n)))
    return up_fail(u, UP_ERR_TAR, 0, "Invalid tar header: the sparse map of \"%s\" is malformed",
                   *name);
  s->active = 1;
  s->realsize = sp->size;
  s->map_in_data = v1;
  if (v0) {
    for (size_t i = 0; i < sp->map.n; i++) {
      int rc = up_map_add(&s->map, sp->map.seg[i].off, sp->map.seg[i].len);
      if (rc < 0) return up_fail(u, UP_ERR_SYS, -rc, "read a sparse map");
    }
  }
  if (sp->name && *sp->name) *name = sp->name;
  *type = '0';
  return 0;
}

/* The map is complete: check it against the data stored, then write that data. */
static int up_sparse_check(struct skiff_unpack *u) {
  struct up_sparse *s = &u->sparse;
  uint64_t end = 0, total = 0;
  const char *name = u->cur_name;
  if (s->realsize > INT64_MAX)
    return up_fail(u, UP_ERR_TAR, 0, "Invalid tar header: the sparse file \"%s\" is too large",
                   name);
  for (size_t i = 0; i < s->map.n; i++) {
    const struct up_sparse_seg *g = &s->map.seg[i];
    if (g->off < end || g->len > s->realsize || g->off > s->realsize - g->len)
      return up_fail(u, UP_ERR_TAR, 0,
                     "Invalid tar header: the sparse map of \"%s\" has a stretch out of order "
                     "or outside the file (%llu bytes at %llu)",
                     name, (unsigned long long)g->len, (unsigned long long)g->off);
    end = g->off + g->len;
    total += g->len; /* no overflow: the stretches are disjoint and inside the file */
  }
  if (total != u->remaining)
    return up_fail(u, UP_ERR_TAR, 0,
                   "Invalid tar header: the sparse map of \"%s\" describes %llu bytes, the "
                   "archive holds %llu",
                   name, (unsigned long long)total, (unsigned long long)u->remaining);
  s->cur = 0;
  s->done = 0;
  u->content_size += s->realsize;
  u->state = UP_DATA;
  return u->remaining == 0 ? UP_SPARSE_DONE : 0;
}

/* The map is known (or is to be read from the data): go on to the data. */
static int up_sparse_next(struct skiff_unpack *u) {
  struct up_sparse *s = &u->sparse;
  if (u->curfd < 0) return UP_SPARSE_SKIP; /* no file to write (a whiteout, say) */
  if (s->map_in_data) {
    if (u->remaining == 0)
      return up_fail(u, UP_ERR_TAR, 0, "Invalid tar header: the sparse file \"%s\" has no map",
                     u->cur_name);
    u->state = UP_SPARSE_MAP;
    return 0;
  }
  return up_sparse_check(u);
}

int up_sparse_start(struct skiff_unpack *u, int fd, uint64_t size) {
  u->curfd = fd;
  u->remaining = size;
  if (u->sparse.ext) {
    u->sparse.blklen = 0;
    u->state = UP_SPARSE_EXT;
    return 0;
  }
  return up_sparse_next(u);
}

/* One number of a PAX 1.0 map has been read. */
static int up_sparse_field(struct skiff_unpack *u, uint64_t v) {
  struct up_sparse *s = &u->sparse;
  if (s->got == 0) {
    if (v > UP_SPARSE_MAX)
      return up_fail(u, UP_ERR_TAR, 0,
                     "Invalid tar header: the sparse map of \"%s\" has more than %u entries",
                     u->cur_name, UP_SPARSE_MAX);
    s->want = 1 + 2 * v;
  } else if (s->got % 2 == 1) {
    s->off = v;
  } else {
    int rc = up_map_add(&s->map, s->off, v);
    if (rc < 0) return up_fail(u, UP_ERR_SYS, -rc, "read a sparse map");
  }
  s->got++;
  if (s->got == s->want) s->complete = 1;
  return 0;
}

int up_sparse_feed(struct skiff_unpack *u, const unsigned char *p, size_t len, size_t *used) {
  struct up_sparse *s = &u->sparse;
  *used = 0;
  if (u->state == UP_SPARSE_EXT) {
    size_t n = 512 - s->blklen < len ? 512 - s->blklen : len;
    memcpy(s->blk + s->blklen, p, n);
    s->blklen += n;
    *used = n;
    if (s->blklen < 512) return 0;
    s->blklen = 0;
    int rc = up_sparse_slots(u, s->blk, 21, u->cur_name);
    if (rc < 0) return rc;
    if (s->blk[504]) return 0;
    s->ext = 0;
    return up_sparse_next(u);
  }
  /* UP_SPARSE_MAP: the map is read to the end of its block, counted in the member's size. */
  size_t n = 512 - s->textlen % 512;
  if (n > len) n = len;
  if (n > u->remaining) n = (size_t)u->remaining;
  *used = n;
  for (size_t i = 0; i < n && !s->complete; i++) {
    unsigned char c = p[i];
    if (c >= '0' && c <= '9') {
      if (s->num > (UINT64_MAX - 9) / 10 || ++s->digits > 20)
        return up_fail(u, UP_ERR_TAR, 0,
                       "Invalid tar header: the sparse map of \"%s\" has a number out of range",
                       u->cur_name);
      s->num = s->num * 10 + (c - '0');
    } else if (c == '\n' && s->digits) {
      int rc = up_sparse_field(u, s->num);
      if (rc < 0) return rc;
      s->num = 0;
      s->digits = 0;
    } else {
      return up_fail(u, UP_ERR_TAR, 0, "Invalid tar header: the sparse map of \"%s\" is malformed",
                     u->cur_name);
    }
  }
  s->textlen += n;
  u->remaining -= n;
  if (s->complete && (s->textlen % 512 == 0 || u->remaining == 0)) return up_sparse_check(u);
  if (u->remaining == 0)
    return up_fail(u, UP_ERR_TAR, 0, "Invalid tar header: the sparse map of \"%s\" is truncated",
                   u->cur_name);
  return 0;
}

int up_sparse_write(struct skiff_unpack *u, const unsigned char *p, size_t n) {
  struct up_sparse *s = &u->sparse;
  while (n > 0) {
    while (s->cur < s->map.n && s->done == s->map.seg[s->cur].len) {
      s->cur++;
      s->done = 0;
    }
    if (s->cur == s->map.n) /* cannot happen: the map was checked against the size */
      return up_fail(u, UP_ERR_TAR, 0, "Invalid tar header: the sparse map of \"%s\" is short",
                     u->cur_name);
    const struct up_sparse_seg *g = &s->map.seg[s->cur];
    size_t k = g->len - s->done < n ? (size_t)(g->len - s->done) : n;
    ssize_t w = pwrite(u->curfd, p, k, (off_t)(g->off + s->done));
    if (w < 0) {
      if (errno == EINTR) continue;
      return up_fail(u, UP_ERR_SYS, errno, "write %s/%s", u->dest, u->cur_name);
    }
    p += w;
    n -= (size_t)w;
    s->done += (uint64_t)w;
  }
  return 0;
}

int up_sparse_end(struct skiff_unpack *u, int fd) {
  struct up_sparse *s = &u->sparse;
  if (!s->active) return 0;
  int rc = 0;
  if (ftruncate(fd, (off_t)s->realsize) < 0)
    rc = up_fail(u, UP_ERR_SYS, errno, "truncate %s/%s", u->dest, u->cur_name);
  up_sparse_reset(s);
  return rc;
}
