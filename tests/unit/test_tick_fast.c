// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_tick_fast.c - the tick's shortcuts for calm tenants (issue 15, 10,000
 * tenants) against the full computation they replace, with literal structs:
 *  - policy_evaluate's per-tenant summary (struct policy_tnext: win_opened,
 *    win_closed, keep, from) equals what a second pass over the previous
 *    and next rule states says (what src/quelld/decide.c did before);
 *  - policy_tstate_commit skips the copy only into the very state r[] was
 *    evaluated from and equal to, and leaves the same state as a copy;
 *  - decide()'s limits with the ladder read only when a rung is in force
 *    equal decide_limits() (which reads every rule state) for every tenant
 *    of every tick, while rules trip, climb, freeze and release: the
 *    shortcut never hides a rule that trips.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decide.h"
#include "fixture_policy.h"

#define S(x)	((uint64_t)(x) * 1000)
#define BASE	S(1700000000)
#define NT	6

static struct {
	struct policy_config pc;
	struct qm_view v[NT];
	struct qm_rates r[NT];
	struct policy_tstate pol[NT];
	struct tenant_limits lim[NT];
	struct state_tenant st[NT];
	struct state_tenant *stp[NT];
	bool exempt[NT];
	struct decide_in in[NT];
	struct decide_plan p;
} W;

static void world(void)
{
	char err[200];

	decide_plan_free(&W.p);
	for (int i = 0; i < NT; i++)
		policy_tstate_free(&W.pol[i]);
	memset(&W, 0, sizeof(W));
	policy_config_init(&W.pc);
	/* the 4 built-in rules, and one with a freeze and a kill to climb through */
	assert_int_equal(policy_parse_kv(&W.pc, "rule:hard", "metric", "cpu_pct", err,
					 sizeof(err)), 0);
	assert_int_equal(policy_parse_kv(&W.pc, "rule:hard", "above", "150%", err, sizeof(err)), 0);
	assert_int_equal(policy_parse_kv(&W.pc, "rule:hard", "for", "3s", err, sizeof(err)), 0);
	assert_int_equal(policy_parse_kv(&W.pc, "rule:hard", "while", "suffered_sum", err,
					 sizeof(err)), 0);
	assert_int_equal(policy_parse_kv(&W.pc, "rule:hard", "while_above", "50", err,
					 sizeof(err)), 0);
	assert_int_equal(policy_parse_kv(&W.pc, "rule:hard", "calm", "5s", err, sizeof(err)), 0);
	assert_int_equal(policy_parse_kv(&W.pc, "rule:hard", "steps",
					 "cpu=50% for 5s, freeze for 3s, kill", err, sizeof(err)), 0);
	assert_int_equal(policy_config_finish(&W.pc, err, sizeof(err)), 0);
	assert_int_equal(W.pc.nr_rules, 5);
	for (int i = 0; i < NT; i++) {
		W.v[i] = fx_view(1, 0);
		W.v[i].mem_bytes = 1e6;
		W.v[i].nproc = 1;
		for (int k = 0; k < QM_NR; k++)
			W.r[i].r[k] = NAN;
		/* sized by the rules, as act_tenant_added does: the commit shortcut applies */
		assert_int_equal(policy_tstate_resize(&W.pol[i], W.pc.nr_rules), 0);
		policy_tstate_init(&W.pol[i]);
		limits_init(&W.lim[i]);
		limits_init(&W.st[i].over);
		limits_init(&W.st[i].manual_lim);
	}
}

static int teardown(void **state)
{
	(void)state;
	decide_plan_free(&W.p);
	for (int i = 0; i < NT; i++)
		policy_tstate_free(&W.pol[i]);
	return 0;
}

static void limits_eq(const struct tenant_limits *a, const struct tenant_limits *b)
{
	assert_int_equal(a->set, b->set);
	if (a->set & LIM_CPU)
		assert_true(a->cpu_pct == b->cpu_pct);
	assert_int_equal(a->mem_high, b->mem_high);
	assert_int_equal(a->mem_max, b->mem_max);
	assert_int_equal(a->nproc, b->nproc);
	assert_int_equal(a->io_rbps, b->io_rbps);
	assert_int_equal(a->io_wbps, b->io_wbps);
	assert_int_equal(a->cpu_weight, b->cpu_weight);
	assert_int_equal(a->cpu_idle, b->cpu_idle);
	assert_int_equal(a->mem_hold, b->mem_hold);
}

/*
 * One tick at BASE + s, checked against the full computation; commits as
 * tick_act does. Returns a bit per tenant that had a dynamic limit or a freeze.
 */
