// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_notify_cmd.c - the [notify] rate limit and summary decision
 * (notify_rate_action / notify_rate_due), driven by literal timelines.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "notify_cmd.h"

#define W	60000	/* window, ms */

static struct notify_rate *rate_new(void)
{
	struct notify_rate *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	return r;
}

/* N per window run, the rest is suppressed, one summary when the window ends */
static void test_limit_then_summary(void **state)
{
	struct notify_rate *r = rate_new();
	struct notify_rate_ent s;

	assert_int_equal(notify_rate_action(r, "alice", 1000, W, 3, true), NV_RUN);
	assert_int_equal(notify_rate_action(r, "alice", 2000, W, 3, true), NV_RUN);
	assert_int_equal(notify_rate_action(r, "alice", 3000, W, 3, true), NV_RUN);
	assert_int_equal(notify_rate_action(r, "alice", 4000, W, 3, true), NV_SUPPRESS);
	assert_int_equal(notify_rate_action(r, "alice", 60999, W, 3, true), NV_SUPPRESS);
	/* the window opened at 1000 by the first action: not over at 60999 */
	assert_false(notify_rate_due(r, 60999, W, &s));
	assert_int_equal(r->nr, 1);
	memset(&s, 0, sizeof(s));
	assert_true(notify_rate_due(r, 61000, W, &s));
	assert_string_equal(s.tenant, "alice");
	assert_int_equal(s.sum_n, 2);
	assert_true(s.sum_from_ms == 1000 && s.sum_to_ms == 61000);
	/* said once, and the tenant forgotten */
	assert_false(notify_rate_due(r, 61000, W, &s));
	assert_false(notify_rate_due(r, 200000, W, &s));
	assert_int_equal(r->nr, 0);
	/* a new window: runs again */
	assert_int_equal(notify_rate_action(r, "alice", 61001, W, 3, true), NV_RUN);
	free(r);
}

/* a window with nothing suppressed ends silently */
static void test_quiet_window_no_summary(void **state)
{
	struct notify_rate *r = rate_new();
	struct notify_rate_ent s;

	assert_int_equal(notify_rate_action(r, "bob", 0, W, 5, true), NV_RUN);
	assert_int_equal(notify_rate_action(r, "bob", 59999, W, 5, true), NV_RUN);
	assert_false(notify_rate_due(r, 60000, W, &s));
	assert_int_equal(r->nr, 0);
	free(r);
}

/* 1,000 actions in a minute: 5 commands and one summary of 995 */
static void test_flood_is_bounded(void **state)
{
	struct notify_rate *r = rate_new();
	struct notify_rate_ent s;
	int run = 0, sup = 0, summaries = 0, summarised = 0;

	for (int i = 0; i < 1000; i++) {
		uint64_t t = 5000 + (uint64_t)i * 60;	/* 5.000 s .. 64.940 s */

		if (notify_rate_action(r, "alice", t, W, 5, true) == NV_RUN)
			run++;
		else
			sup++;
		/* the tick, once a second */
		if (t % 1000 == 0)
			while (notify_rate_due(r, t, W, &s)) {
				summaries++;
				summarised += (int)s.sum_n;
			}
	}
	for (uint64_t t = 65000; t <= 130000; t += 1000)
		while (notify_rate_due(r, t, W, &s)) {
			summaries++;
			summarised += (int)s.sum_n;
		}
	/* window 1 = [5000, 65000): 1000 actions, all in it */
	assert_int_equal(run, 5);
	assert_int_equal(sup, 995);
	assert_int_equal(summaries, 1);
	assert_int_equal(summarised, 995);
	assert_int_equal(r->nr, 0);
	free(r);
}

/* tenants are limited apart */
static void test_tenants_apart(void **state)
{
	struct notify_rate *r = rate_new();
	struct notify_rate_ent s;

	assert_int_equal(notify_rate_action(r, "a", 0, W, 1, true), NV_RUN);
	assert_int_equal(notify_rate_action(r, "a", 10, W, 1, true), NV_SUPPRESS);
	assert_int_equal(notify_rate_action(r, "b", 20, W, 1, true), NV_RUN);
	assert_int_equal(notify_rate_action(r, "b", 30, W, 1, true), NV_SUPPRESS);
	assert_int_equal(notify_rate_action(r, "b", 40, W, 1, true), NV_SUPPRESS);
	assert_true(notify_rate_due(r, 60020, W, &s));
	assert_string_equal(s.tenant, "a");
	assert_int_equal(s.sum_n, 1);
	assert_true(notify_rate_due(r, 60020, W, &s));
	assert_string_equal(s.tenant, "b");
	assert_int_equal(s.sum_n, 2);
	assert_false(notify_rate_due(r, 60020, W, &s));
	free(r);
}

