// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_policy.c - policy_evaluate() with literal snapshots: when rules trip,
 * the ladder, hysteresis, no flapping, exempt and dry-run.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_policy.h"
#include "policy.h"

#define S(x)	((uint64_t)(x) * 1000)

/* one rule "cpu": cpu_pct > 80 for 10s while suffered_sum > 50, calm 30s */
static void cfg_cpu(struct policy_config *pc, const char *steps)
{
	fx_cfg_cpu(pc, "suffered_sum", steps);
}

#define LADDER "cpu=50% for 60s, cpu=25% for 300s, freeze for 60s, kill"

static struct qm_view view(double cpu, double suffered)
{
	return fx_view(cpu, suffered);
}

/* two tenants: "hog" (index 0) and "victim" (index 1) */
struct world {
	struct policy_config pc;
	struct policy_input in[3];
	struct policy_tstate st[3];
	struct policy_action acts[16];
	int n;
};

/*
 * The worlds' rule states: POLICY_MAX_RULES each, in static storage (one
 * world at a time, no test frees one), so a test can set any rule's state
 * before the first tick; policy_tstate_commit forgets those past the
 * configured rules, as it does for a tenant sized before a shrinking reload.
 */
static struct policy_rstate world_r[3][POLICY_MAX_RULES];

static void world_init(struct world *w, int n)
{
	static const char *names[] = { "hog", "victim", "third" };

	memset(w, 0, sizeof(*w));
	w->n = n;
	for (int i = 0; i < 3; i++) {
		w->st[i].r = world_r[i];
		w->st[i].nr = POLICY_MAX_RULES;
		policy_tstate_init(&w->st[i]);
	}
	for (int i = 0; i < n; i++) {
		w->in[i].name = names[i];
		w->in[i].has_cg = true;
		w->in[i].v = view(1, 0);
	}
}

/* the ladders one policy_evaluate() writes (committed to w->st by commit()) */
struct nexts {
	const struct policy_tstate *prev[3];
	struct policy_tnext t[3];
	struct policy_rstate r[3][POLICY_MAX_RULES];
};

static int evaluate(struct world *w, int n, uint64_t now_ms, int max, struct nexts *nx)
{
	for (int i = 0; i < 3; i++) {
		nx->prev[i] = &w->st[i];
		nx->t[i].r = nx->r[i];
	}
	return policy_evaluate(&w->pc, w->in, nx->prev, nx->t, n, INFINITY, now_ms, w->acts, max);
}

static void commit(struct world *w, const struct nexts *nx)
{
	for (int i = 0; i < w->n; i++)
		policy_tstate_commit(&w->pc, &w->st[i], &nx->t[i]);
}

/* one tick at now_ms (an early one: the refault watch, the fork alarm) */
static int tick_ms(struct world *w, uint64_t now_ms)
{
	return fx_tick(&w->pc, w->in, w->st, w->n, INFINITY, now_ms, w->acts, 16);
}

/* one tick at now (s): returns the number of actions */
static int tick(struct world *w, uint64_t now_s)
{
	return tick_ms(w, S(now_s));
}

/* ticks from..to inclusive with the current inputs; asserts none acts */
static void quiet(struct world *w, uint64_t from, uint64_t to)
{
	for (uint64_t t = from; t <= to; t++) {
		int n = tick(w, t);

		if (n)
			fail_msg("unexpected %s at t=%llu", policy_act_name(w->acts[0].kind),
				 (unsigned long long)t);
	}
}

static void hog_and_victim(struct world *w, double cpu, double suffered)
{
	w->in[0].v = view(cpu, 0);
	w->in[1].v = view(1, suffered);
}

static void test_busy_alone_is_left_alone(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 2);
	cfg_cpu(&w.pc, LADDER);
	hog_and_victim(&w, 190, 0);	/* busy, nobody waits */
	quiet(&w, 0, 600);
	assert_int_equal(w.st[0].level, 0);
}

static void test_trips_exactly_after_for(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 2);
	cfg_cpu(&w.pc, LADDER);
	hog_and_victim(&w, 190, 120);
	quiet(&w, 100, 109);		/* condition from t=100: 9 s */
	assert_int_equal(tick(&w, 110), 1);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	assert_int_equal(w.acts[0].tenant, 0);
	assert_int_equal(w.acts[0].rule, 0);
	assert_int_equal(w.acts[0].level, 1);
	assert_false(w.acts[0].dry_run);
	assert_true(w.acts[0].lim.set & LIM_CPU);
	assert_true(w.acts[0].lim.cpu_pct == 50);
	assert_int_equal(w.acts[0].hold_ms, 60000);
	assert_true(w.acts[0].ev.metric == 190);
	assert_true(w.acts[0].ev.signal == 120);
	assert_int_equal(w.acts[0].ev.over_ms, 10000);
	assert_int_equal(w.st[0].level, 1);
	assert_int_equal(w.st[0].rule, 0);
	assert_int_equal(w.st[1].level, 0);	/* the victim is never an offender */
}

static void test_interrupted_condition_restarts_window(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 2);
	cfg_cpu(&w.pc, LADDER);
	hog_and_victim(&w, 190, 120);
	quiet(&w, 0, 8);
	hog_and_victim(&w, 190, 10);	/* neighbours fine for one tick */
	quiet(&w, 9, 9);
	hog_and_victim(&w, 190, 120);
	quiet(&w, 10, 19);
	assert_int_equal(tick(&w, 20), 1);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
}

static void test_own_suffering_does_not_count(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 2);
	cfg_cpu(&w.pc, LADDER);
	w.in[0].v = view(190, 900);	/* the hog waits on itself */
	w.in[1].v = view(1, 0);
	quiet(&w, 0, 100);
}

static void test_signal_sums_others(void **state)
{
	struct world w;
	char err[100];

	(void)state;
	world_init(&w, 3);
	cfg_cpu(&w.pc, LADDER);
	w.in[0].v = view(190, 0);
	w.in[1].v = view(1, 30);
	w.in[2].v = view(1, 30);	/* 30 + 30 > 50 */
	quiet(&w, 0, 9);
	assert_int_equal(tick(&w, 10), 1);

	world_init(&w, 3);
	cfg_cpu(&w.pc, LADDER);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:cpu", "while", "suffered_max", err,
					 sizeof(err)), 0);
	w.in[0].v = view(190, 0);
	w.in[1].v = view(1, 30);
	w.in[2].v = view(1, 30);	/* max 30 < 50 */
	quiet(&w, 0, 100);
}

static void test_nan_never_trips(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 2);
	cfg_cpu(&w.pc, LADDER);
	hog_and_victim(&w, NAN, 120);
	quiet(&w, 0, 60);
	hog_and_victim(&w, 190, NAN);
	quiet(&w, 61, 120);
}

static void test_no_cgroup_no_action(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 2);
	cfg_cpu(&w.pc, LADDER);
	hog_and_victim(&w, 190, 120);
	w.in[0].has_cg = false;
	quiet(&w, 0, 60);
}

/* trip at t=10 and return */
static void tripped(struct world *w, int n)
{
	world_init(w, n);
	cfg_cpu(&w->pc, LADDER);
	hog_and_victim(w, 190, 120);
	quiet(w, 0, 9);
	assert_int_equal(tick(w, 10), 1);
	assert_int_equal(w->acts[0].kind, PA_APPLY);
}

static void test_full_ladder(void **state)
{
	struct world w;

	(void)state;
	tripped(&w, 2);
	/* throttled to 50%: it uses all of it and the victim still waits */
	hog_and_victim(&w, 49, 80);
	quiet(&w, 11, 69);		/* hold of rung 1 is 60 s */
	assert_int_equal(tick(&w, 70), 1);
	assert_int_equal(w.acts[0].kind, PA_ESCALATE);
	assert_int_equal(w.acts[0].level, 2);
	assert_true(w.acts[0].lim.cpu_pct == 25);

	hog_and_victim(&w, 25, 80);
	quiet(&w, 71, 369);
	assert_int_equal(tick(&w, 370), 1);
	assert_int_equal(w.acts[0].kind, PA_FREEZE);
	assert_int_equal(w.acts[0].level, 3);
	assert_true(w.acts[0].lim.cpu_pct == 25);	/* the throttle below stays */

	struct tenant_limits dyn;
	bool frozen;

	assert_true(policy_effective(&w.pc, &w.st[0], &dyn, &frozen));
	assert_true(frozen);

	hog_and_victim(&w, 0, 0);	/* frozen: no usage, says nothing */
	quiet(&w, 371, 429);
	assert_int_equal(tick(&w, 430), 1);
	assert_int_equal(w.acts[0].kind, PA_THAW);
	assert_true(policy_effective(&w.pc, &w.st[0], &dyn, &frozen));
	assert_false(frozen);
	assert_true(dyn.cpu_pct == 25);

	/* on parole: it presses again for `for` -> kill */
	hog_and_victim(&w, 25, 80);
	quiet(&w, 431, 440);
	assert_int_equal(tick(&w, 441), 1);
	assert_int_equal(w.acts[0].kind, PA_KILL);
	assert_int_equal(w.acts[0].level, 4);
}

static void test_release_with_hysteresis(void **state)
{
	struct world w;

	(void)state;
	tripped(&w, 2);
	hog_and_victim(&w, 49, 5);	/* throttle works: neighbours fine */
	quiet(&w, 11, 69);		/* calm since 11, but the 60 s hold runs to 70 */
	assert_int_equal(tick(&w, 70), 1);
	assert_int_equal(w.acts[0].kind, PA_RELEASE);
	assert_int_equal(w.acts[0].level, 0);
	assert_false(w.acts[0].lim.set);
	assert_int_equal(w.st[0].level, 0);
	assert_int_equal(w.st[0].rule, -1);
}

