// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cpu_share.c - contention is not harm (src/policy/cpu_share.c): the
 * CPUs' fair level of the tenants' demands, who contends, and the built-in
 * rules with that gate on (policy_evaluate's cpu_level), from literal samples.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_policy.h"
#include "policy.h"

#define S(x)	((uint64_t)(x) * 1000)
#define NT	4

/* a tenant's sample: cpu %, wait behind other tenants (ms/s) */
static struct policy_input tenant(double cpu, double behind)
{
	struct policy_input in = { .name = "t", .has_cg = true, .v = fx_view(cpu, behind) };

	in.v.behind_ms_s = behind;
	return in;
}

static void test_demand(void **state)
{
	struct policy_input in = tenant(88, 124);

	(void)state;
	assert_true(fabs(policy_cpu_demand(&in) - 100.4) < 1e-9);
	in = tenant(112, 883);		/* H: 8 threads, waiting behind V's */
	assert_true(fabs(policy_cpu_demand(&in) - 200.3) < 1e-9);
	/*
	 * t_policy_cpu's handler in one 100 ms sample beside the hog: 57 %,
	 * 135.1 ms/s behind others (and 501 behind itself, its own doing:
	 * not a wish for others' CPU). It wants 70.51 %, under the level.
	 */
	in = tenant(57, 135.1);
	assert_true(fabs(policy_cpu_demand(&in) - 70.51) < 1e-9);
	assert_false(policy_cpu_contending(&in, 100));
	in = tenant(40, NAN);		/* waits unknown: what it ran */
	assert_true(policy_cpu_demand(&in) == 40);
	in = tenant(NAN, 100);
	assert_true(isnan(policy_cpu_demand(&in)));
	/* no BPF: behind unknown, the whole wait (procfs run_delay) */
	in = tenant(50, NAN);
	in.v.suffered_ms_s = 500;
	assert_true(policy_cpu_demand(&in) == 100);
}

static void test_level(void **state)
{
	struct policy_input in[NT];

	(void)state;
	/* four single threads on 2 CPUs, a 100 ms sample: each wants one CPU */
	in[0] = tenant(92, 80);
	in[1] = tenant(8, 920);
	in[2] = tenant(50, 500);
	in[3] = tenant(50, 500);
	assert_true(fabs(policy_cpu_level(in, NT, 2) - 50) < 1e-9);
	for (int i = 0; i < NT; i++)
		assert_true(policy_cpu_contending(&in[i], 50));

	/* issue 14 item 4: V (1 thread) beside H (8): V wants its share, H more */
	in[0] = tenant(88, 124);
	in[1] = tenant(112, 883);
	assert_true(fabs(policy_cpu_level(in, 2, 2) - 100) < 1e-9);
	assert_false(policy_cpu_contending(&in[0], 100));
	assert_true(policy_cpu_contending(&in[1], 100));

	/* t_policy_cpu_alarm: the handler (3 threads, 60 %) beside the hog's 8 shells */
	in[0] = tenant(60, 100);
	in[1] = tenant(135, 600);
	assert_true(fabs(policy_cpu_level(in, 2, 2) - 130) < 1e-9);
	assert_false(policy_cpu_contending(&in[0], 130));
	assert_true(policy_cpu_contending(&in[1], 130));

	/* two single threads and an 8-thread tenant: a third each, all contend */
	in[0] = tenant(66, 340);
	in[1] = tenant(66, 340);
	in[2] = tenant(68, 3000);
	assert_true(fabs(policy_cpu_level(in, 3, 2) - 200.0 / 3) < 1e-9);
	for (int i = 0; i < 3; i++)
		assert_true(policy_cpu_contending(&in[i], 200.0 / 3));

	/* light tenants leave their part to the others: two at 10 %, two CPU-bound */
	in[0] = tenant(10, 0);
	in[1] = tenant(10, 0);
	in[2] = tenant(90, 100);
	in[3] = tenant(90, 100);
	assert_true(fabs(policy_cpu_level(in, NT, 2) - 90) < 1e-9);
	assert_false(policy_cpu_contending(&in[0], 90));
	assert_true(policy_cpu_contending(&in[2], 90));

	/* the demands fit (nobody contends), or the CPUs are unknown */
	in[0] = tenant(60, 100);
	in[1] = tenant(130, 0);
	assert_true(isinf(policy_cpu_level(in, 2, 2)));
	assert_false(policy_cpu_contending(&in[1], INFINITY));
	in[1] = tenant(135, 600);
	assert_true(isinf(policy_cpu_level(in, 2, 0)));
	assert_true(isinf(policy_cpu_level(in, 0, 2)));
	/* an unknown sample wants nothing and contends with nobody */
	in[0] = tenant(NAN, 0);
	in[1] = tenant(190, 0);
	assert_true(isinf(policy_cpu_level(in, 2, 2)));
	assert_false(policy_cpu_contending(&in[0], 10));
}

/* the built-in rules over NT tenants; ncpu 0 switches the gate off */
struct world {
	struct policy_config pc;
	int ncpu;
	struct policy_input in[NT];
	struct policy_tstate st[NT];
	struct policy_rstate r[NT][POLICY_MAX_RULES];
	struct policy_action acts[16];
};

static void world_init(struct world *w, int ncpu)
{
	char err[160];

	memset(w, 0, sizeof(*w));
	policy_config_init(&w->pc);
	assert_int_equal(policy_config_finish(&w->pc, err, sizeof(err)), 0);
	w->ncpu = ncpu;
	for (int i = 0; i < NT; i++) {
		w->st[i].r = w->r[i];
		w->st[i].nr = POLICY_MAX_RULES;
		policy_tstate_init(&w->st[i]);
		w->in[i] = tenant(1, 0);
	}
}

/* one tick at now_ms over n tenants, judged by their level, as decide() does: the actions */
static int tick(struct world *w, int n, uint64_t now_ms)
{
	return fx_tick(&w->pc, w->in, w->st, n, policy_cpu_level(w->in, n, w->ncpu), now_ms,
		       w->acts, 16);
}

/*
 * Four CPU-bound single threads on 2 CPUs (a CI run of t_robust_maps):
 * 100 ms samples where the load balancer gave one 92 % and another 8 %.
 * Without the gate cpu-hog put the 92 % one on cpu.idle at once (the 8 %
 * one waited 920 ms/s); with it, nobody is touched in a minute of them.
 */
static void test_equals_never_demoted(void **state)
{
	static const double cpu[NT] = { 92, 8, 50, 50 };
	struct world w;
	int acts = 0;

	(void)state;
	world_init(&w, 0);
	for (int i = 0; i < NT; i++)
		w.in[i] = tenant(cpu[i], 1000 - cpu[i] * 10);
	assert_int_equal(tick(&w, NT, S(100)), 1);	/* the gate off: the old way */
	assert_int_equal(w.acts[0].tenant, 0);
	assert_int_equal(w.acts[0].lim.set, LIM_CPU_IDLE);

	world_init(&w, 2);
	for (uint64_t ms = S(100); ms <= S(160); ms += 100) {
		int k = (int)(ms / 100) % NT;

		/* the lucky one moves round; everyone wants a whole CPU */
		for (int i = 0; i < NT; i++) {
			double c = cpu[(i + k) % NT];

			w.in[i] = tenant(c, 1000 - c * 10);
		}
		acts += tick(&w, NT, ms);
	}
	assert_int_equal(acts, 0);
	for (int i = 0; i < NT; i++)
		assert_int_equal(w.st[i].level, 0);
}

/*
 * The gate keeps the victims' harm: issue 14 item 4's V (1 thread, wants
 * its share) beside H (8 threads) on 2 CPUs puts H on cpu.idle at the
 * first sample (V waited 124 ms/s behind it), as t_policy_cpu_alarm's
 * handler beside the hog does.
 */
static void test_victim_below_level_still_counts(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 2);
	w.in[0] = tenant(112, 883);
	w.in[1] = tenant(88, 124);
	assert_int_equal(tick(&w, 2, S(100)), 1);
	assert_int_equal(w.acts[0].tenant, 0);
	assert_int_equal(w.acts[0].lim.set, LIM_CPU_IDLE);

	world_init(&w, 2);
	w.in[0] = tenant(135, 600);
	w.in[1] = tenant(60, 100);
	assert_int_equal(tick(&w, 2, S(100)), 1);
	assert_int_equal(w.acts[0].tenant, 0);

	/* a third CPU-bound single thread: a third each, nobody's waits are harm */
	world_init(&w, 2);
	w.in[0] = tenant(68, 3000);
	w.in[1] = tenant(66, 340);
	w.in[2] = tenant(66, 340);
	for (int s = 100; s <= 160; s++)
		assert_int_equal(tick(&w, 3, S(s)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demand),
		cmocka_unit_test(test_level),
		cmocka_unit_test(test_equals_never_demoted),
		cmocka_unit_test(test_victim_below_level_still_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
