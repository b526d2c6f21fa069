// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_history.c - quellctl history / report / graph. These read the RRD
 * files directly (include/history.h), so they work while quelld is down:
 * the directory comes from --rrd-dir, else the config file's [history] dir,
 * else /var/lib/quell/rrd.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "history.h"
#include "units.h"

struct hopts {
	const char *rrd_dir;
	const char *tenant;
	const char *since, *until, *period;
	const char *out;
	const char *events;
	uint64_t step;
	int top;
	bool csv, host, max;
	enum hist_by by;
	enum hist_metric metric;
	int width, height;
};

/* Where the files are, and the rrdcached / event log of the same config. */
struct hloc {
	char dir[256];
	char events[256];
};

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* Shared option parser; which options a command accepts is in allowed. */
static int parse_opts(struct ctl_ctx *c, int argc, char **argv, const char *allowed,
		      struct hopts *o)
{
	const char *cmd = argv[0];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		char key[32];
		int n;

		if (a[0] != '-' || !a[1]) {
			if (o->tenant || !strstr(allowed, " TENANT "))
				return ctl_usage_error(c, cmd, "unexpected argument \"%s\"", a);
			o->tenant = a;
			continue;
		}
		if (!strcmp(a, "--json")) {
			c->json = true;
			continue;
		}
		snprintf(key, sizeof(key), " %.28s ", a);
		if (!strstr(allowed, key))
			return ctl_usage_error(c, cmd, "unknown option %s", a);
		if (!strcmp(a, "--csv")) {
			o->csv = true;
			continue;
		}
		if (!strcmp(a, "--host")) {
			o->host = true;
			continue;
		}
		if (!strcmp(a, "--max")) {
			o->max = true;
			continue;
		}
		if (!v)
			return ctl_usage_error(c, cmd, "%s needs a value", a);
		i++;
		if (!strcmp(a, "--rrd-dir")) {
			o->rrd_dir = v;
		} else if (!strcmp(a, "--since")) {
			o->since = v;
		} else if (!strcmp(a, "--until")) {
			o->until = v;
		} else if (!strcmp(a, "--period")) {
			o->period = v;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			o->out = v;
		} else if (!strcmp(a, "--events")) {
			o->events = v;
		} else if (!strcmp(a, "--step")) {
			uint64_t ms;

			if (units_parse_duration_ms(v, &ms) || ms < 1000)
				return ctl_usage_error(c, cmd, "bad --step \"%s\" (e.g. 10, 60, 5m)", v);
			o->step = ms / 1000;
		} else if (!strcmp(a, "--top")) {
			if (parse_int(v, 1, 100000, &o->top))
				return ctl_usage_error(c, cmd, "bad --top \"%s\"", v);
		} else if (!strcmp(a, "--width") || !strcmp(a, "--height")) {
			if (parse_int(v, 100, 10000, &n))
				return ctl_usage_error(c, cmd, "bad %s \"%s\"", a, v);
			*(a[2] == 'w' ? &o->width : &o->height) = n;
		} else if (!strcmp(a, "--by")) {
			if (hist_by_parse(v, &o->by))
				return ctl_usage_error(c, cmd, "--by: cpu, io, mem, inflicted or faults");
		} else if (!strcmp(a, "--metric")) {
			if (hist_metric_parse(v, &o->metric))
				return ctl_usage_error(c, cmd, "--metric: cpu, mem, io, iops, inflicted, "
						       "suffered, faults or nproc");
		}
	}
	return 0;
}

/* --rrd-dir, else the config's [history] dir (and rrdcached, event log), else the default. */
static int locate(struct ctl_ctx *c, const struct hopts *o, struct hloc *loc)
{
	const char *path = c->config_path;
	struct quell_config *cfg;
	char err[512];
	int ret;

	snprintf(loc->dir, sizeof(loc->dir), "%s", HIST_DEFAULT_DIR);
	snprintf(loc->events, sizeof(loc->events), "/var/lib/quell/events.jsonl");
	if (!path && !access(QUELL_DEFAULT_CONFIG, R_OK))
		path = QUELL_DEFAULT_CONFIG;
	if (path) {
		cfg = calloc(1, sizeof(*cfg));
		if (!cfg)
			return -ENOMEM;
		ret = config_load(path, cfg, err, sizeof(err));
		if (ret) {
			fprintf(c->err, "quellctl: %s\n", err);
			free(cfg);
			return ret;
		}
		snprintf(loc->dir, sizeof(loc->dir), "%s", cfg->rrd_dir);
		snprintf(loc->events, sizeof(loc->events), "%s", cfg->events_path);
		hist_read_set_rrdcached(cfg->rrdcached);
		config_free(cfg);
		free(cfg);
	}
	if (o->rrd_dir)
		snprintf(loc->dir, sizeof(loc->dir), "%s", o->rrd_dir);
	if (o->events)
		snprintf(loc->events, sizeof(loc->events), "%s", o->events);
	return 0;
}

