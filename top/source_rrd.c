// SPDX-License-Identifier: GPL-2.0-only
/*
 * source_rrd.c - quelltop's replay source: the same frames as the live
 * source, read from the per-tenant RRD files at an instant in the past
 * (`quelltop --at "2026-11-20 03:10"`). The arrow keys move the instant by
 * the resolution of the data shown: the step for the last 6 hours, then
 * 1 min, 1 h, 1 day (whatever archive rrd_fetch picks for that instant).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "history.h"
#include "source.h"

struct rrd_src {
	char dir[4096];
	int64_t at;
	int64_t first, last;	/* what host.rrd covers, for -ERANGE; 0: unknown */
	uint64_t step;		/* resolution of the last frame, 0 before the first */
};

/* The row of s whose interval holds t, or -1. */
static int row_at(const struct hist_series *s, int64_t t)
{
	for (int r = 0; r < s->rows; r++)
		if (t > hist_row_time(s, r) - (int64_t)s->step && t <= hist_row_time(s, r))
			return r;
	return -1;
}

/*
 * Fetch path around at at the finest resolution that still covers it (step
 * 0: rrd_fetch picks the archive); *row is the row to show (-1: none).
 */
static int fetch_at(const char *path, int64_t at, struct hist_series *s, int *row)
{
	int ret = hist_fetch(path, "AVERAGE", at - 1, at, 0, s, NULL, 0);

	*row = ret ? -1 : row_at(s, at);
	return ret;
}

static bool row_known(const struct hist_series *s, int row)
{
	if (row < 0)
		return false;
	for (int c = 0; c < s->nds; c++)
		if (!isnan(hist_at(s, row, c)))
			return true;
	return false;
}

static void tview_init(struct tview *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->uid = -1;
	snprintf(t->state, sizeof(t->state), "history");
	for (int i = 0; i < QM_NR; i++) {
		t->counters[i] = NAN;
		t->src[i] = '-';
	}
	t->mem_limit = INFINITY;
	t->cpu_limit_pct = INFINITY;
	t->nproc_limit = INFINITY;
}

/* Limit hits in the row (rate * step), added to the fault counters the UI shows. */
static uint64_t row_count(const struct hist_series *s, int row, const char *ds)
{
	int c = hist_series_col(s, ds);
	double v = c < 0 ? NAN : hist_at(s, row, c);

	return isnan(v) || v < 0 ? 0 : (uint64_t)llround(v * (double)s->step);
}

static int rrd_fetch_frame(struct top_source *src, struct hview *h, struct tview **tv, int *n,
			   char *when, size_t len)
{
	struct rrd_src *p = src->priv;
	char (*names)[TENANT_NAME_MAX] = NULL;
	struct tview *out = NULL;
	struct hist_series s;
	char path[4400];
	int nn = 0, cnt = 0, row, ret;
	bool any = false;
	uint64_t step = 0;
	time_t at = (time_t)p->at;
	struct tm tm;

	*tv = NULL;
	*n = 0;
	memset(h, 0, sizeof(*h));
	ret = hist_list_tenants(p->dir, &names, &nn);
	if (ret && ret != -ENOENT)
		return ret;
	out = calloc((size_t)(nn ? nn : 1), sizeof(*out));
	if (!out) {
		free(names);
		return -ENOMEM;
	}
	for (int i = 0; i < nn; i++) {
		if (hist_path(p->dir, names[i], path, sizeof(path)) ||
		    fetch_at(path, p->at, &s, &row))
			continue;
		if (row_known(&s, row)) {
			struct tview *t = &out[cnt++];

			tview_init(t, names[i]);
			hist_view_from_row(&s, row, &t->v, NULL);
			t->faults_cpu = row_count(&s, row, "cpu_throttled");
			t->faults_mem = row_count(&s, row, "mem_max_events");
			t->faults_pids = row_count(&s, row, "pids_max_events");
			any = true;
			if (!step || s.step < step)
				step = s.step;
		}
		hist_series_free(&s);
	}
	free(names);

	for (int k = 0; k < 3; k++)
		h->load[k] = NAN;
	h->cpu_pct = h->mem_total = h->mem_used = h->io_rbps = h->io_wbps = NAN;
	h->psi_cpu_some = h->psi_mem_some = h->psi_mem_full = NAN;
	h->psi_io_some = h->psi_io_full = h->tick_ms = NAN;
	hist_path(p->dir, NULL, path, sizeof(path));
	if (!fetch_at(path, p->at, &s, &row)) {
		if (row_known(&s, row)) {
			hist_hview_from_row(&s, row, h);
			any = true;
			if (!step || s.step < step)
				step = s.step;
		}
		hist_series_free(&s);
	}
	gethostname(h->hostname, sizeof(h->hostname) - 1);
	snprintf(h->source, sizeof(h->source), "rrd");
	snprintf(h->cgroup_mode, sizeof(h->cgroup_mode), "-");
	if (!h->tenants)
		h->tenants = cnt;
	if (step)
		p->step = step;

	localtime_r(&at, &tm);
	if (when && len) {
		char ts[32];

		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(when, len, "%s (replay, %llus)", ts, (unsigned long long)p->step);
	}
	if (!any) {
		free(out);
		return -ENODATA;
	}
	*tv = out;
	*n = cnt;
	return 0;
}

static int rrd_detail(struct top_source *src, const char *tenant, struct pview **pv, int *np,
		      json_t **limits_events)
{
	*pv = NULL;
	*np = 0;
	*limits_events = NULL;
	return -ENOTSUP;	/* processes are not recorded */
}

static int rrd_action(struct top_source *src, const char *cmd, const char *tenant, char *err,
		      size_t len)
{
	if (err && len)
		snprintf(err, len, "replay: actions need the live view");
	return -ENOTSUP;
}

static int rrd_step(struct top_source *src, int dir)
{
	struct rrd_src *p = src->priv;
	int64_t step = (int64_t)(p->step ? p->step : 10);
	int64_t next = p->at + dir * step;
	char path[4400];

	if (p->last && next > p->last) {	/* the daemon may have written since */
		hist_path(p->dir, NULL, path, sizeof(path));
		hist_span(path, &p->first, &p->last);
	}
	if (next > (p->last ? p->last : (int64_t)time(NULL)) || (p->first && next < p->first))
		return -ERANGE;
	p->at = next;
	return 0;
}

static void rrd_close(struct top_source *src)
{
	free(src->priv);
	src->priv = NULL;
}

static const struct top_source_ops rrd_ops = {
	.fetch = rrd_fetch_frame,
	.detail = rrd_detail,
	.action = rrd_action,
	.step = rrd_step,
	.close = rrd_close,
};

int top_source_rrd_open(const char *rrd_dir, time_t at, struct top_source *out)
{
	struct rrd_src *p;
	char probe[4400];
	bool have_tenants, have_host;

	if (!rrd_dir || strlen(rrd_dir) >= sizeof(p->dir))
		return -ENAMETOOLONG;
	snprintf(probe, sizeof(probe), "%s/" HIST_TENANT_DIR, rrd_dir);
	have_tenants = !access(probe, R_OK);
	hist_path(rrd_dir, NULL, probe, sizeof(probe));
	have_host = !access(probe, R_OK);
	if (!have_tenants && !have_host)
		return -ENOENT;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(p->dir, sizeof(p->dir), "%s", rrd_dir);
	p->at = (int64_t)at;
	if (have_host)
		hist_span(probe, &p->first, &p->last);
	out->ops = &rrd_ops;
	out->priv = p;
	return 0;
}
