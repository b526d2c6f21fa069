// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_decide.c - the tick's decide stage (src/quelld/decide.c) with
 * literal structs: no daemon, no cgroup tree, no clock. The ladder as the
 * act stage sees it (tests/unit/test_enforcer.c checks the same ticks
 * through the files written), manual expiry, how a `set` override, the
 * ladder and a manual throttle or freeze merge, and the plan's memory.
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
#define BASE	S(1700000000)		/* a CLOCK_REALTIME ms, whole seconds */
#define LADDER	"cpu=50% for 60s, cpu=25% for 300s, freeze for 60s, kill"

/* one rule "cpu" (index 0): cpu_pct > 80 for 10s while signal > 50, calm 30s, LADDER */
static void cfg_cpu(struct policy_config *pc, const char *signal)
{
	fx_cfg_cpu(pc, signal, LADDER);
}

static void cfg_default(struct policy_config *pc)
{
	char err[200];

	policy_config_init(pc);
	assert_int_equal(policy_config_finish(pc, err, sizeof(err)), 0);
}

/* up to 100 tenants: what gather would have filled, and the ladders act keeps */
struct world {
	struct policy_config pc;
	int n;
	struct qm_view v[100];
	struct qm_rates r[100];
	struct policy_tstate pol[100];
	struct tenant_limits lim[100];
	struct state_tenant *st[100];
	bool exempt[100];
	struct decide_in in[100];
	struct decide_plan p;
};

static struct world W;
/* W.pol's rule states: POLICY_MAX_RULES each, so a test can set any before a tick */
static struct policy_rstate W_r[100][POLICY_MAX_RULES];

static void world(int n)
{
	decide_plan_free(&W.p);
	memset(&W, 0, sizeof(W));
	W.n = n;
	for (int i = 0; i < n; i++) {
		W.v[i] = fx_view(1, 0);
		for (int k = 0; k < QM_NR; k++)
			W.r[i].r[k] = NAN;
		W.pol[i].r = W_r[i];
		W.pol[i].nr = POLICY_MAX_RULES;
		policy_tstate_init(&W.pol[i]);
		limits_init(&W.lim[i]);
	}
}

static int teardown(void **state)
{
	(void)state;
	decide_plan_free(&W.p);
	return 0;
}

/* one tick at BASE + s seconds; the next ladders become the current ones, as act does */
static int tick(int s)
{
	int nact;

	for (int i = 0; i < W.n; i++)
		W.in[i] = (struct decide_in){
			.name = "t", .view = &W.v[i], .rates = &W.r[i], .pol = &W.pol[i],
			.lim = &W.lim[i], .st = W.st[i], .exempt = W.exempt[i], .has_cg = true,
		};
	nact = decide(&W.pc, W.in, W.n, BASE + S(s), &W.p);
	assert_true(nact >= 0);
	assert_int_equal(W.p.n, W.n);
	for (int i = 0; i < W.n; i++)
		policy_tstate_commit(&W.pc, &W.pol[i], &W.p.next[i]);
	return nact;
}

/* hog (0) at cpu %, victim (1) suffering ms/s, ticks from..to; returns the actions */
static int run(double cpu, double suff, int from, int to)
{
	int n = 0;

	W.v[0].cpu_pct = cpu;
	W.v[1].suffered_ms_s = suff;
	for (int s = from; s <= to; s++)
		n += tick(s);
	return n;
}

