// SPDX-License-Identifier: GPL-2.0-only
/* test_policy_config.c - [policy] and [rule:NAME] keys, defaults, every error path. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

static char err[256];

static int kv(struct policy_config *pc, const char *sec, const char *k, const char *v)
{
	err[0] = '\0';
	return policy_parse_kv(pc, sec, k, v, err, sizeof(err));
}

static void test_defaults(void **state)
{
	struct policy_config pc;
	const struct policy_rule *r;
	int i;

	(void)state;
	policy_config_init(&pc);
	assert_int_equal(policy_config_finish(&pc, err, sizeof(err)), 0);
	assert_true(pc.enabled);
	assert_int_equal(pc.dry_run, 0);
	assert_true(pc.release_on_exit);
	assert_int_equal(pc.nr_rules, 4);
	for (i = 0; i < pc.nr_rules; i++) {
		assert_true(pc.rules[i].enabled);	/* every embedded ladder parsed */
		assert_true(pc.rules[i].nr_steps > 0);
		assert_int_not_equal(pc.rules[i].signal, PS_NONE);	/* neighbours must suffer */
	}
	i = policy_rule_find(&pc, "cpu-hog");
	assert_int_equal(i, 0);
	r = &pc.rules[i];
	assert_int_equal(r->metric, PM_CPU_PCT);
	assert_true(r->above == 80);
	assert_int_equal(r->for_ms, 10000);
	assert_int_equal(r->signal, PS_SUFFERED_MAX);
	assert_true(r->while_above == 10);
	assert_int_equal(pc.rules[policy_rule_find(&pc, "io-hog")].signal, PS_PSI_IO);
	assert_int_equal(r->calm_ms, 30000);
	/* the gentle rung first (issue 14): cpu.idle, entered after 1 s, held 10 s */
	assert_int_equal(r->gentle_for_ms, 1000);
	assert_int_equal(r->nr_steps, 5);
	assert_int_equal(r->steps[0].kind, PSTEP_THROTTLE);
	assert_true(r->steps[0].gentle);
	assert_int_equal(r->steps[0].lim.set, LIM_CPU_IDLE);
	assert_int_equal(r->steps[0].lim.cpu_idle, 1);
	assert_int_equal(r->steps[0].dur_ms, 10000);
	assert_false(r->steps[1].gentle);
	assert_true(r->steps[1].lim.cpu_pct == 50);
	assert_int_equal(r->steps[1].dur_ms, 60000);
	assert_true(r->steps[2].lim.cpu_pct == 25);
	assert_int_equal(r->steps[2].dur_ms, 300000);
	assert_int_equal(r->steps[3].kind, PSTEP_FREEZE);
	assert_int_equal(r->steps[4].kind, PSTEP_KILL);
	r = &pc.rules[policy_rule_find(&pc, "mem-growth")];
	assert_true(r->steps[0].mem_hold_current);
	assert_false(r->steps[0].gentle);
	assert_int_equal(r->signal, PS_REFAULT);
	assert_int_equal(r->for_ms, 3000);
	assert_true(r->urgent_above == 2560);
	assert_int_equal(r->urgent_signal, PS_NONE);	/* its own signal: refault */
	assert_int_equal(r->urgent_for_ms, 500);	/* two samples, the second maybe early */
	/*
	 * caps without a gentle rung keep a window a < 2 s burst cannot fill,
	 * unless the neighbours stall hard (urgent_above): then 1 s, rung 1 only
	 */
	r = &pc.rules[policy_rule_find(&pc, "io-hog")];
	assert_int_equal(r->for_ms, 3000);
	/* the neighbours' IO stall per request, not their stall share (docs/policy.md) */
	assert_int_equal(r->urgent_signal, PS_IO_WAIT);
	assert_true(r->urgent_above == 0.1);
	assert_int_equal(r->urgent_for_ms, 1000);
	r = &pc.rules[policy_rule_find(&pc, "fork-storm")];
	assert_int_equal(r->for_ms, 3000);
	assert_true(r->urgent_above == 0);	/* off */
	/* the fork alarm leads to a gentle rung, the cap after it (docs/policy.md) */
	assert_true(r->alarm);
	assert_true(r->steps[0].gentle);
	assert_int_equal(r->steps[0].lim.set, LIM_CPU_IDLE);
	assert_int_equal(r->steps[0].dur_ms, 3000);
	assert_int_equal(r->steps[1].lim.set, LIM_NPROC);
	assert_true(pc.alarm_forks == 1000);
	assert_int_equal(pc.alarm_wait_ms, 5);
	for (i = 0; i < pc.nr_rules; i++)
		assert_true(pc.rules[i].alarm == !strcmp(pc.rules[i].name, "fork-storm"));
	/* cpu-hog: the gentle rung at once past 50 ms/s of a neighbour's wait */
	r = &pc.rules[policy_rule_find(&pc, "cpu-hog")];
	assert_true(r->urgent_above == 50);
	assert_int_equal(r->urgent_for_ms, 0);
	assert_int_equal(r->urgent_signal, PS_NONE);
	assert_true(pc.manual_lim.cpu_pct == 25);
}

