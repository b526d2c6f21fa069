// SPDX-License-Identifier: GPL-2.0-only
/* events_log.c - the audit log: JSON lines, rotated by size, and its reader. */
#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "events_log.h"

#define EVENTS_MAX_KEEP	100

struct events_log {
	char path[PATH_MAX];
	uint64_t max_bytes;
	int keep;
	int fd;
	uint64_t size;
};

static int mkdir_parents(const char *path)
{
	char p[PATH_MAX];
	char *s;

	snprintf(p, sizeof(p), "%s", path);
	s = strrchr(p, '/');
	if (!s || s == p)
		return 0;
	*s = '\0';
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int log_reopen(struct events_log *l)
{
	struct stat st;

	if (l->fd >= 0)
		close(l->fd);
	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (l->fd < 0)
		return -errno;
	if (fstat(l->fd, &st))
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
	ret = mkdir_parents(path);
	if (!ret)
		ret = log_reopen(l);
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

static int read_one(const char *path, const char *tenant, time_t since, json_t *arr)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while ((n = getline(&buf, &cap, f)) > 0) {
		json_t *ev = json_loadb(buf, (size_t)n, 0, NULL);
		json_t *t;

		if (!json_is_object(ev)) {
			json_decref(ev);
			continue;
		}
		if (tenant && *tenant) {
			t = json_object_get(ev, "tenant");
			if (!json_is_string(t) || strcmp(json_string_value(t), tenant)) {
				json_decref(ev);
				continue;
			}
		}
		if (since > 0) {
			t = json_object_get(ev, "time");
			if (!json_is_number(t) || json_number_value(t) < (double)since) {
				json_decref(ev);
				continue;
			}
		}
		json_array_append_new(arr, ev);
	}
	free(buf);
	fclose(f);
	return 0;
}

int events_log_read(const char *path, const char *tenant, time_t since, int limit,
		    json_t **out_array)
{
	char p[PATH_MAX + 16];
	json_t *arr;
	int last = 0, ret = 0;

	if (!path || !*path || !out_array)
		return -EINVAL;
	arr = json_array();
	if (!arr)
		return -ENOMEM;
	/* rotated files are numbered from the newest (.1); find the oldest */
	for (int i = 1; i <= EVENTS_MAX_KEEP; i++) {
		snprintf(p, sizeof(p), "%s.%d", path, i);
		if (access(p, F_OK))
			break;
		last = i;
	}
	for (int i = last; i >= 0 && !ret; i--) {
		if (i)
			snprintf(p, sizeof(p), "%s.%d", path, i);
		else
			snprintf(p, sizeof(p), "%s", path);
		ret = read_one(p, tenant, since, arr);
	}
	if (ret) {
		json_decref(arr);
		return ret;
	}
	if (limit > 0 && json_array_size(arr) > (size_t)limit) {
		json_t *tail = json_array();
		size_t from = json_array_size(arr) - (size_t)limit;

		for (size_t i = from; i < json_array_size(arr); i++)
			json_array_append(tail, json_array_get(arr, i));
		json_decref(arr);
		arr = tail;
	}
	*out_array = arr;
	return 0;
}
