// SPDX-License-Identifier: GPL-2.0-only
/*
 * fetch.c - reading the RRD history without the daemon: hist_fetch() and
 * the series it returns (columns, display values, the history command's
 * JSON rows, whose columns are include/metrics.h's HIST rows), and the
 * audit-log events drawn on graphs. quellctl (history/report/graph) and
 * quelltop's replay source use it. Split from history_read.c (issue 13):
 * `git log -- src/history/history_read.c` has the history.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <rrd.h>
#include <rrd_client.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "events_log.h"
#include "hist_rrd.h"
#include "history.h"

static char rrdcached_addr[256];

void hist_read_set_rrdcached(const char *addr)
{
	snprintf(rrdcached_addr, sizeof(rrdcached_addr), "%s", addr ? addr : "");
}

const char *hist_rrdcached(void)
{
	return rrdcached_addr;
}

void hist_rrd_err(char *err, size_t errlen, const char *what, const char *path)
{
	const char *m = rrd_test_error() ? rrd_get_error() : "unknown librrd error";

	if (err && errlen)
		snprintf(err, errlen, "%s %s: %s", what, path, m);
	rrd_clear_error();
}

int hist_fetch(const char *path, const char *cf, int64_t start, int64_t end, uint64_t step,
	       struct hist_series *out, char *err, size_t errlen)
{
	time_t s = (time_t)start, e = (time_t)end;
	unsigned long st = (unsigned long)step, nds = 0;
	char **names = NULL;
	rrd_value_t *data = NULL;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (access(path, R_OK)) {
		ret = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	if (end <= start) {
		if (err && errlen)
			snprintf(err, errlen, "empty period (end <= start)");
		return -EINVAL;
	}
	if (hist_rrdcached()[0])
		rrdc_flush_if_daemon(hist_rrdcached(), path);
	rrd_clear_error();
	if (rrd_fetch_r(path, cf, &s, &e, &st, &nds, &names, &data)) {
		hist_rrd_err(err, errlen, "fetch", path);
		return -EIO;
	}
	if (!st || nds > HIST_MAX_DS) {
		if (err && errlen)
			snprintf(err, errlen, "fetch %s: unexpected layout (%lu DS)", path, nds);
		ret = -EIO;
		goto out;
	}
	out->start = s;
	out->step = st;
	out->nds = (int)nds;
	out->rows = (int)((e - s) / (time_t)st);
	/*
	 * librrd rounds end up to the next step boundary, one row past an
	 * aligned end: keep only rows that start before the requested end.
	 */
	if (end > s && (int64_t)out->rows > (end - s + (int64_t)st - 1) / (int64_t)st)
		out->rows = (int)((end - s + (int64_t)st - 1) / (int64_t)st);
	for (unsigned long i = 0; i < nds; i++)
		snprintf(out->ds[i], HIST_DS_NAME_MAX, "%s", names[i]);
	out->v = malloc(sizeof(double) * (size_t)(out->rows ? out->rows : 1) * nds);
	if (!out->v) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(out->v, data, sizeof(double) * (size_t)out->rows * nds);	/* row-major */
out:
	for (unsigned long i = 0; i < nds; i++)
		free(names[i]);
	free(names);
	free(data);
	return ret;
}

void hist_series_free(struct hist_series *s)
{
	if (!s)
		return;
	free(s->v);
	s->v = NULL;
	s->rows = 0;
}

int hist_span(const char *path, int64_t *first, int64_t *last)
{
	time_t l, f, oldest = 0;

	if (access(path, R_OK))
		return -errno;
	if (hist_rrdcached()[0])
		rrdc_flush_if_daemon(hist_rrdcached(), path);
	rrd_clear_error();
	l = rrd_last_r(path);
	if (l <= 0) {
		rrd_clear_error();
		return -EIO;
	}
	for (int i = 0; i < HIST_MAX_RRA; i++) {
		f = rrd_first_r(path, i);
		if (f <= 0)
			break;	/* no such archive */
		if (!oldest || f < oldest)
			oldest = f;
	}
	rrd_clear_error();
	*first = oldest ? oldest : l;
	*last = l;
	return 0;
}

int hist_series_col(const struct hist_series *s, const char *name)
{
	for (int i = 0; i < s->nds; i++)
		if (!strcmp(s->ds[i], name))
			return i;
	return -ENOENT;
}

double hist_display_value(const char *ds, double v)
{
	size_t n = strlen(ds);

	if (!strcmp(ds, "cpu_ns"))
		return v / 1e7;		/* ns/s -> % of one core */
	if (n > 3 && !strcmp(ds + n - 3, "_ns"))
		return v / 1e6;		/* ns/s -> ms/s */
	return v;
}

