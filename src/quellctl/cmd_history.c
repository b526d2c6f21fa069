// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_history.c - quellctl history / report / graph. These read the RRD
 * files directly (include/history.h), so they work while quelld is down:
 * the directory comes from --rrd-dir, else the config file's [history] dir,
 * else /var/lib/quell/rrd. The files are not world-readable: `history`
 * falls back to asking quelld (the `history` socket command) when it may
 * not read them.
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
	bool csv, host, max, recent;
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

static const char *by_name(int i)
{
	return hist_by_name((enum hist_by)i);
}

static const char *metric_name(int i)
{
	return hist_metric_name((enum hist_metric)i);
}

/* "a, b or c": the names the history layer accepts (include/metrics.h spells them). */
static const char *name_list(char *buf, size_t len, const char *(*name)(int), int n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i == 0 ? "" : i + 1 < n ? ", " : " or ",
				      name(i));
	return buf;
}

/* The options without a value: sets the one named a; false if a is not one. */
static bool flag_set(struct hopts *o, const char *a)
{
	const struct {
		const char *name;
		bool *flag;
	} flags[] = {
		{ "--csv", &o->csv }, { "--host", &o->host }, { "--max", &o->max },
		{ "--recent", &o->recent },
	};

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (!strcmp(a, flags[i].name)) {
			*flags[i].flag = true;
			return true;
		}
	}
	return false;
}

