/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * metrics.h - the per-tenant metric catalogue: the one metric table.
 *
 * Every metric quell reads is one row of QM_TABLE, every per-second view
 * derived from them one row of QV_TABLE. Everything that names a metric is
 * derived from these two lists (docs/plans/issue-13/hacking-draft.md, "How
 * to add a metric"): enum qm_id and qm_desc[], the protocol's "counters",
 * "gauges" and "rates" members (src/common/proto.c, src/quelld/api_encode.c),
 * the Prometheus families (src/quelld/prom.c), the tenant RRD data sources
 * and their order (src/history/rrd_schema.c), the policy rule metrics
 * (src/policy/rules.c) and quelltop's columns (top/columns.c keeps only
 * width, priority and hot key). tests/unit/test_metrics.c holds each
 * derived list against the literal one it replaced.
 */
#ifndef QUELL_METRICS_H
#define QUELL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * QM_TABLE: one row per metric read per tenant per tick. Row order is the
 * enum order (ids are positional in tests and in the "counters" member),
 * so a new metric goes at the end.
 *   id     QM_<id>
 *   key    JSON key and RRD DS name: "cpu_ns"
 *   kind   COUNTER (cumulative; rates are deltas) or GAUGE
 *   unit   "ns", "us", "bytes", "count"
 *   rrd    position of its DS in a tenant RRD file (1, 2, ...; 0: not kept).
 *          A position, not a flag, because the file layout must not move:
 *          a new metric takes the next free number.
 *   prom   Prometheus family, NULL for none; rows of one family share it
 *   plabel the row's extra label within the family ("direction=\"read\""), or NULL
 *   pexp   the value is divided by 10^pexp on the way out (ns -> s: 9, us -> s: 6)
 *   phelp  the family's HELP when it is not help (read on the family's first row)
 *   help   one line, for Prometheus HELP and man pages
 */
