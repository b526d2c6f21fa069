/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * history.h - per-tenant RRD history (issue 6). docs/history.md explains the
 * layout, the retention and why every archive keeps AVERAGE and MAX.
 *
 *   <rrd_dir>/tenants/<escaped name>.rrd	one file per tenant
 *   <rrd_dir>/host.rrd			host-wide view
 *
 * Three layers:
 *   src/history/rrd_schema.c	pure: DS and RRA lists derived from QM_TABLE,
 *				update lines, file names (no librrd)
 *   src/history/fetch.c, report.c, graph.c
 *				librrd readers: fetch and the series JSON, event
 *				log; summaries and report ranking; graph
 *				arguments; used by quellctl and quelltop without
 *				the daemon
 *   src/quelld/history_writer.c	the daemon's writer (worker thread, rrdcached),
 *				declared in src/quelld/history_writer.h
 *
 * All functions return 0 / -errno unless they say otherwise.
 */
#ifndef QUELL_HISTORY_H
#define QUELL_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "metrics.h"
#include "proto.h"

#define HIST_DS_NAME_MAX	20	/* rrdtool: 19 chars [a-zA-Z0-9_] + NUL */
#define HIST_MAX_DS		32
#define HIST_MAX_RRA		8
#define HIST_RRA_LEN		64
#define HIST_DEFAULT_DIR	"/var/lib/quell/rrd"
#define HIST_HOST_FILE		"host.rrd"
#define HIST_TENANT_DIR		"tenants"
#define HIST_FINE_ROWS_MAX	2160	/* fine tier: 6 h at step 10 (docs/history.md) */

/* ---- schema (rrd_schema.c, pure) ---- */

enum hist_ds_type {
	HIST_DS_DERIVE,		/* cumulative counter stored raw; RRD turns it into a rate */
	HIST_DS_GAUGE,
};

/* Host DS: fields of struct hview, gauges. */
enum hist_host_ds {
	HH_CPU_PCT,
	HH_MEM_USED,
	HH_MEM_TOTAL,
	HH_IO_RBPS,
	HH_IO_WBPS,
	HH_LOAD1,
	HH_PSI_CPU,
	HH_PSI_MEM,
	HH_PSI_IO,
	HH_TENANTS,
	HH_THROTTLED,
	HH_FROZEN,
	HH_TICK_MS,
	HH_NR
};

struct hist_ds {
	char name[HIST_DS_NAME_MAX];
	enum hist_ds_type type;
	int src;		/* tenant: enum qm_id; host: enum hist_host_ds */
};

struct hist_schema {
	uint64_t step_s;
	uint64_t heartbeat_s;
	int nds;
	struct hist_ds ds[HIST_MAX_DS];
	int nrra;
	char rra[HIST_MAX_RRA][HIST_RRA_LEN];	/* "RRA:AVERAGE:0.5:6:20160" */
};

/*
 * The qm ids stored per tenant, in DS order: the QM_TABLE rows with an rrd
 * position (include/metrics.h), hist_tenant_nqm of them.
 */
#define hist_tenant_qm	qm_rrd_ids
#define hist_tenant_nqm	qm_rrd_nr

/*
 * hist_ds_name - RRD DS name from a metric key: [a-zA-Z0-9_] kept, anything
 * else becomes '_', cut at 19 chars. Returns 0, -EINVAL for an empty key.
 */
int hist_ds_name(const char *key, char out[HIST_DS_NAME_MAX]);
/*
 * hist_schema_tenant / hist_schema_host - DS and RRA lists for a step (s).
 * RRAs: the step for 6 h (at most HIST_FINE_ROWS_MAX rows), 1 min for 1 day,
 * 1 h for 31 days, 1 day for 400 days, AVERAGE and MAX except the fine tier;
 * a tier whose resolution is not coarser than the previous one is merged
 * into it.
 * Returns 0, -EINVAL for step 0 or > 3600, -E2BIG (tenant) when QM_TABLE marks more
 * than HIST_MAX_DS rows rrd.
 */