/* test_enforcer.c's test_rule_trips_and_writes, its first rung, as decisions */
static void test_rule_trips(void **state)
{
	int hog;

	(void)state;
	world(2);
	cfg_default(&W.pc);
	hog = policy_rule_find(&W.pc, "cpu-hog");
	assert_true(hog >= 0);

	assert_int_equal(run(190, 0, 0, 30), 0);	/* busy, nobody hurt */
	assert_int_equal(run(190, 40, 31, 31), 0);	/* the window opens */
	assert_int_equal(W.p.out[0].win_opened, 1u << hog);
	assert_int_equal(W.p.out[0].win_closed, 0);
	assert_int_equal(W.p.out[1].win_opened, 0);
	assert_int_equal(run(190, 40, 32, 32), 1);	/* 1 s: the gentle rung */
	assert_int_equal(W.p.nact, 1);
	assert_int_equal(W.p.acts[0].tenant, 0);
	assert_int_equal(W.p.acts[0].kind, PA_APPLY);
	assert_int_equal(W.p.acts[0].rule, hog);
	assert_false(W.p.acts[0].dry_run);
	assert_int_equal(W.p.out[0].dyn.cpu_idle, 1);
	assert_int_equal(W.p.out[0].full.cpu_idle, 1);
	assert_true(isinf(W.p.out[0].full.cpu_pct));	/* no cap yet */
	assert_int_equal(W.p.out[0].rule, hog);
	assert_int_equal(W.p.out[0].until, BASE / 1000 + 32 + 10);
	assert_false(W.p.out[0].frozen);
	assert_true(W.p.out[0].keep_ladder);
	assert_int_equal(W.p.out[1].dyn.set, 0);
	assert_int_equal(W.p.out[1].rule, DECIDE_RULE_NONE);
	assert_false(W.p.out[1].keep_ladder);

	/* neighbours still suffer while it is demoted: the quota */
	assert_int_equal(run(190, 40, 33, 41), 0);
	assert_int_equal(run(190, 40, 42, 42), 1);
	assert_int_equal(W.p.acts[0].kind, PA_ESCALATE);
	assert_true(W.p.out[0].full.cpu_pct == 50);
	assert_int_equal(W.p.out[0].full.cpu_idle, 1);
	assert_int_equal(W.p.out[0].until, BASE / 1000 + 42 + 60);
}

/* test_enforcer.c's test_dry_run_writes_nothing, as decisions */
static void test_dry_run_decides_no_limit(void **state)
{
	(void)state;
	world(2);
	cfg_default(&W.pc);
	W.pc.dry_run = 1;
	assert_int_equal(run(190, 40, 0, 10), 1);
	assert_true(W.p.acts[0].dry_run);
	assert_int_equal(W.p.out[0].dyn.set, 0);
	assert_true(isinf(W.p.out[0].full.cpu_pct));
	assert_int_equal(W.p.out[0].full.cpu_idle, CG_UNLIMITED);
	assert_false(W.p.out[0].frozen);
}

/* test_enforcer.c's test_exempt_untouched, as decisions */
static void test_exempt_never_acted_on(void **state)
{
	(void)state;
	world(2);
	cfg_default(&W.pc);
	W.exempt[0] = true;
	assert_int_equal(run(190, 40, 0, 100), 0);
	assert_int_equal(W.p.out[0].dyn.set, 0);
}

/* test_enforcer.c's test_default_nproc: pids.max 512 unless the limits say otherwise */
static void test_default_nproc(void **state)
{
	char err[100];

	(void)state;
	world(2);
	cfg_default(&W.pc);
	assert_int_equal(limits_parse_kv(&W.lim[1], "nproc", "unlimited", err, sizeof(err)), 0);
	assert_int_equal(tick(0), 0);
	assert_int_equal(W.p.out[0].full.nproc, 512);
	assert_int_equal(W.p.out[1].full.nproc, CG_UNLIMITED);
}

static void manual_throttle(struct state_tenant *st, const char *cpu, uint64_t until)
{
	char err[100];

	memset(st, 0, sizeof(*st));
	limits_init(&st->over);
	limits_init(&st->manual_lim);
	st->manual = SM_THROTTLE;
	assert_int_equal(limits_parse_kv(&st->manual_lim, "cpu", cpu, err, sizeof(err)), 0);
	st->manual_until = until;
}