#define QM_TABLE(X)							\
	X(CPU_NS, "cpu_ns", COUNTER, "ns", 1,				\
	  "quell_tenant_cpu_seconds_total", NULL, 9, NULL,		\
	  "CPU time used")						\
	X(CTXSW, "ctxsw", COUNTER, "count", 0,				\
	  "quell_tenant_context_switches_total", NULL, 0, NULL,		\
	  "Context switches (times switched out)")			\
	X(RQ_SUFFERED_NS, "rq_suffered_ns", COUNTER, "ns", 3,		\
	  "quell_tenant_runqueue_delay_suffered_seconds_total", NULL, 9, NULL, \
	  "Run-queue wait of this tenant's tasks behind other tasks: tenants, root, services") \
	X(RQ_SELF_NS, "rq_self_ns", COUNTER, "ns", 0,			\
	  "quell_tenant_runqueue_delay_self_seconds_total", NULL, 9, NULL, \
	  "Run-queue wait behind the tenant's own tasks")		\
	X(RQ_INFLICTED_NS, "rq_inflicted_ns", COUNTER, "ns", 2,		\
	  "quell_tenant_runqueue_delay_inflicted_seconds_total", NULL, 9, NULL, \
	  "Run-queue wait of other tenants' tasks while this tenant held the CPU") \
	X(FORKS, "forks", COUNTER, "count", 11,				\
	  "quell_tenant_forks_total", NULL, 0, NULL,			\
	  "Processes and threads created")				\
	X(EXECS, "execs", COUNTER, "count", 0,				\
	  "quell_tenant_execs_total", NULL, 0, NULL,			\
	  "Programs executed")						\
	X(IO_RBYTES, "io_rbytes", COUNTER, "bytes", 5,			\
	  "quell_tenant_io_bytes_total", "direction=\"read\"", 0,	\
	  "Block IO bytes submitted by the tenant",			\
	  "Block IO bytes read")					\
	X(IO_WBYTES, "io_wbytes", COUNTER, "bytes", 6,			\
	  "quell_tenant_io_bytes_total", "direction=\"write\"", 0, NULL, \
	  "Block IO bytes written")					\
	X(IO_ROPS, "io_rops", COUNTER, "count", 7,			\
	  "quell_tenant_io_ops_total", "direction=\"read\"", 0,		\
	  "Block IO operations submitted by the tenant",		\
	  "Block IO read operations")					\
	X(IO_WOPS, "io_wops", COUNTER, "count", 8,			\
	  "quell_tenant_io_ops_total", "direction=\"write\"", 0, NULL,	\
	  "Block IO write operations")					\
	X(IO_LAT_NS, "io_lat_ns", COUNTER, "ns", 0,			\
	  "quell_tenant_io_latency_seconds_total", NULL, 9, NULL,	\
	  "Sum of block IO completion latency")				\
	X(IO_LAT_CNT, "io_lat_cnt", COUNTER, "count", 0,		\
	  "quell_tenant_io_completed_total", NULL, 0, NULL,		\
	  "Block IO requests in io_lat_ns")				\
	X(PGFAULTS, "pgfaults", COUNTER, "count", 10,			\
	  "quell_tenant_page_faults_total", NULL, 0, NULL,		\
	  "User page faults")						\
	X(RECLAIM_NS, "reclaim_ns", COUNTER, "ns", 0,			\
	  "quell_tenant_reclaim_seconds_total", NULL, 9, NULL,		\
	  "Time stalled in direct and memcg reclaim")			\
	X(OOM_KILLS, "oom_kills", COUNTER, "count", 15,			\
	  "quell_tenant_oom_kills_total", NULL, 0, NULL,		\
	  "Processes killed by the OOM killer")				\
	/* cgroupfs: nr_throttled periods */				\
	X(CPU_THROTTLED, "cpu_throttled", COUNTER, "count", 12,		\
	  "quell_tenant_limit_faults_total", "resource=\"cpu\"", 0,	\
	  "Times a limit was hit: cpu = quota periods throttled, memory_high / memory = " \
	  "soft / hard memory limit events, pids = forks refused",	\
	  "CPU quota periods throttled")				\
	/* cgroupfs: throttled time */					\
	X(CPU_THROTTLED_NS, "cpu_throttled_ns", COUNTER, "ns", 0,	\
	  "quell_tenant_cpu_throttled_seconds_total", NULL, 9, NULL,	\
	  "Time throttled by the CPU quota")				\
	/* v2 memory.events high */					\
	X(MEM_HIGH_EVENTS, "mem_high_events", COUNTER, "count", 0,	\
	  "quell_tenant_limit_faults_total", "resource=\"memory_high\"", 0, NULL, \
	  "Times memory went over the soft limit")			\
	/* v2 memory.events max, v1 memory.failcnt */			\
	X(MEM_MAX_EVENTS, "mem_max_events", COUNTER, "count", 13,	\
	  "quell_tenant_limit_faults_total", "resource=\"memory\"", 0, NULL, \
	  "Times memory hit the hard limit")				\
	/* pids.events max: fork refused */				\
	X(PIDS_MAX_EVENTS, "pids_max_events", COUNTER, "count", 14,	\
	  "quell_tenant_limit_faults_total", "resource=\"pids\"", 0, NULL, \
	  "Forks refused by the process limit")				\
	X(PSI_CPU_SOME_US, "psi_cpu_some_us", COUNTER, "us", 0,		\
	  "quell_tenant_pressure_cpu_waiting_seconds_total", NULL, 6, NULL, \
	  "PSI: time some tasks waited for CPU")			\
	X(PSI_MEM_SOME_US, "psi_mem_some_us", COUNTER, "us", 0,		\
	  "quell_tenant_pressure_memory_waiting_seconds_total", NULL, 6, NULL, \
	  "PSI: time some tasks stalled on memory")			\
	X(PSI_MEM_FULL_US, "psi_mem_full_us", COUNTER, "us", 0,		\
	  "quell_tenant_pressure_memory_stalled_seconds_total", NULL, 6, NULL, \
	  "PSI: time all tasks stalled on memory")			\
	X(PSI_IO_SOME_US, "psi_io_some_us", COUNTER, "us", 0,		\
	  "quell_tenant_pressure_io_waiting_seconds_total", NULL, 6, NULL, \
	  "PSI: time some tasks stalled on IO")				\
	X(PSI_IO_FULL_US, "psi_io_full_us", COUNTER, "us", 0,		\
	  "quell_tenant_pressure_io_stalled_seconds_total", NULL, 6, NULL, \
	  "PSI: time all tasks stalled on IO")				\
	X(MEM_BYTES, "mem_bytes", GAUGE, "bytes", 4,			\
	  "quell_tenant_memory_bytes", NULL, 0, NULL,			\
	  "Memory in use (cgroup, else RSS sum)")			\
	X(MEM_PEAK, "mem_peak", GAUGE, "bytes", 0,			\
	  "quell_tenant_memory_peak_bytes", NULL, 0, NULL,		\
	  "Peak memory in use")						\
	X(NPROC, "nproc", GAUGE, "count", 9,				\
	  "quell_tenant_processes", NULL, 0, NULL,			\
	  "Processes")							\
	X(NTHREADS, "nthreads", GAUGE, "count", 0,			\
	  "quell_tenant_threads", NULL, 0, NULL,			\
	  "Threads")							\
	/* a counter added after the gauges; cgroupfs workingset_refault_file, pages */ \
	X(REFAULTS, "refaults", COUNTER, "count", 0,			\
	  "quell_tenant_page_cache_refaults_total", NULL, 0, NULL,	\
	  "Page cache refaults: evicted file pages read again (workingset_refault_file)") \
	/* BPF: others' page cache evicted while this tenant reclaimed (docs/attribution.md) */ \
	X(MEM_INFLICTED, "mem_inflicted", COUNTER, "bytes", 16,		\
	  "quell_tenant_memory_inflicted_bytes_total", NULL, 0, NULL,	\
	  "Other tenants' page cache evicted by this tenant's reclaim")	\
	/* BPF: the part of rq_suffered_ns spent behind other tenants' tasks (docs/attribution.md) */ \
	X(RQ_BEHIND_NS, "rq_behind_ns", COUNTER, "ns", 0,		\
	  "quell_tenant_runqueue_delay_behind_tenants_seconds_total", NULL, 9, NULL, \
	  "Run-queue wait of this tenant's tasks behind other tenants' tasks")