static void test_calm_needs_full_period(void **state)
{
	struct world w;

	(void)state;
	tripped(&w, 2);
	hog_and_victim(&w, 49, 80);	/* pressing, not long enough to escalate */
	quiet(&w, 11, 65);
	hog_and_victim(&w, 49, 5);
	quiet(&w, 66, 66 + 29);		/* calm since 66: 30 s at 96 */
	assert_int_equal(tick(&w, 96), 1);
	assert_int_equal(w.acts[0].kind, PA_RELEASE);
}

static void test_step_down_one_rung_at_a_time(void **state)
{
	struct world w;

	(void)state;
	tripped(&w, 2);
	hog_and_victim(&w, 49, 80);
	quiet(&w, 11, 69);
	assert_int_equal(tick(&w, 70), 1);	/* -> 25% */
	hog_and_victim(&w, 20, 5);
	quiet(&w, 71, 369);			/* hold 300 s */
	assert_int_equal(tick(&w, 370), 1);
	assert_int_equal(w.acts[0].kind, PA_STEP_DOWN);
	assert_int_equal(w.acts[0].level, 1);
	assert_true(w.acts[0].lim.cpu_pct == 50);
	quiet(&w, 371, 429);			/* rung 1 holds 60 s again */
	assert_int_equal(tick(&w, 430), 1);
	assert_int_equal(w.acts[0].kind, PA_RELEASE);
}

static void test_no_flapping(void **state)
{
	struct world w;

	(void)state;
	tripped(&w, 2);
	/* neighbours' wait jumps around the threshold every tick */
	for (uint64_t t = 11; t < 1000; t++) {
		hog_and_victim(&w, 49, t % 2 ? 80 : 5);
		if (tick(&w, t))
			fail_msg("action %s at t=%llu", policy_act_name(w.acts[0].kind),
				 (unsigned long long)t);
	}
	assert_int_equal(w.st[0].level, 1);
}

static void test_kill_step_down_skips_freeze(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 2);
	cfg_cpu(&w.pc, "cpu=50% for 10s, freeze for 10s, kill for 20s");
	hog_and_victim(&w, 190, 120);
	quiet(&w, 0, 9);
	assert_int_equal(tick(&w, 10), 1);		/* apply */
	hog_and_victim(&w, 50, 120);
	quiet(&w, 11, 19);
	assert_int_equal(tick(&w, 20), 1);
	assert_int_equal(w.acts[0].kind, PA_FREEZE);
	quiet(&w, 21, 29);
	assert_int_equal(tick(&w, 30), 1);
	assert_int_equal(w.acts[0].kind, PA_THAW);
	quiet(&w, 31, 40);
	assert_int_equal(tick(&w, 41), 1);
	assert_int_equal(w.acts[0].kind, PA_KILL);
	hog_and_victim(&w, 0, 0);			/* killed: calm */
	quiet(&w, 42, 71);
	assert_int_equal(tick(&w, 72), 1);		/* held 20 s; calm 30 s since 42 */
	assert_int_equal(w.acts[0].kind, PA_STEP_DOWN);
	assert_int_equal(w.acts[0].level, 1);		/* not back into the freeze */
}

static void test_forget_window(void **state)
{
	struct world w;

	(void)state;
	tripped(&w, 2);
	hog_and_victim(&w, 49, 5);
	quiet(&w, 11, 69);
	assert_int_equal(tick(&w, 70), 1);		/* release from rung 1 */
	hog_and_victim(&w, 190, 120);			/* back at it at once */
	quiet(&w, 71, 80);
	assert_int_equal(tick(&w, 81), 1);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	assert_int_equal(w.acts[0].level, 2);		/* one rung higher */
	assert_true(w.acts[0].lim.cpu_pct == 25);

	/* same again long after: forgiven */
	tripped(&w, 2);
	hog_and_victim(&w, 49, 5);
	quiet(&w, 11, 69);
	assert_int_equal(tick(&w, 70), 1);
	hog_and_victim(&w, 1, 0);
	quiet(&w, 71, 70 + 600);
	hog_and_victim(&w, 190, 120);
	quiet(&w, 671, 680);
	assert_int_equal(tick(&w, 681), 1);
	assert_int_equal(w.acts[0].level, 1);
}

static void test_forget_never_reenters_freeze(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 2);
	cfg_cpu(&w.pc, "cpu=50% for 10s, freeze for 10s, kill");
	w.st[0].r[0].released_ms = S(5);
	w.st[0].r[0].released_from = 1;
	hog_and_victim(&w, 190, 120);
	quiet(&w, 10, 19);
	assert_int_equal(tick(&w, 20), 1);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	assert_int_equal(w.acts[0].level, 1);
}

static void test_exempt_untouched_and_released(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 2);
	cfg_cpu(&w.pc, LADDER);
	hog_and_victim(&w, 190, 120);
	w.in[0].exempt = true;
	quiet(&w, 0, 100);

	tripped(&w, 2);
	w.in[0].exempt = true;			/* became exempt (reload) */
	assert_int_equal(tick(&w, 11), 1);
	assert_int_equal(w.acts[0].kind, PA_RELEASE);
	assert_int_equal(w.st[0].level, 0);
	quiet(&w, 12, 100);
}

static void test_dry_run_global(void **state)
{
	struct world w;
	struct tenant_limits dyn;
	bool frozen;

	(void)state;
	world_init(&w, 2);
	cfg_cpu(&w.pc, LADDER);
	w.pc.dry_run = 1;
	hog_and_victim(&w, 190, 120);
	quiet(&w, 0, 9);
	assert_int_equal(tick(&w, 10), 1);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	assert_true(w.acts[0].dry_run);
	assert_int_equal(w.st[0].level, 0);	/* nothing is in force */
	assert_false(policy_effective(&w.pc, &w.st[0], &dyn, &frozen));
	assert_false(dyn.set);
	assert_false(frozen);
	/* the would-be ladder goes on (not throttled, so it keeps pressing) */
	quiet(&w, 11, 69);
	assert_int_equal(tick(&w, 70), 1);
	assert_int_equal(w.acts[0].kind, PA_ESCALATE);
	assert_true(w.acts[0].dry_run);
}

static void test_dry_run_per_rule(void **state)
{
	struct world w;
	char err[100];
	struct tenant_limits dyn;
	bool frozen;

	(void)state;
	world_init(&w, 2);
	cfg_cpu(&w.pc, LADDER);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:cpu", "dry_run", "yes", err, sizeof(err)),
			 0);
	hog_and_victim(&w, 190, 120);
	quiet(&w, 0, 9);
	assert_int_equal(tick(&w, 10), 1);
	assert_true(w.acts[0].dry_run);
	assert_false(policy_effective(&w.pc, &w.st[0], &dyn, &frozen));

	/* dry-run switched off by a reload: the dry ladder is dropped, then trips for real */
	w.pc.rules[0].dry_run = false;
	assert_int_equal(tick(&w, 11), 1);
	assert_int_equal(w.acts[0].kind, PA_RELEASE);
	assert_true(w.acts[0].dry_run);
}

static void test_disabled_globally_releases(void **state)
{
	struct world w;

	(void)state;
	tripped(&w, 2);
	w.pc.enabled = false;
	assert_int_equal(tick(&w, 11), 1);
	assert_int_equal(w.acts[0].kind, PA_RELEASE);
	quiet(&w, 12, 100);
}

static void test_mem_growth_holds_current(void **state)
{
	struct world w;
	char err[100];

	(void)state;
	world_init(&w, 2);
	policy_config_init(&w.pc);	/* the embedded mem-growth rule */
	assert_int_equal(policy_config_finish(&w.pc, err, sizeof(err)), 0);
	int mg = policy_rule_find(&w.pc, "mem-growth");

	assert_true(mg >= 0);
	/* the victim's memory PSI stays 0 on v1 (docs/policy.md): it refaults */
	w.in[1].v.psi_mem_some = 0;
	w.in[0].refault_s = NAN;
	w.in[1].refault_s = 2000;	/* pages/s read again after eviction */
	int n = 0;
	uint64_t t;

	for (t = 0; t < 30 && !n; t++) {
		w.in[0].v.mem_bytes = 1e9 + (double)t * 100e6;	/* 100 MB/s */
		n = tick(&w, t);
	}
	assert_int_equal(n, 1);
	assert_int_equal(w.acts[0].rule, mg);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	/* first tick has no growth yet: condition from t=1, trips at t=4 (for = 3s) */
	assert_int_equal(t - 1, 4);
	assert_true(w.acts[0].lim.set & LIM_MEM_HOLD);
	assert_int_equal(w.acts[0].lim.mem_hold, (uint64_t)(1e9 + 4 * 100e6));

	/* refaults past urgent_above (2560 pages/s): 1 s of growth, t=2 */
	world_init(&w, 2);
	policy_config_init(&w.pc);
	assert_int_equal(policy_config_finish(&w.pc, err, sizeof(err)), 0);
	w.in[0].refault_s = NAN;
	w.in[1].refault_s = 5000;
	for (n = 0, t = 0; t < 30 && !n; t++) {
		w.in[0].v.mem_bytes = 1e9 + (double)t * 100e6;
		n = tick(&w, t);
	}
	assert_int_equal(n, 1);
	assert_int_equal(w.acts[0].rule, mg);
	assert_int_equal(t - 1, 2);
	assert_int_equal(w.acts[0].lim.mem_hold, (uint64_t)(1e9 + 2 * 100e6));
}

