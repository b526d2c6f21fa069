// SPDX-License-Identifier: GPL-2.0-only
/*
 * fs.c - mkdir -p (include/fs.h). Was written four times, with different
 * buffers and modes: events_log.c (the audit log's parents), history_writer.c
 * (the RRD tree), api.c (the socket's directory) and enforcer.c (state_dir).
 */
#include <errno.h>
#include <linux/limits.h>	/* PATH_MAX; <limits.h> is include/limits.h under -Iinclude */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"

static int mkdir_one(const char *p, mode_t mode)
{
	struct stat st;

	if (!mkdir(p, mode))
		return 0;
	if (errno != EEXIST)
		return -errno;
	/* EEXIST from a file must not pass for a directory: the next open fails less clearly */
	if (stat(p, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int fs_mkdir_p(const char *dir, mode_t parent_mode, mode_t mode)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);
	int ret;

	if (!n)
		return -EINVAL;
	if (n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';		/* "a/b/": b is the last one, made with mode */
	for (char *s = p + 1; *s; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = '\0';
		ret = mkdir_one(p, parent_mode);
		*s = '/';
		if (ret)
			return ret;
	}
	return mkdir_one(p, mode);
}

int fs_mkdir_parent(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	char *slash;

	if (strlen(path) >= sizeof(p))
		return -ENAMETOOLONG;
	snprintf(p, sizeof(p), "%s", path);
	slash = strrchr(p, '/');
	if (!slash || slash == p)
		return 0;
	*slash = '\0';
	return fs_mkdir_p(p, mode, mode);
}
