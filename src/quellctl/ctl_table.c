// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl_table.c - quellctl's human output: an aligned-table builder and the
 * list / show / status layouts. Unknown values (NAN) print as "-".
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "units.h"

void ctl_table_init(struct ctl_table *t, int ncols, const char *const *head, const bool *right)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols > CTL_TABLE_MAX_COLS ? CTL_TABLE_MAX_COLS : ncols;
	for (int i = 0; i < t->ncols; i++) {
		t->head[i] = head[i];
		t->right[i] = right ? right[i] : false;
	}
}

int ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		int cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, (size_t)cap * (size_t)t->ncols * sizeof(*c));

		if (!c)
			return -ENOMEM;
		t->cells = c;
		t->cap = cap;
	}
	for (int i = 0; i < t->ncols; i++) {
		char *s = strdup(cells[i] ? cells[i] : "-");

		if (!s) {
			for (int k = 0; k < i; k++)
				free(t->cells[t->nrows * t->ncols + k]);
			return -ENOMEM;
		}
		t->cells[t->nrows * t->ncols + i] = s;
	}
	t->nrows++;
	return 0;
}

static void print_row(FILE *f, const struct ctl_table *t, const char *const *row, const int *w)
{
	for (int i = 0; i < t->ncols; i++) {
		bool last = i == t->ncols - 1;

		if (i)
			fputs("  ", f);
		if (t->right[i])
			fprintf(f, "%*s", w[i], row[i]);
		else if (last)
			fputs(row[i], f);	/* no trailing blanks */
		else
			fprintf(f, "%-*s", w[i], row[i]);
	}
	fputc('\n', f);
}

void ctl_table_print(FILE *f, const struct ctl_table *t)
{
	int w[CTL_TABLE_MAX_COLS];

	for (int i = 0; i < t->ncols; i++) {
		w[i] = (int)strlen(t->head[i]);
		for (int r = 0; r < t->nrows; r++) {
			int l = (int)strlen(t->cells[r * t->ncols + i]);

			if (l > w[i])
				w[i] = l;
		}
	}
	print_row(f, t, t->head, w);
	for (int r = 0; r < t->nrows; r++)
		print_row(f, t, (const char *const *)&t->cells[r * t->ncols], w);
}

void ctl_table_free(struct ctl_table *t)
{
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

/* v with fmt (one double), "-" when nobody could read it, "max" when unlimited */
static char *fmt_value(double v, const char *fmt, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (isinf(v))
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, fmt, v);
	return buf;
}

char *ctl_fmt_pct(double v, char *buf, size_t len)
{
	return fmt_value(v, "%.1f%%", buf, len);
}

char *ctl_fmt_num(double v, char *buf, size_t len)
{
	return fmt_value(v, "%.1f", buf, len);
}

/* Integers (counts) without a fraction. */
static char *fmt_int(double v, char *buf, size_t len)
{
	return fmt_value(v, "%.0f", buf, len);
}

char *ctl_fmt_rate(double bytes_s, char *buf, size_t len)
{
	char s[32];

	if (isnan(bytes_s))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s/s", units_fmt_size(bytes_s, s, sizeof(s)));
	return buf;
}

uint64_t ctl_tview_faults(const struct tview *t)
{
	return proto_tview_faults(t);
}

enum { L_NAME, L_STATE, L_CPU, L_MEM, L_READ, L_WRITE, L_IOPS, L_INFL, L_SUFF, L_NPROC,
       L_FAULTS, L_NCOLS };