/* Shared option parser; which options a command accepts is in allowed. */
static int parse_opts(struct ctl_ctx *c, int argc, char **argv, const char *allowed,
		      struct hopts *o)
{
	const char *cmd = argv[0];
	char names[256];

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
		if (flag_set(o, a))
			continue;
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
				return ctl_usage_error(c, cmd, "--by: %s",
						       name_list(names, sizeof(names), by_name,
								 HIST_BY_NR));
		} else if (!strcmp(a, "--metric")) {
			if (hist_metric_parse(v, &o->metric))
				return ctl_usage_error(c, cmd, "--metric: %s",
						       name_list(names, sizeof(names), metric_name,
								 HIST_M_NR));
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

static char *fmt_cell(double v, enum hist_fmt f, char *buf, size_t len)
{
	if (isnan(v))
		return snprintf(buf, len, "-"), buf;
	switch (f) {
	case HIST_F_PCT:
		return ctl_fmt_pct(v, buf, len);
	case HIST_F_SIZE:
		return units_fmt_size(v, buf, len);
	case HIST_F_RATE:
		return ctl_fmt_rate(v, buf, len);
	case HIST_F_COUNT:
		snprintf(buf, len, "%.0f", v);
		return buf;
	case HIST_F_MS:
	case HIST_F_NUM:
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

#define MAX_COLS	16

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static double row_value(json_t *row, const char *key)
{
	json_t *v = json_object_get(row, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Print a series object of hist_series_json (read here or sent by quelld). */
static int print_history(struct ctl_ctx *c, const struct hopts *o, json_t *j)
{
	char cells[MAX_COLS + 1][32];
	const char *head[MAX_COLS + 1];
	const char *cp[MAX_COLS + 1];
	bool right[MAX_COLS + 1];
	json_t *rows = json_object_get(j, "rows"), *row;
	struct ctl_table t;
	size_t r;

	if (!json_is_array(rows) || hist_ncols > MAX_COLS) {
		fprintf(c->err, "quellctl history: invalid series\n");
		return CTL_EXIT_DAEMON;
	}
	if (c->json) {
		json_dumpf(j, c->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', c->out);
		return CTL_EXIT_OK;
	}
	if (o->csv) {
		fprintf(c->out, "time");
		for (int k = 0; k < hist_ncols; k++)
			fprintf(c->out, ",%s", hist_cols[k].key);
		fputc('\n', c->out);
		json_array_foreach(rows, r, row) {
			fprintf(c->out, "%lld",
				(long long)json_integer_value(json_object_get(row, "time")));
			for (int k = 0; k < hist_ncols; k++) {
				double v = row_value(row, hist_cols[k].key);

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
	for (int k = 0; k < hist_ncols; k++) {
		head[k + 1] = hist_cols[k].title;
		right[k + 1] = true;
	}
	ctl_table_init(&t, hist_ncols + 1, head, right);
	json_array_foreach(rows, r, row) {
		fmt_time(json_integer_value(json_object_get(row, "time")), cells[0],
			 sizeof(cells[0]));
		cp[0] = cells[0];
		for (int k = 0; k < hist_ncols; k++)
			cp[k + 1] = fmt_cell(row_value(row, hist_cols[k].key), hist_cols[k].fmt,
					     cells[k + 1], sizeof(cells[k + 1]));
		if (ctl_table_add(&t, cp)) {
			ctl_table_free(&t);
			fprintf(c->err, "quellctl: out of memory\n");
			return CTL_EXIT_DAEMON;
		}
	}
	fprintf(c->out, "%s (%s, %lld s per row; INFL/SUFF in ms/s, HITS = limit hits per row)\n",
		o->tenant, json_string_value(json_object_get(j, "cf")),
		(long long)json_integer_value(json_object_get(j, "step")));
	ctl_table_print(c->out, &t);
	ctl_table_free(&t);
	return CTL_EXIT_OK;
}

/*
 * The files are 0640 root (docs/history.md): a caller who cannot read them
 * (a tenant, a support user outside the group) asks quelld, which reads
 * them with the same code and answers what the caller may see.
 */
static int history_via_daemon(struct ctl_ctx *c, const struct hopts *o, int64_t start,
			      int64_t end, json_t **out)
{
	json_t *req = json_pack("{s:s, s:s, s:I, s:I, s:I, s:b, s:b}", "cmd", "history",
				"tenant", o->tenant, "since", (json_int_t)start, "until",
				(json_int_t)end, "step", (json_int_t)o->step, "max", o->max,
				"recent", o->recent);
	json_t *resp = NULL, *j;
	int ret;

	if (!req)
		return CTL_EXIT_DAEMON;
	ret = ctl_call(c, req, &resp);
	if (ret)
		return ret;
	/* the series without the reply's envelope: the same JSON as a direct read */
	j = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "tenant", json_object_get(resp, "tenant"),
		      "cf", json_object_get(resp, "cf"), "start", json_object_get(resp, "start"),
		      "step", json_object_get(resp, "step"), "rows", json_object_get(resp, "rows"));
	json_decref(resp);
	if (!j)
		return CTL_EXIT_DAEMON;
	*out = j;
	return 0;
}

int ctl_cmd_history(struct ctl_ctx *c, int argc, char **argv)
{
	struct hopts o = { 0 };
	struct hloc loc;
	char path[4096], err[1024];
	int64_t start, end;
	json_t *j = NULL;
	int ret;

	if (ctl_wants_help(argc, argv)) {
		ctl_cmd_usage(c->out, c->cmd);
		return CTL_EXIT_OK;
	}
	ret = parse_opts(c, argc, argv,
			 " TENANT --rrd-dir --since --until --step --csv --max --recent ", &o);
	if (ret)
		return ret;
	if (!o.tenant)
		return ctl_usage_error(c, argv[0], "which tenant?");
	ret = period(c, argv[0], &o, o.recent ? "-5m" : "-6h", &start, &end);
	if (ret)
		return ret;
	if (o.recent) {		/* the per-second peaks live in quelld's memory only */
		ret = history_via_daemon(c, &o, start, end, &j);
		if (ret)
			return ret;
		ret = print_history(c, &o, j);
		json_decref(j);
		return ret;
	}
	if (locate(c, &o, &loc))
		return CTL_EXIT_USAGE;
	if (hist_path(loc.dir, o.tenant, path, sizeof(path)))
		return ctl_usage_error(c, argv[0], "bad tenant name \"%s\"", o.tenant);
	ret = hist_history_json(loc.dir, o.tenant, o.max, start, end, o.step, &j, err,
				sizeof(err));
	/* not ours to read, or not where this caller's view of the config says */
	if (ret == -EACCES || (ret == -ENOENT && geteuid() != 0)) {
		ret = history_via_daemon(c, &o, start, end, &j);
		if (ret)
			return ret;
	} else if (ret == -ENOENT) {
		fprintf(c->err, "quellctl history: no history for %s in %s\n", o.tenant, loc.dir);
		return CTL_EXIT_DAEMON;
	} else if (ret == -EINVAL) {
		return ctl_usage_error(c, argv[0], "%s", err);
	} else if (ret) {
		fprintf(c->err, "quellctl history: %s\n", err);
		return CTL_EXIT_DAEMON;
	}
	ret = print_history(c, &o, j);
	json_decref(j);
	return ret;
}

/* ---- report ---- */

static json_t *summary_json(const struct hist_summary *s, int rank, enum hist_by by)
{
	return json_pack("{s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
			 "s:o, s:o, s:o, s:o, s:o}",
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
			 "mem_inflicted_bytes", num_or_null(s->mem_inflicted),
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
		ctl_cmd_usage(c->out, c->cmd);
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
		ctl_cmd_usage(c->out, c->cmd);
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
