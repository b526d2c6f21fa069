// SPDX-License-Identifier: GPL-2.0-only
/* psi.c - pressure stall information parser (cgroup and host files). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cg_internal.h"
#include "psi.h"

static const char *const res_names[PSI_NR] = {
	[PSI_CPU] = "cpu",
	[PSI_MEM] = "memory",
	[PSI_IO] = "io",
};

const char *psi_res_name(enum psi_res r)
{
	return (unsigned)r < PSI_NR ? res_names[r] : "?";
}

/* "avg10=0.00 avg60=0.00 avg300=0.00 total=0" */
static int parse_line(const char *p, struct psi_line *l)
{
	double a10, a60, a300;
	uint64_t total;
	int n = -1;

	if (sscanf(p, " avg10=%lf avg60=%lf avg300=%lf total=%n", &a10, &a60, &a300, &n) != 3 ||
	    n < 0)
		return -EINVAL;
	/* strict: sscanf's %llu would take "-3" */
	if (cgu_parse_u64(p + n, &p, &total))
		return -EINVAL;
	if (*p != '\n' && *p != '\0')
		return -EINVAL;
	if (a10 < 0 || a60 < 0 || a300 < 0 || a10 > 100 || a60 > 100 || a300 > 100)
		return -EINVAL;
	l->avg10 = a10;
	l->avg60 = a60;
	l->avg300 = a300;
	l->total_us = total;
	return 0;
}

int psi_parse(const char *buf, struct psi_stats *out)
{
	struct psi_stats s = { 0 };
	const char *p = buf;

	if (!buf)
		return -EINVAL;
	while (*p) {
		const char *nl = strchr(p, '\n');

		if (!strncmp(p, "some ", 5)) {
			if (parse_line(p + 4, &s.some))
				return -EINVAL;
			s.has_some = true;
		} else if (!strncmp(p, "full ", 5)) {
			if (parse_line(p + 4, &s.full))
				return -EINVAL;
			s.has_full = true;
		} else if (*p != '\n') {
			/* unknown kind: skip, but the line must look like "word ..." */
			if (*p < 'a' || *p > 'z')
				return -EINVAL;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (!s.has_some)
		return -EINVAL;
	*out = s;
	return 0;
}

int psi_parse_file(FILE *f, struct psi_stats *out)
{
	char buf[1024];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);

	if (ferror(f))
		return -EIO;
	if (!feof(f) && n == sizeof(buf) - 1)
		return -EINVAL;	/* far too long to be a pressure file */
	buf[n] = '\0';
	return psi_parse(buf, out);
}

int psi_read_at(int dfd, const char *path, struct psi_stats *out)
{
	char buf[1024];
	int n = cgu_read(dfd, "", path, buf, sizeof(buf));

	/* psi=0 on the command line: the files exist, read() fails EOPNOTSUPP */
	if (n == -EOPNOTSUPP || n == -ENOTSUP)
		return -EOPNOTSUPP;
	if (n < 0)
		return n == -EFBIG ? -EINVAL : n;
	return psi_parse(buf, out);
}

int psi_read_host(int proc_fd, enum psi_res r, struct psi_stats *out)
{
	char path[64];
	int fd = proc_fd, err;

	if ((unsigned)r >= PSI_NR)
		return -EINVAL;
	if (fd < 0) {
		fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
	}
	snprintf(path, sizeof(path), "pressure/%s", res_names[r]);
	err = psi_read_at(fd, path, out);
	if (proc_fd < 0)
		close(fd);
	return err;
}