static void test_policy_keys(void **state)
{
	struct policy_config pc;

	(void)state;
	policy_config_init(&pc);
	assert_int_equal(kv(&pc, "policy", "dry_run", "yes"), 0);
	assert_int_equal(pc.dry_run, 1);
	assert_int_equal(kv(&pc, "policy", "enabled", "off"), 0);
	assert_false(pc.enabled);
	assert_int_equal(kv(&pc, "policy", "release_on_exit", "no"), 0);
	assert_false(pc.release_on_exit);
	assert_int_equal(kv(&pc, "policy", "forget", "1h"), 0);
	assert_int_equal(pc.forget_ms, 3600000);
	assert_int_equal(kv(&pc, "policy", "saturation", "90%"), 0);
	assert_true(fabs(pc.saturation - 0.9) < 1e-9);
	assert_int_equal(kv(&pc, "policy", "saturation", "0.5"), 0);
	assert_true(pc.saturation == 0.5);
	assert_int_equal(kv(&pc, "policy", "throttle_limits", "cpu=10% io=1M"), 0);
	assert_true(pc.manual_lim.cpu_pct == 10);
	assert_int_equal(pc.manual_lim.io_rbps, 1 << 20);
	assert_int_equal(kv(&pc, "policy", "throttle_for", "5m"), 0);
	assert_int_equal(pc.manual_ms, 300000);
}

static void test_policy_key_errors(void **state)
{
	struct policy_config pc;

	(void)state;
	policy_config_init(&pc);
	assert_int_equal(kv(&pc, "policy", "bogus", "1"), -ENOENT);
	assert_non_null(strstr(err, "bogus"));
	assert_int_equal(kv(&pc, "policy", "dry_run", "maybe"), -EINVAL);
	assert_non_null(strstr(err, "dry_run"));
	assert_int_equal(kv(&pc, "policy", "forget", "soon"), -EINVAL);
	assert_int_equal(kv(&pc, "policy", "saturation", "2"), -EINVAL);
	assert_int_equal(kv(&pc, "policy", "saturation", "0"), -EINVAL);
	assert_int_equal(kv(&pc, "policy", "throttle_limits", "freeze"), -EINVAL);
	assert_int_equal(kv(&pc, "policy", "throttle_limits", "cpu=lots"), -EINVAL);
	assert_int_equal(kv(&pc, "policy", "throttle_for", "0"), -EINVAL);
	assert_int_equal(kv(&pc, "nosuch", "x", "1"), -ENOENT);
	assert_int_equal(policy_parse_kv(&pc, NULL, "x", "1", err, sizeof(err)), -EINVAL);
}

