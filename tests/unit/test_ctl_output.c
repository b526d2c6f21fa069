// SPDX-License-Identifier: GPL-2.0-only
/* test_ctl_output.c - quellctl's human output from literal tviews and JSON replies. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/quellctl/ctl.h"

struct cap {
	FILE *f;
	char *buf;
	size_t len;
};

static FILE *cap_open(struct cap *c)
{
	c->buf = NULL;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	return c->f;
}

static const char *cap_done(struct cap *c)
{
	fclose(c->f);
	return c->buf;
}

static struct tview tv_alice(void)
{
	struct tview t;

	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "alice");
	t.uid = 1001;
	snprintf(t.cgroup, sizeof(t.cgroup), "quell/alice");
	snprintf(t.state, sizeof(t.state), "throttled");
	snprintf(t.rule, sizeof(t.rule), "cpu_hog");
	t.offender = true;
	t.v = (struct qm_view){
		.cpu_pct = 185.54, .inflicted_ms_s = 120.25, .suffered_ms_s = 2.5, .io_rbps = NAN,
		.io_wbps = 1.5 * 1048576, .iops = 300, .io_lat_ms = 1.75, .faults_s = 10,
		.forks_s = 0.5, .reclaim_ms_s = NAN, .psi_cpu_some = 12.5, .psi_mem_some = 0,
		.psi_io_some = NAN, .mem_bytes = 512.0 * 1048576, .nproc = 12,
	};
	for (int i = 0; i < QM_NR; i++) {
		t.counters[i] = NAN;
		t.src[i] = '-';
	}
	t.counters[QM_MEM_PEAK] = 600.0 * 1048576;
	t.counters[QM_NTHREADS] = 40;
	t.src[QM_CPU_NS] = 'b';
	t.src[QM_RQ_INFLICTED_NS] = 'b';
	t.src[QM_MEM_BYTES] = 'c';
	t.src[QM_NPROC] = 'p';
	t.cpu_limit_pct = 50;
	t.mem_limit = 1 << 30;
	t.nproc_limit = INFINITY;
	t.faults_cpu = 17;
	t.faults_mem = 4;
	t.faults_pids = 9;
	return t;
}

static struct tview tv_unknown(const char *name)
{
	struct tview t;

	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s", name);
	t.uid = -1;
	snprintf(t.state, sizeof(t.state), "ok");
	for (int i = 0; i < QV_NR; i++)
		qv_put(&t.v, (enum qv_id)i, NAN);
	for (int i = 0; i < QM_NR; i++) {
		t.counters[i] = NAN;
		t.src[i] = '-';
	}
	t.cpu_limit_pct = t.mem_limit = t.nproc_limit = NAN;
	return t;
}

static void test_list_table(void **state)
{
	struct tview t[2] = { tv_alice(), tv_unknown("user-1000.slice") };
	struct cap c;

	ctl_print_list(cap_open(&c), t, 2);
	assert_string_equal(cap_done(&c),
		"TENANT           STATE        CPU%   MEM  READ/s  WRITE/s  IOPS  INFL-ms/s  SUFF-ms/s  NPROC  FAULTS\n"
		"alice            throttled*  185.5  512M       -     1.5M   300      120.2        2.5     12      30\n"
		"user-1000.slice  ok              -     -       -        -     -          -          -      -       0\n");
	free(c.buf);

	/* no tenants: just the header */
	ctl_print_list(cap_open(&c), t, 0);
	assert_string_equal(cap_done(&c),
		"TENANT  STATE  CPU%  MEM  READ/s  WRITE/s  IOPS  INFL-ms/s  SUFF-ms/s  NPROC  FAULTS\n");
	free(c.buf);
}