/* the embedded rules, and a tenant state with room for each of them, all calm */
static void defaults_and_state(struct policy_config *pc, struct policy_tstate *s)
{
	char err[160];

	policy_config_init(pc);
	assert_int_equal(policy_config_finish(pc, err, sizeof(err)), 0);
	assert_int_equal(policy_tstate_resize(s, pc->nr_rules), 0);
	policy_tstate_init(s);
}

static void test_effective_strictest(void **state)
{
	struct policy_config pc;
	struct policy_tstate s = { 0 };
	struct tenant_limits dyn;
	char err[100];
	bool frozen;

	(void)state;
	defaults_and_state(&pc, &s);
	int cpu = policy_rule_find(&pc, "cpu-hog"), io = policy_rule_find(&pc, "io-hog");

	s.r[cpu].level = 3;	/* cpu_idle, cpu=50%, [cpu=25%] */
	s.r[io].level = 1;
	assert_true(policy_effective(&pc, &s, &dyn, &frozen));
	assert_false(frozen);
	assert_true(dyn.cpu_pct == 25);
	assert_int_equal(dyn.io_rbps, 10ULL << 20);
	assert_int_equal(dyn.io_wiops, 1000);
	policy_tstate_free(&s);

	struct tenant_limits a, b;

	limits_init(&a);
	limits_init(&b);
	assert_int_equal(limits_parse_kv(&a, "cpu", "50%", err, sizeof(err)), 0);
	assert_int_equal(limits_parse_kv(&b, "cpu", "80%", err, sizeof(err)), 0);
	assert_int_equal(limits_parse_kv(&b, "nproc", "10", err, sizeof(err)), 0);
	policy_limits_stricter(&a, &b);
	assert_true(a.cpu_pct == 50);
	assert_int_equal(a.nproc, 10);
	assert_int_equal(a.set, LIM_CPU | LIM_NPROC);
}

static void test_enospc_still_advances(void **state)
{
	struct world w;
	struct nexts nx;

	(void)state;
	world_init(&w, 2);
	cfg_cpu(&w.pc, LADDER);
	hog_and_victim(&w, 190, 120);
	quiet(&w, 0, 9);
	assert_int_equal(evaluate(&w, 2, S(10), 0, &nx), -ENOSPC);
	assert_int_equal(nx.t[0].level, 1);
	assert_int_equal(policy_evaluate(NULL, w.in, nx.prev, nx.t, 2, INFINITY, S(10), w.acts, 1), -EINVAL);
	assert_int_equal(evaluate(&w, -1, S(10), 1, &nx), -EINVAL);
}

static void test_remap_by_name(void **state)
{
	struct policy_config a, b;
	struct policy_tstate s = { 0 };
	char err[100];

	(void)state;
	policy_config_init(&a);
	assert_int_equal(policy_config_finish(&a, err, sizeof(err)), 0);
	policy_config_init(&b);
	assert_int_equal(policy_parse_kv(&b, "rule:cpu-hog", "enabled", "no", err, sizeof(err)),
			 0);
	assert_int_equal(policy_parse_kv(&b, "policy", "default_rules", "no", err, sizeof(err)),
			 0);
	assert_int_equal(policy_parse_kv(&b, "rule:fork-storm", "steps", "nproc=50", err,
					 sizeof(err)), 0);
	assert_int_equal(policy_config_finish(&b, err, sizeof(err)), 0);
	assert_int_equal(b.nr_rules, 2);	/* cpu-hog, fork-storm (named in the file) */
	assert_int_equal(policy_tstate_resize(&s, a.nr_rules), 0);
	policy_tstate_init(&s);
	s.r[policy_rule_find(&a, "fork-storm")].level = 3;
	s.r[policy_rule_find(&a, "io-hog")].level = 1;
	assert_int_equal(policy_tstate_remap(&a, &b, &s), 0);
	assert_int_equal(s.nr, 2);		/* sized to b's rules (ASan: no room past them) */
	assert_int_equal(s.r[policy_rule_find(&b, "fork-storm")].level, 1);	/* 1 step now */
	assert_int_equal(s.r[policy_rule_find(&b, "cpu-hog")].level, 0);
	assert_int_equal(s.level, 1);
	assert_int_equal(s.rule, 1);
	/* and back: the 4 built-in rules again, fork-storm kept, the new ones calm */
	assert_int_equal(policy_tstate_remap(&b, &a, &s), 0);
	assert_int_equal(s.nr, a.nr_rules);
	assert_int_equal(s.r[policy_rule_find(&a, "fork-storm")].level, 1);
	assert_int_equal(s.r[policy_rule_find(&a, "io-hog")].level, 0);
	assert_int_equal(s.rule, policy_rule_find(&a, "fork-storm"));
	policy_tstate_free(&s);
	assert_null(s.r);
	assert_int_equal(s.nr, 0);
}

/*
 * issue 15: a tenant's ladder holds as many rule states as there are rules;
 * a zeroed one (no states: a tenant whose allocation failed) evaluates as
 * calm and the commit gives it room.
 */
static void test_tstate_sized_by_rules(void **state)
{
	struct policy_tstate s = { 0 };
	struct policy_rstate r[4];
	struct policy_tnext next = { .r = r };
	const struct policy_tstate *prev = &s;
	struct policy_config pc;
	struct policy_input in = { .name = "t", .has_cg = true, .v = view(1, 0) };
	struct policy_action acts[4];
	char err[100];

	(void)state;
	policy_config_init(&pc);
	assert_int_equal(policy_config_finish(&pc, err, sizeof(err)), 0);
	assert_int_equal(pc.nr_rules, 4);
	/* 40 bytes and 4 x 64 where 16 slots in place were 1,048 */
	assert_true(sizeof(struct policy_tstate) + (size_t)pc.nr_rules *
		    sizeof(struct policy_rstate) <= 320);
	policy_tstate_init(&s);
	assert_int_equal(s.nr, 0);
	assert_ptr_equal(policy_tstate_rule(&s, 0), &policy_rstate_calm);
	assert_int_equal(policy_evaluate(&pc, &in, &prev, &next, 1, INFINITY, S(100), acts, 4), 0);
	policy_tstate_commit(&pc, &s, &next);
	assert_int_equal(s.nr, 4);
	assert_non_null(s.r);
	assert_int_equal(s.level, 0);
	assert_int_equal(policy_tstate_resize(&s, 2), 0);
	assert_int_equal(s.nr, 2);
	assert_ptr_equal(policy_tstate_rule(&s, 2), &policy_rstate_calm);
	policy_tstate_free(&s);
}

/* the embedded cpu-hog rule (grace = 2s): a one-tick dip keeps the window, three restart it */
static void test_grace_keeps_window_over_short_dip(void **state)
{
	struct world w;
	char err[160];

	(void)state;
	world_init(&w, 2);
	policy_config_init(&w.pc);
	/* the quota ladder alone: the gentle first rung would trip after 1 s */
	assert_int_equal(policy_parse_kv(&w.pc, "rule:cpu-hog", "steps", LADDER, err, sizeof(err)),
			 0);
	assert_int_equal(policy_config_finish(&w.pc, err, sizeof(err)), 0);
	assert_int_equal(w.pc.rules[policy_rule_find(&w.pc, "cpu-hog")].grace_ms, 2000);
	hog_and_victim(&w, 190, 40);
	quiet(&w, 0, 8);
	hog_and_victim(&w, 190, 7);	/* one bursty second: the victim barely waited */
	quiet(&w, 9, 9);
	hog_and_victim(&w, 190, 40);
	assert_int_equal(tick(&w, 10), 1);	/* 10 s after the window opened, dip included */
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	assert_int_equal(w.acts[0].ev.over_ms, 10000);

	world_init(&w, 2);
	policy_config_init(&w.pc);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:cpu-hog", "steps", LADDER, err, sizeof(err)),
			 0);
	assert_int_equal(policy_config_finish(&w.pc, err, sizeof(err)), 0);
	hog_and_victim(&w, 190, 40);
	quiet(&w, 0, 5);
	hog_and_victim(&w, 30, 40);	/* 3 s below: longer than grace */
	quiet(&w, 6, 8);
	hog_and_victim(&w, 190, 40);
	quiet(&w, 9, 18);
	assert_int_equal(tick(&w, 19), 1);
	assert_int_equal(w.acts[0].kind, PA_APPLY);

	/* "grace" is a rule key; 0 = strict */
	policy_config_init(&w.pc);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:cpu-hog", "grace", "0", err, sizeof(err)), 0);
	assert_int_equal(w.pc.rules[policy_rule_find(&w.pc, "cpu-hog")].grace_ms, 0);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:cpu-hog", "grace", "soon", err,
					 sizeof(err)), -EINVAL);
}

/* the embedded rules, hog at 190% and its neighbour waiting 120 ms/s */
static void world_defaults(struct world *w)
{
	char err[160];

	world_init(w, 2);
	policy_config_init(&w->pc);
	assert_int_equal(policy_config_finish(&w->pc, err, sizeof(err)), 0);
}

/*
 * issue 15: the plan holds pc->nr_rules rule states a tenant, not
 * POLICY_MAX_RULES (arrays of exactly that size here: ASan sees a write
 * past them); policy_evaluate only reads the tenants' ladders, and the
 * commit forgets rules beyond the configured ones (a config that shrank).
 */