static time_t now_of(const struct ctl_ctx *c)
{
	return c->now ? c->now : time(NULL);
}

/* --since / --until (or --period back from --until) into [start, end]. */
static int period(struct ctl_ctx *c, const char *cmd, const struct hopts *o, const char *dflt,
		  int64_t *start, int64_t *end)
{
	time_t now = now_of(c);

	if (units_parse_when(o->until ? o->until : "now", now, end))
		return ctl_usage_error(c, cmd, "bad --until \"%s\"", o->until);
	if (o->period) {
		uint64_t ms;

		if (units_parse_duration_ms(o->period, &ms) || ms < 1000)
			return ctl_usage_error(c, cmd, "bad --period \"%s\" (e.g. 1h, 1d, 7d)",
					       o->period);
		*start = *end - (int64_t)(ms / 1000);
	} else if (units_parse_when(o->since ? o->since : dflt, (time_t)*end, start)) {
		return ctl_usage_error(c, cmd, "bad --since \"%s\" (-6h, EPOCH, \"YYYY-MM-DD HH:MM\")",
				       o->since);
	}
	if (*start >= *end)
		return ctl_usage_error(c, cmd, "the period is empty (since >= until)");
	return 0;
}

/* ---- history ---- */

enum hfmt { HF_PCT, HF_MS, HF_SIZE, HF_RATE, HF_NUM, HF_COUNT };

/* Columns of `quellctl history`: sums of DS, times scale; HF_COUNT: per row (rate * step). */
static const struct hcol {
	const char *title, *key;
	const char *ds[3];
	double scale;
	enum hfmt fmt;
} hcols[] = {
	{ "CPU%", "cpu_pct", { "cpu_ns" }, 1e-7, HF_PCT },
	{ "INFL", "inflicted_ms_s", { "rq_inflicted_ns" }, 1e-6, HF_MS },
	{ "SUFF", "suffered_ms_s", { "rq_suffered_ns" }, 1e-6, HF_MS },
	{ "MEM", "mem_bytes", { "mem_bytes" }, 1, HF_SIZE },
	{ "READ", "io_rbps", { "io_rbytes" }, 1, HF_RATE },
	{ "WRITE", "io_wbps", { "io_wbytes" }, 1, HF_RATE },
	{ "IOPS", "iops", { "io_rops", "io_wops" }, 1, HF_NUM },
	{ "NPROC", "nproc", { "nproc" }, 1, HF_NUM },
	{ "FLT/s", "pgfaults_s", { "pgfaults" }, 1, HF_NUM },
	{ "FORK/s", "forks_s", { "forks" }, 1, HF_NUM },
	{ "HITS", "limit_hits", { "cpu_throttled", "mem_max_events", "pids_max_events" }, 1,
	  HF_COUNT },
	{ "OOM", "oom_kills", { "oom_kills" }, 1, HF_COUNT },
};
#define NHCOLS	((int)(sizeof(hcols) / sizeof(hcols[0])))

static double hcol_value(const struct hist_series *s, int row, const struct hcol *hc)
{
	double v = NAN;

	for (int i = 0; i < 3 && hc->ds[i]; i++) {
		int col = hist_series_col(s, hc->ds[i]);
		double x;

		if (col < 0)
			continue;
		x = hist_at(s, row, col);
		if (!isnan(x))
			v = isnan(v) ? x : v + x;
	}
	if (hc->fmt == HF_COUNT)
		return v * (double)s->step;
	return v * hc->scale;
}

