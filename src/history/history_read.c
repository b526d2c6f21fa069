// SPDX-License-Identifier: GPL-2.0-only
/*
 * history_read.c - reading the RRD history without the daemon: fetch,
 * per-tenant period summaries, report ranking, graph argument vectors and
 * the audit-log events drawn on graphs. quellctl (history/report/graph)
 * and quelltop's replay source use it. Summaries and ranking are pure
 * functions of struct hist_series, so the tests feed them literal rows.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <rrd.h>
#include <rrd_client.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events_log.h"
#include "history.h"

static char rrdcached_addr[256];

void hist_read_set_rrdcached(const char *addr)
{
	snprintf(rrdcached_addr, sizeof(rrdcached_addr), "%s", addr ? addr : "");
}

static void rrd_err(char *err, size_t errlen, const char *what, const char *path)
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
	if (rrdcached_addr[0])
		rrdc_flush_if_daemon(rrdcached_addr, path);
	rrd_clear_error();
	if (rrd_fetch_r(path, cf, &s, &e, &st, &nds, &names, &data)) {
		rrd_err(err, errlen, "fetch", path);
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
	if (rrdcached_addr[0])
		rrdc_flush_if_daemon(rrdcached_addr, path);
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

/* ---- summaries and ranking ---- */

static const char *const by_names[HIST_BY_NR] = {
	[HIST_BY_CPU] = "cpu",
	[HIST_BY_IO] = "io",
	[HIST_BY_MEM] = "mem",
	[HIST_BY_INFLICTED] = "inflicted",
	[HIST_BY_FAULTS] = "faults",
};

int hist_by_parse(const char *s, enum hist_by *out)
{
	for (int i = 0; i < HIST_BY_NR; i++)
		if (s && !strcmp(s, by_names[i])) {
			*out = (enum hist_by)i;
			return 0;
		}
	return -EINVAL;
}

const char *hist_by_name(enum hist_by by)
{
	return by < HIST_BY_NR ? by_names[by] : "?";
}

/* Running mean / max / integral of one or more summed columns. */
struct acc {
	double sum, max, integral;
	int n;
};

static void acc_init(struct acc *a)
{
	a->sum = a->integral = 0;
	a->max = NAN;
	a->n = 0;
}

/* Sum of the known values of cols in a row; NAN if none is known. */
static double row_sum(const struct hist_series *s, int row, const int *cols, int ncols)
{
	double v = NAN;

	for (int i = 0; i < ncols; i++) {
		double x;

		if (cols[i] < 0)
			continue;
		x = hist_at(s, row, cols[i]);
		if (isnan(x))
			continue;
		v = isnan(v) ? x : v + x;
	}
	return v;
}

static void acc_series(struct acc *a, const struct hist_series *s, const char *const *ds, int nds)
{
	int cols[4];

	for (int i = 0; i < nds; i++)
		cols[i] = hist_series_col(s, ds[i]);
	for (int r = 0; r < s->rows; r++) {
		double v = row_sum(s, r, cols, nds);

		if (isnan(v))
			continue;
		a->sum += v;
		a->integral += v * (double)s->step;
		if (isnan(a->max) || v > a->max)
			a->max = v;
		a->n++;
	}
}

static double acc_mean(const struct acc *a)
{
	return a->n ? a->sum / a->n : NAN;
}