void ctl_print_list(FILE *f, const struct tview *t, int n)
{
	static const char *const head[L_NCOLS] = {
		"TENANT", "STATE", "CPU%", "MEM", "READ/s", "WRITE/s", "IOPS",
		"INFL-ms/s", "SUFF-ms/s", "NPROC", "FAULTS",
	};
	static const bool right[L_NCOLS] = {
		false, false, true, true, true, true, true, true, true, true, true,
	};
	struct ctl_table tb;

	ctl_table_init(&tb, L_NCOLS, head, right);
	for (int i = 0; i < n; i++) {
		char c[L_NCOLS][48];
		const char *row[L_NCOLS];

		snprintf(c[L_NAME], sizeof(c[0]), "%s", t[i].name);
		/* "throttled*": a rule is tripping right now */
		snprintf(c[L_STATE], sizeof(c[0]), "%s%s", t[i].state, t[i].offender ? "*" : "");
		ctl_fmt_num(t[i].v.cpu_pct, c[L_CPU], sizeof(c[0]));
		units_fmt_size(t[i].v.mem_bytes, c[L_MEM], sizeof(c[0]));
		units_fmt_size(t[i].v.io_rbps, c[L_READ], sizeof(c[0]));
		units_fmt_size(t[i].v.io_wbps, c[L_WRITE], sizeof(c[0]));
		fmt_int(t[i].v.iops, c[L_IOPS], sizeof(c[0]));
		ctl_fmt_num(t[i].v.inflicted_ms_s, c[L_INFL], sizeof(c[0]));
		ctl_fmt_num(t[i].v.suffered_ms_s, c[L_SUFF], sizeof(c[0]));
		fmt_int(t[i].v.nproc, c[L_NPROC], sizeof(c[0]));
		snprintf(c[L_FAULTS], sizeof(c[0]), "%llu", (unsigned long long)ctl_tview_faults(&t[i]));
		for (int k = 0; k < L_NCOLS; k++)
			row[k] = c[k];
		if (ctl_table_add(&tb, row))
			break;
	}
	ctl_table_print(f, &tb);
	ctl_table_free(&tb);
}

/* "512M (limit 1G)" / "512M" when unlimited / "-" */
static void with_limit(char *buf, size_t len, const char *val, double lim, const char *limstr)
{
	if (isnan(lim) || isinf(lim))
		snprintf(buf, len, "%s", val);
	else
		snprintf(buf, len, "%s (limit %s)", val, limstr);
}

void ctl_print_show(FILE *f, const struct tview *t)
{
	char a[64], b[64], c[64], d[64], line[256];

	if (t->uid >= 0)
		fprintf(f, "tenant:     %s (uid %lld)\n", t->name, (long long)t->uid);
	else
		fprintf(f, "tenant:     %s\n", t->name);
	fprintf(f, "cgroup:     %s\n", *t->cgroup ? t->cgroup : "-");
	fprintf(f, "state:      %s%s%s%s\n", t->state, *t->rule ? " (rule " : "", t->rule,
		*t->rule ? ")" : "");
	if (t->offender)
		fprintf(f, "offender:   yes (a rule is tripping)\n");

	ctl_fmt_pct(t->v.cpu_pct, a, sizeof(a));
	ctl_fmt_pct(t->cpu_limit_pct, b, sizeof(b));
	with_limit(line, sizeof(line), a, t->cpu_limit_pct, b);
	fprintf(f, "cpu:        %s\n", line);

	units_fmt_size(t->v.mem_bytes, a, sizeof(a));
	units_fmt_size(t->mem_limit, b, sizeof(b));
	with_limit(line, sizeof(line), a, t->mem_limit, b);
	units_fmt_size(t->counters[QM_MEM_PEAK], c, sizeof(c));
	fprintf(f, "memory:     %s, peak %s\n", line, c);

	fmt_int(t->v.nproc, a, sizeof(a));
	fmt_int(t->nproc_limit, b, sizeof(b));
	with_limit(line, sizeof(line), a, t->nproc_limit, b);
	fmt_int(t->counters[QM_NTHREADS], c, sizeof(c));
	fprintf(f, "processes:  %s, threads %s\n", line, c);

	ctl_fmt_rate(t->v.io_rbps, a, sizeof(a));
	ctl_fmt_rate(t->v.io_wbps, b, sizeof(b));
	fmt_int(t->v.iops, c, sizeof(c));
	ctl_fmt_num(t->v.io_lat_ms, d, sizeof(d));
	fprintf(f, "io:         read %s, write %s, %s iops, latency %s ms\n", a, b, c, d);

	ctl_fmt_num(t->v.inflicted_ms_s, a, sizeof(a));
	ctl_fmt_num(t->v.suffered_ms_s, b, sizeof(b));
	fprintf(f, "run queue:  inflicted %s ms/s, suffered %s ms/s\n", a, b);

	ctl_fmt_num(t->v.faults_s, a, sizeof(a));
	ctl_fmt_num(t->v.forks_s, b, sizeof(b));
	ctl_fmt_num(t->v.reclaim_ms_s, c, sizeof(c));
	fprintf(f, "activity:   page faults %s/s, forks %s/s, reclaim %s ms/s\n", a, b, c);

	ctl_fmt_pct(t->v.psi_cpu_some, a, sizeof(a));
	ctl_fmt_pct(t->v.psi_mem_some, b, sizeof(b));
	ctl_fmt_pct(t->v.psi_io_some, c, sizeof(c));
	fprintf(f, "pressure:   cpu %s, memory %s, io %s (some)\n", a, b, c);

	fprintf(f, "faults:     cpu %llu, mem %llu, pids %llu, io %llu\n",
		(unsigned long long)t->faults_cpu, (unsigned long long)t->faults_mem,
		(unsigned long long)t->faults_pids, (unsigned long long)t->faults_io);

	/* which collector each metric came from, grouped */
	static const struct { char c; const char *name; } srcs[] = {
		{ 'b', "bpf" }, { 'c', "cgroup" }, { 'p', "proc" },
	};
	for (size_t s = 0; s < sizeof(srcs) / sizeof(srcs[0]); s++) {
		bool any = false;

		for (int i = 0; i < QM_NR; i++) {
			if (t->src[i] != srcs[s].c)
				continue;
			if (!any)
				fprintf(f, "%-11s %s", s == 0 ? "sources:" : "", srcs[s].name);
			fprintf(f, "%s%s", any ? " " : ": ", qm_desc[i].key);
			any = true;
		}
		if (any)
			fputc('\n', f);
	}
}