#define QM_ENUM_(id, ...) QM_##id,
enum qm_id {
	QM_TABLE(QM_ENUM_)
	QM_NR
};
#undef QM_ENUM_

_Static_assert(QM_NR <= 64, "valid/source masks are 64-bit");

enum qm_kind {
	QM_COUNTER,
	QM_GAUGE,
};

/* Where a metric's value came from, per tenant per tick. */
enum qm_source {
	QM_SRC_NONE,
	QM_SRC_BPF,
	QM_SRC_CGROUP,
	QM_SRC_PROC,
};

/* A QM_TABLE row (the columns are described there). */
struct qm_desc {
	enum qm_id id;
	enum qm_kind kind;
	const char *key;
	const char *unit;
	int rrd;
	const char *prom;
	const char *prom_label;
	int prom_exp;
	const char *prom_help;
	const char *help;
};

extern const struct qm_desc qm_desc[QM_NR];

/* One reading of every metric of one tenant at one instant. */
struct qm_sample {
	uint64_t ts_ns;			/* CLOCK_MONOTONIC when read */
	uint64_t v[QM_NR];
	uint64_t valid;			/* bit i set: v[i] was read this tick */
	uint8_t src[QM_NR];		/* enum qm_source per metric */
};

static inline bool qm_valid(const struct qm_sample *s, enum qm_id id)
{
	return s->valid & (1ULL << id);
}