#define DSL(...) ((const char *const[]){ __VA_ARGS__ }), \
	(int)(sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

int hist_summarize(const struct hist_series *avg, const struct hist_series *max,
		   struct hist_summary *out)
{
	const struct hist_series *mx = max ? max : avg;
	struct acc a, m;
	char name[TENANT_NAME_MAX];
	int known = 0;

	if (!avg)
		return -EINVAL;
	memcpy(name, out->name, sizeof(name));
	memset(out, 0, sizeof(*out));
	memcpy(out->name, name, sizeof(name));

	for (int r = 0; r < avg->rows; r++) {
		for (int c = 0; c < avg->nds; c++)
			if (!isnan(hist_at(avg, r, c))) {
				known++;
				break;
			}
	}
	out->covered_s = (double)known * (double)avg->step;

#define SUMMARY(dsl, mean_f, max_f, int_f, scale)					\
	do {										\
		acc_init(&a);								\
		acc_init(&m);								\
		acc_series(&a, avg, dsl);						\
		acc_series(&m, mx, dsl);						\
		mean_f = acc_mean(&a) * (scale);					\
		max_f = m.max * (scale);						\
		int_f = a.n ? a.integral : NAN;						\
	} while (0)

	double dummy;

	SUMMARY(DSL("cpu_ns"), out->cpu_avg, out->cpu_max, out->cpu_core_s, 1e-7);
	out->cpu_core_s /= 1e9;
	SUMMARY(DSL("io_rbytes", "io_wbytes"), out->io_avg, out->io_max, out->io_bytes, 1);
	SUMMARY(DSL("io_rops", "io_wops"), out->iops_avg, dummy, dummy, 1);
	SUMMARY(DSL("mem_bytes"), out->mem_avg, out->mem_max, dummy, 1);
	SUMMARY(DSL("rq_inflicted_ns"), out->inflicted_avg, out->inflicted_max,
		out->inflicted_s, 1e-6);
	out->inflicted_s /= 1e9;
	SUMMARY(DSL("rq_suffered_ns"), out->suffered_avg, dummy, dummy, 1e-6);
	SUMMARY(DSL("cpu_throttled"), dummy, dummy, out->faults_cpu, 1);
	SUMMARY(DSL("mem_max_events"), dummy, dummy, out->faults_mem, 1);
	SUMMARY(DSL("pids_max_events"), dummy, dummy, out->faults_pids, 1);
	SUMMARY(DSL("nproc"), dummy, out->nproc_max, dummy, 1);
#undef SUMMARY
	(void)dummy;
	out->faults = NAN;
	if (!isnan(out->faults_cpu) || !isnan(out->faults_mem) || !isnan(out->faults_pids))
		out->faults = (isnan(out->faults_cpu) ? 0 : out->faults_cpu) +
			      (isnan(out->faults_mem) ? 0 : out->faults_mem) +
			      (isnan(out->faults_pids) ? 0 : out->faults_pids);
	return 0;
}

static double nz(double v)
{
	return isnan(v) ? 0 : v;
}

double hist_summary_score(const struct hist_summary *s, enum hist_by by)
{
	switch (by) {
	case HIST_BY_CPU:
		return nz(s->cpu_core_s);
	case HIST_BY_IO:
		return nz(s->io_bytes);
	case HIST_BY_MEM:
		return nz(s->mem_avg);
	case HIST_BY_INFLICTED:
		return nz(s->inflicted_s);
	case HIST_BY_FAULTS:
		return nz(s->faults);
	default:
		return 0;
	}
}

static int cmp_score(double a, double b, const char *na, const char *nb)
{
	if (a > b)
		return -1;
	if (a < b)
		return 1;
	return strcmp(na, nb);
}

static int rank_cmp(const void *pa, const void *pb, void *arg)
{
	const struct hist_summary *a = pa, *b = pb;
	enum hist_by by = *(const enum hist_by *)arg;

	return cmp_score(hist_summary_score(a, by), hist_summary_score(b, by), a->name, b->name);
}

void hist_rank(struct hist_summary *s, int n, enum hist_by by)
{
	if (n > 1)
		qsort_r(s, (size_t)n, sizeof(*s), rank_cmp, &by);
}

int hist_list_tenants(const char *dir, char (**names)[TENANT_NAME_MAX], int *n)
{
	char path[4096];
	char (*v)[TENANT_NAME_MAX] = NULL;
	int cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*names = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/" HIST_TENANT_DIR, dir);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char stem[256];

		if (len <= 4 || strcmp(de->d_name + len - 4, ".rrd") || len - 4 >= sizeof(stem))
			continue;
		memcpy(stem, de->d_name, len - 4);
		stem[len - 4] = '\0';
		if (cnt == cap) {
			void *nv = realloc(v, sizeof(*v) * (size_t)(cap = cap ? 2 * cap : 64));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		if (hist_name_unescape(stem, v[cnt], TENANT_NAME_MAX))
			continue;	/* not one of ours */
		cnt++;
	}
	closedir(d);
	*names = v;
	*n = cnt;
	return 0;
}

int hist_report(const char *dir, int64_t start, int64_t end, enum hist_by by,
		struct hist_summary **out, int *n, char *err, size_t errlen)
{
	char (*names)[TENANT_NAME_MAX];
	struct hist_summary *sum;
	int nn, cnt = 0, ret;

	*out = NULL;
	*n = 0;
	if (err && errlen)
		err[0] = '\0';
	ret = hist_list_tenants(dir, &names, &nn);
	if (ret)
		return ret;
	sum = calloc((size_t)(nn ? nn : 1), sizeof(*sum));
	if (!sum) {
		free(names);
		return -ENOMEM;
	}
	for (int i = 0; i < nn; i++) {
		struct hist_series a, m;
		char path[4096], e[512];
		bool have_max;

		if (hist_path(dir, names[i], path, sizeof(path)))
			continue;
		if (hist_fetch(path, "AVERAGE", start, end, 0, &a, e, sizeof(e))) {
			if (err && errlen && !err[0])
				snprintf(err, errlen, "skipped: %s", e);
			continue;
		}
		have_max = !hist_fetch(path, "MAX", start, end, 0, &m, NULL, 0);
		snprintf(sum[cnt].name, sizeof(sum[cnt].name), "%s", names[i]);
		hist_summarize(&a, have_max ? &m : NULL, &sum[cnt]);
		hist_series_free(&a);
		if (have_max)
			hist_series_free(&m);
		if (sum[cnt].covered_s > 0)
			cnt++;
	}
	free(names);
	hist_rank(sum, cnt, by);
	*out = sum;
	*n = cnt;
	return 0;
}

/* ---- the series as JSON ---- */

/* scale 1 / div: 1 / 1e7 is the double nearest 1e-7, the literal it replaces */
#define HIST_COL_(id, field, op, a, b, div, rate, top, tc, title, pol, pm, pname, hist, htitle,	\
		  hkey, hfmt, help)							\
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