static void test_next_holds_only_the_rules(void **state)
{
	const struct policy_tstate *prev[2];
	struct policy_tnext next[2];
	struct policy_tstate before[2];
	struct policy_rstate before_r[POLICY_MAX_RULES];
	struct world w;
	int n = 0;

	(void)state;
	world_defaults(&w);
	assert_int_equal(w.pc.nr_rules, 4);
	w.st[0].r[POLICY_MAX_RULES - 1].level = 2;
	w.st[0].r[POLICY_MAX_RULES - 1].released_from = 2;
	hog_and_victim(&w, 190, 40);
	for (int i = 0; i < 2; i++) {
		prev[i] = &w.st[i];
		next[i].r = calloc((size_t)w.pc.nr_rules, sizeof(*next[i].r));
		assert_non_null(next[i].r);
	}
	for (int s = 100; s <= 101; s++) {
		memcpy(before, w.st, sizeof(before));
		memcpy(before_r, w.st[0].r, sizeof(before_r));
		n = policy_evaluate(&w.pc, w.in, prev, next, 2, INFINITY, S(s), w.acts, 16);
		assert_memory_equal(before, w.st, sizeof(before));
		assert_memory_equal(before_r, w.st[0].r, sizeof(before_r));
		for (int i = 0; i < 2; i++)
			policy_tstate_commit(&w.pc, &w.st[i], &next[i]);
	}
	assert_int_equal(n, 1);			/* the gentle rung, 1 s after */
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	assert_int_equal(w.st[0].level, 1);
	assert_int_equal(w.st[0].r[w.acts[0].rule].since_ms, S(101));
	assert_int_equal(w.st[0].r[POLICY_MAX_RULES - 1].level, 0);
	assert_int_equal(w.st[0].r[POLICY_MAX_RULES - 1].released_from, 0);
	for (int i = 0; i < 2; i++)
		free(next[i].r);
}

/* issue 14: the gentle rung (cpu.idle) is entered 1 s after neighbours start to suffer */
static void test_gentle_rung_trips_in_a_second(void **state)
{
	struct world w;

	(void)state;
	world_defaults(&w);
	hog_and_victim(&w, 190, 40);
	quiet(&w, 100, 100);			/* the window opens */
	assert_int_equal(tick(&w, 101), 1);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	assert_int_equal(w.acts[0].rule, policy_rule_find(&w.pc, "cpu-hog"));
	assert_int_equal(w.acts[0].level, 1);
	assert_int_equal(w.acts[0].lim.set, LIM_CPU_IDLE);
	assert_int_equal(w.acts[0].lim.cpu_idle, 1);
	assert_int_equal(w.acts[0].hold_ms, 10000);
	assert_int_equal(w.st[1].level, 0);

	/* busy alone (nobody waits): never, not even the gentle rung */
	world_defaults(&w);
	hog_and_victim(&w, 190, 0);
	quiet(&w, 0, 600);
	assert_int_equal(w.st[0].level, 0);
}

/*
 * A neighbour waiting past 50 ms/s (the light PHP site of b_web waited
 * 107-245) puts the hog on the gentle rung at the first sample; 40 ms/s
 * keeps the 1 s window, and the short way never reaches the quota.
 */
static void test_gentle_at_once_when_stalled(void **state)
{
	struct world w;

	(void)state;
	world_defaults(&w);
	hog_and_victim(&w, 160, 240);
	assert_int_equal(tick(&w, 100), 1);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	assert_int_equal(w.acts[0].rule, policy_rule_find(&w.pc, "cpu-hog"));
	assert_int_equal(w.acts[0].level, 1);
	assert_int_equal(w.acts[0].lim.set, LIM_CPU_IDLE);
	/* still stalled while demoted: the quota only after the gentle rung's 10 s */
	quiet(&w, 101, 109);
	assert_int_equal(tick(&w, 110), 1);
	assert_int_equal(w.acts[0].kind, PA_ESCALATE);
	assert_int_equal(w.acts[0].level, 2);

	/* 40 ms/s: the 1 s window */
	world_defaults(&w);
	hog_and_victim(&w, 160, 40);
	quiet(&w, 100, 100);
	assert_int_equal(tick(&w, 101), 1);
	assert_int_equal(w.acts[0].level, 1);

	/* 60 ms/s, just past: the first sample (what the wait alarm's early tick reads) */
	world_defaults(&w);
	hog_and_victim(&w, 160, 60);
	assert_int_equal(tick(&w, 100), 1);
	assert_int_equal(w.acts[0].level, 1);

	/* stalled, but the tenant is not above 80 %: nothing */
	world_defaults(&w);
	hog_and_victim(&w, 60, 400);
	quiet(&w, 100, 200);

	/* stalled and busy, but nobody else waits: the tenant alone is never touched */
	world_defaults(&w);
	hog_and_victim(&w, 190, 0);
	w.in[0].v.suffered_ms_s = 400;		/* its own threads wait for each other */
	quiet(&w, 100, 200);
}

/*
 * The neighbour signals read the wait behind other tenants (behind_ms_s),
 * not the whole wait: a victim waiting behind nginx or root's tasks is no
 * tenant's doing. In the web bench the light site waited 22-45 ms/s beside
 * a hog already on cpu_idle, and cpu-hog went on to the quota. Without BPF
 * (behind unknown) the whole wait counts.
 */
/* the hog beside a victim waiting 240 ms/s behind it: on cpu_idle at once */
static void hog_demoted_by_victim(struct world *w)
{
	world_defaults(w);
	hog_and_victim(w, 190, 240);
	w->in[1].v.behind_ms_s = 240;
	assert_int_equal(tick(w, 100), 1);
	assert_int_equal(w->acts[0].tenant, 0);
	assert_int_equal(w->acts[0].lim.set, LIM_CPU_IDLE);
}

static void test_wait_behind_non_tenants_is_no_harm(void **state)
{
	struct world w;

	(void)state;
	/* 240 ms/s waited, 2 of them behind tenants: nothing, ever */
	world_defaults(&w);
	hog_and_victim(&w, 190, 240);
	w.in[1].v.behind_ms_s = 2;
	quiet(&w, 100, 400);
	assert_int_equal(w.st[0].level, 0);

	/* the same wait behind the hog: the gentle rung at the first sample */
	hog_demoted_by_victim(&w);

	/* demoted, the victim still waits 30 ms/s, but not behind tenants: no quota */
	w.in[1].v.suffered_ms_s = 30;
	w.in[1].v.behind_ms_s = 1;
	quiet(&w, 101, 400);
	assert_int_equal(w.st[0].level, 1);

	/* ... while 30 ms/s behind tenants takes the quota after the rung's 10 s */
	hog_demoted_by_victim(&w);
	w.in[1].v.suffered_ms_s = 30;
	w.in[1].v.behind_ms_s = 30;
	quiet(&w, 101, 109);
	assert_int_equal(tick(&w, 110), 1);
	assert_int_equal(w.acts[0].kind, PA_ESCALATE);
	assert_true(w.acts[0].lim.set & LIM_CPU);

	/* behind unknown (procfs run_delay, no BPF): the whole wait */
	world_defaults(&w);
	hog_and_victim(&w, 190, 240);
	w.in[1].v.behind_ms_s = NAN;
	assert_int_equal(tick(&w, 100), 1);
	assert_int_equal(w.acts[0].lim.set, LIM_CPU_IDLE);
}

/*
 * Which rungs make a tenant's run-queue waits its own doing (the policy's
 * neighbour signals and the wait alarm, src/quelld/alarm.c, both ask).
 */
static void test_cpu_demoted_rungs(void **state)
{
	struct policy_config pc;
	struct policy_tstate s = { 0 };

	(void)state;
	defaults_and_state(&pc, &s);
	int cpu = policy_rule_find(&pc, "cpu-hog"), io = policy_rule_find(&pc, "io-hog");
	int mem = policy_rule_find(&pc, "mem-growth"), fork = policy_rule_find(&pc, "fork-storm");

	assert_false(policy_cpu_demoted(&pc, &s));		/* on no rung */
	s.level = 1;
	s.r[io].level = 1;					/* io=10M iops=1000 */
	assert_false(policy_cpu_demoted(&pc, &s));
	s.r[io].level = 0;
	s.r[mem].level = 1;					/* mem_hold */
	assert_false(policy_cpu_demoted(&pc, &s));
	s.r[mem].level = 2;					/* freeze */
	assert_true(policy_cpu_demoted(&pc, &s));
	s.r[mem].level = 0;
	s.r[fork].level = 2;					/* nproc=200 */
	assert_false(policy_cpu_demoted(&pc, &s));
	s.r[fork].level = 1;					/* cpu_idle */
	assert_true(policy_cpu_demoted(&pc, &s));
	s.r[fork].dry = true;					/* dry run: nothing written */
	assert_false(policy_cpu_demoted(&pc, &s));
	s.r[fork].level = 0;
	s.r[cpu].level = 2;					/* cpu=50% */
	assert_true(policy_cpu_demoted(&pc, &s));
	policy_tstate_free(&s);
}

/*
 * A tenant on a rung that lowers its CPU waits behind everyone: that is the
 * rung working, not harm. The web bench's fork storm on cpu_idle waited
 * 967 ms/s while the light site's 100 ms sample read 105 % of a CPU, and
 * cpu-hog demoted the light site. Its waits count again once it is off.
 */
