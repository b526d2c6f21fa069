// SPDX-License-Identifier: GPL-2.0-only
/* test_top_rows.c - quelltop's row model: sort by every column, filter, top-N, selection. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../top/top.h"

static void tv_init(struct tview *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->state, sizeof(t->state), "ok");
	for (int i = 0; i < QV_NR; i++)
		qv_put(&t->v, (enum qv_id)i, NAN);
	t->mem_limit = INFINITY;
}

/* give tenant t value v in column c */
static void set_col(struct tview *t, enum top_col_id c, double v)
{
	switch (c) {
	case TC_CPU: t->v.cpu_pct = v; break;
	case TC_INFL: t->v.inflicted_ms_s = v; break;
	case TC_SUFF: t->v.suffered_ms_s = v; break;
	case TC_MEM: t->v.mem_bytes = v; break;
	case TC_READ: t->v.io_rbps = v; break;
	case TC_WRITE: t->v.io_wbps = v; break;
	case TC_IOPS: t->v.iops = v; break;
	case TC_NPROC: t->v.nproc = v; break;
	case TC_FAULTS: t->v.faults_s = v; break;
	case TC_HITS:
		if (!isnan(v))
			t->faults_mem = (uint64_t)v;
		break;
	case TC_STATE: {
		static const char *const st[] = { "ok", "throttled", "frozen", "killed" };

		if (!isnan(v))
			snprintf(t->state, sizeof(t->state), "%s", st[(int)v]);
		break;
	}
	default:	/* a metric column: its view field (include/metrics.h) */
		if (top_col_view(c) < QV_NR)
			qv_put(&t->v, top_col_view(c), v);
		break;
	}
}

static void order_is(const struct tview **rows, int n, const char *want)
{
	char got[256] = "";

	for (int i = 0; i < n; i++) {
		strcat(got, rows[i]->name);
		if (i + 1 < n)
			strcat(got, " ");
	}
	assert_string_equal(got, want);
}

/*
 * Every numeric column, both directions: c=1, a=2 and d=2 tie (by name both
 * ways), b unknown (last both ways). HITS has no "unknown": b is 0 there.
 */
static void test_sort_every_column(void **state)
{
	for (int c = 0; c < TC_NR; c++) {
		struct tview tv[4];
		const struct tview *rows[4];

		if (c == TC_NAME)
			continue;
		tv_init(&tv[0], "d");
		tv_init(&tv[1], "b");
		tv_init(&tv[2], "c");
		tv_init(&tv[3], "a");
		set_col(&tv[0], (enum top_col_id)c, 2);
		set_col(&tv[2], (enum top_col_id)c, 1);
		set_col(&tv[3], (enum top_col_id)c, 2);
		if (c == TC_HITS || c == TC_STATE) {
			/* b is 0 / ok here: a real value, the smallest */
			for (int i = 0; i < 4; i++)
				rows[i] = &tv[i];
			top_sort(rows, 4, (enum top_col_id)c, true);
			order_is(rows, 4, "a d c b");
			top_sort(rows, 4, (enum top_col_id)c, false);
			order_is(rows, 4, "b c a d");
			continue;
		}
		for (int i = 0; i < 4; i++)
			rows[i] = &tv[i];
		top_sort(rows, 4, (enum top_col_id)c, true);
		order_is(rows, 4, "a d c b");
		top_sort(rows, 4, (enum top_col_id)c, false);
		order_is(rows, 4, "c a d b");
	}
}

static void test_sort_name_and_state(void **state)
{
	struct tview tv[4];
	const struct tview *rows[4];

	tv_init(&tv[0], "beta");
	tv_init(&tv[1], "Alpha");
	tv_init(&tv[2], "gamma");
	tv_init(&tv[3], "alpha");
	for (int i = 0; i < 4; i++)
		rows[i] = &tv[i];
	top_sort(rows, 4, TC_NAME, false);
	order_is(rows, 4, "Alpha alpha beta gamma");
	top_sort(rows, 4, TC_NAME, true);
	order_is(rows, 4, "gamma beta alpha Alpha");

	/* state: severity first, then who inflicts most */
	snprintf(tv[0].state, sizeof(tv[0].state), "throttled");
	snprintf(tv[2].state, sizeof(tv[2].state), "throttled");
	tv[0].v.inflicted_ms_s = 5;
	tv[2].v.inflicted_ms_s = 50;
	snprintf(tv[3].state, sizeof(tv[3].state), "killed");
	top_sort(rows, 4, TC_STATE, true);
	order_is(rows, 4, "alpha gamma beta Alpha");
}

