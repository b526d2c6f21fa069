// SPDX-License-Identifier: GPL-2.0-only
/* test_rrd_schema.c - the RRD schema, update lines and file names (pure). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "history.h"

static void test_tenant_ds_from_qm_desc(void **state)
{
	struct hist_schema s;

	assert_int_equal(hist_schema_tenant(10, &s), 0);
	assert_int_equal(s.nds, hist_tenant_nqm);
	assert_true(s.nds >= 14);
	for (int i = 0; i < s.nds; i++) {
		const struct qm_desc *d = &qm_desc[s.ds[i].src];

		assert_string_equal(s.ds[i].name, d->key);
		assert_true(strlen(s.ds[i].name) <= 19);
		assert_int_equal(s.ds[i].type,
				 d->kind == QM_COUNTER ? HIST_DS_DERIVE : HIST_DS_GAUGE);
	}
	/* what issue 6 asks for is there, with the right type */
	assert_int_equal(s.ds[hist_schema_find(&s, "cpu_ns")].type, HIST_DS_DERIVE);
	assert_int_equal(s.ds[hist_schema_find(&s, "mem_bytes")].type, HIST_DS_GAUGE);
	assert_int_equal(s.ds[hist_schema_find(&s, "nproc")].type, HIST_DS_GAUGE);
	const char *want[] = { "rq_inflicted_ns", "rq_suffered_ns", "io_rbytes", "io_wbytes",
			       "io_rops", "io_wops", "pgfaults", "forks", "cpu_throttled",
			       "mem_max_events", "pids_max_events" };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_true(hist_schema_find(&s, want[i]) >= 0);
	assert_int_equal(hist_schema_find(&s, "nope"), -ENOENT);
	assert_int_equal(s.heartbeat_s, 30);
}

static void test_ds_name_mapping(void **state)
{
	char n[HIST_DS_NAME_MAX];

	assert_int_equal(hist_ds_name("cpu_ns", n), 0);
	assert_string_equal(n, "cpu_ns");
	assert_int_equal(hist_ds_name("a-very.long metric_name_indeed", n), 0);
	assert_string_equal(n, "a_very_long_metric_");
	assert_int_equal(strlen(n), 19);
	assert_int_equal(hist_ds_name("", n), -EINVAL);
}

static void test_rras_default_step(void **state)
{
	struct hist_schema s;

	assert_int_equal(hist_schema_tenant(10, &s), 0);
	assert_int_equal(s.nrra, 5);
	assert_string_equal(s.rra[0], "RRA:AVERAGE:0.5:1:17280");	/* 10 s x 2 days */
	assert_string_equal(s.rra[1], "RRA:AVERAGE:0.5:6:20160");	/* 1 min x 14 days */
	assert_string_equal(s.rra[2], "RRA:MAX:0.5:6:20160");
	assert_string_equal(s.rra[3], "RRA:AVERAGE:0.5:360:9480");	/* 1 h x 395 days */
	assert_string_equal(s.rra[4], "RRA:MAX:0.5:360:9480");
	assert_int_equal(hist_rra_span_s(s.rra[0], 10), 2 * 86400);
	assert_int_equal(hist_rra_span_s(s.rra[2], 10), 14 * 86400);
	assert_int_equal(hist_rra_span_s(s.rra[4], 10), 395 * 86400);
	assert_int_equal(hist_rra_span_s("garbage", 10), 0);
}

static void test_rras_other_steps(void **state)
{
	struct hist_schema s;

	assert_int_equal(hist_schema_tenant(1, &s), 0);
	assert_string_equal(s.rra[0], "RRA:AVERAGE:0.5:1:172800");
	assert_string_equal(s.rra[1], "RRA:AVERAGE:0.5:60:20160");
	assert_string_equal(s.rra[4], "RRA:MAX:0.5:3600:9480");

	/* a step that does not divide a minute: ~56 s rows, spans still kept */
	assert_int_equal(hist_schema_tenant(7, &s), 0);
	assert_int_equal(s.nrra, 5);
	assert_string_equal(s.rra[1], "RRA:AVERAGE:0.5:8:21600");
	assert_true(hist_rra_span_s(s.rra[0], 7) >= 2 * 86400);
	assert_true(hist_rra_span_s(s.rra[0], 7) < 2 * 86400 + 7);
	assert_true(hist_rra_span_s(s.rra[2], 7) >= 14 * 86400);
	assert_true(hist_rra_span_s(s.rra[4], 7) >= 395 * 86400);
	assert_true(hist_rra_span_s(s.rra[4], 7) < 395 * 86400 + 514 * 7);

	/* step coarser than a minute: the 1-min tier merges into the fine one */
	assert_int_equal(hist_schema_host(120, &s), 0);
	assert_int_equal(s.nrra, 3);
	assert_string_equal(s.rra[0], "RRA:AVERAGE:0.5:1:10080");
	assert_string_equal(s.rra[1], "RRA:AVERAGE:0.5:30:9480");
	assert_string_equal(s.rra[2], "RRA:MAX:0.5:30:9480");
	assert_int_equal(s.nds, HH_NR);

	assert_int_equal(hist_schema_tenant(0, &s), -EINVAL);
	assert_int_equal(hist_schema_tenant(3601, &s), -EINVAL);
}