/* ---- graphs ---- */

struct metric_def {
	const char *name;
	const char *ds[3];
	int nds;
	double scale;
	const char *unit;
	const char *host_ds[2];	/* host.rrd equivalent, if any */
	int nhost;
};

static const struct metric_def metrics[HIST_M_NR] = {
	[HIST_M_CPU] = { "cpu", { "cpu_ns" }, 1, 1e-7, "% of one core", { "cpu_pct" }, 1 },
	[HIST_M_MEM] = { "mem", { "mem_bytes" }, 1, 1, "bytes", { "mem_used" }, 1 },
	[HIST_M_IO] = { "io", { "io_rbytes", "io_wbytes" }, 2, 1, "bytes/s",
			{ "io_rbps", "io_wbps" }, 2 },
	[HIST_M_IOPS] = { "iops", { "io_rops", "io_wops" }, 2, 1, "ops/s", { NULL }, 0 },
	[HIST_M_INFLICTED] = { "inflicted", { "rq_inflicted_ns" }, 1, 1e-6,
			       "ms of others' wait per s", { NULL }, 0 },
	[HIST_M_SUFFERED] = { "suffered", { "rq_suffered_ns" }, 1, 1e-6, "ms of wait per s",
			      { NULL }, 0 },
	[HIST_M_FAULTS] = { "faults", { "cpu_throttled", "mem_max_events", "pids_max_events" }, 3,
			    1, "limit hits/s", { NULL }, 0 },
	[HIST_M_NPROC] = { "nproc", { "nproc" }, 1, 1, "processes", { NULL }, 0 },
};

int hist_metric_parse(const char *s, enum hist_metric *out)
{
	for (int i = 0; i < HIST_M_NR; i++)
		if (s && !strcmp(s, metrics[i].name)) {
			*out = (enum hist_metric)i;
			return 0;
		}
	return -EINVAL;
}

const char *hist_metric_name(enum hist_metric m)
{
	return m < HIST_M_NR ? metrics[m].name : "?";
}

double hist_metric_score(const struct hist_summary *s, enum hist_metric m)
{
	switch (m) {
	case HIST_M_CPU:
		return nz(s->cpu_core_s);
	case HIST_M_MEM:
		return nz(s->mem_avg);
	case HIST_M_IO:
		return nz(s->io_bytes);
	case HIST_M_IOPS:
		return nz(s->iops_avg);
	case HIST_M_INFLICTED:
		return nz(s->inflicted_s);
	case HIST_M_SUFFERED:
		return nz(s->suffered_avg);
	case HIST_M_FAULTS:
		return nz(s->faults);
	case HIST_M_NPROC:
		return nz(s->nproc_max);
	default:
		return 0;
	}
}

struct argv_buf {
	char **v;
	int n, cap;
	bool oom;
};