static unsigned tick(int s)
{
	struct policy_rstate before[NT][POLICY_MAX_RULES];
	uint64_t now = BASE + S(s);
	unsigned held = 0;
	int nact;

	for (int i = 0; i < NT; i++) {
		memcpy(before[i], W.pol[i].r, sizeof(before[i][0]) * (size_t)W.pol[i].nr);
		W.in[i] = (struct decide_in){
			.name = "t", .view = &W.v[i], .rates = &W.r[i], .pol = &W.pol[i],
			.lim = &W.lim[i], .st = W.stp[i], .exempt = W.exempt[i], .has_cg = true,
		};
	}
	nact = decide(&W.pc, W.in, NT, now, &W.p);
	assert_true(nact >= 0);
	for (int i = 0; i < NT; i++) {
		const struct policy_tnext *b = &W.p.next[i];
		const struct decide_out *o = &W.p.out[i];
		uint16_t opened = 0, closed = 0;
		struct decide_out ref;
		bool keep = false, same;

		/* the second pass decide.c made before policy_evaluate summed it up */
		for (int ri = 0; ri < W.pc.nr_rules; ri++) {
			const struct policy_rstate *ra = &before[i][ri], *rb = &b->r[ri];

			if (!rb->level && ra->over != rb->over) {
				if (rb->over)
					opened |= (uint16_t)(1u << ri);
				else
					closed |= (uint16_t)(1u << ri);
			}
			keep |= rb->level || rb->released_from;
		}
		assert_int_equal(o->win_opened, opened);
		assert_int_equal(o->win_closed, closed);
		assert_int_equal(o->keep_ladder, keep);
		same = !memcmp(before[i], b->r, sizeof(b->r[0]) * (size_t)W.pc.nr_rules);
		assert_ptr_equal(b->from, same ? &W.pol[i] : NULL);

		policy_tstate_commit(&W.pc, &W.pol[i], b);
		assert_memory_equal(W.pol[i].r, b->r, sizeof(b->r[0]) * (size_t)W.pc.nr_rules);
		assert_int_equal(W.pol[i].level, b->level);

		/* the limits from every rule state of the committed ladder */
		memset(&ref, 0, sizeof(ref));
		decide_limits(&W.pc, 0, &W.lim[i], W.stp[i], o->manual_expired, &W.pol[i], NULL, &ref);
		limits_eq(&o->dyn, &ref.dyn);
		limits_eq(&o->full, &ref.full);
		assert_int_equal(o->frozen, ref.frozen);
		assert_int_equal(o->rule, ref.rule);
		assert_int_equal(o->until, ref.until);
		if (o->dyn.set || o->frozen)
			held |= 1u << i;
	}
	return held;
}

/*
 * Tenant 0 hogs the CPU while 1 suffers (cpu-hog and "hard" trip, climb to
 * the freeze and the kill, then calm down and are released); 2 is exempt,
 * 3 forks in bursts, 4 has a `set` override and a manual throttle that runs
 * out, 5 stays idle throughout. Every tick is checked by tick().
 */
static void test_calm_shortcuts_match_full(void **state)
{
	unsigned held = 0, ever = 0;
	int s = 0;

	(void)state;
	world();
	W.exempt[2] = true;
	W.stp[4] = &W.st[4];
	W.st[4].over.set = LIM_NPROC;
	W.st[4].over.nproc = 100;
	W.st[4].manual = SM_THROTTLE;
	W.st[4].manual_lim.set = LIM_CPU;
	W.st[4].manual_lim.cpu_pct = 25;
	W.st[4].manual_until = BASE / 1000 + 20;

	for (; s < 5; s++)
		held |= tick(s);			/* all calm, tenant 4 held by hand */
	assert_int_equal(held, 1u << 4);
	W.v[0].cpu_pct = 190;
	W.v[2].cpu_pct = 190;
	W.v[1].suffered_ms_s = 400;
	for (; s < 60; s++) {
		W.v[3].forks_s = s % 4 ? 0 : 500;
		held = tick(s);
		ever |= held;
	}
	assert_true(ever & 1u);				/* the hog was caught */
	assert_false(ever & (1u << 2));			/* exempt */
	assert_false(ever & (1u << 5));			/* idle */
	W.v[0].cpu_pct = 1;
	W.v[2].cpu_pct = 1;
	W.v[1].suffered_ms_s = 0;
	W.v[3].forks_s = 0;
	for (; s < 400; s++)
		held = tick(s);
	assert_int_equal(held, 0);			/* released, manual expired */
}

/* commit copies unless into the state it was evaluated from and equal to it */
static void test_commit_shortcut_only_into_its_prev(void **state)
{
	struct policy_rstate nr[5];
	struct policy_tstate other = { 0 };
	struct policy_tnext b = { .level = 0, .rule = -1, .r = nr };

	(void)state;
	world();
	assert_int_equal(policy_tstate_resize(&other, W.pc.nr_rules), 0);
	policy_tstate_init(&other);
	memset(nr, 0, sizeof(nr));
	nr[2].level = 1;
	nr[2].since_ms = BASE;
	b.level = 1;
	b.rule = 2;
	/* from names another state: the copy is made */
	b.from = &other;
	policy_tstate_commit(&W.pc, &W.pol[0], &b);
	assert_memory_equal(W.pol[0].r, nr, sizeof(nr));
	/* no from: the copy is made */
	b.from = NULL;
	policy_tstate_commit(&W.pc, &other, &b);
	assert_memory_equal(other.r, nr, sizeof(nr));
	assert_int_equal(other.level, 1);
	policy_tstate_free(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_calm_shortcuts_match_full, teardown),
		cmocka_unit_test_teardown(test_commit_shortcut_only_into_its_prev, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