/* a throttle for 10 s from 990 s is in force up to 999.999 s, gone at exactly 1000 s */
static void test_manual_expiry_at_until(void **state)
{
	struct state_tenant st;

	(void)state;
	world(1);
	cfg_default(&W.pc);
	manual_throttle(&st, "25%", 1000);
	W.st[0] = &st;

	assert_false(decide_manual_expired(&st, S(1000) - 1));
	assert_true(decide_manual_expired(&st, S(1000)));
	assert_false(decide_manual_expired(NULL, S(1000)));

	assert_int_equal(decide(&W.pc, (struct decide_in[]){ {
		.name = "alice", .view = &W.v[0], .rates = &W.r[0], .pol = &W.pol[0],
		.lim = &W.lim[0], .st = &st, .has_cg = true } }, 1, S(1000) - 1, &W.p), 0);
	assert_false(W.p.out[0].manual_expired);
	assert_true(W.p.out[0].full.cpu_pct == 25);
	assert_true(W.p.out[0].dyn.cpu_pct == 25);
	assert_int_equal(W.p.out[0].rule, DECIDE_RULE_MANUAL);
	assert_int_equal(W.p.out[0].until, 1000);

	assert_int_equal(decide(&W.pc, (struct decide_in[]){ {
		.name = "alice", .view = &W.v[0], .rates = &W.r[0], .pol = &W.pol[0],
		.lim = &W.lim[0], .st = &st, .has_cg = true } }, 1, S(1000), &W.p), 0);
	assert_true(W.p.out[0].manual_expired);
	assert_true(isinf(W.p.out[0].full.cpu_pct));
	assert_int_equal(W.p.out[0].dyn.set, 0);
	assert_int_equal(W.p.out[0].rule, DECIDE_RULE_NONE);
	assert_int_equal(W.p.out[0].until, 0);
	assert_int_equal(st.manual, SM_THROTTLE);	/* decided, not done: act clears it */

	/* until 0: until released */
	st.manual_until = 0;
	assert_false(decide_manual_expired(&st, UINT64_MAX));
}

/* rule 0 at level (1: cpu=50% from 100 s; 3: the freeze, over the 25% rung) */
static void ladder_at(struct policy_tstate *pol, int level)
{
	policy_tstate_init(pol);
	pol->level = level;
	pol->rule = 0;
	pol->r[0].level = level;
	pol->r[0].since_ms = S(100);
}

/*
 * issue 14: every tenant's memory limit is 50 % of what the tenants share
 * (plan.mem_base, gather's) unless its limits say otherwise, in bytes of
 * this tick's base; a [tenant:NAME] size, `unlimited` and a `set` override
 * replace it, a rung or manual throttle only tightens it.
 */
static void test_mem_share_default(void **state)
{
	const uint64_t M = 1ULL << 20;
	struct state_tenant st;
	char err[100];

	(void)state;
	world(4);
	cfg_default(&W.pc);
	assert_int_equal(limits_parse_kv(&W.lim[1], "mem", "unlimited", err, sizeof(err)), 0);
	assert_int_equal(limits_parse_kv(&W.lim[2], "mem", "100M", err, sizeof(err)), 0);
	assert_int_equal(limits_parse_kv(&W.lim[3], "mem", "25%", err, sizeof(err)), 0);
	memset(&st, 0, sizeof(st));
	limits_init(&st.over);
	limits_init(&st.manual_lim);
	W.p.mem_base = 512 * M;
	assert_int_equal(tick(0), 0);
	assert_true(W.p.out[0].full.mem_max == 256 * M);
	assert_true(W.p.out[1].full.mem_max == CG_UNLIMITED);
	assert_true(W.p.out[2].full.mem_max == 100 * M);
	assert_true(W.p.out[3].full.mem_max == 128 * M);
	assert_int_equal(W.p.out[0].dyn.set, 0);	/* a static limit, not a throttle */

	/* the base changes (the admin boxed the tenants at 1 GiB): the bytes follow */
	W.p.mem_base = 1024 * M;
	assert_int_equal(tick(1), 0);
	assert_true(W.p.out[0].full.mem_max == 512 * M);
	assert_true(W.p.out[2].full.mem_max == 100 * M);
	assert_true(W.p.out[3].full.mem_max == 256 * M);

	/* a `set` override replaces the default, either way */
	assert_int_equal(limits_parse_kv(&st.over, "mem", "600M", err, sizeof(err)), 0);
	W.st[0] = &st;
	assert_int_equal(tick(2), 0);
	assert_true(W.p.out[0].full.mem_max == 600 * M);
	assert_int_equal(limits_parse_kv(&st.over, "mem", "10%", err, sizeof(err)), 0);
	assert_int_equal(tick(3), 0);
	assert_true(W.p.out[0].full.mem_max == (1024 * M / 10) / 4096 * 4096);

	/* a manual throttle in shares tightens, never loosens */
	limits_init(&st.over);
	st.manual = SM_THROTTLE;
	assert_int_equal(limits_parse_kv(&st.manual_lim, "mem", "75%", err, sizeof(err)), 0);
	assert_int_equal(tick(4), 0);
	assert_true(W.p.out[0].full.mem_max == 512 * M);
	assert_int_equal(limits_parse_kv(&st.manual_lim, "mem", "20%", err, sizeof(err)), 0);
	assert_int_equal(tick(5), 0);
	assert_true(W.p.out[0].full.mem_max == (1024 * M / 5) / 4096 * 4096);
	assert_true(W.p.out[0].dyn.mem_max == W.p.out[0].full.mem_max);

	/* no base known: a share limits nothing (never a limit of 0) */
	st.manual = SM_NONE;
	W.p.mem_base = 0;
	assert_int_equal(tick(6), 0);
	assert_true(W.p.out[0].full.mem_max == CG_UNLIMITED);
}

