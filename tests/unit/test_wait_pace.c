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

/* a tenant's last sample: cpu %, wait behind other tenants (ms/s) */
static struct policy_input sample(double cpu, double behind)
{
	struct policy_input in = { .name = "t" };

	in.v.cpu_pct = cpu;
	in.v.suffered_ms_s = behind;
	in.v.behind_ms_s = behind;
	return in;
}

/*
 * The crowd, from t_policy_cpu_alarm's samples: the hog's 8 shells at 135 %
 * waiting 600 ms/s behind the handler, the
 * handler at 60 % waiting 100 ms/s. The hog wants more than the CPUs'
 * fair level (130 %), the handler less: only the hog's waits are held back.
 */
static void crowd_is_over_its_share(void **state)
{
	struct policy_input in[4] = {
		sample(60, 100),		/* the handler */
		sample(135, 600),		/* the hog */
		sample(NAN, 0),		/* a tenant with no sample yet */
		sample(100, 300),		/* exactly the level (x 1.1 slack): not over */
	};
	struct wait_crowd c = { 0 };
	double level = policy_cpu_level(in, 2, 2);

	(void)state;
	assert_true(fabs(level - 130) < 1e-9);
	for (int i = 0; i < 4; i++)
		wait_crowd_offer(&c, i, &in[i], false, level);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.idx[0], 1);
	/* the demands fit the CPUs: nobody contends, nobody is held back */
	in[1] = sample(125, 0);
	level = policy_cpu_level(in, 2, 2);
	assert_true(isinf(level));
	c = (struct wait_crowd){ 0 };
	wait_crowd_offer(&c, 1, &in[1], false, level);
	assert_int_equal(c.n, 0);
	/*
	 * Four equal single threads on 2 CPUs (t_robust_maps): all want a
	 * whole CPU, twice the level, whatever share the sample gave them;
	 * none of their waits sounds an alarm.
	 */
	in[0] = sample(92, 80);
	in[1] = sample(8, 920);
	in[2] = sample(50, 500);
	in[3] = sample(50, 500);
	level = policy_cpu_level(in, 4, 2);
	c = (struct wait_crowd){ 0 };
	for (int i = 0; i < 4; i++)
		wait_crowd_offer(&c, i, &in[i], false, level);
	assert_int_equal(c.n, 4);
}

/*
 * A tenant on a CPU rung is in the crowd whatever its CPU (the hog on
 * cpu.idle at 3 %, waiting behind the handler), and first: a full crowd
 * drops the least contending tenant, never a demoted one.
 */
static void crowd_demoted_first_and_full(void **state)
{
	struct wait_crowd c = { 0 };
	struct policy_input in;
	double level = 80;

	(void)state;
	for (int i = 0; i < WAIT_CROWD_MAX; i++) {
		in = sample(90 + i, 0);
		wait_crowd_offer(&c, 10 + i, &in, false, level);
	}
	assert_int_equal(c.n, WAIT_CROWD_MAX);
	assert_int_equal(c.idx[0], 10 + WAIT_CROWD_MAX - 1);	/* most demand first */
	assert_int_equal(c.idx[WAIT_CROWD_MAX - 1], 10);
	in = sample(3, 900);				/* demoted, nearly idle */
	wait_crowd_offer(&c, 1, &in, true, level);
	assert_int_equal(c.n, WAIT_CROWD_MAX);
	assert_int_equal(c.idx[0], 1);
	assert_int_equal(c.idx[WAIT_CROWD_MAX - 1], 11);	/* 90 % fell off */
	in = sample(85, 0);				/* under the slack: not in */
	wait_crowd_offer(&c, 2, &in, false, level);
	assert_int_equal(c.idx[WAIT_CROWD_MAX - 1], 11);
	in = sample(100, 4000);			/* more than all: after the demoted */
	wait_crowd_offer(&c, 3, &in, false, level);
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
