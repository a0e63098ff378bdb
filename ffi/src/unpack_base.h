/* Layer unpacking: the state and types its files share, the error record and the number
 * readers (unpack_base.c). The public API is in skiff.h.
 *
 * Layers, each depending only on those listed before it (tests/layers.sh checks the includes
 * and the calls):
 *   base, fs, sparse, unpack.
 * base (this file) holds what all of them share; unpack_fs.c creates entries under the
 * destination; unpack_sparse.c reads GNU sparse maps and writes sparse files; unpack.c, the
 * tar push parser, drives both. */
#ifndef SKIFF_UNPACK_BASE_H
#define SKIFF_UNPACK_BASE_H
#include "skiff.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A growable byte buffer. */
struct up_buf {
  char *p;
  size_t len, cap;
};

/* One extended attribute from a PAX header (SCHILY.xattr.NAME); the value may be binary. */
struct up_xattr {
  char *name;
  char *value;
  size_t len;
};

/* One stretch of a sparse file's data: len bytes stored in the archive that belong at off. */
struct up_sparse_seg {
  uint64_t off, len;
};

/* A sparse file's map, in archive order. */
struct up_sparse_map {
  struct up_sparse_seg *seg;
  size_t n, cap;
};

/* The GNU.sparse.* keys of a PAX header (formats 0.0, 0.1 and 1.0); see unpack_sparse.c. */
struct up_pax_sparse {
  int any;                     /* some GNU.sparse key was present */
  int bad;                     /* a value was malformed: the member is refused */
  int has_size, has_major, has_minor, has_numblocks, has_offset;
  uint64_t size;               /* GNU.sparse.size or GNU.sparse.realsize */
  int64_t major, minor, numblocks;
  uint64_t offset;             /* a 0.0 GNU.sparse.offset waiting for its numbytes */
  char *name;                  /* GNU.sparse.name: the member's real name */
  struct up_sparse_map map;    /* 0.0 offset/numbytes pairs, or the 0.1 GNU.sparse.map */
};

/* The keys of a PAX header skiff uses; has_* say which were present. */
struct up_pax {
  char *path, *linkpath;
  int has_size, has_uid, has_gid, has_mtime;
  uint64_t size;
  int64_t uid, gid;
  struct timespec mtime;
  struct up_xattr *xattrs;
  size_t nxattrs;
  struct up_pax_sparse sparse;
};

/* A tar entry as unpack_fs.c sees it, long names and PAX values already applied. */
struct up_entry {
  const char *name;     /* as in the archive, for messages */
  const char *linkname; /* symlink target or hard link target, "" when none */
  char type;            /* '0' file, '1' link, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo */
  uint32_t mode;
  int64_t uid, gid;
  uint32_t devmajor, devminor;
  struct timespec mtime;
  const struct up_pax *pax, *gpax; /* xattrs: the entry's PAX header, then the global one */
};

struct up_idmap {
  uint32_t inside, outside, count;
};

/* A directory fd kept open for the next entries, by path relative to the root. */
struct up_cached_dir {
  char *rel;
  int fd;
  uint64_t used; /* tick of the last use, for least-recently-used eviction */
};
#define UP_CACHE_SIZE 16

struct up_dirtime {
  char *rel;
  struct timespec ts;
};

/* The sparse layout of the member being read (unpack_sparse.c). */
struct up_sparse {
  int active;               /* the current member is a sparse file */
  int map_in_data;          /* PAX 1.0: the map is read from the start of the data */
  int ext;                  /* old GNU: extension headers with more map entries follow */
  uint64_t realsize;        /* the file's full size */
  struct up_sparse_map map; /* where the stored bytes go */
  size_t cur;               /* segment being written */
  uint64_t done;            /* bytes of it written */
  unsigned char blk[512];   /* an old GNU extension header being read */
  size_t blklen;
  /* PAX 1.0 map text: decimal numbers, one per line, padded to a block */
  uint64_t textlen, num, want, got, off;
  int digits, complete;
};

enum { UP_HEADER, UP_META, UP_DATA, UP_SKIP, UP_SPARSE_EXT, UP_SPARSE_MAP };
enum { UP_ERR_NONE, UP_ERR_SYS, UP_ERR_INVALID, UP_ERR_TAR };

struct skiff_unpack {
  int rootfd;
  char *dest;
  uint32_t flags;
  int is_root;   /* euid 0: devices may be created */
  int have_proc; /* /proc/self/fd is there, for xattrs on symlinks and devices */
  char opaque_xattr[32];
  struct up_idmap *uidmap, *gidmap;
  size_t nuidmap, ngidmap;

  /* parser */
  int state;
  unsigned char hdr[512];
  size_t hdrlen;
  uint64_t remaining; /* bytes of data (or meta) left in the current member */
  uint64_t pad;       /* padding to skip after it */
  char meta_type;     /* 'x', 'g', 'L' or 'K' while state is UP_META */
  struct up_buf meta;
  char *longname, *longlink;
  struct up_pax pax, gpax;
  int curfd; /* regular file being written, or -1 */
  struct up_entry cur;
  char *cur_name, *cur_link;
  struct up_sparse sparse;
  uint64_t content_size; /* bytes of the files and symlinks created so far */

  /* unpack_fs.c */
  struct up_cached_dir cache[UP_CACHE_SIZE];
  uint64_t tick;
  char *cur_rel; /* the current entry's cleaned path */
  struct up_dirtime *times;
  size_t ntimes, captimes;

  int err_kind;
  int err_rc; /* what feed and finish keep returning after an error */
  char err_entry[4096];
  char err_msg[8192];
};

/* Records an error; returns the value feed and finish return for it (-errno for UP_ERR_SYS). */
int up_fail(struct skiff_unpack *u, int kind, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A numeric header field (octal or base 256) and a decimal number; -1 if invalid. */
int up_num(const unsigned char *f, size_t n, int64_t *out);
int up_dec(const char *s, size_t n, int64_t *out);

#endif
