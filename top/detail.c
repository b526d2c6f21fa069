// SPDX-License-Identifier: GPL-2.0-only
/*
 * detail.c - the drill-down's data: process order, one-line renderings of
 * the tenant's limits and policy events (whose exact keys belong to the
 * policy engine: anything unknown is still shown as key=value).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "top.h"

void top_detail_free(struct top_detail *d)
{
	free(d->pv);
	json_decref(d->le);
	memset(d, 0, sizeof(*d));
}

void top_frame_free(struct top_frame *f)
{
	free(f->tv);
	free(f->rows);
	top_detail_free(&f->det);
	memset(f, 0, sizeof(*f));
}

static int cmp_proc(const void *pa, const void *pb)
{
	const struct pview *a = pa, *b = pb;
	double ca = isnan(a->cpu_pct) ? -1 : a->cpu_pct, cb = isnan(b->cpu_pct) ? -1 : b->cpu_pct;
	double ra = isnan(a->rss_bytes) ? -1 : a->rss_bytes;
	double rb = isnan(b->rss_bytes) ? -1 : b->rss_bytes;

	if (ca != cb)
		return ca < cb ? 1 : -1;
	if (ra != rb)
		return ra < rb ? 1 : -1;
	return (a->pid > b->pid) - (a->pid < b->pid);
}

void top_sort_procs(struct pview *pv, int np)
{
	if (pv && np > 1)
		qsort(pv, (size_t)np, sizeof(*pv), cmp_proc);
}

/* appends to buf at *off, never past len */
static void add(char *buf, size_t len, size_t *off, const char *fmt, const char *a, const char *b)
{
	int n;

	if (*off + 1 >= len)
		return;
	n = snprintf(buf + *off, len - *off, fmt, a, b);
	if (n < 0)
		return;
	*off += (size_t)n;
	if (*off >= len)
		*off = len - 1;
}

static void value_str(const char *key, json_t *v, char *out, size_t len)
{
	if (json_is_string(v)) {
		snprintf(out, len, "%s", json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(out, len, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		snprintf(out, len, "%.3g", json_real_value(v));
	} else if (json_is_boolean(v)) {
		snprintf(out, len, "%s", json_is_true(v) ? "yes" : "no");
	} else if (json_is_null(v)) {
		snprintf(out, len, "-");
	} else {
		char *s = json_dumps(v, JSON_COMPACT);

		snprintf(out, len, "%s", s ? s : "?");
		free(s);
	}
}

/* shown first, or redundant on a screen that is already about one tenant */
static bool skip_key(json_t *ev, const char *k)
{
	return !strcmp(k, "ts") || !strcmp(k, "time") || !strcmp(k, "time_ms") ||
	       !strcmp(k, "tenant") || !strcmp(k, "cgroup") ||
	       (!strcmp(k, "limits") && json_object_get(ev, "limits_text"));
}

char *top_fmt_event(json_t *ev, char *buf, size_t len)
{
	static const char *const first[] = { "action", "kind", "type", "rule", "reason" };
	const char *k;
	json_t *v;
	size_t off = 0;
	char s[128];

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!json_is_object(ev)) {
		value_str("", ev, s, sizeof(s));
		snprintf(buf, len, "%s", s);
		return buf;
	}
	v = json_object_get(ev, "ts");
	if (!v)
		v = json_object_get(ev, "time");
	if (json_is_number(v)) {
		time_t t = (time_t)json_number_value(v);
		struct tm tm;

		if (localtime_r(&t, &tm)) {
			strftime(s, sizeof(s), "%m-%d %H:%M:%S", &tm);
			add(buf, len, &off, "%s%s", s, "");
		}
	} else if (json_is_string(v)) {
		add(buf, len, &off, "%s%s", json_string_value(v), "");
	}
	for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++) {
		v = json_object_get(ev, first[i]);
		if (!v || json_is_null(v))
			continue;
		value_str(first[i], v, s, sizeof(s));
		add(buf, len, &off, off ? " %s%s" : "%s%s", s, "");
	}
	json_object_foreach(ev, k, v) {
		bool skip = skip_key(ev, k) || json_is_null(v);

		for (size_t i = 0; i < sizeof(first) / sizeof(first[0]) && !skip; i++)
			skip = !strcmp(k, first[i]);
		if (skip)
			continue;
		if (json_is_object(v)) {
			/* one level of nesting ("evidence": {...}) reads better flat */
			const char *k2;
			json_t *v2;

			json_object_foreach(v, k2, v2) {
				value_str(k2, v2, s, sizeof(s));
				add(buf, len, &off, off ? " %s=%s" : "%s=%s", k2, s);
			}
			continue;
		}
		value_str(k, v, s, sizeof(s));
		add(buf, len, &off, off ? " %s=%s" : "%s=%s", k, s);
	}
	return buf;
}

char *top_fmt_limits(json_t *lim, char *buf, size_t len)
{
	const char *k;
	json_t *v;
	size_t off = 0;
	int unlimited = 0;
	char s[32];

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!json_is_object(lim)) {
		snprintf(buf, len, "-");
		return buf;
	}
	json_object_foreach(lim, k, v) {
		if (json_is_null(v)) {
			unlimited++;
			continue;
		}
		if (!json_is_number(v)) {
			value_str(k, v, s, sizeof(s));
		} else if (strstr(k, "cpu")) {
			top_fmt_pct(json_number_value(v), s, sizeof(s));
			strncat(s, "%", sizeof(s) - strlen(s) - 1);
		} else if (strstr(k, "mem") || strstr(k, "bps")) {
			top_fmt_num(json_number_value(v), true, s, sizeof(s));
		} else {
			top_fmt_num(json_number_value(v), false, s, sizeof(s));
		}
		add(buf, len, &off, off ? " %s=%s" : "%s=%s", k, s);
	}
	if (!off)
		add(buf, len, &off, "%s%s", unlimited ? "unlimited" : "-", "");
	return buf;
}