static void test_show(void **state)
{
	struct tview t = tv_alice();
	struct cap c;

	ctl_print_show(cap_open(&c), &t);
	assert_string_equal(cap_done(&c),
		"tenant:     alice (uid 1001)\n"
		"cgroup:     quell/alice\n"
		"state:      throttled (rule cpu_hog)\n"
		"offender:   yes (a rule is tripping)\n"
		"cpu:        185.5% (limit 50.0%)\n"
		"memory:     512M (limit 1G), peak 600M\n"
		"processes:  12, threads 40\n"
		"io:         read -, write 1.5M/s, 300 iops, latency 1.8 ms\n"
		"run queue:  inflicted 120.2 ms/s, suffered 2.5 ms/s\n"
		"activity:   page faults 10.0/s, forks 0.5/s, reclaim - ms/s\n"
		"pressure:   cpu 12.5%, memory 0.0%, io - (some)\n"
		"faults:     cpu 17, mem 4, pids 9, io 0\n"
		"sources:    bpf: cpu_ns rq_inflicted_ns\n"
		"            cgroup: mem_bytes\n"
		"            proc: nproc\n");
	free(c.buf);

	t = tv_unknown("ghost");
	ctl_print_show(cap_open(&c), &t);
	assert_string_equal(cap_done(&c),
		"tenant:     ghost\n"
		"cgroup:     -\n"
		"state:      ok\n"
		"cpu:        -\n"
		"memory:     -, peak -\n"
		"processes:  -, threads -\n"
		"io:         read -, write -, - iops, latency - ms\n"
		"run queue:  inflicted - ms/s, suffered - ms/s\n"
		"activity:   page faults -/s, forks -/s, reclaim - ms/s\n"
		"pressure:   cpu -, memory -, io - (some)\n"
		"faults:     cpu 0, mem 0, pids 0, io 0\n");
	free(c.buf);
}

static void test_status(void **state)
{
	struct hview h = {
		.hostname = "web1", .load = { 1.5, 0.75, NAN }, .cpu_pct = 150, .ncpu = 2,
		.mem_total = 4.0 * (1 << 30), .mem_used = 1 << 30, .io_rbps = 0, .io_wbps = NAN,
		.psi_cpu_some = 3.5, .psi_mem_some = 0, .psi_mem_full = 0, .psi_io_some = 1,
		.psi_io_full = NAN, .tenants = 120, .throttled = 2, .frozen = 1, .source = "bpf",
		.cgroup_mode = "hybrid", .tick_ms = 4.25, .bpf_dropped = 7,
	};
	struct cap c;
	json_error_t jerr;
	json_t *extra = json_loads("{\"bpf\":{\"loaded\":true,\"variant\":\"tp_btf\",\"acct_used\":3,"
				   "\"acct_max\":16384},\"placement\":{\"moved_event\":5,\"moved_sweep\":1,"
				   "\"latency_p50_us\":120.4,\"latency_p99_us\":900}}", 0, &jerr);

	ctl_print_status(cap_open(&c), &h);
	assert_string_equal(cap_done(&c),
		"host:       web1 (2 cpus)\n"
		"load:       1.5 0.8 -\n"
		"cpu:        150.0%\n"
		"memory:     1G used of 4G\n"
		"io:         read 0B/s, write -\n"
		"pressure:   cpu some 3.5%, memory some 0.0% full 0.0%, io some 1.0% full -\n"
		"tenants:    120 (2 throttled, 1 frozen)\n"
		"accounting: bpf, cgroup hybrid\n"
		"tick:       4.2 ms, 0 tenants quiet, bpf dropped 7\n");
	free(c.buf);
	ctl_print_status_extra(cap_open(&c), extra);
	assert_string_equal(cap_done(&c),
		"bpf:        loaded (tp_btf), 3/16384 tenants in map\n"
		"placement:  5 moved by event, 1 by sweep, latency p50 120 us p99 900 us\n");
	free(c.buf);
	json_decref(extra);
}

