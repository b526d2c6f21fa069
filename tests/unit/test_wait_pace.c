// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_wait_pace.c - src/quelld/wait_pace.c with literal times: when the
 * wait alarm takes an early tick (WAIT_PACE_SAMPLE_MS after the last tick
 * at the earliest, at once after a long one), and how fruitless early
 * ticks pause it.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wait_pace.h"

#define MS	1000000ULL
#define S	(1000 * MS)

static void due_times(void **state)
{
	struct wait_pace p = { 0 };

	(void)state;
	/* nothing asked */
	assert_int_equal(wait_pace_due(&p, 10 * S), 0);
	/* an alarm 30 ms after a tick: the tick 100 ms after that one */
	assert_true(wait_pace_alarm(&p, 10 * S + 30 * MS));
	assert_int_equal(wait_pace_due(&p, 10 * S), 10 * S + 100 * MS);
	/* more alarms change nothing (the first asked) */
	assert_false(wait_pace_alarm(&p, 10 * S + 90 * MS));
	assert_int_equal(wait_pace_due(&p, 10 * S), 10 * S + 100 * MS);
	/* any tick clears it; a regular one 50 ms later moves the next one too */
	wait_pace_tick(&p, 10 * S + 50 * MS, false, false);
	assert_int_equal(wait_pace_due(&p, 10 * S + 50 * MS), 0);
	assert_true(wait_pace_alarm(&p, 10 * S + 70 * MS));
	assert_int_equal(wait_pace_due(&p, 10 * S + 50 * MS), 10 * S + 150 * MS);
	/* an alarm 700 ms after the last tick: at once */
	wait_pace_tick(&p, 11 * S, false, false);
	assert_true(wait_pace_alarm(&p, 11 * S + 700 * MS));
	assert_int_equal(wait_pace_due(&p, 11 * S), 11 * S + 700 * MS);
	/* a regular tick is no early one: counts nothing */
	assert_false(wait_pace_tick(&p, 12 * S, false, false));
	assert_int_equal(p.early_ns, 0);
	assert_int_equal(p.fruitless, 0);
}

static void fruitless_pause(void **state)
{
	struct wait_pace p = { 0 };
	uint64_t t = 100 * S;

	(void)state;
	/* WAIT_PACE_FRUITLESS early ticks in a row that enter nothing: a pause */
	for (int i = 0; i < WAIT_PACE_FRUITLESS; i++) {
		assert_true(wait_pace_alarm(&p, t));
		t += 200 * MS;
		/* the last of them begins the pause, none before */
		assert_int_equal(wait_pace_tick(&p, t, true, false), i == WAIT_PACE_FRUITLESS - 1);
	}
	assert_int_equal(p.pause_until_ns, t + WAIT_PACE_PAUSE_MS * MS);
	/* alarms during the pause ask for nothing */
	assert_false(wait_pace_alarm(&p, t + 10 * MS));
	assert_false(wait_pace_alarm(&p, t + WAIT_PACE_PAUSE_MS * MS - 1));
	assert_int_equal(wait_pace_due(&p, t), 0);
	/* after it, they do again */
	assert_true(wait_pace_alarm(&p, t + WAIT_PACE_PAUSE_MS * MS));
	assert_int_equal(p.pause_until_ns, 0);
}

static void rung_or_quiet_breaks_the_run(void **state)
{
	struct wait_pace p = { 0 };
	uint64_t t = 100 * S;

	(void)state;
	/* one short of a pause, then an early tick that entered a rung: counting starts over */
	for (int i = 0; i < WAIT_PACE_FRUITLESS - 1; i++) {
		wait_pace_alarm(&p, t);
		t += 200 * MS;
		wait_pace_tick(&p, t, true, false);
	}
	wait_pace_alarm(&p, t);
	t += 200 * MS;
	wait_pace_tick(&p, t, true, true);
	assert_int_equal(p.fruitless, 0);
	/* one short again, then a quiet spell longer than WAIT_PACE_RUN_MS */
	for (int i = 0; i < WAIT_PACE_FRUITLESS - 1; i++) {
		wait_pace_alarm(&p, t);
		t += 200 * MS;
		wait_pace_tick(&p, t, true, false);
	}
	t += WAIT_PACE_RUN_MS * MS + 1;
	wait_pace_alarm(&p, t);
	assert_false(wait_pace_tick(&p, t, true, false));
	assert_int_equal(p.fruitless, 1);
	assert_int_equal(p.pause_until_ns, 0);
	assert_true(wait_pace_alarm(&p, t + 1));
}

