// SPDX-License-Identifier: GPL-2.0-only
/*
 * graph.c - `quellctl graph`: the metrics a graph can draw, rrdgraph's
 * argument vector for one (pure, so the tests compare argv), and
 * hist_graph(), which ranks the stack (report.c), marks the events
 * (fetch.c) and calls librrd. Split from history_read.c (issue 13).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <rrd.h>
#include <rrd_client.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist_rrd.h"
#include "history.h"

/* ---- graphs ---- */

/* Named by its view's short name (sname, include/metrics.h), or by name for a composite. */
struct metric_def {
	enum qv_id qv;		/* QV_NR: a composite */
	const char *name;
	const char *ds[3];
	int nds;
	double scale;
	const char *unit;
	const char *host_ds[2];	/* host.rrd equivalent, if any */
	int nhost;
};

static const struct metric_def metrics[HIST_M_NR] = {
	[HIST_M_CPU] = { QV_CPU_PCT, NULL, { "cpu_ns" }, 1, 1e-7, "% of one core", { "cpu_pct" }, 1 },
	[HIST_M_MEM] = { QV_MEM_BYTES, NULL, { "mem_bytes" }, 1, 1, "bytes", { "mem_used" }, 1 },
	[HIST_M_IO] = { QV_NR, "io", { "io_rbytes", "io_wbytes" }, 2, 1, "bytes/s",
			{ "io_rbps", "io_wbps" }, 2 },
	[HIST_M_IOPS] = { QV_IOPS, NULL, { "io_rops", "io_wops" }, 2, 1, "ops/s", { NULL }, 0 },
	[HIST_M_INFLICTED] = { QV_INFLICTED, NULL, { "rq_inflicted_ns" }, 1, 1e-6,
			       "ms of others' wait per s", { NULL }, 0 },
	[HIST_M_SUFFERED] = { QV_SUFFERED, NULL, { "rq_suffered_ns" }, 1, 1e-6, "ms of wait per s",
			      { NULL }, 0 },
	[HIST_M_FAULTS] = { QV_NR, "faults",
			    { "cpu_throttled", "mem_max_events", "pids_max_events" }, 3, 1,
			    "limit hits/s", { NULL }, 0 },
	[HIST_M_NPROC] = { QV_NPROC, NULL, { "nproc" }, 1, 1, "processes", { NULL }, 0 },
};

static const char *metric_name(int i)
{
	return metrics[i].qv < QV_NR ? qv_desc[metrics[i].qv].sname : metrics[i].name;
}

int hist_metric_parse(const char *s, enum hist_metric *out)
{
	for (int i = 0; i < HIST_M_NR; i++)
		if (s && !strcmp(s, metric_name(i))) {
			*out = (enum hist_metric)i;
			return 0;
		}
	return -EINVAL;
}

const char *hist_metric_name(enum hist_metric m)
{
	return m < HIST_M_NR ? metric_name(m) : "?";
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
	if (hist_rrdcached()[0])
		arg_add(&a, "--daemon=%s", hist_rrdcached());

	if (o->tenant) {
		if (hist_path(o->dir, o->tenant, path, sizeof(path)))
			goto inval;
		rrd_escape(path, esc, sizeof(esc));
		arg_add(&a, "--title=%s: %s", o->tenant, metric_name(o->metric));
		add_metric_defs(&a, esc, "avg", md->ds, md->nds, md->scale, "AVERAGE");
		add_metric_defs(&a, esc, "max", md->ds, md->nds, md->scale, "MAX");
		arg_add(&a, "AREA:avg#4c9be8:average");
		arg_add(&a, "LINE1:max#d62728:max");
		arg_add(&a, "GPRINT:avg:AVERAGE:avg %%.1lf%%s");
		arg_add(&a, "GPRINT:max:MAX:max %%.1lf%%s\\n");
	} else {
		arg_add(&a, "--title=host: %s, top %d tenants stacked", metric_name(o->metric),
			nstack);
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
		if (hist_rrdcached()[0])
			rrdc_flush_if_daemon(hist_rrdcached(), path);
	} else {
		int top = o->top > 0 ? o->top : 8;

		ret = hist_report(o->dir, o->start, o->end, HIST_BY_CPU, &sum, &nsum, NULL, 0);
		if (ret && ret != -ENOENT) {
			snprintf(err, errlen, "%s: %s", o->dir, strerror(-ret));
			return ret;
		}
		if (nsum > 1)
			hist_rank_metric(sum, nsum, oo.metric);
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
		hist_rrd_err(err, errlen, "graph", o->out);
		ret = -EIO;
	}
	if (info)
		rrd_info_free(info);
	hist_args_free(argc, argv);
	return ret;
}
