// SPDX-License-Identifier: GPL-2.0-only
/*
 * cg_util.c - small file and number helpers for the cgroup backends.
 * Every access is openat() relative to a hierarchy fd, never a path string
 * from the root, so fake trees under mkdtemp() behave like cgroupfs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/limits.h>	/* PATH_MAX; <limits.h> is include/limits.h under -Iinclude */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg_internal.h"

bool cgu_rel_ok(const char *rel)
{
	const char *p = rel;

	if (!rel || rel[0] == '/')
		return false;
	if (strlen(rel) >= PATH_MAX / 2)
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0)			/* "a//b" or trailing '/' */
			return false;
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/')
			p++;
		if (!*p && p[-1] == '/')
			return false;
	}
	return true;
}

static int join(char *out, size_t len, const char *rel, const char *file)
{
	int n;

	if (!rel || !rel[0])
		n = snprintf(out, len, "%s", file ? file : ".");
	else if (!file)
		n = snprintf(out, len, "%s", rel);
	else
		n = snprintf(out, len, "%s/%s", rel, file);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cgu_open(int dfd, const char *rel, const char *file, int flags)
{
	char p[PATH_MAX];
	int fd, err = join(p, sizeof(p), rel, file);

	if (err)
		return err;
	fd = openat(dfd, p, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int cgu_read(int dfd, const char *rel, const char *file, char *buf, size_t len)
{
	size_t off = 0;
	int fd = cgu_open(dfd, rel, file, O_RDONLY);

	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t n;

		if (off + 1 >= len) {
			/* full: is there more? */
			char c;

			n = read(fd, &c, 1);
			close(fd);
			return n == 0 ? (buf[off] = '\0', (int)off) : -EFBIG;
		}
		n = read(fd, buf + off, len - 1 - off);
		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			/* reading a file of a removed cgroup gives ENODEV */
			return e == ENODEV ? -ENOENT : -e;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	return (int)off;
}

int cgu_write_lines(int dfd, const char *rel, const char *file, char (*lines)[128], int n)
{
	int err = 0, fd = cgu_open(dfd, rel, file, O_WRONLY | O_TRUNC);

	if (fd < 0)
		return fd;
	/* one device refusing (gone, not throttlable) must not block the others */
	for (int i = 0; i < n; i++) {
		size_t len = strlen(lines[i]);
		ssize_t w = write(fd, lines[i], len);

		if (w < 0 && !err)
			err = -errno;	/* ENODEV: no such device (io.max) or cgroup removed */
		else if (w >= 0 && (size_t)w != len && !err)
			err = -EIO;
	}
	close(fd);
	return err;
}

int cgu_write(int dfd, const char *rel, const char *file, const char *s)
{
	char line[1][128];

	if (strlen(s) >= sizeof(line[0]))
		return -EINVAL;
	strcpy(line[0], s);
	return cgu_write_lines(dfd, rel, file, line, 1);
}

bool cgu_dir_exists(int dfd, const char *rel)
{
	struct stat st;

	if (dfd < 0)
		return false;
	if (fstatat(dfd, rel && rel[0] ? rel : ".", &st, 0))
		return false;
	return S_ISDIR(st.st_mode);
}

int cgu_parse_u64(const char *s, const char **end, uint64_t *v)
{
	uint64_t x = 0;
	const char *p = s;

	if (!s || *p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
	}
	if (end)
		*end = p;
	*v = x;
	return 0;
}

static bool only_space(const char *p)
{
	for (; *p; p++)
		if (*p != ' ' && *p != '\n' && *p != '\t')
			return false;
	return true;
}

int cgu_parse_limit(const char *s, uint64_t *v)
{
	const char *end;
	int err;

	if (!s)
		return -EINVAL;
	if (!strncmp(s, "max", 3) && only_space(s + 3)) {
		*v = CG_UNLIMITED;
		return 0;
	}
	if (!strncmp(s, "-1", 2) && only_space(s + 2)) {
		*v = CG_UNLIMITED;
		return 0;
	}
	err = cgu_parse_u64(s, &end, v);
	if (err)
		return err;
	return only_space(end) ? 0 : -EINVAL;
}

int cgu_read_u64(int dfd, const char *rel, const char *file, uint64_t *v)
{
	char buf[64];
	int n = cgu_read(dfd, rel, file, buf, sizeof(buf));

	if (n < 0)
		return n == -EFBIG ? -EINVAL : n;
	return cgu_parse_limit(buf, v) ? -EINVAL : 0;
}

int cgu_keyed(const char *buf, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ' ') {
			const char *end;

			if (cgu_parse_u64(p + klen + 1, &end, v))
				return -EINVAL;
			return (*end == '\n' || *end == '\0') ? 0 : -EINVAL;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

bool cgu_keyed_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

const char *cgu_fmt_limit(uint64_t v, char *buf, size_t len)
{
	if (v == CG_UNLIMITED)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

uint32_t cgu_bfq_weight(uint32_t io_weight)
{
	if (!io_weight)
		return 100;
	return io_weight > 1000 ? 1000 : io_weight;
}

int cgu_expand_devs(const struct cg_layout *l, const struct cg_limits *lim,
		    struct cg_io_limit *out, int max)
{
	int n = 0;

	if (lim->nr_io < 0 || lim->nr_io > CG_IO_MAX_DEVS)
		return -EINVAL;
	for (int i = 0; i < lim->nr_io; i++) {
		const struct cg_io_limit *io = &lim->io[i];

		if (io->major == 0 && io->minor == 0) {
			uint32_t devs[CGU_MAX_DEVS][2];
			int nd = cgu_block_devs(l->sys_fd, devs, CGU_MAX_DEVS);

			if (nd < 0)
				return nd;
			for (int d = 0; d < nd; d++) {
				int j;

				/* an explicit entry for the same device wins */
				for (j = 0; j < lim->nr_io; j++)
					if (lim->io[j].major == devs[d][0] &&
					    lim->io[j].minor == devs[d][1])
						break;
				if (j < lim->nr_io)
					continue;
				if (n >= max)
					return -E2BIG;
				out[n] = *io;
				out[n].major = devs[d][0];
				out[n].minor = devs[d][1];
				n++;
			}
			continue;
		}
		if (n >= max)
			return -E2BIG;
		out[n++] = *io;
	}
	return n;
}

int cgu_root_open(int fd, const char *dflt)
{
	/* a dup, so callers always close what they got */
	if (fd >= 0)
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	else
		fd = open(dflt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int dev_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

int cgu_block_devs(int sys_fd, uint32_t (*devs)[2], int max)
{
	int fd = cgu_root_open(sys_fd, "/sys"), bfd, n = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return fd;
	bfd = openat(fd, "block", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(fd);
	if (bfd < 0)
		return -errno;
	d = fdopendir(bfd);
	if (!d) {
		close(bfd);
		return -ENOMEM;
	}
	while ((de = readdir(d)) && n < max) {
		char buf[64];
		uint64_t size;
		unsigned ma, mi;

		if (de->d_name[0] == '.' || !strncmp(de->d_name, "ram", 3))
			continue;
		if (cgu_read(bfd, de->d_name, "dev", buf, sizeof(buf)) < 0 ||
		    sscanf(buf, "%u:%u", &ma, &mi) != 2)
			continue;
		/* unbound loop, unconfigured zram, drive without media: size 0 */
		if (cgu_read_u64(bfd, de->d_name, "size", &size) || size == 0)
			continue;
		devs[n][0] = ma;
		devs[n][1] = mi;
		n++;
	}
	closedir(d);
	qsort(devs, (size_t)n, sizeof(devs[0]), dev_cmp);
	return n;
}