static void test_demoted_suffering_is_no_harm(void **state)
{
	struct world w;

	(void)state;
	world_defaults(&w);
	hog_and_victim(&w, 190, 240);
	assert_int_equal(tick(&w, 100), 1);		/* the hog on cpu_idle */
	assert_int_equal(w.st[0].level, 1);
	/* the demoted hog waits behind the victim, busy for a moment */
	w.in[0].v = view(30, 967);
	w.in[1].v = view(105, 0);
	quiet(&w, 101, 109);
	assert_int_equal(w.st[1].level, 0);
	/* a dry-run rung demotes nothing: its waits are harm as ever */
	world_defaults(&w);
	w.pc.rules[policy_rule_find(&w.pc, "cpu-hog")].dry_run = true;
	hog_and_victim(&w, 190, 240);
	assert_int_equal(tick(&w, 100), 1);
	w.in[0].v = view(30, 967);
	w.in[1].v = view(105, 0);
	assert_int_equal(tick(&w, 101), 1);
	assert_int_equal(w.acts[0].tenant, 1);
}

/*
 * The fork alarm (docs/policy.md "The fork alarm"): its evidence puts
 * fork-storm's gentle rung in force at the tick it arrives, though the
 * sample (mostly from before the burst) trips nothing, and never more than
 * that rung: a storm that goes on needs the window for the cap, as ever.
 */
static void test_fork_alarm_gentle_at_once(void **state)
{
	struct world w;
	int fs;

	(void)state;
	world_defaults(&w);
	fs = policy_rule_find(&w.pc, "fork-storm");
	hog_and_victim(&w, 30, 2);
	w.in[0].v.forks_s = 150;	/* the early tick's sample: the burst's first 50 ms */
	quiet(&w, 100, 102);
	w.in[0].alarm_forks_s = 2600;
	w.in[0].alarm_wait_ms = 48;
	assert_int_equal(tick_ms(&w, S(102) + 150), 1);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	assert_int_equal(w.acts[0].tenant, 0);
	assert_int_equal(w.acts[0].rule, fs);
	assert_int_equal(w.acts[0].level, 1);
	assert_int_equal(w.acts[0].lim.set, LIM_CPU_IDLE);
	assert_true(w.acts[0].ev.alarm);
	assert_true(w.acts[0].ev.metric == 2600);
	assert_true(w.acts[0].ev.threshold == 1000);
	assert_true(w.acts[0].ev.signal == 48);
	assert_true(w.acts[0].ev.signal_threshold == 5);
	/* alarms again on the rung: it stays there */
	quiet(&w, 103, 110);
	assert_int_equal(w.st[0].r[fs].level, 1);

	/* the storm goes on past the rule's window while the victim still waits: the cap */
	w.in[0].alarm_forks_s = 0;
	w.in[0].v.forks_s = 2600;
	w.in[1].v.suffered_ms_s = 60;
	assert_int_equal(tick(&w, 111), 0);	/* the window opens */
	quiet(&w, 112, 113);
	assert_int_equal(tick(&w, 114), 1);
	assert_int_equal(w.acts[0].kind, PA_ESCALATE);
	assert_int_equal(w.acts[0].level, 2);
	assert_true(w.acts[0].lim.set & LIM_NPROC);
	assert_false(w.acts[0].ev.alarm);
}

/*
 * The alarm needs the rule's alarm = yes, a tenant within reach, and obeys
 * dry_run; the victim of the wait is never the one demoted (the BPF side
 * names the forker).
 */
static void test_fork_alarm_limits(void **state)
{
	struct world w;
	char err[160];

	(void)state;
	world_init(&w, 2);
	policy_config_init(&w.pc);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:fork-storm", "alarm", "no", err,
					 sizeof(err)), 0);
	assert_int_equal(policy_config_finish(&w.pc, err, sizeof(err)), 0);
	hog_and_victim(&w, 30, 2);
	w.in[0].alarm_forks_s = 2600;
	w.in[0].alarm_wait_ms = 48;
	quiet(&w, 100, 104);

	world_defaults(&w);
	hog_and_victim(&w, 30, 2);
	w.in[0].alarm_forks_s = 2600;
	w.in[0].exempt = true;
	quiet(&w, 100, 104);

	world_defaults(&w);
	hog_and_victim(&w, 30, 2);
	w.in[0].alarm_forks_s = 2600;
	w.in[0].has_cg = false;
	quiet(&w, 100, 104);

	world_defaults(&w);
	w.pc.dry_run = 1;
	hog_and_victim(&w, 30, 2);
	w.in[0].alarm_forks_s = 2600;
	assert_int_equal(tick(&w, 100), 1);
	assert_true(w.acts[0].dry_run);
	assert_int_equal(w.acts[0].tenant, 0);
	assert_int_equal(w.acts[0].level, 1);
}

/* ticks are 1 s give or take a few ms: a tick 998 ms later closes a 1 s window */
static void test_window_tolerates_tick_jitter(void **state)
{
	struct world w;
	struct nexts nx;

	(void)state;
	world_defaults(&w);
	hog_and_victim(&w, 190, 40);
	assert_int_equal(evaluate(&w, 2, 100000, 16, &nx), 0);
	commit(&w, &nx);
	assert_int_equal(evaluate(&w, 2, 100700, 16, &nx), 0);
	commit(&w, &nx);	/* 700 ms: too early */
	assert_int_equal(evaluate(&w, 2, 100998, 16, &nx), 1);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
}

/*
 * Demoted, the hog keeps its CPU on a box where nobody else wants it, and
 * its neighbour stops waiting *because* of the rung: that is no reason to
 * let go. It is released once its own demand drops.
 */
static void test_gentle_holds_while_heavy(void **state)
{
	struct world w;

	(void)state;
	world_defaults(&w);
	hog_and_victim(&w, 190, 40);
	quiet(&w, 0, 0);
	assert_int_equal(tick(&w, 1), 1);
	hog_and_victim(&w, 190, 0);		/* the victim is fine now */
	quiet(&w, 2, 900);
	assert_int_equal(w.st[0].level, 1);
	hog_and_victim(&w, 20, 0);		/* the hog's demand dropped */
	quiet(&w, 901, 930);
	assert_int_equal(tick(&w, 931), 1);	/* calm 30 s */
	assert_int_equal(w.acts[0].kind, PA_RELEASE);
	assert_int_equal(w.st[0].level, 0);
}

/* the quota comes only if the neighbours still suffer while the hog is demoted */
static void test_gentle_then_quota_if_still_suffering(void **state)
{
	struct world w;

	(void)state;
	world_defaults(&w);
	hog_and_victim(&w, 190, 40);
	quiet(&w, 0, 0);
	assert_int_equal(tick(&w, 1), 1);
	quiet(&w, 2, 10);			/* the gentle rung's 10 s hold */
	assert_int_equal(tick(&w, 11), 1);
	assert_int_equal(w.acts[0].kind, PA_ESCALATE);
	assert_int_equal(w.acts[0].level, 2);
	/* capped and still demoted */
	assert_true(w.acts[0].lim.cpu_pct == 50);
	assert_int_equal(w.acts[0].lim.cpu_idle, 1);
	assert_int_equal(w.acts[0].lim.set, LIM_CPU | LIM_CPU_IDLE);

	/* neighbours fine for most of the hold: no quota */
	world_defaults(&w);
	hog_and_victim(&w, 190, 40);
	quiet(&w, 0, 0);
	assert_int_equal(tick(&w, 1), 1);
	for (uint64_t t = 2; t <= 60; t++) {
		w.in[1].v.suffered_ms_s = t % 4 ? 0 : 40;	/* a bad second now and then */
		quiet(&w, t, t);
	}
	assert_int_equal(w.st[0].level, 1);
}

/*
 * A burst shorter than 2 s (a cron job) touches at most 3 one-second
 * samples. With its neighbours merely suffering it may get the gentle rung,
 * never a cap, whichever rule it trips; with them stalled hard (past
 * urgent_above) io-hog and mem-growth may put it on their first rung, never
 * higher, and release it after calm.
 */
static void burst_world(struct world *w, uint64_t t, bool burst, double psi_io, double iops,
			double refault)
{
	w->in[0].v = view(burst ? 190 : 1, 0);
	w->in[0].v.io_rbps = burst ? 300e6 : 0;
	w->in[0].v.io_wbps = 0;
	w->in[0].v.forks_s = burst ? 1500 : 0;
	/* 1.5 GB in 3 s, freed when it ends */
	w->in[0].v.mem_bytes = 1e9 + (burst ? (double)(t - 9) * 500e6 : 0);
	w->in[1].v = view(1, 120);	/* the neighbour suffers throughout */
	w->in[1].v.psi_io_some = psi_io;
	w->in[1].v.iops = iops;
	w->in[1].refault_s = refault;
}

