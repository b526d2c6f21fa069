// SPDX-License-Identifier: GPL-2.0-only
/* test_top_keys.c - every quelltop key: the UI state it leaves and the flags it returns. */
#include <math.h>
#include <ncurses.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../top/top.h"

#define ESC	27

static struct tview tv[3];
static const struct tview *rows[3];
static struct top_ui ui;

static int setup(void **state)
{
	static const char *const names[] = { "alpha", "beta", "gamma" };

	for (int i = 0; i < 3; i++) {
		memset(&tv[i], 0, sizeof(tv[i]));
		snprintf(tv[i].name, sizeof(tv[i].name), "%s", names[i]);
		rows[i] = &tv[i];
	}
	top_ui_init(&ui);
	snprintf(ui.sel_name, sizeof(ui.sel_name), "alpha");
	return 0;
}

static unsigned int key(int k)
{
	return top_key(&ui, k, rows, 3, 2);
}

static unsigned int type(const char *s)
{
	unsigned int f = 0;

	for (; *s; s++)
		f |= key((unsigned char)*s);
	return f;
}

static void test_quit_everywhere(void **state)
{
	assert_int_equal(key('q'), TF_QUIT);
	ui.mode = TM_DETAIL;
	assert_int_equal(key('q'), TF_QUIT);
	ui.mode = TM_HELP;
	assert_int_equal(key('q'), TF_QUIT);
	assert_int_equal(key(ERR), 0);
}

static void test_sort_keys(void **state)
{
	assert_int_equal(ui.sort, TC_CPU);
	assert_int_equal(key('>'), TF_REBUILD | TF_REDRAW);
	assert_int_equal(ui.sort, TC_INFL);
	assert_true(ui.desc);
	key('<');
	key('<');
	assert_int_equal(ui.sort, TC_NAME);
	assert_false(ui.desc);		/* names sort A to Z when picked */
	key('<');			/* wraps around */
	assert_int_equal(ui.sort, TC_STATE);

	assert_int_equal(key('M'), TF_REBUILD | TF_REDRAW);
	assert_int_equal(ui.sort, TC_MEM);
	assert_true(ui.desc);
	key('M');			/* the same key again inverts */
	assert_false(ui.desc);
	assert_int_equal(key('I'), TF_REBUILD | TF_REDRAW);
	assert_true(ui.desc);
	assert_non_null(strstr(ui.msg, "MEM/LIM descending"));
	key('N');
	assert_int_equal(ui.sort, TC_NAME);
	key('P');
	assert_int_equal(ui.sort, TC_CPU);
	key('H');
	assert_int_equal(ui.sort, TC_INFL);
	key('W');
	assert_int_equal(ui.sort, TC_SUFF);
}

static void test_filter_prompt(void **state)
{
	assert_int_equal(key('/'), TF_REDRAW);
	assert_int_equal(ui.prompt, TP_FILTER);
	/* at a prompt, letters are text, not commands */
	assert_int_equal(type("qab"), TF_REDRAW);
	assert_int_equal(key(KEY_BACKSPACE), TF_REDRAW);
	assert_int_equal(key('c'), TF_REDRAW);
	assert_string_equal(ui.input, "qac");
	assert_string_equal(ui.filter, "");
	assert_int_equal(key('\r'), TF_REBUILD | TF_REDRAW);
	assert_int_equal(ui.prompt, TP_NONE);
	assert_string_equal(ui.filter, "qac");

	/* Esc at the prompt keeps the old filter; Esc on the list clears it */
	key('/');
	assert_string_equal(ui.input, "qac");
	type("zz");
	assert_int_equal(key(ESC), TF_REDRAW);
	assert_string_equal(ui.filter, "qac");
	assert_int_equal(key(ESC), TF_REBUILD | TF_REDRAW);
	assert_string_equal(ui.filter, "");
	assert_int_equal(key(ESC), 0);
}