static void __attribute__((format(printf, 2, 3))) arg_add(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (a->oom)
		return;
	if (a->n + 1 >= a->cap) {
		int nc = a->cap ? 2 * a->cap : 64;
		void *nv = realloc(a->v, sizeof(char *) * (size_t)nc);

		if (!nv) {
			a->oom = true;
			return;
		}
		a->v = nv;
		a->cap = nc;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		a->oom = true;
	else
		a->v[a->n++] = s;
	va_end(ap);
	a->v[a->n] = NULL;
}

/* rrdtool splits DEF / VRULE / legend arguments at ':'; escape them. */
static void rrd_escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 2 < len; in++) {
		if (*in == ':' || *in == '\\')
			out[o++] = '\\';
		out[o++] = *in;
	}
	out[o] = '\0';
}

static const char *const palette[] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
	"#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8",
	"#ffbb78", "#98df8a", "#c5b0d5", "#c49c94", "#f7b6d2",
	"#dbdb8d",
};

static const char *event_colour(const char *action)
{
	if (strstr(action, "kill"))
		return "#d62728";
	if (strstr(action, "freeze"))
		return "#1f3fbf";
	if (strstr(action, "release") || strstr(action, "thaw"))
		return "#2ca02c";
	return "#ff7f0e";	/* throttle and anything else */
}

/* DEFs of metric m from file into vars <pfx>_0.., then CDEF:<pfx>=sum*scale. */
static void add_metric_defs(struct argv_buf *a, const char *file, const char *pfx,
			    const char *const *ds, int nds, double scale, const char *cf)
{
	char rpn[256];
	size_t o = 0;

	for (int i = 0; i < nds; i++) {
		arg_add(a, "DEF:%s_%d=%s:%s:%s", pfx, i, file, ds[i], cf);
		o += (size_t)snprintf(rpn + o, sizeof(rpn) - o, i ? ",%s_%d,ADDNAN" : "%s_%d",
				      pfx, i);
	}
	arg_add(a, "CDEF:%s=%s,%.10g,*", pfx, rpn, scale);
}

int hist_graph_args(const struct hist_graph_opts *o, const char (*stack)[TENANT_NAME_MAX],
		    int nstack, char ***argv)
{
	const struct metric_def *md;
	struct argv_buf a = { 0 };
	char path[4096], esc[8192], lab[256];
	unsigned int seen = 0;

	*argv = NULL;
	if (o->metric >= HIST_M_NR || !o->out || !o->dir || o->end <= o->start)
		return -EINVAL;
	md = &metrics[o->metric];

	arg_add(&a, "graph");
	arg_add(&a, "%s", o->out);
	arg_add(&a, "--imgformat=PNG");
	arg_add(&a, "--start=%" PRId64, o->start);
	arg_add(&a, "--end=%" PRId64, o->end);
	arg_add(&a, "--width=%d", o->width > 0 ? o->width : 800);
	arg_add(&a, "--height=%d", o->height > 0 ? o->height : 250);
	arg_add(&a, "--lower-limit=0");
	arg_add(&a, "--vertical-label=%s", md->unit);
	if (rrdcached_addr[0])
		arg_add(&a, "--daemon=%s", rrdcached_addr);

	if (o->tenant) {
		if (hist_path(o->dir, o->tenant, path, sizeof(path)))
			goto inval;
		rrd_escape(path, esc, sizeof(esc));
		arg_add(&a, "--title=%s: %s", o->tenant, md->name);
		add_metric_defs(&a, esc, "avg", md->ds, md->nds, md->scale, "AVERAGE");
		add_metric_defs(&a, esc, "max", md->ds, md->nds, md->scale, "MAX");
		arg_add(&a, "AREA:avg#4c9be8:average");
		arg_add(&a, "LINE1:max#d62728:max");
		arg_add(&a, "GPRINT:avg:AVERAGE:avg %%.1lf%%s");
		arg_add(&a, "GPRINT:max:MAX:max %%.1lf%%s\\n");
	} else {
		arg_add(&a, "--title=host: %s, top %d tenants stacked", md->name, nstack);
		for (int k = 0; k < nstack; k++) {
			char pfx[16];

			if (hist_path(o->dir, stack[k], path, sizeof(path)))
				continue;
			rrd_escape(path, esc, sizeof(esc));
			snprintf(pfx, sizeof(pfx), "t%d", k);
			add_metric_defs(&a, esc, pfx, md->ds, md->nds, md->scale, "AVERAGE");
			rrd_escape(stack[k], lab, sizeof(lab));
			arg_add(&a, "AREA:%s%s:%s%s", pfx,
				palette[k % (int)(sizeof(palette) / sizeof(palette[0]))], lab,
				k ? ":STACK" : "");
		}
		if (o->host_line && md->nhost) {
			hist_path(o->dir, NULL, path, sizeof(path));
			rrd_escape(path, esc, sizeof(esc));
			/* host.rrd is already in display units (cpu_pct, bytes, bytes/s) */
			add_metric_defs(&a, esc, "host", md->host_ds, md->nhost, 1, "AVERAGE");
			arg_add(&a, "LINE2:host#000000:host total");
		}
	}
	for (int i = 0; i < o->nev; i++) {
		const struct hist_event *e = &o->ev[i];
		const char *col = event_colour(e->action);
		unsigned int bit = !strcmp(col, "#d62728") ? 1 : !strcmp(col, "#1f3fbf") ? 2 :
				   !strcmp(col, "#2ca02c") ? 4 : 8;

		if (e->time <= o->start || e->time > o->end)
			continue;
		if (seen & bit) {	/* one legend entry per kind of event */
			arg_add(&a, "VRULE:%" PRId64 "%s", e->time, col);
			continue;
		}
		seen |= bit;
		rrd_escape(e->action, lab, sizeof(lab));
		arg_add(&a, "VRULE:%" PRId64 "%s:%s", e->time, col, lab);
	}
	if (a.oom) {
		hist_args_free(a.n, a.v);
		return -ENOMEM;
	}
	*argv = a.v;
	return a.n;
inval:
	hist_args_free(a.n, a.v);
	return -EINVAL;
}

