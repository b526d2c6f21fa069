// SPDX-License-Identifier: GPL-2.0-only
/* test_top_columns.c - quelltop's column table, number formatting and layout. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../top/top.h"

static char buf[128];

static const char *num(double v, bool bin)
{
	return top_fmt_num(v, bin, buf, sizeof(buf));
}

static void tv_init(struct tview *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->state, sizeof(t->state), "ok");
	for (int i = 0; i < QV_NR; i++)	/* every view unknown, however many the table has */
		qv_put(&t->v, (enum qv_id)i, NAN);
	t->mem_limit = INFINITY;
	t->cpu_limit_pct = INFINITY;
	t->nproc_limit = INFINITY;
}

static void test_fmt_num_decimal(void **state)
{
	assert_string_equal(num(NAN, false), "-");
	assert_string_equal(num(-1, false), "-");
	assert_string_equal(num(INFINITY, false), "inf");
	assert_string_equal(num(0, false), "0");
	assert_string_equal(num(0.4, false), "0.4");
	assert_string_equal(num(5, false), "5");
	assert_string_equal(num(9.94, false), "9.9");
	assert_string_equal(num(9.96, false), "10");
	assert_string_equal(num(12.3, false), "12");
	assert_string_equal(num(999, false), "999");
	/* 999.6 would round to a 4-digit "1000": the next unit instead */
	assert_string_equal(num(999.6, false), "1.0k");
	assert_string_equal(num(1500, false), "1.5k");
	assert_string_equal(num(12345, false), "12k");
	assert_string_equal(num(999499, false), "999k");
	assert_string_equal(num(999500, false), "1.0M");
	assert_string_equal(num(2.5e9, false), "2.5G");
	assert_string_equal(num(7e12, false), "7.0T");
}

static void test_fmt_num_binary(void **state)
{
	assert_string_equal(num(NAN, true), "-");
	assert_string_equal(num(0, true), "0");
	assert_string_equal(num(512, true), "512");
	assert_string_equal(num(512.4, true), "512");	/* no fractional bytes */
	assert_string_equal(num(999, true), "999");
	assert_string_equal(num(1000, true), "1.0K");
	assert_string_equal(num(1024, true), "1.0K");
	assert_string_equal(num(1536, true), "1.5K");
	assert_string_equal(num(100 * 1024, true), "100K");
	assert_string_equal(num(512.0 * 1024 * 1024, true), "512M");
	assert_string_equal(num(1.5 * 1024 * 1024 * 1024, true), "1.5G");
	assert_string_equal(num(3.0 * (1ULL << 40), true), "3.0T");
}

/* the layout relies on it: whatever the magnitude, a number is at most 4 chars */
static void test_fmt_num_width(void **state)
{
	for (double v = 0.001; v < 1e19; v *= 1.37) {
		assert_true(strlen(num(v, false)) <= 4);
		assert_true(strlen(num(v, true)) <= 4);
		assert_true(strlen(top_fmt_pct(v, buf, sizeof(buf))) <= 4);
	}
}

static void test_fmt_pct(void **state)
{
	assert_string_equal(top_fmt_pct(NAN, buf, sizeof(buf)), "-");
	assert_string_equal(top_fmt_pct(0, buf, sizeof(buf)), "0.0");
	assert_string_equal(top_fmt_pct(12.34, buf, sizeof(buf)), "12.3");
	assert_string_equal(top_fmt_pct(99.96, buf, sizeof(buf)), "100");
	assert_string_equal(top_fmt_pct(250, buf, sizeof(buf)), "250");
	assert_string_equal(top_fmt_pct(6400, buf, sizeof(buf)), "6400");
	assert_string_equal(top_fmt_pct(12000, buf, sizeof(buf)), "12k");
}

static void test_fmt_cell_every_column(void **state)
{
	struct tview t;
	static const char *const want[TC_NR] = {
		[TC_NAME] = "site1", [TC_CPU] = "95.5", [TC_INFL] = "12",
		[TC_SUFF] = "0.3", [TC_MEM] = "512M/1.0G", [TC_READ] = "1.5M",
		[TC_WRITE] = "4.0K", [TC_IOPS] = "250", [TC_NPROC] = "3",
		[TC_FAULTS] = "1.2k", [TC_HITS] = "7", [TC_STATE] = "throttled:cpu-hog",
	};

	tv_init(&t, "site1");
	t.v.cpu_pct = 95.5;
	t.v.inflicted_ms_s = 12.0;
	t.v.suffered_ms_s = 0.3;
	t.v.mem_bytes = 512.0 * 1024 * 1024;
	t.mem_limit = 1024.0 * 1024 * 1024;
	t.v.io_rbps = 1.5 * 1024 * 1024;
	t.v.io_wbps = 4096;
	t.v.iops = 250;
	t.v.nproc = 3;
	t.v.faults_s = 1234;
	t.faults_cpu = 4;
	t.faults_mem = 2;
	t.faults_io = 1;
	snprintf(t.state, sizeof(t.state), "throttled");
	snprintf(t.rule, sizeof(t.rule), "cpu-hog");
	for (int c = 0; c < TC_NR; c++)	/* a column newer than this test: unknown, "-" */
		assert_string_equal(top_fmt_cell(&t, (enum top_col_id)c, buf, sizeof(buf)),
				    want[c] ? want[c] : "-");
}

