// SPDX-License-Identifier: GPL-2.0-only
/*
 * mem_share.c - the memory limit of the cgroup quell keeps its tenants
 * under (the managed subtree in users mode, the [tenants] parent in cgroups
 * mode): with MemTotal, what a share such as the default `mem = 50%` is of
 * (limits_share_base(), docs/quell.conf [limits]). Read every tick: an admin
 * may box the tenants after quelld started.
 *
 * The memory controller's hierarchy: v1 (memory.limit_in_bytes) where it
 * is mounted, else v2 (memory.max). The root's ancestors count too (a box
 * around the managed root bounds what its tenants share as much as the
 * root's own limit); the hierarchy root has no limit of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cg_internal.h"

/* v1 says "no limit" with PAGE_COUNTER_MAX pages: 0x7ffffffffffff000 on 64-bit */
#define V1_NO_LIMIT_MIN	(1ULL << 62)

int cg_read_mem_limit(const struct cg_layout *l, const char *rel, uint64_t *bytes)
{
	char path[512], *slash;
	const char *file;
	uint64_t best = CG_UNLIMITED;
	bool v1 = l->v1_fd[CGC_MEMORY] >= 0;
	int fd, e;

	if (!rel || !cgu_rel_ok(rel) || !bytes)
		return -EINVAL;
	if (v1) {
		fd = l->v1_fd[CGC_MEMORY];
		file = "memory.limit_in_bytes";
	} else if (l->v2_fd >= 0 && l->v2_has[CGC_MEMORY]) {
		fd = l->v2_fd;
		file = "memory.max";
	} else {
		return -EOPNOTSUPP;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s", rel) >= sizeof(path))
		return -ENAMETOOLONG;
	if (path[0] && !cgu_dir_exists(fd, path))
		return -ENOENT;
	while (path[0]) {
		uint64_t v;

		e = cgu_read_u64(fd, path, file, &v);	/* "max" -> CG_UNLIMITED */
		/*
		 * v2: an ancestor without the memory controller enabled for its
		 * children has no memory.max in them: no limit there
		 */
		if (e && e != -ENOENT)
			return e;
		if (!e && v1 && v >= V1_NO_LIMIT_MIN)
			v = CG_UNLIMITED;
		if (!e && v < best)
			best = v;
		slash = strrchr(path, '/');
		if (slash)
			*slash = '\0';
		else
			path[0] = '\0';
	}
	*bytes = best;
	return 0;
}