/*
 * mem-growth's hold (mem_hold=current) over the default share: the static
 * limit stays the hard ceiling (the v1 backend writes min(hold + headroom,
 * mem_max): tests/unit/test_cg_v1.c), and when the hold goes the static
 * limit is what is left, not "unlimited". A rule's step may give a share too.
 */
static void test_mem_share_under_hold(void **state)
{
	const uint64_t M = 1ULL << 20;
	struct decide_out o;
	struct tenant_limits stat;

	(void)state;
	world(1);
	fx_cfg_cpu(&W.pc, "suffered_sum", "mem_hold=current for 5m, mem=10% for 60s, kill");
	ladder_at(&W.pol[0], 1);
	W.pol[0].r[0].mem_at_trip = 300.0 * (double)M;	/* tripped above the share */
	decide_limits(&W.pc, 512 * M, &W.lim[0], NULL, false, &W.pol[0], &stat, &o);
	assert_int_equal(stat.mem_max_pct, 5000);	/* static as configured: a share */
	assert_true(stat.mem_max == CG_UNLIMITED);
	assert_true(o.full.mem_max == 256 * M);		/* never raised by the hold */
	assert_true(o.full.mem_hold == 300 * M);
	assert_true(o.dyn.mem_hold == 300 * M);

	W.pol[0].r[0].mem_at_trip = 100.0 * (double)M;	/* tripped below it */
	decide_limits(&W.pc, 512 * M, &W.lim[0], NULL, false, &W.pol[0], NULL, &o);
	assert_true(o.full.mem_max == 256 * M);
	assert_true(o.full.mem_hold == 100 * M);

	/* the rule's next step, a share of its own: the stricter of the two */
	ladder_at(&W.pol[0], 2);
	decide_limits(&W.pc, 512 * M, &W.lim[0], NULL, false, &W.pol[0], NULL, &o);
	assert_true(o.full.mem_max == (512 * M / 10) / 4096 * 4096);
	assert_true(o.full.mem_hold == CG_UNLIMITED);

	/* released: the static limit, not unlimited */
	policy_tstate_init(&W.pol[0]);
	decide_limits(&W.pc, 512 * M, &W.lim[0], NULL, false, &W.pol[0], NULL, &o);
	assert_true(o.full.mem_max == 256 * M);
	assert_true(o.full.mem_hold == CG_UNLIMITED);
	assert_int_equal(o.dyn.set, 0);
}

static void test_set_override_vs_ladder(void **state)
{
	struct state_tenant st;
	struct tenant_limits stat;
	struct decide_out o;
	char err[100];

	(void)state;
	cfg_cpu(&W.pc, "suffered_sum");
	memset(&st, 0, sizeof(st));
	limits_init(&st.over);
	limits_init(&st.manual_lim);
	ladder_at(&W.pol[0], 1);
	limits_init(&W.lim[0]);
	assert_int_equal(limits_parse_kv(&W.lim[0], "cpu", "90%", err, sizeof(err)), 0);

	/* stricter than the rung: the override wins, the rung is still what is dynamic */
	assert_int_equal(limits_parse_kv(&st.over, "cpu", "30%", err, sizeof(err)), 0);
	assert_int_equal(limits_parse_kv(&st.over, "mem", "1G", err, sizeof(err)), 0);
	decide_limits(&W.pc, 0, &W.lim[0], &st, false, &W.pol[0], &stat, &o);
	assert_true(stat.cpu_pct == 30);
	assert_int_equal(stat.mem_max, 1 << 30);
	assert_true(o.dyn.cpu_pct == 50);
	assert_true(o.full.cpu_pct == 30);
	assert_int_equal(o.full.mem_max, 1 << 30);	/* what the ladder leaves alone stays */
	assert_false(o.frozen);
	assert_int_equal(o.rule, 0);
	assert_int_equal(o.until, 100 + 60);

	/* looser than the rung (and than the config): the rung wins while it lasts */
	assert_int_equal(limits_parse_kv(&st.over, "cpu", "80%", err, sizeof(err)), 0);
	decide_limits(&W.pc, 0, &W.lim[0], &st, false, &W.pol[0], &stat, &o);
	assert_true(stat.cpu_pct == 80);
	assert_true(o.full.cpu_pct == 50);

	/* no rung: the override alone */
	policy_tstate_init(&W.pol[0]);
	decide_limits(&W.pc, 0, &W.lim[0], &st, false, &W.pol[0], NULL, &o);
	assert_true(o.full.cpu_pct == 80);
	assert_int_equal(o.dyn.set, 0);
	assert_int_equal(o.rule, DECIDE_RULE_NONE);
}