static void test_row_alert(void **state)
{
	struct tview t;

	tv_init(&t, "a");
	assert_false(top_row_alert(&t));
	t.offender = true;			/* a rule trips before any action */
	assert_true(top_row_alert(&t));
	t.offender = false;
	snprintf(t.state, sizeof(t.state), "throttled");
	assert_true(top_row_alert(&t));
	snprintf(t.state, sizeof(t.state), "-");	/* unknown is not an alarm */
	assert_false(top_row_alert(&t));
	t.state[0] = '\0';
	assert_false(top_row_alert(&t));
}

static void test_filter(void **state)
{
	assert_true(top_match("site-shop", ""));
	assert_true(top_match("site-shop", "shop"));
	assert_true(top_match("site-shop", "SHOP"));
	assert_true(top_match("site-shop", "site-shop"));
	assert_false(top_match("site-shop", "site-shop2"));
	assert_false(top_match("blog", "shop"));
	assert_false(top_match("", "x"));
}

static void test_rows_build(void **state)
{
	struct tview tv[5];
	const struct tview **rows;
	struct top_ui ui;
	int n;

	tv_init(&tv[0], "shop1");
	tv_init(&tv[1], "blog");
	tv_init(&tv[2], "shop2");
	tv_init(&tv[3], "forum");
	tv_init(&tv[4], "shop3");
	for (int i = 0; i < 5; i++)
		tv[i].v.cpu_pct = 10.0 * (i + 1);
	top_ui_init(&ui);
	assert_int_equal(ui.sort, TC_CPU);
	assert_true(ui.desc);

	n = top_rows_build(tv, 5, &ui, &rows);
	assert_int_equal(n, 5);
	order_is(rows, n, "shop3 forum shop2 blog shop1");
	assert_int_equal(ui.sel, 0);
	assert_string_equal(ui.sel_name, "shop3");
	free(rows);

	/* filter, then top-N applies after sorting */
	snprintf(ui.filter, sizeof(ui.filter), "SHOP");
	ui.top_n = 2;
	n = top_rows_build(tv, 5, &ui, &rows);
	assert_int_equal(n, 2);
	order_is(rows, n, "shop3 shop2");
	free(rows);

	/* the selection follows its tenant when the order changes */
	ui.filter[0] = '\0';
	ui.top_n = 0;
	snprintf(ui.sel_name, sizeof(ui.sel_name), "forum");
	ui.desc = false;
	n = top_rows_build(tv, 5, &ui, &rows);
	order_is(rows, n, "shop1 blog shop2 forum shop3");
	assert_int_equal(ui.sel, 3);
	free(rows);

	/* the selected tenant filtered away: the selection is clamped */
	snprintf(ui.filter, sizeof(ui.filter), "shop");
	n = top_rows_build(tv, 5, &ui, &rows);
	assert_int_equal(n, 3);
	assert_int_equal(ui.sel, 2);
	assert_string_equal(ui.sel_name, "shop3");
	free(rows);

	/* nothing matches: no rows, no allocation */
	snprintf(ui.filter, sizeof(ui.filter), "nothing");
	n = top_rows_build(tv, 5, &ui, &rows);
	assert_int_equal(n, 0);
	assert_null(rows);
	assert_string_equal(ui.sel_name, "");
	n = top_rows_build(NULL, 0, &ui, &rows);
	assert_int_equal(n, 0);
	assert_null(rows);
}

static void test_scroll(void **state)
{
	struct top_ui ui;

	top_ui_init(&ui);
	ui.sel = 30;
	top_ui_scroll(&ui, 50, 10);
	assert_int_equal(ui.scroll, 21);
	ui.sel = 5;
	top_ui_scroll(&ui, 50, 10);
	assert_int_equal(ui.scroll, 5);
	/* rows went away: no empty tail */
	ui.sel = 7;
	top_ui_scroll(&ui, 8, 10);
	assert_int_equal(ui.scroll, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort_every_column),
		cmocka_unit_test(test_sort_name_and_state),
		cmocka_unit_test(test_row_alert),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_rows_build),
		cmocka_unit_test(test_scroll),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