static inline void qm_set(struct qm_sample *s, enum qm_id id, uint64_t v, enum qm_source src)
{
	s->v[id] = v;
	s->valid |= 1ULL << id;
	s->src[id] = (uint8_t)src;
}

/*
 * Derived per-second view of two samples. Counters become rates (per
 * second of monotonic time); gauges are copied from cur. A NAN entry means
 * "not known" and is shown as "-".
 */
struct qm_rates {
	double r[QM_NR];		/* counters: units/s; gauges: value */
	double dt_s;			/* seconds between the samples */
};

/* Convenience views, derived from qm_rates; all NAN when unknown (readers use the names). */
struct qm_view {
	double cpu_pct;			/* % of one core */
	double inflicted_ms_s;		/* ms of others' run-queue wait per second */
	double suffered_ms_s;
	double io_rbps, io_wbps;	/* bytes/s */
	double iops;
	double io_lat_ms;		/* mean completion latency over the interval */
	double faults_s;
	double forks_s;
	double reclaim_ms_s;
	double psi_cpu_some, psi_mem_some, psi_io_some;	/* % of time stalled */
	double mem_bytes;
	double nproc;
	double mem_inflicted_bps;	/* bytes/s of others' page cache its reclaim evicted */
	double behind_ms_s;		/* the part of suffered_ms_s behind other tenants */
};

/*
 * QV_TABLE: one row per field of struct qm_view, the per-second views.
 * Row order is the order of the protocol's "rates" member and of
 * quelltop's columns, so a row goes where it should show.
 *   id     QV_<id>
 *   field  the struct qm_view member; also its key on the wire and in quelltop
 *   op     SUM: (rate[a] + rate[b]) / div, b = NR for one rate;
 *          DIV: rate[a] / rate[b] / div, 0 when rate[b] is 0 (a mean per event)
 *   a, b   QM ids without the QM_ prefix (NR: none)
 *   div    unit change: ns/s -> % of a core is 1e7 (a divisor, not a factor:
 *          x / 1e7 and x * 1e-7 differ in the last bit, and the wire keeps its bytes)
 *   rate   1: a member of "rates" (the gauges travel in "gauges" instead)
 *   top, tc, title
 *          TOP, id, "TITLE": a quelltop column, enum top_col_id TC_<id>, its
 *          header TITLE (top/columns.c adds width, priority, hot key);
 *          NOTOP, _, NULL: none
 *   pol, pm, pname
 *          POL, id, "name": a rule metric (metric = name in quell.conf),
 *          enum policy_metric PM_<id> (include/policy.h); NOPOL, _, NULL: none
 *   hist, htitle, hkey, hfmt
 *          HIST, "TITLE", "key", FMT: a column of `quellctl history` and of the
 *          `history` command's rows (src/history/fetch.c hist_cols[]),
 *          from the RRD DS of a and b (both must have an rrd position); its
 *          key there ("pgfaults_s" where the wire says "faults_s") and its
 *          enum hist_fmt HIST_F_<FMT>; NOHIST, NULL, NULL, NUM: none
 *   sname  its name where a command picks one view by a short word, or NULL:
 *          `quellctl list --sort` and the snapshot's "sort", `report --by`,
 *          `graph --metric` ("cpu", "mem"); those lists add their composites
 *          ("io" = read + write, "faults" = limit hits, "name")
 *   help   one line: quelltop's ? screen, docs
 */
