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
	assert_int_equal(s.nrra, 7);
	assert_string_equal(s.rra[0], "RRA:AVERAGE:0.5:1:2160");	/* 10 s x 6 h */
	assert_string_equal(s.rra[1], "RRA:AVERAGE:0.5:6:1440");	/* 1 min x 1 day */
	assert_string_equal(s.rra[2], "RRA:MAX:0.5:6:1440");
	assert_string_equal(s.rra[3], "RRA:AVERAGE:0.5:360:744");	/* 1 h x 31 days */
	assert_string_equal(s.rra[4], "RRA:MAX:0.5:360:744");
	assert_string_equal(s.rra[5], "RRA:AVERAGE:0.5:8640:400");	/* 1 day x 400 days */
	assert_string_equal(s.rra[6], "RRA:MAX:0.5:8640:400");
	assert_int_equal(hist_rra_span_s(s.rra[0], 10), 6 * 3600);
	assert_int_equal(hist_rra_span_s(s.rra[2], 10), 86400);
	assert_int_equal(hist_rra_span_s(s.rra[4], 10), 31 * 86400);
	assert_int_equal(hist_rra_span_s(s.rra[6], 10), 400 * 86400);
	assert_int_equal(hist_rra_span_s("garbage", 10), 0);
	/* 7,328 rows x 16 DS x 8 B: the data part of a tenant file (937,984 B, issue 11's
	 * 1 MB bound holds; the 16th DS is mem_inflicted, issue 14) */
	assert_int_equal(hist_schema_data_bytes(&s), 7328 * 16 * 8);
}

/* Issue 11 item 5: at most 1 MB per tenant on disk, whatever the step. */
static void test_rras_fit_one_megabyte(void **state)
{
	static const uint64_t steps[] = { 1, 2, 5, 7, 10, 15, 30, 60, 120, 300, 3600 };
	struct hist_schema s;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(hist_schema_tenant(steps[i], &s), 0);
		/* librrd's header (DS, RRA, PDP and CDP prep) is < 32 KB for 15 DS x 7 RRA */
		assert_true(hist_schema_data_bytes(&s) + 32768 <= 1000000);
		/* MAX is kept wherever a row consolidates more than one step */
		for (int r = 0; r < s.nrra; r++) {
			unsigned long long pdp, rows;
			char cf[16];

			assert_int_equal(sscanf(s.rra[r], "RRA:%15[A-Z]:0.5:%llu:%llu", cf, &pdp,
						&rows), 3);
			if (pdp > 1 && !strcmp(cf, "AVERAGE"))
				assert_true(r + 1 < s.nrra && strstr(s.rra[r + 1], "RRA:MAX:"));
		}
		/* the year is still covered */
		assert_true(hist_rra_span_s(s.rra[s.nrra - 1], steps[i]) >= 395 * 86400);
	}
}

static void test_rras_other_steps(void **state)
{
	struct hist_schema s;

	/* step 1 (tests): the fine tier is capped at 2,160 rows (36 min) */
	assert_int_equal(hist_schema_tenant(1, &s), 0);
	assert_string_equal(s.rra[0], "RRA:AVERAGE:0.5:1:2160");
	assert_string_equal(s.rra[1], "RRA:AVERAGE:0.5:60:1440");
	assert_string_equal(s.rra[4], "RRA:MAX:0.5:3600:744");
	assert_string_equal(s.rra[6], "RRA:MAX:0.5:86400:400");

	/* a step that does not divide a minute: ~56 s rows, spans still kept */
	assert_int_equal(hist_schema_tenant(7, &s), 0);
	assert_int_equal(s.nrra, 7);
	assert_string_equal(s.rra[0], "RRA:AVERAGE:0.5:1:2160");
	assert_string_equal(s.rra[1], "RRA:AVERAGE:0.5:8:1543");
	assert_true(hist_rra_span_s(s.rra[2], 7) >= 86400);
	assert_true(hist_rra_span_s(s.rra[4], 7) >= 31 * 86400);
	assert_true(hist_rra_span_s(s.rra[6], 7) >= 400 * 86400);
	assert_true(hist_rra_span_s(s.rra[6], 7) < 400 * 86400 + 12342 * 7);

	/* step coarser than a minute: the 1-min tier merges into the fine one */
	assert_int_equal(hist_schema_host(120, &s), 0);
	assert_int_equal(s.nrra, 5);
	assert_string_equal(s.rra[0], "RRA:AVERAGE:0.5:1:720");
	assert_string_equal(s.rra[1], "RRA:AVERAGE:0.5:30:744");
	assert_string_equal(s.rra[2], "RRA:MAX:0.5:30:744");
	assert_string_equal(s.rra[4], "RRA:MAX:0.5:720:400");
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
	assert_string_equal(buf, "1700000000:123456789012:U:U:4096:U:U:U:U:U:U:U:U:U:U:2:U");
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
		cmocka_unit_test(test_rras_fit_one_megabyte),
		cmocka_unit_test(test_rras_other_steps),
		cmocka_unit_test(test_update_lines),
		cmocka_unit_test(test_name_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