static void test_frozen_and_throttle_merge(void **state)
{
	struct state_tenant st;
	struct decide_out o;

	(void)state;
	cfg_cpu(&W.pc, "suffered_sum");
	limits_init(&W.lim[0]);

	/* the ladder's freeze rung (under its 25% rung) + a manual 10% throttle */
	ladder_at(&W.pol[0], 3);
	manual_throttle(&st, "10%", 0);
	decide_limits(&W.pc, 0, &W.lim[0], &st, false, &W.pol[0], NULL, &o);
	assert_true(o.frozen);
	assert_true(o.dyn.cpu_pct == 10);
	assert_true(o.full.cpu_pct == 10);
	assert_int_equal(o.rule, DECIDE_RULE_MANUAL);	/* the operator's action is named */
	/* a looser manual throttle does not loosen the rung's */
	manual_throttle(&st, "40%", 0);
	decide_limits(&W.pc, 0, &W.lim[0], &st, false, &W.pol[0], NULL, &o);
	assert_true(o.frozen);
	assert_true(o.full.cpu_pct == 25);

	/* a manual freeze over the ladder's 50% rung: frozen, and the rung's quota kept */
	ladder_at(&W.pol[0], 1);
	st.manual = SM_FREEZE;
	limits_init(&st.manual_lim);
	decide_limits(&W.pc, 0, &W.lim[0], &st, false, &W.pol[0], NULL, &o);
	assert_true(o.frozen);
	assert_true(o.full.cpu_pct == 50);
	assert_int_equal(o.rule, DECIDE_RULE_MANUAL);
	/* the freeze ran out: the rung alone */
	decide_limits(&W.pc, 0, &W.lim[0], &st, true, &W.pol[0], NULL, &o);
	assert_false(o.frozen);
	assert_true(o.full.cpu_pct == 50);
	assert_int_equal(o.rule, 0);

	/* the rung's freeze thawed (parole): the lower throttle stays, no freeze */
	ladder_at(&W.pol[0], 3);
	W.pol[0].r[0].thawed = true;
	decide_limits(&W.pc, 0, &W.lim[0], NULL, false, &W.pol[0], NULL, &o);
	assert_false(o.frozen);
	assert_true(o.full.cpu_pct == 25);
}

/*
 * The plan is sized for the tenants there are, and its action array grows
 * when a tick needs more than it holds: 100 tenants trip a plain cap at
 * once, past the 64 actions a calm plan has room for.
 */