void hist_args_free(int argc, char **argv)
{
	if (!argv)
		return;
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

static int metric_cmp(const void *pa, const void *pb, void *arg)
{
	const struct hist_summary *a = pa, *b = pb;
	enum hist_metric m = *(const enum hist_metric *)arg;

	return cmp_score(hist_metric_score(a, m), hist_metric_score(b, m), a->name, b->name);
}

int hist_graph(const struct hist_graph_opts *o, char *err, size_t errlen)
{
	char (*stack)[TENANT_NAME_MAX] = NULL;
	struct hist_graph_opts oo = *o;
	struct hist_summary *sum = NULL;
	char path[4096];
	rrd_info_t *info;
	char **argv;
	int argc, nsum = 0, nstack = 0, ret = 0;

	if (o->tenant) {
		if (hist_path(o->dir, o->tenant, path, sizeof(path)))
			return -EINVAL;
		if (access(path, R_OK)) {
			snprintf(err, errlen, "no history for %s (%s: %s)", o->tenant, path,
				 strerror(errno));
			return -ENOENT;
		}
		if (rrdcached_addr[0])
			rrdc_flush_if_daemon(rrdcached_addr, path);
	} else {
		int top = o->top > 0 ? o->top : 8;

		ret = hist_report(o->dir, o->start, o->end, HIST_BY_CPU, &sum, &nsum, NULL, 0);
		if (ret && ret != -ENOENT) {
			snprintf(err, errlen, "%s: %s", o->dir, strerror(-ret));
			return ret;
		}
		if (nsum > 1)
			qsort_r(sum, (size_t)nsum, sizeof(*sum), metric_cmp, &oo.metric);
		nstack = nsum < top ? nsum : top;
		stack = calloc((size_t)(nstack ? nstack : 1), sizeof(*stack));
		if (!stack) {
			free(sum);
			return -ENOMEM;
		}
		for (int i = 0; i < nstack; i++)
			memcpy(stack[i], sum[i].name, TENANT_NAME_MAX);
		free(sum);
		hist_path(o->dir, NULL, path, sizeof(path));
		oo.host_line = !access(path, R_OK);
		if (!nstack && !oo.host_line) {
			snprintf(err, errlen, "no history in %s", o->dir);
			free(stack);
			return -ENOENT;
		}
	}
	argc = hist_graph_args(&oo, (const char (*)[TENANT_NAME_MAX])stack, nstack, &argv);
	free(stack);
	if (argc < 0) {
		snprintf(err, errlen, "graph: %s", strerror(-argc));
		return argc;
	}
	/* librrd's option parser permutes the vector it gets: hand it a copy */
	char **work = calloc((size_t)argc + 1, sizeof(char *));

	if (!work) {
		hist_args_free(argc, argv);
		return -ENOMEM;
	}
	memcpy(work, argv, sizeof(char *) * (size_t)argc);
	rrd_clear_error();
	info = rrd_graph_v(argc, work);
	free(work);
	if (!info || rrd_test_error()) {
		rrd_err(err, errlen, "graph", o->out);
		ret = -EIO;
	}
	if (info)
		rrd_info_free(info);
	hist_args_free(argc, argv);
	return ret;
}