static void test_short_burst_never_past_gentle(void **state)
{
	struct world w;
	int max_level = 0;

	(void)state;
	world_defaults(&w);
	for (uint64_t t = 0; t < 400; t++) {
		int n;

		/* below urgent_above: 0.04 ms per IO, 2000 pages/s */
		burst_world(&w, t, t >= 10 && t < 13, 40, 10000, 2000);
		n = tick(&w, t);
		for (int k = 0; k < n; k++) {
			const struct policy_rule *r = &w.pc.rules[w.acts[k].rule];

			if (w.acts[k].kind == PA_APPLY || w.acts[k].kind == PA_ESCALATE)
				assert_true(r->steps[w.acts[k].level - 1].gentle);
		}
		if (w.st[0].level > max_level)
			max_level = w.st[0].level;
	}
	assert_int_equal(max_level, 1);		/* the gentle rung, then released */
	assert_int_equal(w.st[0].level, 0);

	/* neighbours stalled hard: rung 1 of io-hog and mem-growth, nothing above */
	world_defaults(&w);
	int io = policy_rule_find(&w.pc, "io-hog"), mg = policy_rule_find(&w.pc, "mem-growth");
	bool io_seen = false, mg_seen = false;

	for (uint64_t t = 0; t < 400; t++) {
		int n;

		burst_world(&w, t, t >= 10 && t < 13, 60, 100, 5000);	/* 6 ms per IO */
		n = tick(&w, t);
		for (int k = 0; k < n; k++) {
			const struct policy_action *a = &w.acts[k];

			assert_true(a->kind == PA_APPLY || a->kind == PA_RELEASE);
			assert_true(a->level <= 1);
			io_seen |= a->rule == io && a->kind == PA_APPLY;
			mg_seen |= a->rule == mg && a->kind == PA_APPLY;
		}
		for (int ri = 0; ri < w.pc.nr_rules; ri++)
			assert_true(w.st[0].r[ri].level <= 1);
	}
	assert_true(io_seen);
	assert_true(mg_seen);
	assert_int_equal(w.st[0].level, 0);	/* all released after calm */
}

/* the IO victim: stalled psi % of the time, doing iops requests a second */
static void io_victim(struct world *w, double psi, double iops)
{
	w->in[1].v.psi_io_some = psi;
	w->in[1].v.iops = iops;
}

/* the IO hog: writing 200 MB/s, reading nothing */
static void io_writer(struct world *w)
{
	w->in[0].v.io_wbps = 200e6;
	w->in[0].v.io_rbps = 0;
}

/*
 * An io_weight first rung (docs/policy.md "An IO weight") is gentle:
 * io-hog enters it after gentle_for (1 s) beside a neighbour that merely
 * waits (psi_io 30 %, 0.03 ms an IO, where its default cap needs the full
 * 3 s: test_io_urgent_window), holds it while the writer stays heavy
 * though the neighbour recovered, and lets go 30 s after the writer
 * stops. It lowers no CPU: the tenant's run-queue waits still count.
 */
static void test_io_weight_gentle_rung(void **state)
{
	struct world w;
	char err[160];
	int io, n;

	(void)state;
	world_init(&w, 2);
	policy_config_init(&w.pc);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:io-hog", "steps",
					 "io_weight=1 for 60s, io=10M iops=1000 for 60s", err,
					 sizeof(err)), 0);
	assert_int_equal(policy_config_finish(&w.pc, err, sizeof(err)), 0);
	io = policy_rule_find(&w.pc, "io-hog");
	assert_true(w.pc.rules[io].steps[0].gentle);
	assert_false(w.pc.rules[io].steps[1].gentle);
	io_writer(&w);
	io_victim(&w, 30, 10000);
	quiet(&w, 100, 100);
	assert_int_equal(tick(&w, 101), 1);
	assert_int_equal(w.acts[0].rule, io);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	assert_int_equal(w.acts[0].level, 1);
	assert_int_equal(w.acts[0].lim.set, LIM_IO_WEIGHT);
	assert_int_equal(w.acts[0].lim.io_weight, 1);
	assert_false(policy_cpu_demoted(&w.pc, &w.st[0]));

	/* the neighbour is fine because of it: the writer is still heavy, still held */
	io_victim(&w, 0, 10000);
	quiet(&w, 102, 250);
	assert_int_equal(w.st[0].r[io].level, 1);

	/* the writer stops: calm for 30 s, then released */
	w.in[0].v.io_wbps = 0;
	quiet(&w, 251, 280);
	n = tick(&w, 281);
	assert_int_equal(n, 1);
	assert_int_equal(w.acts[0].kind, PA_RELEASE);
	assert_int_equal(w.st[0].r[io].level, 0);
}

/*
 * issue 14: an IO hog beside a neighbour whose IO requests wait long
 * (io_wait: 6 ms each) is capped after 1 s (two samples), not 3; beside one
 * that merely waits (psi_io 10-50, 0.03 ms a request) after the full 3 s;
 * beside one that does not wait, never. The short window only ever leads
 * to rung 1, also for a repeat offender (forget).
 */
static void test_io_urgent_window(void **state)
{
	struct world w;
	int io;

	(void)state;
	for (int pass = 0; pass < 3; pass++) {
		static const double psi[] = { 60, 30, 5 }, iops[] = { 100, 10000, 100 };

		world_defaults(&w);
		io = policy_rule_find(&w.pc, "io-hog");
		io_writer(&w);
		io_victim(&w, psi[pass], iops[pass]);
		for (uint64_t t = 100; t <= 200; t++) {
			int n = tick(&w, t);

			if (pass == 2 || t < (pass ? 103u : 101u)) {
				assert_int_equal(n, 0);
				continue;
			}
			assert_int_equal(n, 1);
			assert_int_equal(w.acts[0].rule, io);
			assert_int_equal(w.acts[0].kind, PA_APPLY);
			assert_int_equal(w.acts[0].level, 1);
			assert_int_equal(w.acts[0].ev.over_ms, pass ? 3000 : 1000);
			break;
		}
	}

	/* one urgent sample in the window is enough, the signal may dip below it after */
	world_defaults(&w);
	io_writer(&w);
	io_victim(&w, 67, 100);
	quiet(&w, 100, 100);
	io_victim(&w, 30, 10000);
	assert_int_equal(tick(&w, 101), 1);
	assert_int_equal(w.acts[0].ev.over_ms, 1000);

	/* ... but one in this window: an urgent second before the hog started does not count */
	world_defaults(&w);
	w.in[0].v.io_wbps = 0;
	w.in[0].v.io_rbps = 0;
	io_victim(&w, 90, 100);
	quiet(&w, 99, 99);
	w.in[0].v.io_wbps = 200e6;
	io_victim(&w, 30, 10000);
	quiet(&w, 100, 102);
	assert_int_equal(tick(&w, 103), 1);		/* the full 3 s window */

	/* a single urgent sample is not enough: the metric needs its 1 s */
	world_defaults(&w);
	io_writer(&w);
	io_victim(&w, 60, 100);
	quiet(&w, 100, 100);
	w.in[0].v.io_wbps = 0;
	quiet(&w, 101, 110);

	/* released from rung 1 a minute ago, back again: rung 1 through the short window */
	world_defaults(&w);
	io = policy_rule_find(&w.pc, "io-hog");
	w.st[0].r[io].released_from = 1;
	w.st[0].r[io].released_ms = S(40);
	io_writer(&w);
	io_victim(&w, 60, 100);
	quiet(&w, 100, 100);
	assert_int_equal(tick(&w, 101), 1);
	assert_int_equal(w.acts[0].level, 1);

	/* urgent_above / urgent_for are rule keys */
	char err[160];

	assert_int_equal(policy_parse_kv(&w.pc, "rule:io-hog", "urgent_above", "70%", err,
					 sizeof(err)), 0);
	assert_true(w.pc.rules[io].urgent_above == 70);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:io-hog", "urgent_for", "2s", err,
					 sizeof(err)), 0);
	assert_int_equal(w.pc.rules[io].urgent_for_ms, 2000);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:io-hog", "urgent_for", "soon", err,
					 sizeof(err)), -EINVAL);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:io-hog", "urgent_above", "lots", err,
					 sizeof(err)), -EINVAL);
}

/*
 * The urgent IO signal is the neighbours' stall per IO request (io_wait), not
 * their stall share: a 4 KiB reader alone stalled 8-50 % of the time on the
 * test host's disk at ~10,000 requests a second (tens of us each), beside a
 * writer 51-96 % at ~170 (ms each), so psi_io > 50 % fired on a reader the
 * writer was not hurting and missed one it was, short of CPU.
 */