static void test_new_rule(void **state)
{
	struct policy_config pc;
	const struct policy_rule *r;

	(void)state;
	policy_config_init(&pc);
	assert_int_equal(kv(&pc, "rule:io2", "metric", "iops"), 0);
	assert_int_equal(kv(&pc, "rule:io2", "above", "2k"), 0);
	assert_int_equal(kv(&pc, "rule:io2", "while", "psi_io"), 0);
	assert_int_equal(kv(&pc, "rule:io2", "while_above", "20%"), 0);
	assert_int_equal(kv(&pc, "rule:io2", "steps", "iops=100 for 2m, kill"), 0);
	assert_int_equal(kv(&pc, "rule:io2", "dry_run", "yes"), 0);
	assert_int_equal(policy_config_finish(&pc, err, sizeof(err)), 0);
	assert_int_equal(pc.nr_rules, 5);
	r = &pc.rules[policy_rule_find(&pc, "io2")];
	assert_true(r->above == 2048);	/* sizes are powers of 1024 */
	assert_true(r->while_above == 20);
	assert_true(r->dry_run);
	assert_int_equal(r->steps[0].dur_ms, 120000);
	assert_int_equal(r->steps[0].lim.io_riops, 100);
	assert_int_equal(r->steps[1].kind, PSTEP_KILL);
	assert_int_equal(r->steps[1].dur_ms, 0);
}