/*
 * A release ends a pause: in t_policy_cpu_alarm the handler kept waiting
 * behind the demoted hog (7-11 ms per 100 ms), 4 fruitless early ticks
 * paused the alarm for 15 s, and the next run's hog, after the first
 * one's release, was demoted by the 1 s window 1.37 s after its start
 * instead of at an early tick (CI rehearsal of 2026-12-03: 1.327 s).
 */
static void release_ends_the_pause(void **state)
{
	struct wait_pace p = { 0 };
	uint64_t t = 100 * S;

	(void)state;
	assert_false(wait_pace_resume(&p));		/* nothing to end */
	for (int i = 0; i < WAIT_PACE_FRUITLESS; i++) {
		wait_pace_alarm(&p, t);
		t += 200 * MS;
		wait_pace_tick(&p, t, true, false);
	}
	assert_true(p.pause_until_ns > t);
	assert_false(wait_pace_alarm(&p, t + 3 * S));	/* paused */
	assert_true(wait_pace_resume(&p));
	assert_int_equal(p.fruitless, 0);
	assert_true(wait_pace_alarm(&p, t + 4 * S));	/* the next hog's alarm asks again */
	assert_int_equal(wait_pace_due(&p, t + 3900 * MS), t + 4 * S);
}

/*
 * The crowd, from t_policy_cpu_alarm's samples: the hog at 135 % and the
 * handler at 60 % of the 2 cores. The hog is over its share (100 %), the
 * handler is not: only the hog's waits are held back.
 */
static void crowd_is_over_its_share(void **state)
{
	struct wait_crowd c = { 0 };
	double fair = wait_crowd_fair(2, 2);

	(void)state;
	assert_true(fair == 100.0);
	wait_crowd_offer(&c, 0, 60.0, false, fair);	/* the handler */
	wait_crowd_offer(&c, 1, 135.0, false, fair);	/* the hog */
	wait_crowd_offer(&c, 2, NAN, false, fair);	/* a tenant with no sample yet */
	wait_crowd_offer(&c, 3, 100.0, false, fair);	/* exactly its share: not over */
	assert_int_equal(c.n, 1);
	assert_int_equal(c.idx[0], 1);
	/* one busy tenant, or none: all the cores are its share, nobody is over */
	assert_true(wait_crowd_fair(2, 1) == 200.0);
	assert_true(wait_crowd_fair(2, 0) == 200.0);
	assert_true(wait_crowd_fair(0, 3) == 100.0 / 3);
	c = (struct wait_crowd){ 0 };
	wait_crowd_offer(&c, 0, 190.0, false, wait_crowd_fair(2, 1));
	assert_int_equal(c.n, 0);
}

/*
 * A tenant on a CPU rung is in the crowd whatever its CPU (the hog on
 * cpu.idle at 3 %, waiting behind the handler), and first: a full crowd
 * drops the smallest over-share tenant, never a demoted one.
 */
static void crowd_demoted_first_and_full(void **state)
{
	struct wait_crowd c = { 0 };
	double fair = wait_crowd_fair(32, 40);	/* 80 % */

	(void)state;
	for (int i = 0; i < WAIT_CROWD_MAX; i++)
		wait_crowd_offer(&c, 10 + i, 90.0 + i, false, fair);
	assert_int_equal(c.n, WAIT_CROWD_MAX);
	assert_int_equal(c.idx[0], 10 + WAIT_CROWD_MAX - 1);	/* most CPU first */
	assert_int_equal(c.idx[WAIT_CROWD_MAX - 1], 10);
	wait_crowd_offer(&c, 1, 3.0, true, fair);		/* demoted, nearly idle */
	assert_int_equal(c.n, WAIT_CROWD_MAX);
	assert_int_equal(c.idx[0], 1);
	assert_int_equal(c.idx[WAIT_CROWD_MAX - 1], 11);	/* 90 % fell off */
	wait_crowd_offer(&c, 2, 85.0, false, fair);		/* less than all: not in */
	assert_int_equal(c.idx[WAIT_CROWD_MAX - 1], 11);
	wait_crowd_offer(&c, 3, 500.0, false, fair);		/* more than all: after the demoted */
	assert_int_equal(c.idx[0], 1);
	assert_int_equal(c.idx[1], 3);
	for (int i = 0; i < WAIT_CROWD_MAX; i++)
		assert_int_not_equal(c.idx[i], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(due_times),
		cmocka_unit_test(fruitless_pause),
		cmocka_unit_test(rung_or_quiet_breaks_the_run),
		cmocka_unit_test(release_ends_the_pause),
		cmocka_unit_test(crowd_is_over_its_share),
		cmocka_unit_test(crowd_demoted_first_and_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
