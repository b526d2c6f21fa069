// SPDX-License-Identifier: GPL-2.0-only
/*
 * events_log.c - the audit log: JSON lines, rotated by size, and the one
 * reader of it (issue 11 item 4, issue 13). The daemon's `events` command,
 * quellctl graph's event marks (fetch.c) and quelltop all read
 * through events_log_scan(): newest first, backwards through the current
 * file in 64 KiB chunks, then path.1, path.2, ..., stopping as soon as the
 * caller has enough (limit) or the lines get older than it asked for
 * (since). The first version read all 6 x 10 MB into memory and then cut
 * to limit: 4.9 s and RSS 44 -> 530 MB inside the daemon's loop.
 *
 * It lives in src/history (no daemon state): quellctl links it without quelld.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "events_log.h"
#include "fs.h"

#define EVENTS_MAX_KEEP	100
#define EVENTS_FILE_MODE	0640
#define EVENTS_CHUNK	(64 << 10)	/* read backwards this much at a time */
#define EVENTS_LINE_MAX	(1 << 20)	/* longer lines are skipped, not buffered */
/*
 * Lines are appended in time order, but "time" is set by the caller of
 * events_log_append (the enforcer stamps the decision's time): a line may be
 * a little older than the one before it. The scan for since stops only
 * once lines are this much older than since.
 */
#define EVENTS_SINCE_SLACK	60

struct events_log {
	char path[PATH_MAX];
	uint64_t max_bytes;
	int keep;
	int fd;
	uint64_t size;
};

static int log_reopen(struct events_log *l)
{
	struct stat st;

	if (l->fd >= 0)
		close(l->fd);
	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, EVENTS_FILE_MODE);
	if (l->fd < 0)
		return -errno;
	if (fstat(l->fd, &st))
		return -errno;
	/* a log of an older version may be 0644: the audit log is not world-readable */
	if ((st.st_mode & 0007) && fchmod(l->fd, EVENTS_FILE_MODE))
		return -errno;
	l->size = (uint64_t)st.st_size;
	return 0;
}

int events_log_open(const char *path, uint64_t max_bytes, int keep, struct events_log **out)
{
	struct events_log *l;
	int ret;

	if (!path || !*path || strlen(path) + 8 >= PATH_MAX || keep < 0)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->max_bytes = max_bytes;
	l->keep = keep > EVENTS_MAX_KEEP ? EVENTS_MAX_KEEP : keep;
	l->fd = -1;
	ret = fs_mkdir_parent(path, 0750);
	if (!ret)
		ret = log_reopen(l);
	/* rotated files of an older version may be 0644 too */
	for (int i = 1; !ret && i <= l->keep; i++) {
		char p[PATH_MAX + 16];
		struct stat st;

		snprintf(p, sizeof(p), "%s.%d", path, i);
		if (stat(p, &st))
			break;
		if ((st.st_mode & 0007) && chmod(p, EVENTS_FILE_MODE))
			ret = -errno;
	}
	if (ret) {
		events_log_close(l);
		return ret;
	}
	*out = l;
	return 0;
}

void events_log_close(struct events_log *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

/* path.K-1 -> path.K ... path -> path.1; keep = 0 just starts over */
static int log_rotate(struct events_log *l)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];

	if (!l->keep) {
		if (ftruncate(l->fd, 0))
			return -errno;
		l->size = 0;
		return 0;
	}
	for (int i = l->keep - 1; i >= 1; i--) {
		snprintf(from, sizeof(from), "%s.%d", l->path, i);
		snprintf(to, sizeof(to), "%s.%d", l->path, i + 1);
		if (rename(from, to) && errno != ENOENT)
			return -errno;
	}
	snprintf(to, sizeof(to), "%s.1", l->path);
	if (rename(l->path, to))
		return -errno;
	return log_reopen(l);
}

int events_log_append(struct events_log *l, json_t *ev)
{
	char *line;
	size_t len;
	ssize_t w;
	int ret = 0;

	if (!l || !json_is_object(ev))
		return -EINVAL;
	if (!json_object_get(ev, "time")) {
		struct timeval tv;

		gettimeofday(&tv, NULL);
		json_object_set_new(ev, "time", json_integer(tv.tv_sec));
	}
	line = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!line)
		return -ENOMEM;
	len = strlen(line);
	line[len++] = '\n';	/* json_dumps' NUL becomes the newline: one write */
	if (l->max_bytes && l->size && l->size + len > l->max_bytes)
		ret = log_rotate(l);
	if (!ret) {
		w = write(l->fd, line, len);
		if (w < 0)
			ret = -errno;
		else if ((size_t)w != len)
			ret = -EIO;
		else
			l->size += len;
	}
	free(line);
	return ret;
}

/*
 * scan_fd - call fn for each line of fd, last line first. A final line
 * without its newline is passed too (callers skip what does not parse).
 * Returns 0 (start of file reached), fn's non-zero return, or -errno.
 */