int hist_schema_tenant(uint64_t step_s, struct hist_schema *out);
int hist_schema_host(uint64_t step_s, struct hist_schema *out);
/* Seconds an RRA definition "RRA:CF:xff:pdp:rows" keeps at step; 0 if unparsable. */
uint64_t hist_rra_span_s(const char *rra, uint64_t step_s);
/* Bytes of data rows in a file of schema s: sum of RRA rows x DS x 8 (no header). */
uint64_t hist_schema_data_bytes(const struct hist_schema *s);
/* Index of DS name in s, or -ENOENT. */
int hist_schema_find(const struct hist_schema *s, const char *name);

/* One update queued by the daemon: raw values, formatted by the writer. */
struct hist_rec {
	char name[TENANT_NAME_MAX];	/* tenant name; "" for the host */
	int64_t t;			/* CLOCK_REALTIME seconds */
	uint64_t valid;			/* bit i: value i known */
	union {
		uint64_t u[HIST_MAX_DS];	/* tenant: counters / gauges in DS order */
		double d[HIST_MAX_DS];		/* host */
	};
};

/* Fill a tenant record from a sample (DS order of hist_tenant_qm). */
void hist_rec_from_sample(struct hist_rec *r, const char *name, int64_t t,
			  const struct qm_sample *s);
/* Fill the host record from a host view; NAN / negative fields are unknown. */
void hist_rec_from_hview(struct hist_rec *r, int64_t t, const struct hview *h);
/*
 * hist_update_line - "T:v1:v2:..." for rrd_update ("U" for unknown).
 * Returns the length, -ENOSPC when len is too small.
 */
int hist_update_line(const struct hist_rec *r, char *buf, size_t len);

/*
 * hist_name_escape - tenant name -> file stem: [A-Za-z0-9_-] kept, '.'
 * kept except in front, anything else "%XX". Returns 0, -EINVAL for "",
 * -ENAMETOOLONG.
 */
int hist_name_escape(const char *name, char *out, size_t len);
/* Inverse of hist_name_escape. Returns 0, -EINVAL for a bad escape. */
int hist_name_unescape(const char *stem, char *out, size_t len);
/* "<dir>/tenants/<escaped>.rrd", or "<dir>/host.rrd" for name NULL / "". */
int hist_path(const char *dir, const char *name, char *out, size_t len);

/* ---- reading (fetch.c, report.c, graph.c; librrd) ---- */

/* A fetched series: row i is the interval (start + i*step, start + (i+1)*step]. */
struct hist_series {
	int64_t start;
	uint64_t step;
	int rows, nds;
	char ds[HIST_MAX_DS][HIST_DS_NAME_MAX];
	double *v;		/* rows * nds, NAN = unknown; hist_series_free() */
};

#define hist_at(s, row, col)	((s)->v[(size_t)(row) * (size_t)(s)->nds + (size_t)(col)])

/*
 * hist_fetch - rrd_fetch of path with CF "AVERAGE" / "MAX" over
 * (start, end] at resolution step (0: finest available). librrd's message
 * goes to err. Returns 0, -ENOENT (no file), -EIO (librrd error).
 */
int hist_fetch(const char *path, const char *cf, int64_t start, int64_t end, uint64_t step,
	       struct hist_series *out, char *err, size_t errlen);
void hist_series_free(struct hist_series *s);
/*
 * hist_read_set_rrdcached - when the daemon writes through rrdcached
 * (cfg.rrdcached), readers ask it to flush a file before fetching / graphing
 * it, so they see the latest values. NULL / "" turns that off.
 */
void hist_read_set_rrdcached(const char *addr);
/*
 * hist_span - oldest instant any archive of path still covers and its last
 * update. Returns 0, -ENOENT, -EIO.
 */
int hist_span(const char *path, int64_t *first, int64_t *last);
/* Column of DS name, -ENOENT if none. */
int hist_series_col(const struct hist_series *s, const char *name);
/* Time at the end of row i. */
static inline int64_t hist_row_time(const struct hist_series *s, int row)
{
	return s->start + (int64_t)((uint64_t)(row + 1) * s->step);
}

/*
 * Display units of a stored tenant DS value (a rate for DERIVE, the value
 * for GAUGE): cpu_ns -> % of one core, *_ns -> ms/s, others unchanged.
 */
