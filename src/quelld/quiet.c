// SPDX-License-Identifier: GPL-2.0-only
/*
 * quiet.c - which tenants a tick reads only the pressure files of: the
 * decision and the carrying forward of the last full read (src/quelld/quiet.h).
 */
#include "quiet.h"

/*
 * What a tenant does that can change its cgroup files other than
 * pressure: run (cpu.stat, memory, throttling), switch, fork or exec
 * (pids), fault (memory, refaults), do IO (io.stat, writeback included:
 * its bios carry the tenant's blkcg), reclaim or be OOM-killed
 * (memory.events), evict others' pages (its own reclaim).
 */
static const enum qm_id activity[] = {
	QM_CPU_NS, QM_CTXSW, QM_FORKS, QM_EXECS, QM_PGFAULTS, QM_IO_ROPS, QM_IO_WOPS,
	QM_IO_RBYTES, QM_IO_WBYTES, QM_RECLAIM_NS, QM_OOM_KILLS, QM_MEM_INFLICTED,
};

static bool from_bpf(const struct qm_sample *s, enum qm_id id)
{
	return qm_valid(s, id) && s->src[id] == QM_SRC_BPF;
}

bool quiet_skip(const struct qm_sample *prev, const struct qm_sample *cur, uint64_t read_ns,
		uint64_t key)
{
	uint64_t max_ns = (QUIET_MAX_MS - key % 8 * (QUIET_SPREAD_MS / 7)) * 1000000ull;

	if (!read_ns || cur->ts_ns < read_ns || cur->ts_ns - read_ns >= max_ns)
		return false;
	for (unsigned i = 0; i < sizeof(activity) / sizeof(activity[0]); i++) {
		enum qm_id id = activity[i];

		if (!from_bpf(prev, id) || !from_bpf(cur, id) || cur->v[id] != prev->v[id])
			return false;
	}
	return true;
}

int quiet_carry(struct qm_sample *cur, const struct qm_sample *prev)
{
	int n = 0;

	for (int k = 0; k < QM_NR; k++) {
		if (qm_valid(cur, (enum qm_id)k) || !qm_valid(prev, (enum qm_id)k) ||
		    prev->src[k] != QM_SRC_CGROUP)
			continue;
		qm_set(cur, (enum qm_id)k, prev->v[k], QM_SRC_CGROUP);
		n++;
	}
	return n;
}
