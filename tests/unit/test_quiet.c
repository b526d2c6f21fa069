// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_quiet.c - src/quelld/quiet.c with literal samples: a tick reads only
 * the pressure of a tenant BPF saw do nothing since the last tick, for at
 * most QUIET_MAX_MS (less the key's spread) after its last full read, and
 * carries that read's cgroupfs values, never BPF's or procfs's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "quiet.h"

#define MS	1000000ULL
#define S	(1000 * MS)

/* the counters that are activity, written out here rather than taken from quiet.c */
static const enum qm_id ids[] = {
	QM_CPU_NS, QM_CTXSW, QM_FORKS, QM_EXECS, QM_PGFAULTS, QM_IO_ROPS, QM_IO_WOPS,
	QM_IO_RBYTES, QM_IO_WBYTES, QM_RECLAIM_NS, QM_OOM_KILLS, QM_MEM_INFLICTED,
};

/* a sample at ts with every activity counter from BPF at base */
static struct qm_sample idle_at(uint64_t ts, uint64_t base)
{
	struct qm_sample s = { .ts_ns = ts };

	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		qm_set(&s, ids[i], base + i, QM_SRC_BPF);
	return s;
}

static void skip_when_nothing_moved(void **state)
{
	struct qm_sample prev = idle_at(10 * S, 100), cur = idle_at(11 * S, 100);

	(void)state;
	/* read 1 s ago, nothing moved: reuse it (key 0: the full 5 s) */
	assert_true(quiet_skip(&prev, &cur, 10 * S, 0));
	/* no full read yet, or a read "after" this tick: read */
	assert_false(quiet_skip(&prev, &cur, 0, 0));
	assert_false(quiet_skip(&prev, &cur, 12 * S, 0));
	/* 4.99 s after the read still skips; at 5 s it reads */
	cur.ts_ns = 10 * S + 4990 * MS;
	assert_true(quiet_skip(&prev, &cur, 10 * S, 0));
	cur.ts_ns = 15 * S;
	assert_false(quiet_skip(&prev, &cur, 10 * S, 0));
	/* key 7 has the shortest age: 5000 - 7 * 250 = 3250 ms */
	cur.ts_ns = 10 * S + 3200 * MS;
	assert_true(quiet_skip(&prev, &cur, 10 * S, 7));
	cur.ts_ns = 10 * S + 3250 * MS;
	assert_false(quiet_skip(&prev, &cur, 10 * S, 7));
	assert_true(quiet_skip(&prev, &cur, 10 * S, 8));	/* 8 % 8 = 0 */
}

static void any_activity_reads(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct qm_sample prev = idle_at(10 * S, 100), cur = idle_at(11 * S, 100);

		cur.v[ids[i]]++;
		assert_false(quiet_skip(&prev, &cur, 10 * S, 0));
		/* a counter that went back (BPF reloaded) is no proof of rest either */
		cur.v[ids[i]] -= 2;
		assert_false(quiet_skip(&prev, &cur, 10 * S, 0));
	}
	/* a run-queue wait alone (no CPU ran) changes nothing a full read sees */
	{
		struct qm_sample prev = idle_at(10 * S, 100), cur = idle_at(11 * S, 100);

		qm_set(&cur, QM_RQ_SUFFERED_NS, 5 * MS, QM_SRC_BPF);
		assert_true(quiet_skip(&prev, &cur, 10 * S, 0));
	}
}

static void only_bpf_proves_rest(void **state)
{
	struct qm_sample prev = idle_at(10 * S, 100), cur = idle_at(11 * S, 100);

	(void)state;
	/* cpu from cgroupfs (no BPF for this tenant): nothing proves it rested */
	cur.src[QM_CPU_NS] = QM_SRC_CGROUP;
	assert_false(quiet_skip(&prev, &cur, 10 * S, 0));
	cur.src[QM_CPU_NS] = QM_SRC_BPF;
	/* the previous sample lacked a counter */
	prev.valid &= ~(1ull << QM_FORKS);
	assert_false(quiet_skip(&prev, &cur, 10 * S, 0));
}

static void carry_cgroup_values_only(void **state)
{
	struct qm_sample prev = idle_at(10 * S, 100), cur = idle_at(11 * S, 100);

	(void)state;
	qm_set(&prev, QM_MEM_BYTES, 64 << 20, QM_SRC_CGROUP);
	qm_set(&prev, QM_PIDS_MAX_EVENTS, 3, QM_SRC_CGROUP);
	qm_set(&prev, QM_PSI_IO_SOME_US, 1000, QM_SRC_CGROUP);
	qm_set(&prev, QM_NPROC, 4, QM_SRC_PROC);
	/* this tick's pressure read: newer than the carried one */
	qm_set(&cur, QM_PSI_IO_SOME_US, 2500, QM_SRC_CGROUP);
	cur.src[QM_CPU_NS] = QM_SRC_BPF;
	cur.v[QM_CPU_NS] = 777;

	assert_int_equal(quiet_carry(&cur, &prev), 2);
	assert_true(qm_valid(&cur, QM_MEM_BYTES) && cur.v[QM_MEM_BYTES] == 64 << 20);
	assert_int_equal(cur.src[QM_MEM_BYTES], QM_SRC_CGROUP);
	assert_int_equal(cur.v[QM_PIDS_MAX_EVENTS], 3);
	assert_int_equal(cur.v[QM_PSI_IO_SOME_US], 2500);	/* not overwritten */
	assert_int_equal(cur.v[QM_CPU_NS], 777);		/* BPF's own stays */
	/* procfs counts are summed each tick by their walk, never carried */
	assert_false(qm_valid(&cur, QM_NPROC));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(skip_when_nothing_moved),
		cmocka_unit_test(any_activity_reads),
		cmocka_unit_test(only_bpf_proves_rest),
		cmocka_unit_test(carry_cgroup_values_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
