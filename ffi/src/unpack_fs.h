/* Layer unpacking: creating entries under the destination directory (unpack_fs.c), for the
 * tar parser in unpack.c. */
#ifndef SKIFF_UNPACK_FS_H
#define SKIFF_UNPACK_FS_H
#include "unpack_base.h"

/* Creates the entry; for a regular file, *fd receives the new file's fd (data
 * is written by the parser, then up_file_done applies metadata and closes it). */
int up_entry_begin(struct skiff_unpack *u, const struct up_entry *e, int *fd);
int up_file_done(struct skiff_unpack *u, const struct up_entry *e, int fd);
/* Applies the directory times recorded during the unpack. */
int up_apply_dir_times(struct skiff_unpack *u);
void up_fs_free(struct skiff_unpack *u);

#endif