static void test_table_builder(void **state)
{
	static const char *const head[] = { "A", "LONGER", "N" };
	static const bool right[] = { false, false, true };
	struct ctl_table tb;
	struct cap c;

	ctl_table_init(&tb, 3, head, right);
	assert_int_equal(ctl_table_add(&tb, (const char *const[]){ "x", NULL, "1" }), 0);
	for (int i = 0; i < 40; i++)	/* grows past the first allocation */
		assert_int_equal(ctl_table_add(&tb, (const char *const[]){ "yyyy", "z", "100" }), 0);
	assert_int_equal(tb.nrows, 41);
	ctl_table_print(cap_open(&c), &tb);
	cap_done(&c);
	/* "-" for NULL; right-aligned numbers; no trailing blanks on the last column */
	assert_true(!strncmp(c.buf, "A     LONGER    N\nx     -         1\nyyyy  z       100\n", 52));
	free(c.buf);
	ctl_table_free(&tb);
}

static void test_events(void **state)
{
	json_error_t jerr;
	json_t *ev = json_loads(
		"[{\"time\":1700000000,\"tenant\":\"bob\",\"action\":\"apply\",\"rule\":\"cpu_hog\","
		"\"level\":1,\"evidence\":{\"metric\":\"cpu_pct\",\"value\":185.5},\"limits\":{\"cpu_pct\":50},"
		"\"limits_text\":\"cpu=50%\",\"cgroup\":\"quell/bob\",\"time_ms\":1,\"result\":0,\"dry_run\":true},"
		"{\"time\":1700000060,\"tenant\":\"bob\",\"action\":\"release\",\"rule\":\"cpu_hog\"},"
		"\"junk\"]", 0, &jerr);
	struct cap c;

	assert_non_null(ev);
	setenv("TZ", "UTC", 1);
	tzset();
	ctl_print_events(cap_open(&c), ev);
	assert_string_equal(cap_done(&c),
		"TIME                 TENANT  ACTION   RULE     DETAILS\n"
		"2023-11-14 22:13:20  bob     apply    cpu_hog  level=1 metric=cpu_pct value=185.5 limits=cpu=50% dry_run=yes\n"
		"2023-11-14 22:14:20  bob     release  cpu_hog  -\n");
	free(c.buf);
	json_decref(ev);
}

static void test_limits(void **state)
{
	json_error_t jerr;
	json_t *l = json_loads(
		"{\"tenant\":\"bob\",\"static\":{\"cpu_pct\":100.0,\"mem_max\":1073741824,\"nproc\":null},"
		"\"dynamic\":{\"cpu_pct\":25.0,\"io_wbps\":10485760},\"effective\":{},"
		"\"frozen\":false,\"effective_text\":\"cpu=25% mem=1G\"}", 0, &jerr);
	struct cap c;
	char buf[256];

	assert_non_null(l);
	ctl_print_limits(cap_open(&c), "bob", l);
	assert_string_equal(cap_done(&c),
		"tenant:     bob\n"
		"static:     cpu_pct=100% mem_max=1G nproc=unlimited\n"
		"dynamic:    cpu_pct=25% io_wbps=10M/s\n"
		"effective:  (none)\n"
		"frozen:     no\n");
	free(c.buf);
	ctl_fmt_limits_obj(json_object_get(l, "static"), buf, 12);
	assert_int_equal(strlen(buf), 11);	/* truncated safely */
	json_decref(l);

	/* issue 14: a share is said with its limit, as configured and in bytes */
	l = json_loads("{\"static\":{\"mem_max\":null,\"nproc\":512,\"mem_max_pct\":50.0},"
		       "\"effective\":{\"mem_max\":268435456,\"nproc\":512,\"mem_max_pct\":50.0}}",
		       0, &jerr);
	assert_non_null(l);
	ctl_print_limits(cap_open(&c), "bob", l);
	assert_string_equal(cap_done(&c),
		"tenant:     bob\n"
		"static:     mem_max=50% nproc=512\n"
		"effective:  mem_max=256M (50%) nproc=512\n");
	free(c.buf);
	json_decref(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_table),
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_table_builder),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