void hist_view_from_row(const struct hist_series *s, int row, struct qm_view *v,
			double rates[QM_NR])
{
	struct qm_rates r = { .dt_s = (double)s->step };

	for (int i = 0; i < QM_NR; i++)
		r.r[i] = NAN;
	for (int c = 0; c < s->nds; c++) {
		enum qm_id id = qm_by_key(s->ds[c]);

		if (id != QM_NR && row >= 0 && row < s->rows)
			r.r[id] = hist_at(s, row, c);
	}
	qm_view_from_rates(&r, v);
	if (rates)
		memcpy(rates, r.r, sizeof(r.r));
}

void hist_hview_from_row(const struct hist_series *s, int row, struct hview *h)
{
	struct hist_schema hs;

	hist_schema_host(60, &hs);
	for (int c = 0; c < s->nds; c++) {
		int i = hist_schema_find(&hs, s->ds[c]);
		double x = row >= 0 && row < s->rows ? hist_at(s, row, c) : NAN;

		switch (i) {
		case HH_CPU_PCT: h->cpu_pct = x; break;
		case HH_MEM_USED: h->mem_used = x; break;
		case HH_MEM_TOTAL: h->mem_total = x; break;
		case HH_IO_RBPS: h->io_rbps = x; break;
		case HH_IO_WBPS: h->io_wbps = x; break;
		case HH_LOAD1: h->load[0] = x; break;
		case HH_PSI_CPU: h->psi_cpu_some = x; break;
		case HH_PSI_MEM: h->psi_mem_some = x; break;
		case HH_PSI_IO: h->psi_io_some = x; break;
		case HH_TENANTS: h->tenants = isnan(x) ? 0 : (int)lround(x); break;
		case HH_THROTTLED: h->throttled = isnan(x) ? 0 : (int)lround(x); break;
		case HH_FROZEN: h->frozen = isnan(x) ? 0 : (int)lround(x); break;
		case HH_TICK_MS: h->tick_ms = x; break;
		default: break;
		}
	}
}

/* ---- the series as JSON ---- */

/* scale 1 / div: 1 / 1e7 is the double nearest 1e-7, the literal it replaces */
#define HIST_COL_(id, field, op, a, b, div, rate, top, tc, title, pol, pm, pname, hist, htitle,	\
		  hkey, hfmt, sname, help)							\
	QV_IF_##hist({ htitle, hkey, { QM_##a, QM_##b, QM_NR }, 1.0 / (div), HIST_F_##hfmt },)
const struct hist_col hist_cols[] = {
	QV_TABLE(HIST_COL_)
	{ "HITS", "limit_hits", { QM_CPU_THROTTLED, QM_MEM_MAX_EVENTS, QM_PIDS_MAX_EVENTS }, 1,
	  HIST_F_COUNT },
	{ "OOM", "oom_kills", { QM_OOM_KILLS, QM_NR }, 1, HIST_F_COUNT },
};
#undef HIST_COL_
const int hist_ncols = (int)(sizeof(hist_cols) / sizeof(hist_cols[0]));