static void test_topn_prompt(void **state)
{
	key('n');
	assert_int_equal(ui.prompt, TP_TOPN);
	type("1x0");			/* non-digits ignored */
	assert_string_equal(ui.input, "10");
	assert_int_equal(key('\n'), TF_REBUILD | TF_REDRAW);
	assert_int_equal(ui.top_n, 10);
	key('n');
	assert_int_equal(key(KEY_ENTER), TF_REBUILD | TF_REDRAW);	/* empty: all */
	assert_int_equal(ui.top_n, 0);
}

static void test_delay(void **state)
{
	assert_true(fabs(ui.delay_s - 2.0) < 1e-9);
	key('d');
	type("0.1");
	assert_int_equal(key('\r'), TF_REDRAW);
	assert_true(fabs(ui.delay_s - 2.0) < 1e-9);	/* out of range: refused */
	assert_non_null(strstr(ui.msg, "0.1"));
	key('d');
	type("1.2.3");
	key('\r');
	assert_true(fabs(ui.delay_s - 2.0) < 1e-9);
	key('d');
	type("5");
	key('\r');
	assert_true(fabs(ui.delay_s - 5.0) < 1e-9);
	key('-');
	assert_true(fabs(ui.delay_s - 4.0) < 1e-9);
	key('+');
	assert_true(fabs(ui.delay_s - 5.0) < 1e-9);
	for (int i = 0; i < 20; i++)
		key('-');
	assert_true(fabs(ui.delay_s - TOP_DELAY_MIN) < 1e-9);
	key('+');
	assert_true(fabs(ui.delay_s - 1.0) < 1e-9);
}

static void test_pause(void **state)
{
	assert_int_equal(key(' '), TF_REDRAW);
	assert_true(ui.paused);
	assert_int_equal(key('p'), TF_FETCH | TF_REDRAW);	/* resuming fetches at once */
	assert_false(ui.paused);
}

static void test_selection(void **state)
{
	assert_int_equal(key(KEY_DOWN), TF_REDRAW);
	assert_int_equal(ui.sel, 1);
	assert_string_equal(ui.sel_name, "beta");
	key(KEY_DOWN);
	key(KEY_DOWN);			/* clamped at the end */
	assert_int_equal(ui.sel, 2);
	key(KEY_HOME);
	assert_int_equal(ui.sel, 0);
	key(KEY_NPAGE);			/* page = 2 */
	assert_int_equal(ui.sel, 2);
	key(KEY_PPAGE);
	assert_int_equal(ui.sel, 0);
	key(KEY_END);
	assert_string_equal(ui.sel_name, "gamma");
	key(KEY_UP);
	assert_string_equal(ui.sel_name, "beta");
	/* no rows: nothing moves */
	assert_int_equal(top_key(&ui, KEY_DOWN, NULL, 0, 2), 0);
}

static void test_drill_down(void **state)
{
	key(KEY_DOWN);
	assert_int_equal(key('\r'), TF_DETAIL | TF_REDRAW);
	assert_int_equal(ui.mode, TM_DETAIL);
	assert_string_equal(ui.sel_name, "beta");
	/* list keys do nothing in the detail view */
	assert_int_equal(key('M'), 0);
	assert_int_equal(ui.sort, TC_CPU);
	/* help returns to where it was called from */
	key('?');
	assert_int_equal(ui.mode, TM_HELP);
	assert_int_equal(key('x'), TF_REDRAW);
	assert_int_equal(ui.mode, TM_DETAIL);
	assert_int_equal(key(ESC), TF_REDRAW);
	assert_int_equal(ui.mode, TM_LIST);
	/* Enter with nothing listed */
	assert_int_equal(top_key(&ui, '\r', NULL, 0, 2), 0);
	assert_int_equal(ui.mode, TM_LIST);
}