static void test_plan_grows_with_tenants_and_actions(void **state)
{
	int most = 0;

	(void)state;
	world(3);
	cfg_cpu(&W.pc, "none");
	assert_int_equal(tick(0), 0);
	assert_true(W.p.cap >= 3 && W.p.cap <= 3 + 64);
	assert_int_equal(W.p.acts_cap, 64);

	world(100);
	cfg_cpu(&W.pc, "none");
	for (int i = 0; i < W.n; i++)
		W.v[i].cpu_pct = 190;
	for (int s = 0; s <= 12; s++) {
		int nact = tick(s);

		most = nact > most ? nact : most;
	}
	assert_int_equal(most, 100);
	assert_true(W.p.acts_cap >= 100);
	assert_true(W.p.cap >= 100 && W.p.cap <= 164);
	for (int k = 0; k < W.p.nact; k++)
		assert_int_equal(W.p.acts[k].kind, PA_APPLY);
	for (int i = 0; i < W.n; i++) {
		assert_int_equal(W.pol[i].level, 1);
		assert_true(W.p.out[i].full.cpu_pct == 50);
	}
	/* 90 of them gone: the room goes too */
	assert_int_equal(decide_reserve(&W.p, 10), 0);
	assert_true(W.p.cap >= 10 && W.p.cap < 100);
	assert_int_equal(decide_reserve(&W.p, 10), 0);
	assert_int_equal(decide_reserve(&W.p, 12), 0);

	/* compact: pointers in, limits out (sizes in the report of issue 13 R6) */
	assert_true(sizeof(struct decide_in) <= 64);
	assert_true(sizeof(struct decide_out) <= 2 * sizeof(struct tenant_limits) + 24);
}

/*
 * issue 15: the ladder's memory at 10,000 tenants, the 4 built-in rules and
 * 3 ticks: what each tenant keeps (struct policy_tstate) and what the plan
 * holds for it (next[], its rule states, the pointer to its own ladder).
 * Before: three 1,816-byte ladders a tenant (the tenant's, full prev and
 * next copies in the plan), 5,448 bytes; the goal was a quarter of that.
 */
static void test_ladder_memory_10000(void **state)
{
	enum { N = 10000 };
	struct qm_view *v = calloc(N, sizeof(*v));
	struct qm_rates *r = calloc(N, sizeof(*r));
	struct policy_tstate *pol = calloc(N, sizeof(*pol));
	struct tenant_limits *lim = calloc(N, sizeof(*lim));
	struct decide_in *in = calloc(N, sizeof(*in));
	size_t ladder, plan, kept;

	(void)state;
	assert_true(v && r && pol && lim && in);
	world(0);
	cfg_default(&W.pc);
	assert_int_equal(W.pc.nr_rules, 4);
	for (int i = 0; i < N; i++) {
		v[i] = fx_view(1, 0);
		for (int k = 0; k < QM_NR; k++)
			r[i].r[k] = NAN;
		policy_tstate_init(&pol[i]);
		limits_init(&lim[i]);
		in[i] = (struct decide_in){
			.name = "t", .view = &v[i], .rates = &r[i], .pol = &pol[i], .lim = &lim[i],
			.has_cg = true,
		};
	}
	for (int s = 0; s < 3; s++) {
		assert_int_equal(decide(&W.pc, in, N, BASE + S(s), &W.p), 0);
		for (int i = 0; i < N; i++)
			policy_tstate_commit(&W.pc, &pol[i], &W.p.next[i]);
	}
	assert_int_equal(W.p.nr_rules, 4);
	/* what a tenant keeps: its ladder and, on the heap, one state per rule */
	kept = sizeof(struct policy_tstate) + (size_t)pol[0].nr * sizeof(*pol[0].r);
	assert_int_equal(pol[N - 1].nr, 4);
	ladder = kept +
		 ((size_t)W.p.cap * (sizeof(*W.p.next) + sizeof(*W.p.prev)) +
		  (size_t)W.p.r_cap * sizeof(*W.p.next_r)) / N;
	plan = ((size_t)W.p.cap * (sizeof(*W.p.in) + sizeof(*W.p.out) + sizeof(*W.p.next) +
				   sizeof(*W.p.pin) + sizeof(*W.p.prev)) +
		(size_t)W.p.r_cap * sizeof(*W.p.next_r) +
		(size_t)W.p.acts_cap * sizeof(*W.p.acts)) / N;
	printf("[ MEASURE  ] %d tenants, 4 rules: ladder %zu bytes a tenant (kept %zu), "
	       "plan %zu bytes a tenant\n", N, ladder, kept, plan);
	assert_true(ladder * 4 <= 3 * 1816);
	assert_true(plan <= 1024);
	assert_true(kept <= 320);	/* 1,048 with 16 slots in place */
	free(v);
	free(r);
	for (int i = 0; i < N; i++)
		policy_tstate_free(&pol[i]);
	free(pol);
	free(lim);
	free(in);
}