#define QV_TABLE(X)							\
	X(CPU_PCT, cpu_pct, SUM, CPU_NS, NR, 1e7, 1,			\
	  TOP, CPU, "CPU%", POL, CPU_PCT, "cpu_pct",			\
	  HIST, "CPU%", "cpu_pct", PCT, "cpu",	\
	  "CPU use, % of one core")					\
	X(INFLICTED, inflicted_ms_s, SUM, RQ_INFLICTED_NS, NR, 1e6, 1,	\
	  TOP, INFL, "INFL", POL, INFLICTED, "inflicted",		\
	  HIST, "INFL", "inflicted_ms_s", MS, "inflicted",	\
	  "run-queue delay inflicted on other tenants, ms per second")	\
	X(SUFFERED, suffered_ms_s, SUM, RQ_SUFFERED_NS, NR, 1e6, 1,	\
	  TOP, SUFF, "SUFF", NOPOL, _, NULL,				\
	  HIST, "SUFF", "suffered_ms_s", MS, "suffered",	\
	  "run-queue delay suffered behind other tasks, ms per second") \
	X(MEM_BYTES, mem_bytes, SUM, MEM_BYTES, NR, 1, 0,		\
	  TOP, MEM, "MEM/LIM", POL, MEM_BYTES, "mem_bytes",		\
	  HIST, "MEM", "mem_bytes", SIZE, "mem",	\
	  "memory in use / hard limit (none: unlimited)")		\
	X(IO_RBPS, io_rbps, SUM, IO_RBYTES, NR, 1, 1,			\
	  TOP, READ, "RD/s", NOPOL, _, NULL,				\
	  HIST, "READ", "io_rbps", RATE, NULL,	\
	  "block IO read, bytes per second")				\
	X(IO_WBPS, io_wbps, SUM, IO_WBYTES, NR, 1, 1,			\
	  TOP, WRITE, "WR/s", NOPOL, _, NULL,				\
	  HIST, "WRITE", "io_wbps", RATE, NULL,	\
	  "block IO written, bytes per second")				\
	X(IOPS, iops, SUM, IO_ROPS, IO_WOPS, 1, 1,			\
	  TOP, IOPS, "IOPS", POL, IOPS, "iops",				\
	  HIST, "IOPS", "iops", NUM, "iops",	\
	  "block IO operations per second")				\
	X(IO_LAT, io_lat_ms, DIV, IO_LAT_NS, IO_LAT_CNT, 1e6, 1,	\
	  NOTOP, _, NULL, NOPOL, _, NULL,				\
	  NOHIST, NULL, NULL, NUM, NULL,	\
	  "mean block IO completion latency, ms")			\
	X(NPROC, nproc, SUM, NPROC, NR, 1, 0,				\
	  TOP, NPROC, "NPROC", NOPOL, _, NULL,				\
	  HIST, "NPROC", "nproc", NUM, "nproc",	\
	  "processes")							\
	X(FAULTS, faults_s, SUM, PGFAULTS, NR, 1, 1,			\
	  TOP, FAULTS, "FLT/s", POL, FAULTS, "faults_s",		\
	  HIST, "FLT/s", "pgfaults_s", NUM, NULL,	\
	  "page faults per second")					\
	X(FORKS, forks_s, SUM, FORKS, NR, 1, 1,				\
	  NOTOP, _, NULL, POL, FORKS, "forks_s",			\
	  HIST, "FORK/s", "forks_s", NUM, NULL,	\
	  "processes and threads created per second")			\
	X(RECLAIM, reclaim_ms_s, SUM, RECLAIM_NS, NR, 1e6, 1,		\
	  NOTOP, _, NULL, NOPOL, _, NULL,				\
	  NOHIST, NULL, NULL, NUM, NULL,	\
	  "time stalled in reclaim, ms per second")			\
	X(PSI_CPU, psi_cpu_some, SUM, PSI_CPU_SOME_US, NR, 1e4, 1,	\
	  NOTOP, _, NULL, NOPOL, _, NULL,				\
	  NOHIST, NULL, NULL, NUM, NULL,	\
	  "PSI cpu some, % of time")					\
	X(PSI_MEM, psi_mem_some, SUM, PSI_MEM_SOME_US, NR, 1e4, 1,	\
	  NOTOP, _, NULL, NOPOL, _, NULL,				\
	  NOHIST, NULL, NULL, NUM, NULL,	\
	  "PSI memory some, % of time")					\
	X(PSI_IO, psi_io_some, SUM, PSI_IO_SOME_US, NR, 1e4, 1,		\
	  NOTOP, _, NULL, NOPOL, _, NULL,				\
	  NOHIST, NULL, NULL, NUM, NULL,	\
	  "PSI io some, % of time")					\
	X(MEM_INFLICTED, mem_inflicted_bps, SUM, MEM_INFLICTED, NR, 1, 1,	\
	  TOP, MINFL, "MINFL", NOPOL, _, NULL,			\
	  HIST, "MINFL/s", "mem_inflicted_bps", RATE, "mem_inflicted",	\
	  "others' page cache evicted by this tenant's reclaim, bytes per second") \
	X(BEHIND, behind_ms_s, SUM, RQ_BEHIND_NS, NR, 1e6, 1,		\
	  NOTOP, _, NULL, NOPOL, _, NULL,				\
	  NOHIST, NULL, NULL, NUM, NULL,	\
	  "run-queue delay suffered behind other tenants' tasks only, ms per second")