static void test_actions_confirm(void **state)
{
	key(KEY_DOWN);
	assert_int_equal(key('t'), TF_REDRAW);
	assert_int_equal(ui.prompt, TP_CONFIRM);
	assert_string_equal(ui.action, "throttle");
	assert_int_equal(key('y'), TF_ACTION | TF_REDRAW);
	assert_int_equal(ui.prompt, TP_NONE);
	assert_string_equal(ui.sel_name, "beta");

	ui.action[0] = '\0';		/* the loop clears it after acting */
	key('k');
	assert_string_equal(ui.action, "kill");
	assert_int_equal(key('n'), TF_REDRAW);	/* anything but y cancels */
	assert_string_equal(ui.action, "");
	assert_non_null(strstr(ui.msg, "cancelled"));

	key('r');
	assert_string_equal(ui.action, "release");
	assert_int_equal(key('Y'), TF_ACTION | TF_REDRAW);

	/* in the detail view the action is on the tenant shown */
	ui.action[0] = '\0';
	key('\r');
	key('k');
	assert_int_equal(ui.prompt, TP_CONFIRM);
	assert_int_equal(key(ESC), TF_REDRAW);
	assert_string_equal(ui.action, "");

	/* nothing selected: no prompt */
	ui.mode = TM_LIST;
	ui.sel_name[0] = '\0';
	assert_int_equal(top_key(&ui, 't', NULL, 0, 2), TF_REDRAW);
	assert_int_equal(ui.prompt, TP_NONE);
}

static void test_misc_keys(void **state)
{
	assert_int_equal(key(KEY_LEFT), TF_STEP | TF_REDRAW);
	assert_int_equal(ui.step, -1);
	assert_int_equal(key(KEY_RIGHT), TF_STEP | TF_REDRAW);
	assert_int_equal(ui.step, 1);
	assert_int_equal(key(KEY_RESIZE), TF_RESIZE | TF_REDRAW);
	assert_int_equal(key(12), TF_RESIZE | TF_REDRAW);
	assert_int_equal(key('?'), TF_REDRAW);
	assert_int_equal(ui.mode, TM_HELP);
	key(' ');			/* any key leaves help, and does nothing else */
	assert_int_equal(ui.mode, TM_LIST);
	assert_false(ui.paused);
	assert_int_equal(key('Z'), 0);	/* unbound */
	assert_non_null(top_help[0]);
}

static void test_mouse(void **state)
{
	struct top_layout l;
	int y0 = TOP_HDR_LINES;

	top_layout_make(80, &l);	/* TENANT is 13 wide, then " CPU%" */
	assert_int_equal(top_click(&ui, &l, y0, 0, false, rows, 3), TF_REBUILD | TF_REDRAW);
	assert_int_equal(ui.sort, TC_NAME);
	top_click(&ui, &l, y0, 13, false, rows, 3);	/* the blank before CPU% */
	assert_int_equal(ui.sort, TC_CPU);
	assert_true(ui.desc);
	top_click(&ui, &l, y0, 16, false, rows, 3);	/* again: inverted */
	assert_false(ui.desc);
	assert_int_equal(top_click(&ui, &l, y0, 200, false, rows, 3), 0);

	assert_int_equal(top_click(&ui, &l, y0 + 2, 3, false, rows, 3), TF_REDRAW);
	assert_string_equal(ui.sel_name, "beta");
	assert_int_equal(ui.mode, TM_LIST);
	assert_int_equal(top_click(&ui, &l, y0 + 4, 3, false, rows, 3), 0);	/* below the rows */
	assert_int_equal(top_click(&ui, &l, 1, 3, false, rows, 3), 0);		/* the summary */
	assert_int_equal(top_click(&ui, &l, y0 + 3, 3, true, rows, 3), TF_DETAIL | TF_REDRAW);
	assert_string_equal(ui.sel_name, "gamma");
	assert_int_equal(ui.mode, TM_DETAIL);
	/* clicks do nothing outside the list */
	assert_int_equal(top_click(&ui, &l, y0 + 1, 3, false, rows, 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_quit_everywhere, setup),
		cmocka_unit_test_setup(test_sort_keys, setup),
		cmocka_unit_test_setup(test_filter_prompt, setup),
		cmocka_unit_test_setup(test_topn_prompt, setup),
		cmocka_unit_test_setup(test_delay, setup),
		cmocka_unit_test_setup(test_pause, setup),
		cmocka_unit_test_setup(test_selection, setup),
		cmocka_unit_test_setup(test_drill_down, setup),
		cmocka_unit_test_setup(test_actions_confirm, setup),
		cmocka_unit_test_setup(test_misc_keys, setup),
		cmocka_unit_test_setup(test_mouse, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