static void test_bad_args(void **state)
{
	(void)state;
	world(1);
	cfg_default(&W.pc);
	assert_int_equal(decide(NULL, W.in, 1, BASE, &W.p), -EINVAL);
	assert_int_equal(decide(&W.pc, NULL, 1, BASE, &W.p), -EINVAL);
	assert_int_equal(decide(&W.pc, W.in, -1, BASE, &W.p), -EINVAL);
	assert_int_equal(decide(&W.pc, NULL, 0, BASE, &W.p), 0);
	assert_int_equal(W.p.n, 0);
}

/*
 * The plan's refault watch: the soonest tenant whose mem-growth window is
 * open at level 0 (it waits only for its neighbours' refaults), none once
 * it is on rung 1 or not growing.
 */
static void test_plan_refault_watch(void **state)
{
	(void)state;
	world(3);
	cfg_default(&W.pc);
	for (int i = 0; i < 3; i++)
		W.v[i].mem_bytes = 1e9;
	W.r[1].r[QM_REFAULTS] = 0;
	tick(10);
	assert_false(W.p.watch);
	W.v[0].mem_bytes = 1e9 + 64e6;		/* 64 MB/s */
	tick(11);
	assert_true(W.p.watch);
	assert_int_equal(W.p.watch_ms, BASE + S(11) + 500 - POLICY_TICK_SLACK_MS);
	assert_true(W.p.watch_above == 2560);
	W.v[2].mem_bytes = 1e9 + 64e6;		/* a second one, a second later */
	W.v[0].mem_bytes += 64e6;
	tick(12);
	assert_true(W.p.watch);
	assert_int_equal(W.p.watch_ms, BASE + S(11) + 500 - POLICY_TICK_SLACK_MS);
	/* the neighbour reads its cache again: rung 1 for both, nothing left to watch */
	W.r[1].r[QM_REFAULTS] = 50000;
	W.v[0].mem_bytes += 64e6;
	W.v[2].mem_bytes += 64e6;
	assert_int_equal(tick(13), 2);
	assert_false(W.p.watch);
}

/*
 * decide() judges the neighbour signals by the CPUs' fair level of the
 * tick's demands on plan.ncpu CPUs (src/policy/cpu_share.c), and keeps it
 * in the plan for the wait alarm's crowd: four single threads on 2 CPUs
 * (a 100 ms sample, one at 92 %, one at 8 % waiting 920 ms/s) are at 50 %
 * each, and nobody is demoted; with the CPUs unknown the 92 % one is.
 */
static void test_plan_cpu_level(void **state)
{
	static const double cpu[4] = { 92, 8, 50, 50 };

	(void)state;
	for (int known = 1; known >= 0; known--) {
		world(4);
		cfg_default(&W.pc);
		W.p.ncpu = known ? 2 : 0;
		for (int i = 0; i < 4; i++)
			W.v[i] = fx_view(cpu[i], 1000 - cpu[i] * 10);
		if (known) {
			assert_int_equal(tick(100), 0);
			assert_true(fabs(W.p.cpu_level - 50) < 1e-9);
		} else {
			assert_int_equal(tick(100), 1);
			assert_true(isinf(W.p.cpu_level));
			assert_int_equal(W.p.acts[0].tenant, 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_rule_trips, teardown),
		cmocka_unit_test_teardown(test_dry_run_decides_no_limit, teardown),
		cmocka_unit_test_teardown(test_exempt_never_acted_on, teardown),
		cmocka_unit_test_teardown(test_default_nproc, teardown),
		cmocka_unit_test_teardown(test_manual_expiry_at_until, teardown),
		cmocka_unit_test_teardown(test_set_override_vs_ladder, teardown),
		cmocka_unit_test_teardown(test_frozen_and_throttle_merge, teardown),
		cmocka_unit_test_teardown(test_mem_share_default, teardown),
		cmocka_unit_test_teardown(test_mem_share_under_hold, teardown),
		cmocka_unit_test_teardown(test_plan_grows_with_tenants_and_actions, teardown),
		cmocka_unit_test_teardown(test_bad_args, teardown),
		cmocka_unit_test_teardown(test_ladder_memory_10000, teardown),
		cmocka_unit_test_teardown(test_plan_refault_watch, teardown),
		cmocka_unit_test_teardown(test_plan_cpu_level, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