double hist_display_value(const char *ds, double v);
/* Same conversion into qm_rates form, then a struct qm_view. */
void hist_view_from_row(const struct hist_series *s, int row, struct qm_view *v,
			double rates[QM_NR]);
void hist_hview_from_row(const struct hist_series *s, int row, struct hview *h);

/*
 * Columns of `quellctl history` and of the `history` socket command's rows:
 * a sum of DS (display scale applied), or a count per row (rate x step).
 * The HIST rows of QV_TABLE (include/metrics.h) in its order, then the
 * limit hits and OOM kills.
 */
enum hist_fmt { HIST_F_PCT, HIST_F_MS, HIST_F_SIZE, HIST_F_RATE, HIST_F_NUM, HIST_F_COUNT };

struct hist_col {
	const char *title, *key;
	enum qm_id ds[3];	/* the DS summed, by metric; QM_NR ends the list */
	double scale;
	enum hist_fmt fmt;
};

extern const struct hist_col hist_cols[];
extern const int hist_ncols;
/* Value of column hc in row; NAN when none of its DS is known. */
double hist_col_value(const struct hist_series *s, int row, const struct hist_col *hc);
/*
 * hist_series_json - {"tenant","cf","start","step","rows":[{"time",<col
 * keys>}]}: what `quellctl --json history` prints and the daemon's `history`
 * command replies. NULL on allocation failure.
 */
json_t *hist_series_json(const char *tenant, const char *cf, const struct hist_series *s);

#define HIST_REPLY_ROWS_MAX	20000		/* rows per `history` reply */
#define HIST_REPLY_SPAN_MAX	(800 * 86400)	/* longest period one request may ask */
/*
 * hist_history_json - one tenant's series from the files in dir, bounded
 * for a request served inside the daemon: (start, end] at most
 * HIST_REPLY_SPAN_MAX, step raised so the period has at most
 * HIST_REPLY_ROWS_MAX rows. Returns 0 with *out, -EINVAL (bad name or
 * period, err says why), -ENOENT (no history), -E2BIG, -EIO.
 */
int hist_history_json(const char *dir, const char *tenant, bool max, int64_t start, int64_t end,
		      uint64_t step, json_t **out, char *err, size_t errlen);

/* Report keys: who used most / hurt neighbours most / hit limits most. */
enum hist_by {
	HIST_BY_CPU,
	HIST_BY_IO,
	HIST_BY_MEM,
	HIST_BY_INFLICTED,
	HIST_BY_FAULTS,
	HIST_BY_MEM_INFLICTED,
	HIST_BY_NR
};

/* Returns 0, -EINVAL for an unknown key (cpu, io, mem, inflicted, faults,
 * mem_inflicted). */
int hist_by_parse(const char *s, enum hist_by *out);
const char *hist_by_name(enum hist_by by);

/* One tenant's period, from the AVERAGE and MAX series. NAN: no data. */
struct hist_summary {
	char name[TENANT_NAME_MAX];
	double covered_s;		/* seconds with data (AVERAGE rows known) */
	double cpu_avg, cpu_max;	/* % of one core */
	double cpu_core_s;		/* CPU seconds used in the period */
	double io_avg, io_max;		/* bytes/s, read + write */
	double io_bytes;		/* bytes moved in the period */
	double iops_avg;
	double mem_avg, mem_max;	/* bytes */
	double inflicted_avg, inflicted_max;	/* ms of others' waiting per s */
	double inflicted_s;		/* others' waiting caused in the period, s */
	double mem_inflicted;		/* others' page cache evicted in the period, bytes */
	double suffered_avg;
	double faults_cpu, faults_mem, faults_pids;	/* limit hits in the period */
	double faults;			/* their sum */
	double nproc_max;
};

/*
 * hist_summarize - pure: averages, maxima and totals of a tenant's period.
 * avg is the AVERAGE series (needed), max the MAX series (NULL: maxima from
 * avg). Returns 0, -EINVAL when avg is NULL.
 */
int hist_summarize(const struct hist_series *avg, const struct hist_series *max,
		   struct hist_summary *out);
/*
 * The number a report ranks by (NAN counts as 0): cpu = CPU seconds used,
 * io = bytes moved, mem = average memory, inflicted = seconds of others'
 * waiting caused, faults = limit hits.
 */
