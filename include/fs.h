/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fs.h - directories for the files quell writes (state, audit log, RRD,
 * socket). Common layer: one mkdir -p instead of one per module (issue 13).
 */
#ifndef QUELL_FS_H
#define QUELL_FS_H

#include <sys/types.h>

/*
 * fs_mkdir_p - mkdir -p: create each missing directory of dir, the last one
 * with mode and those above it with parent_mode (both under the umask).
 * Directories that exist are left as they are (mode included). Returns 0,
 * -EINVAL (empty), -ENAMETOOLONG (PATH_MAX), or mkdir's -errno (-ENOTDIR
 * when a component is a file, -EACCES, ...).
 */
int fs_mkdir_p(const char *dir, mode_t parent_mode, mode_t mode);
/*
 * fs_mkdir_parent - fs_mkdir_p() of the directory holding the file path,
 * every level with mode; nothing to do for "name" or "/name". Same returns.
 */
int fs_mkdir_parent(const char *path, mode_t mode);

#endif /* QUELL_FS_H */