static int scan_fd(int fd, events_line_fn fn, void *arg)
{
	char *buf = NULL;
	size_t cap = 0, carry = 0;
	bool skip = false;	/* the line being assembled is too long: drop it */
	struct stat st;
	off_t end;
	int ret = 0;

	if (fstat(fd, &st))
		return -errno;
	end = st.st_size;
	while (end > 0) {
		size_t n = end > EVENTS_CHUNK ? EVENTS_CHUNK : (size_t)end, stop;

		if (n + carry > cap) {
			char *nb = realloc(buf, n + carry);

			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = n + carry;
		}
		memmove(buf + n, buf, carry);
		end -= (off_t)n;
		for (size_t got = 0; got < n;) {
			ssize_t r = pread(fd, buf + got, n - got, end + (off_t)got);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {	/* truncated under us: what we have is all */
				ret = r < 0 ? -errno : 0;
				goto out;
			}
			got += (size_t)r;
		}
		stop = n + carry;
		for (size_t i = n; i-- > 0;) {
			if (buf[i] != '\n')
				continue;
			if (stop > i + 1 && !skip && stop - i - 1 <= EVENTS_LINE_MAX) {
				ret = fn(buf + i + 1, stop - i - 1, arg);
				if (ret)
					goto out;
			}
			skip = false;
			stop = i;
		}
		carry = stop;
		if (carry > EVENTS_LINE_MAX) {
			carry = 0;
			skip = true;
		}
	}
	if (carry && !skip && carry <= EVENTS_LINE_MAX)
		ret = fn(buf, carry, arg);
out:
	free(buf);
	return ret;
}

int events_log_scan(const char *path, events_line_fn fn, void *arg)
{
	char p[PATH_MAX + 16];
	int ret = 0;

	if (!path || !*path || !fn)
		return -EINVAL;
	for (int i = 0; i <= EVENTS_MAX_KEEP && !ret; i++) {
		int fd;

		if (i)
			snprintf(p, sizeof(p), "%s.%d", path, i);
		else
			snprintf(p, sizeof(p), "%s", path);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno != ENOENT)
				return -errno;
			if (i)		/* rotated files are numbered without gaps */
				break;
			continue;	/* keep = 0, or rotated and not reopened yet */
		}
		ret = scan_fd(fd, fn, arg);
		close(fd);
	}
	return ret < 0 ? ret : 0;
}

int events_line_time(const char *line, size_t len, double *t)
{
	static const char key[] = "\"time\":";
	const char *p = memmem(line, len, key, sizeof(key) - 1);
	char num[32];
	size_t k = 0;
	char *end;

	if (!p)
		return -ENOENT;
	p += sizeof(key) - 1;
	while (p < line + len && *p == ' ')
		p++;
	while (p < line + len && k + 1 < sizeof(num) && strchr("0123456789.eE+-", *p))
		num[k++] = *p++;
	num[k] = '\0';
	*t = strtod(num, &end);
	return k && *end == '\0' ? 0 : -EINVAL;
}

bool events_line_may_match(const char *line, size_t len, const char *tenant)
{
	char needle[QUELL_EVENTS_NEEDLE];
	int n;

	if (!tenant || !*tenant)
		return true;
	if (strpbrk(tenant, "\"\\/"))	/* escaped in JSON: let the parser decide */
		return true;
	n = snprintf(needle, sizeof(needle), "\"tenant\":\"%s\"", tenant);
	if (n < 0 || (size_t)n >= sizeof(needle))
		return true;
	return memmem(line, len, needle, (size_t)n) != NULL;
}

struct read_ctx {
	const char *tenant;
	time_t since;
	int limit;
	json_t *arr;
};

static int read_line(const char *line, size_t len, void *arg)
{
	struct read_ctx *c = arg;
	json_t *ev, *t;
	double tm;

	if (c->since > 0 && !events_line_time(line, len, &tm) && tm < (double)c->since) {
		if (tm < (double)c->since - EVENTS_SINCE_SLACK)
			return 1;	/* older than asked for from here on */
		return 0;
	}
	if (!events_line_may_match(line, len, c->tenant))
		return 0;
	ev = json_loadb(line, len, 0, NULL);
	if (!json_is_object(ev))
		goto skip;
	if (c->tenant && *c->tenant) {
		t = json_object_get(ev, "tenant");
		if (!json_is_string(t) || strcmp(json_string_value(t), c->tenant))
			goto skip;
	}
	if (c->since > 0) {
		t = json_object_get(ev, "time");
		if (!json_is_number(t) || json_number_value(t) < (double)c->since)
			goto skip;
	}
	if (json_array_append_new(c->arr, ev))
		return -ENOMEM;
	return c->limit > 0 && json_array_size(c->arr) >= (size_t)c->limit;
skip:
	json_decref(ev);
	return 0;
}

int events_log_read(const char *path, const char *tenant, time_t since, int limit,
		    json_t **out_array)
{
	struct read_ctx c = { .tenant = tenant, .since = since, .limit = limit };
	json_t *arr;
	size_t n;
	int ret;

	if (!path || !*path || !out_array)
		return -EINVAL;
	c.arr = json_array();
	if (!c.arr)
		return -ENOMEM;
	ret = events_log_scan(path, read_line, &c);
	if (ret) {
		json_decref(c.arr);
		return ret;
	}
	/* collected newest first; the reply is oldest first */
	n = json_array_size(c.arr);
	arr = json_array();
	if (!arr) {
		json_decref(c.arr);
		return -ENOMEM;
	}
	for (size_t i = n; i-- > 0;)
		json_array_append(arr, json_array_get(c.arr, i));
	json_decref(c.arr);
	*out_array = arr;
	return 0;
}
