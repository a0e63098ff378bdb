/* Layer unpacking: GNU sparse files (unpack_sparse.c), for the tar parser in unpack.c. */
#ifndef SKIFF_UNPACK_SPARSE_H
#define SKIFF_UNPACK_SPARSE_H
#include "unpack_base.h"

/* What up_sparse_start and up_sparse_feed leave to the parser, besides 0 (go on) and an error
 * (negative): the member has no file to write, so its data is to be skipped; or its data is
 * all written, so the file is to be finished. */
enum { UP_SPARSE_SKIP = 1, UP_SPARSE_DONE = 2 };

/* GNU sparse files. up_pax_sparse_key takes a GNU.sparse.KEY record (KEY
 * without the prefix); up_sparse_header sees each member's header and, for a sparse one,
 * makes it a regular file and may give its real name; up_sparse_start takes over after the
 * entry is created (fd, or -1 when there is no file to write); up_sparse_feed reads old GNU
 * extension headers and the PAX 1.0 map; up_sparse_write puts data where the map says, and
 * up_sparse_end gives the file its full size. */
int up_pax_sparse_key(struct up_pax_sparse *sp, const char *key, size_t klen, const char *v,
                      size_t vlen);
void up_pax_sparse_clear(struct up_pax_sparse *sp);
int up_sparse_header(struct skiff_unpack *u, const unsigned char *h, int gnu, char *type,
                     const char **name);
int up_sparse_start(struct skiff_unpack *u, int fd, uint64_t size);
int up_sparse_feed(struct skiff_unpack *u, const unsigned char *p, size_t len, size_t *used);
int up_sparse_write(struct skiff_unpack *u, const unsigned char *p, size_t n);
int up_sparse_end(struct skiff_unpack *u, int fd);
void up_sparse_free(struct skiff_unpack *u);

#endif