#define QV_ENUM_(id, ...) QV_##id,
enum qv_id {
	QV_TABLE(QV_ENUM_)
	QV_NR
};
#undef QV_ENUM_

enum qv_op {
	QV_SUM,
	QV_DIV,
};

/* A QV_TABLE row; title, policy, hist_* are NULL for NOTOP / NOPOL / NOHIST. */
struct qv_desc {
	enum qv_id id;
	const char *key;	/* the field's name */
	size_t off;		/* offsetof(struct qm_view, field) */
	enum qv_op op;
	enum qm_id a, b;
	double div;
	bool rate;
	const char *title;
	const char *policy;
	const char *hist_title, *hist_key;
	const char *sname;
	const char *help;
};

extern const struct qv_desc qv_desc[QV_NR];

/*
 * QV_IF_##flag(...): the arguments for a TOP / POL row, nothing for NOTOP /
 * NOPOL; how the other layers derive an enum or a designated initializer
 * from some rows only (include/policy.h, top/top.h).
 */
#define QV_IF_TOP(...)		__VA_ARGS__
#define QV_IF_NOTOP(...)
#define QV_IF_POL(...)		__VA_ARGS__
#define QV_IF_NOPOL(...)
#define QV_IF_HIST(...)		__VA_ARGS__
#define QV_IF_NOHIST(...)

static inline double qv_get(const struct qm_view *v, enum qv_id id)
{
	return *(const double *)((const char *)v + qv_desc[id].off);
}

static inline void qv_put(struct qm_view *v, enum qv_id id, double x)
{
	*(double *)((char *)v + qv_desc[id].off) = x;
}

/* Lookup by key ("cpu_pct"); returns QV_NR when unknown. */
enum qv_id qv_by_key(const char *key);
/* Tenant RRD data sources in file order: qm ids, qm_rrd_nr of them (the rrd column). */
extern const enum qm_id qm_rrd_ids[2 * QM_NR];
extern const int qm_rrd_nr;

/* Lookup by JSON key; returns QM_NR when unknown. */
enum qm_id qm_by_key(const char *key);
const char *qm_source_name(enum qm_source src);

/*
 * qm_rates_compute - per-second rates between prev and cur.
 * A counter that went backwards (cgroup recreated, map entry evicted) is
 * treated as a restart: its rate is computed from 0, never negative.
 * Returns 0, or -EINVAL when cur is not after prev.
 */
int qm_rates_compute(const struct qm_sample *prev, const struct qm_sample *cur,
		     struct qm_rates *out);
void qm_view_from_rates(const struct qm_rates *r, struct qm_view *v);

#endif /* QUELL_METRICS_H */