static char *fmt_cell(double v, enum hfmt f, char *buf, size_t len)
{
	if (isnan(v))
		return snprintf(buf, len, "-"), buf;
	switch (f) {
	case HF_PCT:
		return ctl_fmt_pct(v, buf, len);
	case HF_SIZE:
		return units_fmt_size(v, buf, len);
	case HF_RATE:
		return ctl_fmt_rate(v, buf, len);
	case HF_COUNT:
		snprintf(buf, len, "%.0f", v);
		return buf;
	case HF_MS:
	case HF_NUM:
	default:
		return ctl_fmt_num(v, buf, len);
	}
}

static void fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static int print_history(struct ctl_ctx *c, const struct hopts *o, const struct hist_series *s,
			 const char *cf)
{
	char cells[NHCOLS + 1][32];
	const char *head[NHCOLS + 1];
	const char *cp[NHCOLS + 1];
	bool right[NHCOLS + 1];
	struct ctl_table t;

	if (c->json) {
		json_t *j = json_object(), *rows = json_array();

		json_object_set_new(j, "tenant", json_string(o->tenant));
		json_object_set_new(j, "cf", json_string(cf));
		json_object_set_new(j, "start", json_integer(s->start));
		json_object_set_new(j, "step", json_integer((json_int_t)s->step));
		for (int r = 0; r < s->rows; r++) {
			json_t *row = json_object();

			json_object_set_new(row, "time", json_integer(hist_row_time(s, r)));
			for (int k = 0; k < NHCOLS; k++)
				json_object_set_new(row, hcols[k].key,
						    num_or_null(hcol_value(s, r, &hcols[k])));
			json_array_append_new(rows, row);
		}
		json_object_set_new(j, "rows", rows);
		json_dumpf(j, c->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', c->out);
		json_decref(j);
		return CTL_EXIT_OK;
	}
	if (o->csv) {
		fprintf(c->out, "time");
		for (int k = 0; k < NHCOLS; k++)
			fprintf(c->out, ",%s", hcols[k].key);
		fputc('\n', c->out);
		for (int r = 0; r < s->rows; r++) {
			fprintf(c->out, "%lld", (long long)hist_row_time(s, r));
			for (int k = 0; k < NHCOLS; k++) {
				double v = hcol_value(s, r, &hcols[k]);

				if (isnan(v))
					fputc(',', c->out);
				else
					fprintf(c->out, ",%.6g", v);
			}
			fputc('\n', c->out);
		}
		return CTL_EXIT_OK;
	}
	head[0] = "TIME";
	right[0] = false;
	for (int k = 0; k < NHCOLS; k++) {
		head[k + 1] = hcols[k].title;
		right[k + 1] = true;
	}
	ctl_table_init(&t, NHCOLS + 1, head, right);
	for (int r = 0; r < s->rows; r++) {
		fmt_time(hist_row_time(s, r), cells[0], sizeof(cells[0]));
		cp[0] = cells[0];
		for (int k = 0; k < NHCOLS; k++)
			cp[k + 1] = fmt_cell(hcol_value(s, r, &hcols[k]), hcols[k].fmt, cells[k + 1],
					     sizeof(cells[k + 1]));
		if (ctl_table_add(&t, cp)) {
			ctl_table_free(&t);
			fprintf(c->err, "quellctl: out of memory\n");
			return CTL_EXIT_DAEMON;
		}
	}
	fprintf(c->out, "%s (%s, %llu s per row; INFL/SUFF in ms/s, HITS = limit hits per row)\n",
		o->tenant, cf, (unsigned long long)s->step);
	ctl_table_print(c->out, &t);
	ctl_table_free(&t);
	return CTL_EXIT_OK;
}

int ctl_cmd_history(struct ctl_ctx *c, int argc, char **argv)
{
	struct hopts o = { 0 };
	struct hist_series s;
	struct hloc loc;
	char path[4096], err[1024];
	int64_t start, end;
	const char *cf;
	int ret;

	if (ctl_wants_help(argc, argv)) {
		ctl_cmd_usage(c->out, ctl_cmd_find("history"));
		return CTL_EXIT_OK;
	}
	ret = parse_opts(c, argc, argv, " TENANT --rrd-dir --since --until --step --csv --max ", &o);
	if (ret)
		return ret;
	if (!o.tenant)
		return ctl_usage_error(c, argv[0], "which tenant?");
	ret = period(c, argv[0], &o, "-6h", &start, &end);
	if (ret)
		return ret;
	if (locate(c, &o, &loc))
		return CTL_EXIT_USAGE;
	if (hist_path(loc.dir, o.tenant, path, sizeof(path)))
		return ctl_usage_error(c, argv[0], "bad tenant name \"%s\"", o.tenant);
	cf = o.max ? "MAX" : "AVERAGE";
	ret = hist_fetch(path, cf, start, end, o.step, &s, err, sizeof(err));
	if (ret == -ENOENT) {
		fprintf(c->err, "quellctl history: no history for %s in %s\n", o.tenant, loc.dir);
		return CTL_EXIT_DAEMON;
	}
	if (ret) {
		fprintf(c->err, "quellctl history: %s\n", err);
		return CTL_EXIT_DAEMON;
	}
	ret = print_history(c, &o, &s, cf);
	hist_series_free(&s);
	return ret;
}

/* ---- report ---- */

static json_t *summary_json(const struct hist_summary *s, int rank, enum hist_by by)
{
	return json_pack("{s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
			 "s:o, s:o, s:o, s:o}",
			 "rank", rank, "tenant", s->name,
			 "score", num_or_null(hist_summary_score(s, by)),
			 "covered_s", num_or_null(s->covered_s),
			 "cpu_avg_pct", num_or_null(s->cpu_avg),
			 "cpu_max_pct", num_or_null(s->cpu_max),
			 "cpu_s", num_or_null(s->cpu_core_s),
			 "mem_avg_bytes", num_or_null(s->mem_avg),
			 "mem_max_bytes", num_or_null(s->mem_max),
			 "io_bytes", num_or_null(s->io_bytes),
			 "io_avg_bps", num_or_null(s->io_avg),
			 "io_max_bps", num_or_null(s->io_max),
			 "inflicted_s", num_or_null(s->inflicted_s),
			 "inflicted_max_ms_s", num_or_null(s->inflicted_max),
			 "suffered_avg_ms_s", num_or_null(s->suffered_avg),
			 "faults_cpu", num_or_null(s->faults_cpu),
			 "faults_mem", num_or_null(s->faults_mem),
			 "faults_pids", num_or_null(s->faults_pids));
}

static const char *fmt_count(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

int ctl_cmd_report(struct ctl_ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "#", "TENANT", "CPU s", "CPU avg", "CPU max",
					    "MEM avg", "MEM max", "IO", "IO max", "INFL s",
					    "HITS cpu/mem/pids" };
	static const bool right[] = { true, false, true, true, true, true, true, true, true, true,
				      true };
	struct hopts o = { .top = 10, .by = HIST_BY_CPU, .period = NULL };
	struct hist_summary *sum;
	struct ctl_table t;
	struct hloc loc;
	char err[1024], ps[32], pe[32];
	int64_t start, end;
	int n, ret, top;

	if (ctl_wants_help(argc, argv)) {
		ctl_cmd_usage(c->out, ctl_cmd_find("report"));
		return CTL_EXIT_OK;
	}
	ret = parse_opts(c, argc, argv, " --rrd-dir --period --since --until --top --by ", &o);
	if (ret)
		return ret;
	if (!o.period && !o.since)
		o.period = "1d";
	ret = period(c, argv[0], &o, "-1d", &start, &end);
	if (ret)
		return ret;
	if (locate(c, &o, &loc))
		return CTL_EXIT_USAGE;
	ret = hist_report(loc.dir, start, end, o.by, &sum, &n, err, sizeof(err));
	if (ret) {
		fprintf(c->err, "quellctl report: %s: %s\n", loc.dir, strerror(-ret));
		return CTL_EXIT_DAEMON;
	}
	if (err[0])
		fprintf(c->err, "quellctl report: %s\n", err);
	top = n < o.top ? n : o.top;
	if (c->json) {
		json_t *j = json_pack("{s:s, s:I, s:I, s:o}", "by", hist_by_name(o.by),
				      "start", (json_int_t)start, "end", (json_int_t)end,
				      "tenants", json_array());

		for (int i = 0; i < top; i++)
			json_array_append_new(json_object_get(j, "tenants"),
					      summary_json(&sum[i], i + 1, o.by));
		json_dumpf(j, c->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', c->out);
		json_decref(j);
		free(sum);
		return CTL_EXIT_OK;
	}
	fmt_time(start, ps, sizeof(ps));
	fmt_time(end, pe, sizeof(pe));
	fprintf(c->out, "top %d by %s, %s .. %s (%d tenants with data)\n", top,
		hist_by_name(o.by), ps, pe, n);
	ctl_table_init(&t, 11, head, right);
	for (int i = 0; i < top; i++) {
		const struct hist_summary *s = &sum[i];
		char cell[11][QUELL_NAME_MAX], f1[16], f2[16], f3[16];
		const char *cp[11];

		snprintf(cell[0], sizeof(cell[0]), "%d", i + 1);
		snprintf(cell[1], sizeof(cell[1]), "%s", s->name);
		fmt_count(s->cpu_core_s, cell[2], sizeof(cell[2]));
		ctl_fmt_pct(s->cpu_avg, cell[3], sizeof(cell[3]));
		ctl_fmt_pct(s->cpu_max, cell[4], sizeof(cell[4]));
		units_fmt_size(s->mem_avg, cell[5], sizeof(cell[5]));
		units_fmt_size(s->mem_max, cell[6], sizeof(cell[6]));
		units_fmt_size(s->io_bytes, cell[7], sizeof(cell[7]));
		ctl_fmt_rate(s->io_max, cell[8], sizeof(cell[8]));
		ctl_fmt_num(s->inflicted_s, cell[9], sizeof(cell[9]));
		snprintf(cell[10], sizeof(cell[10]), "%s/%s/%s",
			 fmt_count(s->faults_cpu, f1, sizeof(f1)),
			 fmt_count(s->faults_mem, f2, sizeof(f2)),
			 fmt_count(s->faults_pids, f3, sizeof(f3)));
		for (int k = 0; k < 11; k++)
			cp[k] = cell[k];
		ctl_table_add(&t, cp);
	}
	ctl_table_print(c->out, &t);
	ctl_table_free(&t);
	free(sum);
	return CTL_EXIT_OK;
}

/* ---- graph ---- */

int ctl_cmd_graph(struct ctl_ctx *c, int argc, char **argv)
{
	struct hopts o = { .metric = HIST_M_CPU };
	struct hist_graph_opts g = { 0 };
	struct hist_event *ev = NULL;
	struct hloc loc;
	char err[1024];
	int64_t start, end;
	int nev = 0, ret;

	if (ctl_wants_help(argc, argv)) {
		ctl_cmd_usage(c->out, ctl_cmd_find("graph"));
		return CTL_EXIT_OK;
	}
	ret = parse_opts(c, argc, argv,
			 " TENANT --host --rrd-dir --since --until -o --output --metric --top "
			 "--events --width --height ", &o);
	if (ret)
		return ret;
	if (!o.tenant == !o.host)
		return ctl_usage_error(c, argv[0], "give a TENANT or --host");
	if (!o.out)
		return ctl_usage_error(c, argv[0], "-o FILE.png is required");
	ret = period(c, argv[0], &o, "-1d", &start, &end);
	if (ret)
		return ret;
	if (locate(c, &o, &loc))
		return CTL_EXIT_USAGE;
	if (hist_events_load(loc.events, o.tenant, start, end, &ev, &nev))
		fprintf(c->err, "quellctl graph: cannot read events from %s\n", loc.events);
	g.dir = loc.dir;
	g.tenant = o.tenant;
	g.metric = o.metric;
	g.start = start;
	g.end = end;
	g.out = o.out;
	g.width = o.width;
	g.height = o.height;
	g.top = o.top;
	g.ev = ev;
	g.nev = nev;
	ret = hist_graph(&g, err, sizeof(err));
	free(ev);
	if (ret) {
		fprintf(c->err, "quellctl graph: %s\n", err);
		return CTL_EXIT_DAEMON;
	}
	if (c->json) {
		json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:i}", "file", o.out,
				      "metric", hist_metric_name(o.metric), "start", (json_int_t)start,
				      "end", (json_int_t)end, "events", nev);

		json_dumpf(j, c->out, JSON_INDENT(2));
		fputc('\n', c->out);
		json_decref(j);
	} else {
		fprintf(c->out, "%s: %s of %s, %d events marked\n", o.out, hist_metric_name(o.metric),
			o.tenant ? o.tenant : "the host", nev);
	}
	return CTL_EXIT_OK;
}
