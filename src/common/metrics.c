// SPDX-License-Identifier: GPL-2.0-only
/* metrics.c - the metric catalogue and rate maths. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "metrics.h"

#define C(id_, key_, unit_, help_) [id_] = { id_, QM_COUNTER, key_, unit_, help_ }
#define G(id_, key_, unit_, help_) [id_] = { id_, QM_GAUGE, key_, unit_, help_ }

const struct qm_desc qm_desc[QM_NR] = {
	C(QM_CPU_NS, "cpu_ns", "ns", "CPU time used"),
	C(QM_CTXSW, "ctxsw", "count", "Context switches (times switched out)"),
	C(QM_RQ_SUFFERED_NS, "rq_suffered_ns", "ns",
	  "Run-queue wait of this tenant's tasks behind other tenants"),
	C(QM_RQ_SELF_NS, "rq_self_ns", "ns", "Run-queue wait behind the tenant's own tasks"),
	C(QM_RQ_INFLICTED_NS, "rq_inflicted_ns", "ns",
	  "Run-queue wait of other tenants' tasks while this tenant held the CPU"),
	C(QM_FORKS, "forks", "count", "Processes and threads created"),
	C(QM_EXECS, "execs", "count", "Programs executed"),
	C(QM_IO_RBYTES, "io_rbytes", "bytes", "Block IO bytes read"),
	C(QM_IO_WBYTES, "io_wbytes", "bytes", "Block IO bytes written"),
	C(QM_IO_ROPS, "io_rops", "count", "Block IO read operations"),
	C(QM_IO_WOPS, "io_wops", "count", "Block IO write operations"),
	C(QM_IO_LAT_NS, "io_lat_ns", "ns", "Sum of block IO completion latency"),
	C(QM_IO_LAT_CNT, "io_lat_cnt", "count", "Block IO requests in io_lat_ns"),
	C(QM_PGFAULTS, "pgfaults", "count", "User page faults"),
	C(QM_RECLAIM_NS, "reclaim_ns", "ns", "Time stalled in direct and memcg reclaim"),
	C(QM_OOM_KILLS, "oom_kills", "count", "Processes killed by the OOM killer"),
	C(QM_CPU_THROTTLED, "cpu_throttled", "count", "CPU quota periods throttled"),
	C(QM_CPU_THROTTLED_NS, "cpu_throttled_ns", "ns", "Time throttled by the CPU quota"),
	C(QM_MEM_HIGH_EVENTS, "mem_high_events", "count", "Times memory went over the soft limit"),
	C(QM_MEM_MAX_EVENTS, "mem_max_events", "count", "Times memory hit the hard limit"),
	C(QM_PIDS_MAX_EVENTS, "pids_max_events", "count", "Forks refused by the process limit"),
	C(QM_PSI_CPU_SOME_US, "psi_cpu_some_us", "us", "PSI: time some tasks waited for CPU"),
	C(QM_PSI_MEM_SOME_US, "psi_mem_some_us", "us", "PSI: time some tasks stalled on memory"),
	C(QM_PSI_MEM_FULL_US, "psi_mem_full_us", "us", "PSI: time all tasks stalled on memory"),
	C(QM_PSI_IO_SOME_US, "psi_io_some_us", "us", "PSI: time some tasks stalled on IO"),
	C(QM_PSI_IO_FULL_US, "psi_io_full_us", "us", "PSI: time all tasks stalled on IO"),
	G(QM_MEM_BYTES, "mem_bytes", "bytes", "Memory in use (cgroup, else RSS sum)"),
	G(QM_MEM_PEAK, "mem_peak", "bytes", "Peak memory in use"),
	G(QM_NPROC, "nproc", "count", "Processes"),
	G(QM_NTHREADS, "nthreads", "count", "Threads"),
	C(QM_REFAULTS, "refaults", "count",
	  "Page cache refaults: evicted file pages read again (workingset_refault_file)"),
	C(QM_MEM_INFLICTED, "mem_inflicted", "bytes",
	  "Other tenants' page cache evicted by this tenant's reclaim"),
};

enum qm_id qm_by_key(const char *key)
{
	for (int i = 0; i < QM_NR; i++)
		if (!strcmp(qm_desc[i].key, key))
			return (enum qm_id)i;
	return QM_NR;
}

const char *qm_source_name(enum qm_source src)
{
	switch (src) {
	case QM_SRC_BPF:
		return "bpf";
	case QM_SRC_CGROUP:
		return "cgroup";
	case QM_SRC_PROC:
		return "proc";
	default:
		return "none";
	}
}

int qm_rates_compute(const struct qm_sample *prev, const struct qm_sample *cur,
		     struct qm_rates *out)
{
	double dt;

	if (cur->ts_ns <= prev->ts_ns)
		return -EINVAL;
	dt = (double)(cur->ts_ns - prev->ts_ns) / 1e9;
	out->dt_s = dt;
	for (int i = 0; i < QM_NR; i++) {
		if (!qm_valid(cur, (enum qm_id)i)) {
			out->r[i] = NAN;
			continue;
		}
		if (qm_desc[i].kind == QM_GAUGE) {
			out->r[i] = (double)cur->v[i];
			continue;
		}
		if (!qm_valid(prev, (enum qm_id)i)) {
			out->r[i] = NAN;
			continue;
		}
		if (cur->src[i] != prev->src[i])	/* BPF <-> cgroupfs switch */
			out->r[i] = NAN;
		else if (cur->v[i] < prev->v[i])	/* source restarted: count from 0 */
			out->r[i] = (double)cur->v[i] / dt;
		else
			out->r[i] = (double)(cur->v[i] - prev->v[i]) / dt;
	}
	return 0;
}

void qm_view_from_rates(const struct qm_rates *r, struct qm_view *v)
{
	const double *x = r->r;

	v->cpu_pct = x[QM_CPU_NS] / 1e7;		/* ns/s -> % of a core */
	v->inflicted_ms_s = x[QM_RQ_INFLICTED_NS] / 1e6;
	v->suffered_ms_s = x[QM_RQ_SUFFERED_NS] / 1e6;
	v->io_rbps = x[QM_IO_RBYTES];
	v->io_wbps = x[QM_IO_WBYTES];
	v->iops = x[QM_IO_ROPS] + x[QM_IO_WOPS];
	v->io_lat_ms = x[QM_IO_LAT_CNT] > 0 ? x[QM_IO_LAT_NS] / x[QM_IO_LAT_CNT] / 1e6 :
		      isnan(x[QM_IO_LAT_CNT]) ? NAN : 0;
	v->faults_s = x[QM_PGFAULTS];
	v->forks_s = x[QM_FORKS];
	v->reclaim_ms_s = x[QM_RECLAIM_NS] / 1e6;
	v->mem_inflicted_bps = x[QM_MEM_INFLICTED];
	v->psi_cpu_some = x[QM_PSI_CPU_SOME_US] / 1e4;	/* us/s -> % */
	v->psi_mem_some = x[QM_PSI_MEM_SOME_US] / 1e4;
	v->psi_io_some = x[QM_PSI_IO_SOME_US] / 1e4;
	v->mem_bytes = x[QM_MEM_BYTES];
	v->nproc = x[QM_NPROC];
}