static void test_io_urgent_per_request(void **state)
{
	struct world w;
	char err[160];
	int io;

	(void)state;
	/* alone-like reader at 55 %: 0.055 ms a request, no short way; the 3 s window */
	world_defaults(&w);
	io = policy_rule_find(&w.pc, "io-hog");
	assert_int_equal(w.pc.rules[io].urgent_signal, PS_IO_WAIT);
	io_writer(&w);
	io_victim(&w, 55, 10000);
	quiet(&w, 100, 102);
	assert_int_equal(tick(&w, 103), 1);
	assert_int_equal(w.acts[0].ev.over_ms, 3000);

	/* a reader short of CPU, stalled only 35 % but 2.3 ms a request: the short way */
	world_defaults(&w);
	io_writer(&w);
	io_victim(&w, 35, 150);
	quiet(&w, 100, 100);
	assert_int_equal(tick(&w, 101), 1);
	assert_int_equal(w.acts[0].rule, io);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	assert_int_equal(w.acts[0].ev.over_ms, 1000);

	/* no request completed in the second it stalled: one request waited 300 ms */
	world_defaults(&w);
	io_writer(&w);
	io_victim(&w, 30, 0);
	quiet(&w, 100, 100);
	assert_int_equal(tick(&w, 101), 1);

	/* requests unknown (no BPF, no io.stat): never urgent, the 3 s window */
	world_defaults(&w);
	io_writer(&w);
	io_victim(&w, 90, NAN);
	quiet(&w, 100, 102);
	assert_int_equal(tick(&w, 103), 1);

	/* the writer's own long waits are not its neighbours' */
	world_defaults(&w);
	io_writer(&w);
	w.in[0].v.psi_io_some = 100;
	w.in[0].v.iops = 20;		/* 50 ms a request, its own queue */
	io_victim(&w, 20, 10000);
	quiet(&w, 100, 102);
	assert_int_equal(tick(&w, 103), 1);

	/* urgent_while: any signal, "while" for the rule's own */
	assert_int_equal(policy_parse_kv(&w.pc, "rule:io-hog", "urgent_while", "psi_io", err,
					 sizeof(err)), 0);
	assert_int_equal(w.pc.rules[io].urgent_signal, PS_PSI_IO);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:io-hog", "urgent_while", "while", err,
					 sizeof(err)), 0);
	assert_int_equal(w.pc.rules[io].urgent_signal, PS_NONE);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:io-hog", "urgent_while", "none", err,
					 sizeof(err)), -EINVAL);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:io-hog", "urgent_while", "disk", err,
					 sizeof(err)), -EINVAL);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:io-hog", "while", "io_wait", err,
					 sizeof(err)), 0);
	assert_int_equal(w.pc.rules[io].signal, PS_IO_WAIT);

	/* urgent_while = while with while = psi_io is the old rule: 55 % alone trips in 1 s */
	world_defaults(&w);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:io-hog", "urgent_while", "while", err,
					 sizeof(err)), 0);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:io-hog", "urgent_above", "50", err,
					 sizeof(err)), 0);
	io_writer(&w);
	io_victim(&w, 55, 10000);
	quiet(&w, 100, 100);
	assert_int_equal(tick(&w, 101), 1);
}

/* one tick at now_ms: returns the number of actions */
/*
 * The refault watch: a leak whose growth window is open waits only for its
 * neighbours' refaults. policy_refault_watch says so, and from when its
 * urgent window (urgent_for = 500ms: on 1 s ticks two samples, as before)
 * is closed; a tick the watch takes early, 0.3 s after the window opened,
 * trips it, one 0.2 s after does not.
 */
static void test_refault_watch(void **state)
{
	struct world w;
	uint64_t from = 0;
	double above = 0;
	int mg;

	(void)state;
	world_defaults(&w);
	mg = policy_rule_find(&w.pc, "mem-growth");
	w.in[0].v.mem_bytes = 1e9;
	w.in[1].v.mem_bytes = 5e8;
	w.in[1].refault_s = 0;
	quiet(&w, 10, 10);
	assert_false(policy_refault_watch(&w.pc, w.st[0].r, S(10), &from, &above));
	w.in[0].v.mem_bytes = 1e9 + 64e6;	/* 64 MB/s since the last tick */
	quiet(&w, 11, 11);
	assert_true(w.st[0].r[mg].over);
	assert_true(policy_refault_watch(&w.pc, w.st[0].r, S(11), &from, &above));
	assert_int_equal(from, S(11) + 500 - POLICY_TICK_SLACK_MS);
	assert_true(above == 2560);
	assert_false(policy_refault_watch(&w.pc, w.st[1].r, S(11), &from, &above)); /* not growing */

	/* an early tick 0.2 s after the window opened: too soon, even with refaults */
	w.in[0].v.mem_bytes = 1e9 + 64e6 + 12.8e6;
	w.in[1].refault_s = 50000;
	assert_int_equal(tick_ms(&w, S(11) + 200), 0);
	/* 0.3 s after: rung 1 */
	w.in[0].v.mem_bytes = 1e9 + 64e6 + 19.2e6;
	assert_int_equal(tick_ms(&w, S(11) + 300), 1);
	assert_int_equal(w.acts[0].rule, mg);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	assert_int_equal(w.acts[0].level, 1);
	assert_false(policy_refault_watch(&w.pc, w.st[0].r, S(11) + 300, &from, &above)); /* rung 1 */

	/* an early tick without refaults trips nothing: growing alone is no harm */
	world_defaults(&w);
	w.in[1].refault_s = 0;
	for (int k = 0; k <= 8; k++) {
		w.in[0].v.mem_bytes = 1e9 + (double)k * 32e6;
		assert_int_equal(tick_ms(&w, S(10) + (uint64_t)k * 500), 0);
	}

	/* io-hog's window open: nothing to watch (its urgent signal is io_wait) */
	world_defaults(&w);
	io_writer(&w);
	io_victim(&w, 20, 10000);
	quiet(&w, 10, 10);
	assert_true(w.st[0].r[policy_rule_find(&w.pc, "io-hog")].over);
	assert_false(policy_refault_watch(&w.pc, w.st[0].r, S(10), &from, &above));

	/* policy off: nothing */
	world_defaults(&w);
	w.in[0].v.mem_bytes = 1e9;
	quiet(&w, 10, 10);
	w.in[0].v.mem_bytes = 1e9 + 64e6;
	quiet(&w, 11, 11);
	assert_true(policy_refault_watch(&w.pc, w.st[0].r, S(11), &from, &above));
	w.pc.enabled = false;
	assert_false(policy_refault_watch(&w.pc, w.st[0].r, S(11), &from, &above));
}

/*
 * The watch's regular way: a leak whose 3 s growth window has held waits
 * only for one sample of neighbours' refaults past while_above (128
 * pages/s; a reader paced at 2,000 reads/s never passes urgent_above), so
 * the watch asks for an early tick at 128 once that window has held, not
 * before; and not for a rule whose refaults need a window of their own.
 */
static void test_refault_watch_regular_way(void **state)
{
	struct world w;
	uint64_t from = 0;
	double above = 0;
	int mg;

	(void)state;
	world_defaults(&w);
	mg = policy_rule_find(&w.pc, "mem-growth");
	w.in[1].v.mem_bytes = 5e8;
	w.in[1].refault_s = 0;
	for (uint64_t t = 10; t <= 13; t++) {
		w.in[0].v.mem_bytes = 1e9 + (double)(t - 10) * 64e6;
		quiet(&w, t, t);
		/* growth since 11: the window holds from 14, the urgent one's from 11.5 */
		assert_int_equal(policy_refault_watch(&w.pc, w.st[0].r, S(t), &from, &above),
				 t >= 11);
		if (t >= 11)
			assert_true(above == 2560);
	}
	w.in[0].v.mem_bytes = 1e9 + 4 * 64e6;
	quiet(&w, 14, 14);
	assert_true(w.st[0].r[mg].over);
	assert_true(policy_refault_watch(&w.pc, w.st[0].r, S(14), &from, &above));
	assert_true(above == 128);
	assert_int_equal(from, S(11) + 500 - POLICY_TICK_SLACK_MS);	/* the sooner way's */
	/* its early tick 0.3 s later: 300 pages/s read again is enough */
	w.in[0].v.mem_bytes = 1e9 + 4 * 64e6 + 19.2e6;
	w.in[1].refault_s = 300;
	assert_int_equal(tick_ms(&w, S(14) + 300), 1);
	assert_int_equal(w.acts[0].rule, mg);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	assert_false(policy_refault_watch(&w.pc, w.st[0].r, S(14) + 300, &from, &above));

	/* while_for = 1s: the refaults need their own window, no early tick at 128 */
	world_defaults(&w);
	w.pc.rules[mg].while_for_ms = 1000;
	w.in[1].refault_s = 0;
	for (uint64_t t = 10; t <= 16; t++) {
		w.in[0].v.mem_bytes = 1e9 + (double)(t - 10) * 64e6;
		quiet(&w, t, t);
	}
	assert_true(policy_refault_watch(&w.pc, w.st[0].r, S(16), &from, &above));
	assert_true(above == 2560);

	/* no urgent way (urgent_above = 0): only the regular one, once held */
	world_defaults(&w);
	w.pc.rules[mg].urgent_above = 0;
	w.in[1].refault_s = 0;
	for (uint64_t t = 10; t <= 16; t++) {
		w.in[0].v.mem_bytes = 1e9 + (double)(t - 10) * 64e6;
		quiet(&w, t, t);
		assert_int_equal(policy_refault_watch(&w.pc, w.st[0].r, S(t), &from, &above),
				 t >= 14);	/* 3 s from 11 */
	}
	assert_true(above == 128);
	assert_int_equal(from, S(11) + 3000 - POLICY_TICK_SLACK_MS);
}

/*
 * growth at 64 MiB/s from t = 0 with no refaults, then t = 11 with refaults
 * (pages/s); mem-growth's while_above set unless 0. Returns the rule.
 */
static int paced_rise(struct world *w, double while_above, double refaults)
{
	int mg;

	world_defaults(w);
	mg = policy_rule_find(&w->pc, "mem-growth");
	if (while_above > 0)
		w->pc.rules[mg].while_above = while_above;
	w->in[0].refault_s = 0;
	w->in[1].refault_s = 0;
	for (uint64_t t = 0; t <= 11; t++) {
		w->in[0].v.mem_bytes = 1e9 + (double)t * 64e6 * 1.048576;
		if (t == 11)
			w->in[1].refault_s = refaults;
		quiet(w, t, t);
	}
	return mg;
}

/* the next sample of the rise, an early tick at ms: growth since t = 0 and refaults */
static int paced_sample(struct world *w, uint64_t ms, double refaults)
{
	w->in[0].v.mem_bytes = 1e9 + (double)ms / 1e3 * 64e6 * 1.048576;
	w->in[1].refault_s = refaults;
	return tick_ms(w, ms);
}