static void test_rule_missing_keys(void **state)
{
	struct policy_config pc;

	(void)state;
	policy_config_init(&pc);
	assert_int_equal(kv(&pc, "rule:x", "metric", "cpu_pct"), 0);
	assert_int_equal(kv(&pc, "rule:x", "above", "90"), 0);
	assert_int_equal(kv(&pc, "rule:x", "steps", "cpu=10%"), 0);
	assert_int_equal(policy_config_finish(&pc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[rule:x]"));
	assert_non_null(strstr(err, "while"));

	policy_config_init(&pc);
	assert_int_equal(kv(&pc, "rule:y", "while", "none"), 0);
	assert_int_equal(policy_config_finish(&pc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "metric"));
}

static void test_override_builtin_and_drop_defaults(void **state)
{
	struct policy_config pc;

	(void)state;
	policy_config_init(&pc);
	assert_int_equal(kv(&pc, "rule:cpu-hog", "above", "150"), 0);
	assert_int_equal(kv(&pc, "policy", "default_rules", "no"), 0);
	assert_int_equal(policy_config_finish(&pc, err, sizeof(err)), 0);
	assert_int_equal(pc.nr_rules, 1);	/* only the rule named in the file stays */
	assert_string_equal(pc.rules[0].name, "cpu-hog");
	assert_true(pc.rules[0].above == 150);
	assert_int_equal(pc.rules[0].nr_steps, 5);	/* the rest keeps its defaults */
}

/*
 * The fork alarm's keys: [policy] alarm_forks (forks/s, 0 off) and
 * alarm_wait (a duration), and a rule's alarm, which needs metric forks_s
 * and a gentle first step. fork-storm given other steps in the file loses
 * its built-in alarm; asking for it then is an error.
 */
/*
 * The wait alarm (docs/policy.md "The wait alarm"): [policy] wait_alarm,
 * and whether a rule would use its early tick: an urgent way on the
 * neighbours' waits (cpu-hog's by default), with the policy on.
 */
static void test_wait_alarm_key(void **state)
{
	struct policy_config pc;
	int hog;

	(void)state;
	policy_config_init(&pc);
	assert_true(pc.wait_alarm);
	assert_true(policy_wait_alarm_wanted(&pc));
	assert_int_equal(kv(&pc, "policy", "wait_alarm", "no"), 0);
	assert_false(pc.wait_alarm);
	assert_false(policy_wait_alarm_wanted(&pc));
	assert_int_equal(kv(&pc, "policy", "wait_alarm", "sometimes"), -EINVAL);
	assert_false(pc.wait_alarm);	/* a bad value changes nothing */
	assert_int_equal(kv(&pc, "policy", "wait_alarm", "yes"), 0);
	assert_true(policy_wait_alarm_wanted(&pc));

	/* the policy off */
	assert_int_equal(kv(&pc, "policy", "enabled", "no"), 0);
	assert_false(policy_wait_alarm_wanted(&pc));
	assert_int_equal(kv(&pc, "policy", "enabled", "yes"), 0);

	/* cpu-hog without its urgent way, or off: no rule reads the early tick */
	hog = policy_rule_find(&pc, "cpu-hog");
	assert_int_equal(kv(&pc, "rule:cpu-hog", "urgent_above", "0"), 0);
	assert_false(policy_wait_alarm_wanted(&pc));
	assert_int_equal(kv(&pc, "rule:cpu-hog", "urgent_above", "50"), 0);
	assert_true(policy_wait_alarm_wanted(&pc));
	pc.rules[hog].enabled = false;
	assert_false(policy_wait_alarm_wanted(&pc));
	pc.rules[hog].enabled = true;
	/* an urgent way on another signal does not count */
	assert_int_equal(kv(&pc, "rule:cpu-hog", "urgent_while", "psi_io"), 0);
	assert_false(policy_wait_alarm_wanted(&pc));
	assert_int_equal(kv(&pc, "rule:cpu-hog", "urgent_while", "suffered_sum"), 0);
	assert_true(policy_wait_alarm_wanted(&pc));
}

static void test_alarm_keys(void **state)
{
	struct policy_config pc;
	int fs;

	(void)state;
	policy_config_init(&pc);
	assert_int_equal(kv(&pc, "policy", "alarm_forks", "0"), 0);
	assert_true(pc.alarm_forks == 0);
	assert_int_equal(kv(&pc, "policy", "alarm_forks", "2500"), 0);
	assert_true(pc.alarm_forks == 2500);
	assert_int_equal(kv(&pc, "policy", "alarm_forks", "many"), -EINVAL);
	assert_non_null(strstr(err, "forks per second"));
	assert_int_equal(kv(&pc, "policy", "alarm_forks", "50%"), -EINVAL);
	assert_int_equal(kv(&pc, "policy", "alarm_forks", "-1"), -EINVAL);
	assert_true(pc.alarm_forks == 2500);	/* a bad value changes nothing */
	assert_int_equal(kv(&pc, "policy", "alarm_wait", "50ms"), 0);
	assert_int_equal(pc.alarm_wait_ms, 50);
	assert_int_equal(kv(&pc, "policy", "alarm_wait", "0"), -EINVAL);
	assert_int_equal(kv(&pc, "policy", "alarm_wait", "1m"), -EINVAL);
	assert_int_equal(kv(&pc, "policy", "alarm_wait", "soon"), -EINVAL);

	/* fork-storm with steps of its own: they stay, the alarm goes */
	policy_config_init(&pc);
	fs = policy_rule_find(&pc, "fork-storm");
	assert_int_equal(kv(&pc, "rule:fork-storm", "steps", "nproc=50 for 1m"), 0);
	assert_int_equal(policy_config_finish(&pc, err, sizeof(err)), 0);
	assert_false(pc.rules[policy_rule_find(&pc, "fork-storm")].alarm);
	/* ... unless it is asked for */
	policy_config_init(&pc);
	assert_int_equal(kv(&pc, "rule:fork-storm", "steps", "nproc=50 for 1m"), 0);
	assert_int_equal(kv(&pc, "rule:fork-storm", "alarm", "yes"), 0);
	assert_int_equal(policy_config_finish(&pc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "gentle first step"));
	/* alarm = no keeps the gentle rung, drops the alarm */
	policy_config_init(&pc);
	assert_int_equal(kv(&pc, "rule:fork-storm", "alarm", "no"), 0);
	assert_int_equal(policy_config_finish(&pc, err, sizeof(err)), 0);
	assert_false(pc.rules[fs].alarm);
	assert_true(pc.rules[fs].steps[0].gentle);
	assert_int_equal(kv(&pc, "rule:fork-storm", "alarm", "maybe"), -EINVAL);
	/* a rule of another metric cannot have it */
	policy_config_init(&pc);
	assert_int_equal(kv(&pc, "rule:cpu-hog", "alarm", "yes"), 0);
	assert_int_equal(policy_config_finish(&pc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "forks_s"));
}

static void test_rule_errors(void **state)
{
	struct policy_config pc;

	(void)state;
	policy_config_init(&pc);
	assert_int_equal(kv(&pc, "rule:a", "metric", "cpu"), -EINVAL);
	assert_non_null(strstr(err, "cpu_pct"));	/* lists the known names */
	assert_int_equal(kv(&pc, "rule:a", "while", "sad"), -EINVAL);
	assert_int_equal(kv(&pc, "rule:a", "above", "lots"), -EINVAL);
	assert_int_equal(kv(&pc, "rule:a", "above", "-3"), -EINVAL);
	assert_int_equal(kv(&pc, "rule:a", "for", "ever"), -EINVAL);
	assert_int_equal(kv(&pc, "rule:a", "colour", "red"), -ENOENT);
	assert_int_equal(kv(&pc, "rule:a/b", "metric", "cpu_pct"), -EINVAL);
	assert_int_equal(kv(&pc, "rule:", "metric", "cpu_pct"), -EINVAL);
	assert_int_equal(kv(&pc, "rule:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "metric",
			    "cpu_pct"), -EINVAL);
	for (int i = pc.nr_rules; i < POLICY_MAX_RULES; i++) {
		char sec[32];

		snprintf(sec, sizeof(sec), "rule:r%d", i);
		assert_int_equal(kv(&pc, sec, "metric", "cpu_pct"), 0);
	}
	assert_int_equal(kv(&pc, "rule:onemore", "metric", "cpu_pct"), -ENOSPC);
}

static void test_steps_errors(void **state)
{
	struct policy_step st[POLICY_MAX_STEPS];
	int n = 0;

	(void)state;
	assert_int_equal(policy_parse_steps("kill, cpu=10%", st, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "last"));
	assert_int_equal(policy_parse_steps("for 10s", st, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "at least one limit"));
	assert_int_equal(policy_parse_steps("freeze cpu=10%", st, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_parse_steps("freeze kill", st, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_parse_steps("cpu=10% for", st, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_parse_steps("cpu=10%,,kill", st, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_parse_steps("", st, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_parse_steps("bogus=1", st, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_parse_steps("cpu=1%,cpu=1%,cpu=1%,cpu=1%,cpu=1%,cpu=1%,cpu=1%",
					    st, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(n, 0);	/* untouched on error */
	assert_int_equal(policy_parse_steps("throttle cpu=30% mem_high=current for 1m, freeze",
					    st, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_true(st[0].mem_high_current);
	assert_int_equal(st[1].dur_ms, 60000);	/* default hold */
}

static void test_names(void **state)
{
	(void)state;
	for (int i = 0; i < PM_NR; i++)
		assert_int_equal(policy_metric_by_name(policy_metric_name((enum policy_metric)i)), i);
	for (int i = 0; i < PS_NR; i++)
		assert_int_equal(policy_signal_by_name(policy_signal_name((enum policy_signal)i)), i);
	assert_int_equal(policy_metric_by_name(NULL), -1);
	assert_string_equal(policy_act_name(PA_ESCALATE), "escalate");
	assert_string_equal(policy_act_name((enum policy_act)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_policy_keys),
		cmocka_unit_test(test_policy_key_errors),
		cmocka_unit_test(test_new_rule),
		cmocka_unit_test(test_rule_missing_keys),
		cmocka_unit_test(test_override_builtin_and_drop_defaults),
		cmocka_unit_test(test_alarm_keys),
		cmocka_unit_test(test_wait_alarm_key),
		cmocka_unit_test(test_rule_errors),
		cmocka_unit_test(test_steps_errors),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