double hist_col_value(const struct hist_series *s, int row, const struct hist_col *hc)
{
	double v = NAN;

	for (int i = 0; i < 3 && hc->ds[i] < QM_NR; i++) {
		int col = hist_series_col(s, qm_desc[hc->ds[i]].key);
		double x;

		if (col < 0)
			continue;
		x = hist_at(s, row, col);
		if (!isnan(x))
			v = isnan(v) ? x : v + x;
	}
	if (hc->fmt == HIST_F_COUNT)
		return v * (double)s->step;
	return v * hc->scale;
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *hist_series_json(const char *tenant, const char *cf, const struct hist_series *s)
{
	json_t *j = json_object(), *rows = json_array();

	if (!j || !rows) {
		json_decref(j);
		json_decref(rows);
		return NULL;
	}
	json_object_set_new(j, "tenant", json_string(tenant));
	json_object_set_new(j, "cf", json_string(cf));
	json_object_set_new(j, "start", json_integer(s->start));
	json_object_set_new(j, "step", json_integer((json_int_t)s->step));
	for (int r = 0; r < s->rows; r++) {
		json_t *row = json_object();

		json_object_set_new(row, "time", json_integer(hist_row_time(s, r)));
		for (int k = 0; k < hist_ncols; k++)
			json_object_set_new(row, hist_cols[k].key,
					    num_or_null(hist_col_value(s, r, &hist_cols[k])));
		json_array_append_new(rows, row);
	}
	json_object_set_new(j, "rows", rows);
	return j;
}

int hist_history_json(const char *dir, const char *tenant, bool max, int64_t start, int64_t end,
		      uint64_t step, json_t **out, char *err, size_t errlen)
{
	const char *cf = max ? "MAX" : "AVERAGE";
	struct hist_series s;
	char path[4400];
	uint64_t min_step;
	int ret;

	*out = NULL;
	if (!tenant || !*tenant || hist_path(dir, tenant, path, sizeof(path))) {
		snprintf(err, errlen, "bad tenant name");
		return -EINVAL;
	}
	if (end <= start || start < 0 || end - start > HIST_REPLY_SPAN_MAX) {
		snprintf(err, errlen, "bad period: since < until, at most %d days",
			 HIST_REPLY_SPAN_MAX / 86400);
		return -EINVAL;
	}
	/* the work per request is bounded by the rows it may produce */
	min_step = ((uint64_t)(end - start) + HIST_REPLY_ROWS_MAX - 1) / HIST_REPLY_ROWS_MAX;
	if (step < min_step)
		step = min_step;
	ret = hist_fetch(path, cf, start, end, step, &s, err, errlen);
	if (ret == -ENOENT)
		snprintf(err, errlen, "no history for %s", tenant);
	if (ret)
		return ret;
	if (s.rows > HIST_REPLY_ROWS_MAX) {
		snprintf(err, errlen, "%d rows: ask for a larger step or a shorter period", s.rows);
		hist_series_free(&s);
		return -E2BIG;
	}
	*out = hist_series_json(tenant, cf, &s);
	hist_series_free(&s);
	return *out ? 0 : -ENOMEM;
}

/* ---- events ---- */

static int event_parse(const char *line, size_t len, struct hist_event *ev)
{
	json_t *j, *t, *x;
	int ret = -EINVAL;

	memset(ev, 0, sizeof(*ev));
	j = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	if (!j)
		return -EINVAL;
	if (!json_is_object(j))
		goto out;
	t = json_object_get(j, "time");
	if (json_is_integer(t))
		ev->time = json_integer_value(t);
	else if (json_is_real(t))
		ev->time = (int64_t)json_real_value(t);
	else
		goto out;
	x = json_object_get(j, "action");
	if (!json_is_string(x))
		goto out;
	snprintf(ev->action, sizeof(ev->action), "%s", json_string_value(x));
	x = json_object_get(j, "tenant");
	if (json_is_string(x))
		snprintf(ev->tenant, sizeof(ev->tenant), "%s", json_string_value(x));
	x = json_object_get(j, "rule");
	if (json_is_string(x))
		snprintf(ev->rule, sizeof(ev->rule), "%s", json_string_value(x));
	ret = 0;
out:
	json_decref(j);
	return ret;
}

int hist_events_parse_line(const char *line, struct hist_event *ev)
{
	return event_parse(line, strlen(line), ev);
}

struct ev_load {
	const char *tenant;
	int64_t start, end;
	struct hist_event *v;
	int n, cap;
};

/* events_log_scan callback: newest first; stop once lines are older than start. */
static int ev_load_line(const char *line, size_t len, void *arg)
{
	struct ev_load *c = arg;
	struct hist_event ev;
	double t;

	if (!events_line_time(line, len, &t)) {
		if (t < (double)(c->start - HIST_EVENTS_SLACK_S))
			return 1;
		if (t < (double)c->start || t > (double)c->end + 1)
			return 0;
	}
	if (!events_line_may_match(line, len, c->tenant))
		return 0;
	if (event_parse(line, len, &ev))
		return 0;
	if (ev.time < c->start || ev.time > c->end || (c->tenant && strcmp(c->tenant, ev.tenant)))
		return 0;
	if (c->n == c->cap) {
		int nc = c->cap ? 2 * c->cap : 32;
		void *nv = realloc(c->v, sizeof(*c->v) * (size_t)nc);

		if (!nv)
			return -ENOMEM;
		c->v = nv;
		c->cap = nc;
	}
	c->v[c->n++] = ev;
	return c->n >= HIST_EVENTS_MAX;
}

int hist_events_load(const char *path, const char *tenant, int64_t start, int64_t end,
		     struct hist_event **out, int *n)
{
	struct ev_load c = { .tenant = tenant, .start = start, .end = end };
	int ret;

	*out = NULL;
	*n = 0;
	if (!path || !*path)
		return 0;
	ret = events_log_scan(path, ev_load_line, &c);
	if (ret) {
		free(c.v);
		return ret;
	}
	/* newest first from the scan; callers get them oldest first */
	for (int i = 0; i < c.n / 2; i++) {
		struct hist_event tmp = c.v[i];

		c.v[i] = c.v[c.n - 1 - i];
		c.v[c.n - 1 - i] = tmp;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}
