// SPDX-License-Identifier: GPL-2.0-only
/*
 * report.c - per-tenant period summaries and their ranking (`quellctl
 * report`, and the order of a graph's stack). Summaries and ranking are pure
 * functions of struct hist_series, so the tests feed them literal rows;
 * hist_report() fetches through fetch.c. Split from history_read.c (issue 13).
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"

/* ---- summaries and ranking ---- */

/* A view's short name (sname, include/metrics.h), or a composite named here. */
static const struct {
	enum qv_id qv;		/* QV_NR: a composite */
	const char *name;
} by_keys[HIST_BY_NR] = {
	[HIST_BY_CPU] = { QV_CPU_PCT, NULL },
	[HIST_BY_IO] = { QV_NR, "io" },
	[HIST_BY_MEM] = { QV_MEM_BYTES, NULL },
	[HIST_BY_INFLICTED] = { QV_INFLICTED, NULL },
	[HIST_BY_FAULTS] = { QV_NR, "faults" },
	[HIST_BY_MEM_INFLICTED] = { QV_MEM_INFLICTED, NULL },
};

static const char *by_name(int i)
{
	return by_keys[i].qv < QV_NR ? qv_desc[by_keys[i].qv].sname : by_keys[i].name;
}

int hist_by_parse(const char *s, enum hist_by *out)
{
	for (int i = 0; i < HIST_BY_NR; i++)
		if (s && !strcmp(s, by_name(i))) {
			*out = (enum hist_by)i;
			return 0;
		}
	return -EINVAL;
}

const char *hist_by_name(enum hist_by by)
{
	return by < HIST_BY_NR ? by_name(by) : "?";
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
	SUMMARY(DSL("mem_inflicted"), dummy, dummy, out->mem_inflicted, 1);
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
	case HIST_BY_MEM_INFLICTED:
		return nz(s->mem_inflicted);
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

static int metric_cmp(const void *pa, const void *pb, void *arg)
{
	const struct hist_summary *a = pa, *b = pb;
	enum hist_metric m = *(const enum hist_metric *)arg;

	return cmp_score(hist_metric_score(a, m), hist_metric_score(b, m), a->name, b->name);
}

void hist_rank_metric(struct hist_summary *s, int n, enum hist_metric m)
{
	if (n > 1)
		qsort_r(s, (size_t)n, sizeof(*s), metric_cmp, &m);
}
