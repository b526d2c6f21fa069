// SPDX-License-Identifier: GPL-2.0-only
/* test_metrics.c - the metric catalogue and the rate maths. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "metrics.h"

static void test_catalogue(void **state)
{
	for (int i = 0; i < QM_NR; i++) {
		assert_int_equal(qm_desc[i].id, i);
		assert_non_null(qm_desc[i].key);
		assert_non_null(qm_desc[i].help);
		assert_int_equal(qm_by_key(qm_desc[i].key), i);
	}
	assert_int_equal(qm_by_key("no_such_metric"), QM_NR);
}

static void test_rates(void **state)
{
	struct qm_sample a = { .ts_ns = 1000000000ULL }, b = { .ts_ns = 3000000000ULL };
	struct qm_rates r;
	struct qm_view v;

	qm_set(&a, QM_CPU_NS, 5000000000ULL, QM_SRC_BPF);
	qm_set(&b, QM_CPU_NS, 6000000000ULL, QM_SRC_BPF);	/* 1 s over 2 s: 50 % */
	qm_set(&a, QM_RQ_INFLICTED_NS, 0, QM_SRC_BPF);
	qm_set(&b, QM_RQ_INFLICTED_NS, 300000000ULL, QM_SRC_BPF);	/* 150 ms/s */
	qm_set(&a, QM_IO_WBYTES, 100, QM_SRC_CGROUP);
	qm_set(&b, QM_IO_WBYTES, 50, QM_SRC_CGROUP);	/* went back: restart, 50/2 */
	qm_set(&a, QM_PGFAULTS, 10, QM_SRC_CGROUP);
	qm_set(&b, QM_PGFAULTS, 20, QM_SRC_BPF);		/* source changed: unknown */
	qm_set(&b, QM_MEM_BYTES, 4096, QM_SRC_CGROUP);	/* gauge: copied */
	qm_set(&b, QM_IO_LAT_NS, 0, QM_SRC_BPF);		/* counter without prev: unknown */
	qm_set(&a, QM_MEM_INFLICTED, 1 << 20, QM_SRC_BPF);
	qm_set(&b, QM_MEM_INFLICTED, 5 << 20, QM_SRC_BPF);	/* 4 MiB over 2 s */
	assert_int_equal(qm_rates_compute(&a, &b, &r), 0);
	assert_true(fabs(r.dt_s - 2.0) < 1e-9);
	qm_view_from_rates(&r, &v);
	assert_true(fabs(v.cpu_pct - 50.0) < 1e-9);
	assert_true(fabs(v.inflicted_ms_s - 150.0) < 1e-9);
	assert_true(fabs(v.io_wbps - 25.0) < 1e-9);
	assert_true(isnan(v.faults_s));
	assert_true(fabs(v.mem_bytes - 4096) < 1e-9);
	assert_true(isnan(r.r[QM_IO_LAT_NS]));
	assert_true(isnan(v.suffered_ms_s));	/* never read */
	assert_true(fabs(v.mem_inflicted_bps - 2097152.0) < 1e-9);
	assert_int_equal(qm_by_key("mem_inflicted"), QM_MEM_INFLICTED);
	assert_int_equal(qm_desc[QM_MEM_INFLICTED].kind, QM_COUNTER);
	/* time must move forward */
	assert_int_equal(qm_rates_compute(&b, &a, &r), -22);
	assert_int_equal(qm_rates_compute(&b, &b, &r), -22);
}

static void test_io_latency_view(void **state)
{
	struct qm_rates r;
	struct qm_view v;

	for (int i = 0; i < QM_NR; i++)
		r.r[i] = NAN;
	r.r[QM_IO_LAT_NS] = 8e6;	/* 8 ms of latency per second */
	r.r[QM_IO_LAT_CNT] = 4;		/* over 4 requests per second */
	qm_view_from_rates(&r, &v);
	assert_true(fabs(v.io_lat_ms - 2.0) < 1e-9);
	r.r[QM_IO_LAT_CNT] = 0;		/* no IO: zero latency, not a division by zero */
	qm_view_from_rates(&r, &v);
	assert_true(v.io_lat_ms == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalogue),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_io_latency_view),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