/* no free command slot: suppressed (so summarised), and the quota is not used up */
static void test_no_room_is_summarised(void **state)
{
	struct notify_rate *r = rate_new();
	struct notify_rate_ent s;

	assert_int_equal(notify_rate_action(r, "c", 0, W, 2, false), NV_SUPPRESS);
	assert_int_equal(notify_rate_action(r, "c", 1, W, 2, true), NV_RUN);
	assert_int_equal(notify_rate_action(r, "c", 2, W, 2, true), NV_RUN);
	assert_int_equal(notify_rate_action(r, "c", 3, W, 2, true), NV_SUPPRESS);
	assert_true(notify_rate_due(r, W, W, &s));
	assert_int_equal(s.sum_n, 2);
	free(r);
}

/*
 * An action after the window's end comes before the tick that would close
 * it: it opens the next window, and the old window's count waits as the
 * pending summary, nothing lost. A summary that could not run (no slot)
 * and the next window's suppressed actions become one summary.
 */
static void test_window_rollover_and_merge(void **state)
{
	struct notify_rate *r = rate_new();
	struct notify_rate_ent s;

	assert_int_equal(notify_rate_action(r, "d", 0, W, 1, true), NV_RUN);
	assert_int_equal(notify_rate_action(r, "d", 100, W, 1, true), NV_SUPPRESS);
	assert_int_equal(notify_rate_action(r, "d", 200, W, 1, true), NV_SUPPRESS);
	/* 60000: a new window, before any tick */
	assert_int_equal(notify_rate_action(r, "d", 60000, W, 1, true), NV_RUN);
	assert_int_equal(notify_rate_action(r, "d", 60100, W, 1, true), NV_SUPPRESS);
	assert_int_equal(r->nr, 1);
	assert_int_equal(r->ent[0].sum_n, 2);
	/* no tick fetched it (no slot); the second window closes at 120000 */
	assert_true(notify_rate_due(r, 120000, W, &s));
	assert_int_equal(s.sum_n, 3);
	assert_true(s.sum_from_ms == 0 && s.sum_to_ms == 120000);
	assert_int_equal(r->nr, 0);

	/* a summary fetched while the next window is open keeps that window */
	assert_int_equal(notify_rate_action(r, "d", 200000, W, 1, true), NV_RUN);
	assert_int_equal(notify_rate_action(r, "d", 200001, W, 1, true), NV_SUPPRESS);
	assert_int_equal(notify_rate_action(r, "d", 260000, W, 1, true), NV_RUN);
	assert_true(notify_rate_due(r, 260500, W, &s));
	assert_int_equal(s.sum_n, 1);
	assert_int_equal(r->nr, 1);
	assert_int_equal(notify_rate_action(r, "d", 260600, W, 1, true), NV_SUPPRESS);
	free(r);
}

/* more tenants than the table: counted apart, and the table frees up */
static void test_table_full(void **state)
{
	struct notify_rate *r = rate_new();
	struct notify_rate_ent s;
	char name[32];

	for (int i = 0; i < NOTIFY_RATE_MAX; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		assert_int_equal(notify_rate_action(r, name, 0, W, 1, true), NV_RUN);
	}
	assert_int_equal(notify_rate_action(r, "late", 5, W, 1, true), NV_UNTRACKED);
	assert_true(r->untracked == 1);
	assert_false(notify_rate_due(r, W, W, &s));	/* quiet windows: dropped */
	assert_int_equal(r->nr, 0);
	assert_int_equal(notify_rate_action(r, "late", W, W, 1, true), NV_RUN);
	free(r);
}

/* the command file: what quelld agrees to run, as root or as user 1500 */
static void test_file_ok(void **state)
{
	static const struct { mode_t mode; uid_t owner, run_as; int ret; } cases[] = {
		{ S_IFREG | 0755, 0, 0, 0 },
		{ S_IFREG | 0700, 0, 1500, 0 },		/* root's file, run as 1500 */
		{ S_IFREG | 0750, 1500, 1500, 0 },	/* the user's own file */
		{ S_IFREG | 0755, 1500, 0, -EPERM },	/* a user's file, run as root */
		{ S_IFREG | 0755, 1600, 1500, -EPERM },	/* somebody else's */
		{ S_IFREG | 0775, 0, 0, -EPERM },	/* group-writable */
		{ S_IFREG | 0757, 0, 0, -EPERM },	/* world-writable */
		{ S_IFREG | 0644, 0, 0, -EACCES },	/* not executable */
		{ S_IFDIR | 0755, 0, 0, -EINVAL },
		{ S_IFIFO | 0755, 0, 0, -EINVAL },
	};
	char why[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stat st = { .st_mode = cases[i].mode, .st_uid = cases[i].owner };
		int ret;

		why[0] = '\0';
		ret = notify_cmd_file_ok(&st, cases[i].run_as, why, sizeof(why));
		if (ret != cases[i].ret)
			fail_msg("case %zu: %d, want %d (%s)", i, ret, cases[i].ret, why);
		assert_true(ret ? why[0] != '\0' : 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_then_summary),
		cmocka_unit_test(test_quiet_window_no_summary),
		cmocka_unit_test(test_flood_is_bounded),
		cmocka_unit_test(test_tenants_apart),
		cmocka_unit_test(test_no_room_is_summarised),
		cmocka_unit_test(test_window_rollover_and_merge),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_file_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
