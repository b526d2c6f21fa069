/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * metrics.h - the per-tenant metric catalogue.
 *
 * Every metric quell knows is one row of qm_desc[]; JSON keys, Prometheus
 * names, RRD data sources and quelltop columns are all derived from this
 * table, so adding a metric is one enum entry plus one row.
 */
#ifndef QUELL_METRICS_H
#define QUELL_METRICS_H

#include <stdbool.h>
#include <stdint.h>

enum qm_id {
	/* counters: cumulative, rates are deltas over monotonic time */
	QM_CPU_NS,
	QM_CTXSW,
	QM_RQ_SUFFERED_NS,
	QM_RQ_SELF_NS,
	QM_RQ_INFLICTED_NS,
	QM_FORKS,
	QM_EXECS,
	QM_IO_RBYTES,
	QM_IO_WBYTES,
	QM_IO_ROPS,
	QM_IO_WOPS,
	QM_IO_LAT_NS,
	QM_IO_LAT_CNT,
	QM_PGFAULTS,
	QM_RECLAIM_NS,
	QM_OOM_KILLS,
	QM_CPU_THROTTLED,	/* cgroupfs: nr_throttled periods */
	QM_CPU_THROTTLED_NS,	/* cgroupfs: throttled time */
	QM_MEM_HIGH_EVENTS,	/* v2 memory.events high */
	QM_MEM_MAX_EVENTS,	/* v2 memory.events max, v1 memory.failcnt */
	QM_PIDS_MAX_EVENTS,	/* pids.events max: fork refused */
	QM_PSI_CPU_SOME_US,
	QM_PSI_MEM_SOME_US,
	QM_PSI_MEM_FULL_US,
	QM_PSI_IO_SOME_US,
	QM_PSI_IO_FULL_US,
	/* gauges */
	QM_MEM_BYTES,
	QM_MEM_PEAK,
	QM_NPROC,
	QM_NTHREADS,
	/* a counter added after the gauges (ids are positional in tests) */
	QM_REFAULTS,		/* cgroupfs: workingset_refault_file, pages */
	QM_MEM_INFLICTED,	/* BPF: others' page cache this tenant's reclaim evicted, bytes */
	QM_NR
};

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

struct qm_desc {
	enum qm_id id;
	enum qm_kind kind;
	const char *key;	/* JSON key and RRD/Prometheus stem: "cpu_ns" */
	const char *unit;	/* "ns", "us", "bytes", "count" */
	const char *help;	/* one line, for Prometheus HELP and man pages */
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

/* Convenience views, derived from qm_rates; all NAN when unknown. */
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
};

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
