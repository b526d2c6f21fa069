/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fixture.h - fake cgroupfs / procfs trees for unit tests, and the fuzz
 * tests' random numbers.
 * Header-only so each test binary stays one file. Trees live under
 * mkdtemp() and are removed by fx_tree_free().
 */
#ifndef QUELL_TEST_FIXTURE_H
#define QUELL_TEST_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fx_tree {
	char path[256];
	int fd;
};

static inline int fx_tree_new(struct fx_tree *t)
{
	snprintf(t->path, sizeof(t->path), "/tmp/quell-fx-XXXXXX");
	if (!mkdtemp(t->path))
		return -errno;
	t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return t->fd < 0 ? -errno : 0;
}

static inline int fx_mkdirs(const char *root, const char *rel)
{
	char p[512];
	size_t n = (size_t)snprintf(p, sizeof(p), "%s/%s", root, rel);

	for (size_t i = strlen(root) + 1; i <= n; i++) {
		if (p[i] == '/' || p[i] == '\0') {
			char c = p[i];

			p[i] = '\0';
			if (mkdir(p, 0755) && errno != EEXIST)
				return -errno;
			p[i] = c;
		}
	}
	return 0;
}

/* Write content to root/rel, creating parent directories. */
static inline int fx_write(const struct fx_tree *t, const char *rel, const char *content)
{
	char dir[512], p[512];
	const char *slash = strrchr(rel, '/');
	FILE *f;

	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
		if (fx_mkdirs(t->path, dir))
			return -errno;
	}
	snprintf(p, sizeof(p), "%s/%s", t->path, rel);
	f = fopen(p, "w");
	if (!f)
		return -errno;
	fputs(content, f);
	fclose(f);
	return 0;
}

/* Read root/rel into buf (NUL-terminated); returns bytes or -errno. */
static inline int fx_read(const struct fx_tree *t, const char *rel, char *buf, size_t len)
{
	char p[512];
	int fd, n;

	snprintf(p, sizeof(p), "%s/%s", t->path, rel);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = (int)read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

static inline int fx_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static inline void fx_tree_free(struct fx_tree *t)
{
	if (t->fd >= 0)
		close(t->fd);
	nftw(t->path, fx_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * xorshift64*: the fuzz tests' pseudo-random numbers, the same sequence
 * from the same seed on every run and machine, so a failure reproduces.
 */
static inline uint64_t fx_rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* 0 <= result < n (0 for n 0) */
static inline size_t fx_rnd_below(uint64_t *s, size_t n)
{
	return n ? (size_t)(fx_rnd(s) % n) : 0;
}

#endif /* QUELL_TEST_FIXTURE_H */