/*
 * A reader paced at 2,000 reads/s beside a 64 MiB/s leak in a full box
 * (b_neighbour's mem scenario, one run sampled every 0.3 s, 2026-12-03):
 * its refaults rose as the leak ate into its cache, 97 pages/s over the
 * first tick's second, then 196 over the quarter second after it, 281 over
 * the second after that. At 128 pages/s (while_above) the refault watch's
 * early tick a quarter second past the tick trips mem-growth; at 256 it
 * waited for the next tick, 0.75 s later. 97 pages/s alone trips nothing.
 */
static void test_leak_trips_on_paced_readers_rise(void **state)
{
	struct world w;
	uint64_t from = 0;
	double above = 0;
	int mg;

	(void)state;
	mg = paced_rise(&w, 0, 97);
	assert_true(w.pc.rules[mg].while_above == 128);	/* the default */
	assert_true(policy_refault_watch(&w.pc, w.st[0].r, S(11), &from, &above));
	assert_true(above == 128);
	assert_int_equal(paced_sample(&w, S(11) + 250, 196), 1);
	assert_int_equal(w.acts[0].rule, mg);
	assert_int_equal(w.acts[0].kind, PA_APPLY);
	assert_true(w.acts[0].lim.set & LIM_MEM_HOLD);

	/* the same rise under the old 256: nothing until the 281 of the next tick */
	paced_rise(&w, 256, 97);
	assert_int_equal(paced_sample(&w, S(11) + 250, 196), 0);
	assert_int_equal(paced_sample(&w, S(12), 281), 1);
	assert_int_equal(w.acts[0].rule, mg);
}

/* a cron job every minute: each run may be demoted again, never capped */
static void test_repeat_burst_stays_gentle(void **state)
{
	struct world w;

	(void)state;
	world_defaults(&w);
	for (uint64_t t = 0; t < 600; t++) {
		bool burst = t % 60 < 3;
		int n;

		hog_and_victim(&w, burst ? 190 : 1, 120);
		n = tick(&w, t);
		for (int k = 0; k < n; k++)
			assert_true(w.acts[k].kind == PA_APPLY || w.acts[k].kind == PA_RELEASE);
		assert_true(w.st[0].level <= 1);
	}
}

/*
 * A leak grows for seconds before its neighbours lose anything (it fills
 * free memory first): mem-growth's window runs on the growth alone
 * (while_for = 0), so it trips at the first sample of refaults past
 * while_above once it has grown for 3 s, and past urgent_above (10 MiB/s
 * read again) once it has grown for two samples. Before (while_for = 1s)
 * the first case took a second sample: 4.9 s from the box's filling in
 * b_neighbour's mem scenario, whose reader is paced at 2,000 reads/s.
 */
static void test_leak_trips_soon_after_refaults(void **state)
{
	struct world w;
	char err[160];
	int n;

	(void)state;
	world_defaults(&w);
	int mg = policy_rule_find(&w.pc, "mem-growth");

	assert_int_equal(w.pc.rules[mg].while_for_ms, 0);
	w.in[0].refault_s = 0;
	for (uint64_t t = 0; t <= 20; t++) {
		w.in[0].v.mem_bytes = 1e9 + (double)t * 64e6 * 1.048576;	/* 64 MiB/s */
		w.in[1].refault_s = t >= 10 ? 2000 : 0;	/* free memory ran out at 10 */
		n = tick(&w, t);
		if (t < 10) {
			assert_int_equal(n, 0);
			continue;
		}
		assert_int_equal(n, 1);		/* t = 10: the first refaults, growth for 10 */
		assert_int_equal(w.acts[0].rule, mg);
		assert_int_equal(w.acts[0].kind, PA_APPLY);
		assert_true(w.acts[0].lim.set & LIM_MEM_HOLD);
		break;
	}
	assert_int_equal(w.st[0].level, 1);

	/* refaults past urgent_above: the first sample of them is enough */
	world_defaults(&w);
	for (uint64_t t = 0; t <= 20; t++) {
		w.in[0].v.mem_bytes = 1e9 + (double)t * 64e6 * 1.048576;
		w.in[1].refault_s = t >= 10 ? 50000 : 0;
		n = tick(&w, t);
		assert_int_equal(n, t == 10);
		if (n) {
			assert_int_equal(w.acts[0].rule, mg);
			assert_int_equal(w.acts[0].kind, PA_APPLY);
			break;
		}
	}
	/* ... but only after 1 s of growth: a leak that just started waits for its second sample */
	world_defaults(&w);
	for (uint64_t t = 0; t <= 20; t++) {
		w.in[0].v.mem_bytes = 1e9 + (t >= 10 ? (double)(t - 9) * 64e6 : 0);
		w.in[1].refault_s = t >= 10 ? 50000 : 0;
		assert_int_equal(tick(&w, t), t == 11);
		if (t == 11)
			break;
	}

	/*
	 * growth of 2 s (two samples) beside refaults all along is not enough:
	 * the 3 s window keeps a burst out; a neighbour refaulting alone is not
	 * either (below)
	 */
	world_defaults(&w);
	for (uint64_t t = 0; t <= 30; t++) {
		w.in[0].v.mem_bytes = 1e9 + (double)(t < 10 ? 0 : t > 12 ? 2 : t - 10) * 100e6;
		w.in[1].refault_s = t >= 10 ? 2000 : 0;
		assert_int_equal(tick(&w, t), 0);
	}
	/* a tenant growing fast while nobody refaults: never */
	world_defaults(&w);
	for (uint64_t t = 0; t <= 30; t++) {
		w.in[0].v.mem_bytes = 1e9 + (double)t * 100e6;
		w.in[1].refault_s = 0;
		assert_int_equal(tick(&w, t), 0);
	}
	world_defaults(&w);
	w.in[0].v.mem_bytes = 1e9;			/* not growing */
	w.in[1].refault_s = 5000;
	quiet(&w, 0, 60);

	/* while_for = for: one window over both again */
	world_defaults(&w);
	assert_int_equal(policy_parse_kv(&w.pc, "rule:mem-growth", "while_for", "for", err,
					 sizeof(err)), 0);
	assert_int_equal(w.pc.rules[mg].while_for_ms, POLICY_SAME_WINDOW);
	for (uint64_t t = 0; t <= 13; t++) {
		w.in[0].v.mem_bytes = 1e9 + (double)t * 100e6;
		w.in[1].refault_s = t >= 10 ? 2000 : 0;
		assert_int_equal(tick(&w, t), t == 13);	/* 3 s of both */
	}
	assert_int_equal(policy_parse_kv(&w.pc, "rule:mem-growth", "while_for", "soon", err,
					 sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_alone_is_left_alone),
		cmocka_unit_test(test_tstate_sized_by_rules),
		cmocka_unit_test(test_trips_exactly_after_for),
		cmocka_unit_test(test_interrupted_condition_restarts_window),
		cmocka_unit_test(test_own_suffering_does_not_count),
		cmocka_unit_test(test_signal_sums_others),
		cmocka_unit_test(test_nan_never_trips),
		cmocka_unit_test(test_no_cgroup_no_action),
		cmocka_unit_test(test_full_ladder),
		cmocka_unit_test(test_release_with_hysteresis),
		cmocka_unit_test(test_calm_needs_full_period),
		cmocka_unit_test(test_step_down_one_rung_at_a_time),
		cmocka_unit_test(test_no_flapping),
		cmocka_unit_test(test_kill_step_down_skips_freeze),
		cmocka_unit_test(test_forget_window),
		cmocka_unit_test(test_forget_never_reenters_freeze),
		cmocka_unit_test(test_exempt_untouched_and_released),
		cmocka_unit_test(test_dry_run_global),
		cmocka_unit_test(test_dry_run_per_rule),
		cmocka_unit_test(test_disabled_globally_releases),
		cmocka_unit_test(test_mem_growth_holds_current),
		cmocka_unit_test(test_effective_strictest),
		cmocka_unit_test(test_enospc_still_advances),
		cmocka_unit_test(test_next_holds_only_the_rules),
		cmocka_unit_test(test_remap_by_name),
		cmocka_unit_test(test_grace_keeps_window_over_short_dip),
		cmocka_unit_test(test_gentle_rung_trips_in_a_second),
		cmocka_unit_test(test_gentle_at_once_when_stalled),
		cmocka_unit_test(test_wait_behind_non_tenants_is_no_harm),
		cmocka_unit_test(test_cpu_demoted_rungs),
		cmocka_unit_test(test_demoted_suffering_is_no_harm),
		cmocka_unit_test(test_fork_alarm_gentle_at_once),
		cmocka_unit_test(test_fork_alarm_limits),
		cmocka_unit_test(test_window_tolerates_tick_jitter),
		cmocka_unit_test(test_gentle_holds_while_heavy),
		cmocka_unit_test(test_gentle_then_quota_if_still_suffering),
		cmocka_unit_test(test_short_burst_never_past_gentle),
		cmocka_unit_test(test_leak_trips_on_paced_readers_rise),
		cmocka_unit_test(test_io_urgent_window),
		cmocka_unit_test(test_io_weight_gentle_rung),
		cmocka_unit_test(test_io_urgent_per_request),
		cmocka_unit_test(test_refault_watch),
		cmocka_unit_test(test_refault_watch_regular_way),
		cmocka_unit_test(test_repeat_burst_stays_gentle),
		cmocka_unit_test(test_leak_trips_soon_after_refaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
