// SPDX-License-Identifier: GPL-2.0-only
/*
 * cg_layout.c - find out which cgroup hierarchies live under a root dir.
 *
 * Detection looks at the directory tree only (never /proc/mounts), so a
 * fake tree under mkdtemp() is detected exactly like /sys/fs/cgroup:
 *   v2      root/cgroup.controllers exists
 *   hybrid  v1 controller dirs + unified/cgroup.controllers
 *   v1      v1 controller dirs only
 * A v1 controller dir is any entry (dir, or symlink to one, as Debian's
 * "cpu -> cpu,cpuacct") whose comma-separated name holds the controller
 * and which contains cgroup.procs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg_internal.h"

const char *const cg_v1_names[CGC_NR] = {
	[CGC_CPU] = "cpu",
	[CGC_CPUACCT] = "cpuacct",
	[CGC_MEMORY] = "memory",
	[CGC_BLKIO] = "blkio",
	[CGC_PIDS] = "pids",
	[CGC_FREEZER] = "freezer",
};

const char *cg_mode_name(enum cg_mode m)
{
	switch (m) {
	case CG_MODE_V1:
		return "v1";
	case CG_MODE_HYBRID:
		return "hybrid";
	case CG_MODE_V2:
		return "v2";
	default:
		return "none";
	}
}

static bool file_exists(int dfd, const char *path)
{
	struct stat st;

	return !fstatat(dfd, path, &st, 0) && S_ISREG(st.st_mode);
}

static int open_dir(int dfd, const char *path)
{
	int fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* v2 controllers: cgroup.controllers of the unified root ("cpu io memory pids"). */
static void read_v2_controllers(struct cg_layout *l)
{
	char buf[512], *tok, *save = NULL;

	if (cgu_read(l->v2_fd, "", "cgroup.controllers", buf, sizeof(buf)) < 0)
		return;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (!strcmp(tok, "cpu")) {
			l->v2_has[CGC_CPU] = true;
			l->v2_has[CGC_CPUACCT] = true;	/* accounting comes with cpu */
		} else if (!strcmp(tok, "memory")) {
			l->v2_has[CGC_MEMORY] = true;
		} else if (!strcmp(tok, "io")) {
			l->v2_has[CGC_BLKIO] = true;
		} else if (!strcmp(tok, "pids")) {
			l->v2_has[CGC_PIDS] = true;
		}
	}
	/* the v2 freezer is core (cgroup.freeze, 5.2+), not a controller */
	l->v2_has[CGC_FREEZER] = true;
}

/* Does the comma-separated name hold controller c? */
static bool name_has(const char *name, const char *c)
{
	size_t n = strlen(c);

	for (const char *p = name; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, c, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

static int scan_v1(struct cg_layout *l)
{
	int dfd = open_dir(l->root_fd, "."), found = 0;
	struct dirent *de;
	DIR *d;

	if (dfd < 0)
		return dfd;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		char probe[300];

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "unified"))
			continue;
		snprintf(probe, sizeof(probe), "%s/cgroup.procs", de->d_name);
		for (int c = 0; c < CGC_NR; c++) {
			if (l->v1_fd[c] >= 0 || !name_has(de->d_name, cg_v1_names[c]))
				continue;
			if (!file_exists(l->root_fd, probe))
				break;
			l->v1_fd[c] = open_dir(l->root_fd, de->d_name);
			if (l->v1_fd[c] >= 0)
				found++;
			else
				l->v1_fd[c] = -1;
		}
	}
	closedir(d);
	return found;
}

int cg_layout_open(int root_fd, struct cg_layout *l)
{
	int nv1;

	memset(l, 0, sizeof(*l));
	l->mode = CG_MODE_NONE;
	l->root_fd = root_fd;
	l->v2_fd = -1;
	l->proc_fd = -1;
	l->sys_fd = -1;
	for (int c = 0; c < CGC_NR; c++)
		l->v1_fd[c] = -1;
	if (root_fd < 0)
		return -EBADF;

	if (file_exists(root_fd, "cgroup.controllers")) {
		l->v2_fd = open_dir(root_fd, ".");
		if (l->v2_fd < 0) {
			int err = l->v2_fd;

			l->v2_fd = -1;
			return err;
		}
		l->mode = CG_MODE_V2;
		read_v2_controllers(l);
		return 0;
	}

	nv1 = scan_v1(l);
	if (nv1 < 0)
		return nv1;
	if (file_exists(root_fd, "unified/cgroup.controllers")) {
		l->v2_fd = open_dir(root_fd, "unified");
		if (l->v2_fd < 0)
			l->v2_fd = -1;
		else
			read_v2_controllers(l);
	}
	if (nv1 > 0)
		l->mode = l->v2_fd >= 0 ? CG_MODE_HYBRID : CG_MODE_V1;
	else if (l->v2_fd >= 0)
		l->mode = CG_MODE_V2;	/* only unified/ mounted: v2 at a subdirectory */
	else
		return -ENOENT;
	return 0;
}

void cg_layout_close(struct cg_layout *l)
{
	if (l->v2_fd >= 0)
		close(l->v2_fd);
	l->v2_fd = -1;
	for (int c = 0; c < CGC_NR; c++) {
		if (l->v1_fd[c] >= 0)
			close(l->v1_fd[c]);
		l->v1_fd[c] = -1;
	}
	l->mode = CG_MODE_NONE;
}

int cg_level(const char *rel)
{
	int n = 0;

	if (!rel || !cgu_rel_ok(rel))
		return -EINVAL;
	if (!rel[0])
		return 0;
	n = 1;
	for (const char *p = rel; *p; p++)
		n += *p == '/';
	return n;
}

void cg_limits_init(struct cg_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->cpu_quota_us = CG_UNLIMITED;
	lim->cpu_period_us = 0;
	lim->mem_high = CG_UNLIMITED;
	lim->mem_max = CG_UNLIMITED;
	lim->pids_max = CG_UNLIMITED;
	lim->nr_io = 0;
}