static void test_fmt_cell_unknown_is_dash(void **state)
{
	struct tview t;

	tv_init(&t, "idle");
	for (int c = TC_CPU; c <= TC_FAULTS; c++)
		assert_string_equal(top_fmt_cell(&t, (enum top_col_id)c, buf, sizeof(buf)), "-");
	/* no limit: just the usage */
	t.v.mem_bytes = 2048;
	assert_string_equal(top_fmt_cell(&t, TC_MEM, buf, sizeof(buf)), "2.0K");
	/* ok never shows a stale rule */
	snprintf(t.rule, sizeof(t.rule), "old");
	assert_string_equal(top_fmt_cell(&t, TC_STATE, buf, sizeof(buf)), "ok");
	t.state[0] = '\0';
	assert_string_equal(top_fmt_cell(&t, TC_STATE, buf, sizeof(buf)), "-");
}

static void test_col_table(void **state)
{
	/* keys the UI uses for other things must not be sort keys */
	static const char reserved[] = "qtrkpndI/?<>,.+-= ";

	for (int i = 0; i < TC_NR; i++) {
		const struct top_col *c = &top_cols[i];

		assert_int_equal(c->id, i);
		assert_non_null(c->title);
		assert_non_null(c->json);
		assert_non_null(c->help);
		assert_true((int)strlen(c->title) <= c->width);
		assert_int_equal(top_col_by_name(c->title), i);
		assert_int_equal(top_col_by_name(c->json), i);
		if (c->key)
			assert_null(strchr(reserved, c->key));
		for (int j = 0; j < i; j++) {
			assert_string_not_equal(c->title, top_cols[j].title);
			assert_string_not_equal(c->json, top_cols[j].json);
			if (c->key)
				assert_int_not_equal(c->key, top_cols[j].key);
		}
	}
	assert_int_equal(top_cols[TC_NAME].prio, 0);
	assert_int_equal(top_cols[TC_CPU].prio, 0);
	assert_int_equal(top_cols[TC_STATE].prio, 0);
	assert_int_equal(top_col_by_name("cpu%"), TC_CPU);
	assert_int_equal(top_col_by_name("nope"), TC_NR);
	assert_int_equal(top_col_by_name("cpu"), TC_CPU);
	assert_int_equal(top_col_by_name("MEM"), TC_MEM);
	assert_int_equal(top_col_by_name("inflicted"), TC_INFL);
	assert_int_equal(top_col_by_name("io"), TC_NR);		/* io_rbps or io_wbps? */
	assert_int_equal(top_col_by_name(""), TC_NR);
}

static bool has_col(const struct top_layout *l, enum top_col_id id)
{
	for (int k = 0; k < l->ncols; k++)
		if (l->col[k] == id)
			return true;
	return false;
}

static void test_layout(void **state)
{
	struct top_layout l;
	struct tview t;
	char line[512];

	top_layout_make(80, &l);
	assert_true(l.total <= 80);
	assert_true(has_col(&l, TC_NAME) && has_col(&l, TC_CPU) && has_col(&l, TC_STATE));
	assert_true(has_col(&l, TC_INFL) && has_col(&l, TC_MEM) && has_col(&l, TC_NPROC));
	assert_false(has_col(&l, TC_HITS));

	top_layout_make(120, &l);
	assert_int_equal(l.total, 120);
	assert_int_equal(l.ncols, TC_NR);
	assert_int_equal(l.width[0], 20);	/* the name grew to its cap */

	top_layout_make(30, &l);
	for (int k = 0; k < l.ncols; k++)
		assert_int_equal(top_cols[l.col[k]].prio, 0);

	/* a full row never passes the layout width */
	tv_init(&t, "a-very-long-tenant-name-that-goes-on");
	t.v.cpu_pct = 6400;
	t.v.mem_bytes = 1023.0 * 1024 * 1024;
	t.mem_limit = 1023.0 * 1024 * 1024;
	snprintf(t.state, sizeof(t.state), "throttled");
	snprintf(t.rule, sizeof(t.rule), "a-long-rule-name-here");
	for (int w = 20; w <= 200; w += 7) {
		top_layout_make(w, &l);
		assert_true((int)strlen(top_fmt_line(&l, &t, -1, false, line, sizeof(line))) <= w);
		assert_true((int)strlen(top_fmt_line(&l, NULL, TC_NPROC, true, line,
						     sizeof(line))) <= w);
	}
}

static void test_fmt_line(void **state)
{
	struct top_layout l;
	struct tview t;
	char line[512];

	top_layout_make(80, &l);
	assert_string_equal(top_fmt_line(&l, NULL, TC_CPU, true, line, sizeof(line)),
			    "TENANT        CPU%v  INFL  SUFF   MEM/LIM  RD/s  WR/s IOPS NPROC FLT/s STATE");
	/* the marker fits even in a title as wide as its column */
	top_fmt_line(&l, NULL, TC_NPROC, false, line, sizeof(line));
	assert_non_null(strstr(line, " NPRO^ "));

	tv_init(&t, "site1");
	t.v.cpu_pct = 95.5;
	t.v.inflicted_ms_s = 12;
	t.v.mem_bytes = 100 * 1024 * 1024;
	t.v.nproc = 2;
	assert_string_equal(top_fmt_line(&l, &t, -1, false, line, sizeof(line)),
			    "site1          95.5    12     -      100M     -     -    -     2     - ok");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_num_decimal),
		cmocka_unit_test(test_fmt_num_binary),
		cmocka_unit_test(test_fmt_num_width),
		cmocka_unit_test(test_fmt_pct),
		cmocka_unit_test(test_fmt_cell_every_column),
		cmocka_unit_test(test_fmt_cell_unknown_is_dash),
		cmocka_unit_test(test_col_table),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_fmt_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
