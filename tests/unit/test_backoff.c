// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_backoff.c - src/quelld/backoff.c with literal values: when a limit
 * write that failed is tried again (1 s doubling to 60 s, sooner when its
 * obstacle is gone) and when its failure is logged again (a new run, a new
 * error, or a minute). act.c's use of it against a fake tree is
 * tests/unit/test_enforcer.c test_failed_write_backoff.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "backoff.h"

static void delays(void **state)
{
	(void)state;
	assert_int_equal(backoff_delay_ms(0), 1000);
	assert_int_equal(backoff_delay_ms(1), 1000);
	assert_int_equal(backoff_delay_ms(2), 2000);
	assert_int_equal(backoff_delay_ms(3), 4000);
	assert_int_equal(backoff_delay_ms(5), 16000);
	assert_int_equal(backoff_delay_ms(6), 32000);
	assert_int_equal(backoff_delay_ms(7), 60000);	/* 64 s capped */
	assert_int_equal(backoff_delay_ms(8), 60000);
	assert_int_equal(backoff_delay_ms(255), 60000);
	assert_int_equal(backoff_delay_ms(~0u), 60000);
}

static void due(void **state)
{
	(void)state;
	/* never failed: always */
	assert_true(backoff_due(0, 5000, 5000, false));
	/* failed once at 10 s: not on the tick 1 ms or 900 ms later, yes on the next tick */
	assert_false(backoff_due(1, 10000, 10001, false));
	assert_false(backoff_due(1, 10000, 10900, false));
	assert_true(backoff_due(1, 10000, 10990, false));	/* a tick 10 ms early */
	assert_true(backoff_due(1, 10000, 11000, false));
	/* third failure in a row: 4 s */
	assert_false(backoff_due(3, 10000, 12000, false));
	assert_false(backoff_due(3, 10000, 13000, false));
	assert_true(backoff_due(3, 10000, 14000, false));
	/* long runs: once a minute */
	assert_false(backoff_due(200, 10000, 60000, false));
	assert_true(backoff_due(200, 10000, 70000, false));
}

/* the memory under the refused limit again: after a second, whatever the run */
static void due_when_fits(void **state)
{
	(void)state;
	assert_false(backoff_due(200, 10000, 10500, true));
	assert_true(backoff_due(200, 10000, 11000, true));
	assert_true(backoff_due(4, 10000, 11000, true));
	assert_false(backoff_due(4, 10000, 11000, false));
}

/* mono ms mod 2^32: a failure just before the wrap, the clock just after */
static void due_across_wrap(void **state)
{
	(void)state;
	assert_false(backoff_due(1, UINT32_MAX - 100, 500, false));	/* 601 ms later */
	assert_true(backoff_due(1, UINT32_MAX - 100, 1000, false));	/* 1101 ms later */
	assert_false(backoff_warn(true, -EBUSY, -EBUSY, UINT32_MAX - 100, 59000));
	assert_true(backoff_warn(true, -EBUSY, -EBUSY, UINT32_MAX - 100, 60000));
}

static void warn(void **state)
{
	(void)state;
	/* the first failure of a run, whatever the clock */
	assert_true(backoff_warn(false, 0, -EBUSY, 0, 0));
	assert_true(backoff_warn(false, -EBUSY, -EBUSY, 1000, 1001));
	/* the same error again: not within a minute of the last warning */
	assert_false(backoff_warn(true, -EBUSY, -EBUSY, 1000, 2000));
	assert_false(backoff_warn(true, -EBUSY, -EBUSY, 1000, 60999));
	assert_true(backoff_warn(true, -EBUSY, -EBUSY, 1000, 61000));
	/* another error: at once */
	assert_true(backoff_warn(true, -EBUSY, -EINVAL, 1000, 2000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(delays),
		cmocka_unit_test(due),
		cmocka_unit_test(due_when_fits),
		cmocka_unit_test(due_across_wrap),
		cmocka_unit_test(warn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