static void test_update_lines(void **state)
{
	struct qm_sample smp = { 0 };
	struct hview h = { 0 };
	struct hist_rec r;
	char buf[512];
	int n;

	qm_set(&smp, QM_CPU_NS, 123456789012ULL, QM_SRC_BPF);
	qm_set(&smp, QM_MEM_BYTES, 4096, QM_SRC_CGROUP);
	qm_set(&smp, QM_OOM_KILLS, 2, QM_SRC_BPF);
	qm_set(&smp, QM_EXECS, 99, QM_SRC_BPF);	/* not stored */
	hist_rec_from_sample(&r, "alice", 1700000000, &smp);
	n = hist_update_line(&r, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, "1700000000:123456789012:U:U:4096:U:U:U:U:U:U:U:U:U:U:2");
	assert_int_equal(hist_update_line(&r, buf, 20), -ENOSPC);

	h.cpu_pct = 150.5;
	h.mem_used = 2e9;
	h.mem_total = NAN;
	h.load[0] = 1.25;
	h.io_rbps = -1;
	h.tenants = 3;
	h.psi_cpu_some = h.psi_mem_some = h.psi_io_some = h.tick_ms = NAN;
	hist_rec_from_hview(&r, 1700000010, &h);
	assert_true(hist_update_line(&r, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "1700000010:150.5:2000000000:U:U:0:1.25:U:U:U:3:0:0:U");
}

static void test_name_escape(void **state)
{
	char e[256], u[64], p[512];

	assert_int_equal(hist_name_escape("alice", e, sizeof(e)), 0);
	assert_string_equal(e, "alice");
	assert_int_equal(hist_name_escape("web-01.example_x", e, sizeof(e)), 0);
	assert_string_equal(e, "web-01.example_x");
	assert_int_equal(hist_name_escape(".hidden", e, sizeof(e)), 0);
	assert_string_equal(e, "%2Ehidden");
	assert_int_equal(hist_name_escape("../etc/x", e, sizeof(e)), 0);
	assert_string_equal(e, "%2E.%2Fetc%2Fx");
	assert_int_equal(hist_name_escape("a b%\xc3\xa9", e, sizeof(e)), 0);
	assert_string_equal(e, "a%20b%25%C3%A9");
	assert_int_equal(hist_name_unescape(e, u, sizeof(u)), 0);
	assert_string_equal(u, "a b%\xc3\xa9");
	assert_int_equal(hist_name_unescape("%2E.%2Fetc%2Fx", u, sizeof(u)), 0);
	assert_string_equal(u, "../etc/x");
	assert_int_equal(hist_name_escape("", e, sizeof(e)), -EINVAL);
	assert_int_equal(hist_name_escape("abcdef", e, 4), -ENAMETOOLONG);
	assert_int_equal(hist_name_unescape("%00x", u, sizeof(u)), -EINVAL);
	assert_int_equal(hist_name_unescape("%G1", u, sizeof(u)), -EINVAL);
	assert_int_equal(hist_name_unescape("%4", u, sizeof(u)), -EINVAL);

	assert_int_equal(hist_path("/var/rrd", "bob", p, sizeof(p)), 0);
	assert_string_equal(p, "/var/rrd/tenants/bob.rrd");
	assert_int_equal(hist_path("/var/rrd", NULL, p, sizeof(p)), 0);
	assert_string_equal(p, "/var/rrd/host.rrd");
	assert_int_equal(hist_path("/var/rrd", "a/b", p, sizeof(p)), 0);
	assert_string_equal(p, "/var/rrd/tenants/a%2Fb.rrd");
	assert_int_equal(hist_path("/var/rrd", "bob", p, 10), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tenant_ds_from_qm_desc),
		cmocka_unit_test(test_ds_name_mapping),
		cmocka_unit_test(test_rras_default_step),
		cmocka_unit_test(test_rras_other_steps),
		cmocka_unit_test(test_update_lines),
		cmocka_unit_test(test_name_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