void ctl_print_status(FILE *f, const struct hview *h)
{
	char a[64], b[64], c[64];

	fprintf(f, "host:       %s (%d cpus)\n", h->hostname, h->ncpu);
	ctl_fmt_num(h->load[0], a, sizeof(a));
	ctl_fmt_num(h->load[1], b, sizeof(b));
	ctl_fmt_num(h->load[2], c, sizeof(c));
	fprintf(f, "load:       %s %s %s\n", a, b, c);
	ctl_fmt_pct(h->cpu_pct, a, sizeof(a));
	fprintf(f, "cpu:        %s\n", a);
	units_fmt_size(h->mem_used, a, sizeof(a));
	units_fmt_size(h->mem_total, b, sizeof(b));
	fprintf(f, "memory:     %s used of %s\n", a, b);
	ctl_fmt_rate(h->io_rbps, a, sizeof(a));
	ctl_fmt_rate(h->io_wbps, b, sizeof(b));
	fprintf(f, "io:         read %s, write %s\n", a, b);
	ctl_fmt_pct(h->psi_cpu_some, a, sizeof(a));
	fprintf(f, "pressure:   cpu some %s", a);
	ctl_fmt_pct(h->psi_mem_some, a, sizeof(a));
	ctl_fmt_pct(h->psi_mem_full, b, sizeof(b));
	fprintf(f, ", memory some %s full %s", a, b);
	ctl_fmt_pct(h->psi_io_some, a, sizeof(a));
	ctl_fmt_pct(h->psi_io_full, b, sizeof(b));
	fprintf(f, ", io some %s full %s\n", a, b);
	fprintf(f, "tenants:    %d (%d throttled, %d frozen)\n", h->tenants, h->throttled, h->frozen);
	fprintf(f, "accounting: %s, cgroup %s\n", h->source, h->cgroup_mode);
	ctl_fmt_num(h->tick_ms, a, sizeof(a));
	fprintf(f, "tick:       %s ms, %d tenants quiet, bpf dropped %llu\n", a, h->quiet,
		(unsigned long long)h->bpf_dropped);
}

void ctl_print_status_extra(FILE *f, json_t *resp)
{
	json_t *b = json_object_get(resp, "bpf"), *p = json_object_get(resp, "placement");
	json_t *v;

	if (json_is_object(b)) {
		fprintf(f, "bpf:        %s", json_is_true(json_object_get(b, "loaded")) ? "loaded" :
			"not loaded");
		if (json_is_string(v = json_object_get(b, "variant")))
			fprintf(f, " (%s)", json_string_value(v));
		if (json_is_integer(v = json_object_get(b, "acct_used")))
			fprintf(f, ", %lld/%lld tenants in map", (long long)json_integer_value(v),
				(long long)json_integer_value(json_object_get(b, "acct_max")));
		fputc('\n', f);
	}
	if (json_is_object(p)) {
		fprintf(f, "placement:  %lld moved by event, %lld by sweep",
			(long long)json_integer_value(json_object_get(p, "moved_event")),
			(long long)json_integer_value(json_object_get(p, "moved_sweep")));
		if (json_is_number(v = json_object_get(p, "latency_p50_us")))
			fprintf(f, ", latency p50 %.0f us p99 %.0f us", json_number_value(v),
				json_number_value(json_object_get(p, "latency_p99_us")));
		fputc('\n', f);
	}
}