double hist_summary_score(const struct hist_summary *s, enum hist_by by);
/* Sort biggest first by by; ties by name. */
void hist_rank(struct hist_summary *s, int n, enum hist_by by);
/*
 * hist_report - summarize every tenant file in dir over (start, end] and
 * rank them. *out is malloc()ed (caller frees), *n its length (tenants
 * with no data at all in the period are left out). Unreadable files are
 * skipped with a line in err. Returns 0, -ENOENT for a missing dir.
 */
int hist_report(const char *dir, int64_t start, int64_t end, enum hist_by by,
		struct hist_summary **out, int *n, char *err, size_t errlen);
/* Tenant names that have a file in dir (malloc()ed array of TENANT_NAME_MAX strings). */
int hist_list_tenants(const char *dir, char (**names)[TENANT_NAME_MAX], int *n);

/* An audit-log event (cfg.events_path, one JSON object per line). */
struct hist_event {
	int64_t time;
	char tenant[TENANT_NAME_MAX];
	char action[32];
	char rule[TENANT_NAME_MAX];
};

/*
 * hist_events_parse_line - one JSON line; needs "time" (epoch s) and
 * "action". Returns 0, -EINVAL for anything else.
 */
int hist_events_parse_line(const char *line, struct hist_event *ev);
/*
 * hist_events_load - events of tenant (NULL: all) in [start, end] from path
 * and all its rotated files, through the one audit-log reader
 * (events_log_scan: newest first, stops at lines older than start - 60 s;
 * at most HIST_EVENTS_MAX, the newest). Returned oldest first. Bad lines are
 * skipped. *out malloc()ed. Returns 0 (also when the log does not exist),
 * -ENOMEM, -errno of a read.
 */
#define HIST_EVENTS_MAX		10000
#define HIST_EVENTS_SLACK_S	60	/* lines may be a little out of time order */
int hist_events_load(const char *path, const char *tenant, int64_t start, int64_t end,
		     struct hist_event **out, int *n);

/* Graph metrics: which DS (and how) a `quellctl graph --metric` draws. */
enum hist_metric {
	HIST_M_CPU,
	HIST_M_MEM,
	HIST_M_IO,
	HIST_M_IOPS,
	HIST_M_INFLICTED,
	HIST_M_SUFFERED,
	HIST_M_FAULTS,
	HIST_M_NPROC,
	HIST_M_NR
};

int hist_metric_parse(const char *s, enum hist_metric *out);
const char *hist_metric_name(enum hist_metric m);
/* Period total / level of a metric in a summary, to pick the tenants a host graph stacks. */
double hist_metric_score(const struct hist_summary *s, enum hist_metric m);
/* Sort biggest hist_metric_score() first; ties by name (report.c). */
void hist_rank_metric(struct hist_summary *s, int n, enum hist_metric m);

struct hist_graph_opts {
	const char *dir;		/* rrd dir */
	const char *tenant;		/* NULL: host graph stacking the top tenants */
	enum hist_metric metric;
	int64_t start, end;
	const char *out;		/* PNG path */
	int width, height;		/* 0: 800 x 250 */
	int top;			/* host graph: tenants stacked (0: 8) */
	bool host_line;			/* host graph: draw host.rrd's total too (cpu, mem, io) */
	const struct hist_event *ev;	/* marked as VRULEs */
	int nev;
};

/*
 * hist_graph_args - pure: the rrd_graph argument vector for o, with the
 * stacked tenants' names in stack[0..nstack) (host graph). *argv and its
 * strings are malloc()ed; free with hist_args_free. Returns argc or -errno.
 */
int hist_graph_args(const struct hist_graph_opts *o, const char (*stack)[TENANT_NAME_MAX],
		    int nstack, char ***argv);
void hist_args_free(int argc, char **argv);
/*
 * hist_graph - write the PNG: for the host graph, ranks the tenants by the
 * metric first. Returns 0, -ENOENT (no such file), -EIO with librrd's
 * message in err.
 */
int hist_graph(const struct hist_graph_opts *o, char *err, size_t errlen);

#endif /* QUELL_HISTORY_H */
