// SPDX-License-Identifier: GPL-2.0-only
/*
 * decide.c - the tick's decide stage: from what gather measured and what
 * the act stage remembers (ladders, `set` overrides, manual actions) to
 * what each tenant should have now. Pure but for tick_decide(), which only
 * points decide_in at the registry: no log, no file, no clock, no global,
 * so tests/unit/test_decide.c drives it with literal structs.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "decide.h"

#define DECIDE_ACTS_MIN	64	/* a calm tick takes none; a storm grows the array */
#define DECIDE_SLACK	64

static int grow(void **a, size_t size, int cap)
{
	void *n = realloc(*a, size * (size_t)cap);

	if (!n)
		return -ENOMEM;
	*a = n;
	return 0;
}

int decide_reserve(struct decide_plan *p, int n)
{
	int cap;

	if (n < 0)
		return -EINVAL;
	if (p->acts_cap < DECIDE_ACTS_MIN) {
		if (grow((void **)&p->acts, sizeof(*p->acts), DECIDE_ACTS_MIN))
			return -ENOMEM;
		p->acts_cap = DECIDE_ACTS_MIN;
	}
	/*
	 * Room for the tenants there are and DECIDE_SLACK more (discovery adds
	 * them one at a time); given back when the registry shrank to less
	 * than half.
	 */
	if (n <= p->cap && (p->cap <= 2 * (n + DECIDE_SLACK)))
		return 0;
	cap = n + DECIDE_SLACK;
	if (grow((void **)&p->in, sizeof(*p->in), cap) ||
	    grow((void **)&p->out, sizeof(*p->out), cap) ||
	    grow((void **)&p->next, sizeof(*p->next), cap) ||
	    grow((void **)&p->pin, sizeof(*p->pin), cap) ||
	    grow((void **)&p->prev, sizeof(*p->prev), cap)) {
		/* every array still holds min(old cap, cap): a failed shrink is no failure */
		if (cap < p->cap)
			p->cap = cap;
		return n <= p->cap ? 0 : -ENOMEM;
	}
	p->cap = cap;
	return 0;
}

void decide_plan_free(struct decide_plan *p)
{
	free(p->in);
	free(p->out);
	free(p->next);
	free(p->next_r);
	free(p->acts);
	free(p->pin);
	free(p->prev);
	memset(p, 0, sizeof(*p));
}

bool decide_manual_expired(const struct state_tenant *st, uint64_t real_ms)
{
	return st && st->manual != SM_NONE && st->manual_until &&
	       real_ms / 1000 >= st->manual_until;
}

/* Room for nr rule states a tenant in next_r, for p->cap tenants; given back like the rest. */
static int reserve_rules(struct decide_plan *p, int nr)
{
	long long want = (long long)p->cap * nr;

	if (want <= p->r_cap && p->r_cap <= 2 * want)
		return 0;
	if (!want) {
		free(p->next_r);
		p->next_r = NULL;
		p->r_cap = 0;
		return 0;
	}
	if (want > INT_MAX)
		return -ENOMEM;
	if (grow((void **)&p->next_r, sizeof(*p->next_r), (int)want))
		return p->r_cap >= want ? 0 : -ENOMEM;	/* a failed shrink is no failure */
	p->r_cap = (int)want;
	return 0;
}

/* decide_limits with the ladder given as its parts (a tenant's, or a next[] one). */
static void limits_of(const struct policy_config *pc, uint64_t mem_base,
		      const struct tenant_limits *lim, const struct state_tenant *st,
		      bool manual_expired, int level, int rule, const struct policy_rstate *r,
		      bool fresh, struct tenant_limits *stat, struct decide_out *o)
{
	enum state_manual manual = st && !manual_expired ? st->manual : SM_NONE;
	struct tenant_limits s = *lim;

	if (st)
		limits_merge(&s, &st->over);
	limits_apply_defaults(&s);	/* nproc = 512, mem = 50% unless configured */
	if (stat)
		*stat = s;		/* as configured: a share stays a share */
	/*
	 * Shares into bytes of this tick's base, before any comparison: a
	 * base that changed gives other bytes, so act writes them (once).
	 */
	limits_resolve(&s, mem_base);
	/*
	 * fresh: level is policy_evaluate's of this tick, the highest rung of
	 * a rule not in dry-run; 0 then means no rung writes anything, and the
	 * rule states (another cache miss per tenant) need not be read.
	 */
	if (level > 0 || !fresh) {
		policy_effective_r(pc, r, &o->dyn, &o->frozen);
	} else {
		limits_init(&o->dyn);
		o->frozen = false;
	}
	if (manual == SM_THROTTLE)
		policy_limits_stricter(&o->dyn, &st->manual_lim);
	if (manual == SM_FREEZE)
		o->frozen = true;
	limits_resolve(&o->dyn, mem_base);
	o->full = s;
	policy_limits_stricter(&o->full, &o->dyn);

	/* what `status` says is behind the state: the manual action first, else the top rung */
	o->rule = DECIDE_RULE_NONE;
	o->until = 0;
	if (manual != SM_NONE) {
		o->rule = DECIDE_RULE_MANUAL;
		o->until = st->manual_until;
	} else if (rule >= 0 && rule < pc->nr_rules && level > 0) {
		const struct policy_rule *rl = &pc->rules[rule];
		const struct policy_rstate *rs = &r[rule];

		o->rule = (int16_t)rule;
		if (rs->level <= rl->nr_steps)
			o->until = (rs->since_ms + rl->steps[rs->level - 1].dur_ms) / 1000;
	}
}

void decide_limits(const struct policy_config *pc, uint64_t mem_base,
		   const struct tenant_limits *lim, const struct state_tenant *st,
		   bool manual_expired, const struct policy_tstate *pol,
		   struct tenant_limits *stat, struct decide_out *o)
{
	struct policy_rstate pad[POLICY_MAX_RULES];
	const struct policy_rstate *r = pol->r;

	/* fewer states than rules (a failed resize): the others are calm */
	if (pol->nr < pc->nr_rules) {
		for (int ri = 0; ri < pc->nr_rules && ri < POLICY_MAX_RULES; ri++)
			pad[ri] = *policy_tstate_rule(pol, ri);
		r = pad;
	}
	limits_of(pc, mem_base, lim, st, manual_expired, pol->level, pol->rule, r, false, stat,
		  o);
}

static double rate(const struct qm_rates *r, enum qm_id id)
{
	return isfinite(r->r[id]) ? r->r[id] : 0;
}

static void input_build(const struct decide_in *in, struct policy_input *p)
{
	memset(p, 0, sizeof(*p));
	p->name = in->name;
	p->exempt = in->exempt;
	p->has_cg = in->has_cg;
	p->v = *in->view;
	p->cpu_throttled_s = rate(in->rates, QM_CPU_THROTTLED);
	p->mem_high_s = rate(in->rates, QM_MEM_HIGH_EVENTS);
	p->mem_max_s = rate(in->rates, QM_MEM_MAX_EVENTS);
	p->pids_max_s = rate(in->rates, QM_PIDS_MAX_EVENTS);
	p->oom_s = rate(in->rates, QM_OOM_KILLS);
	p->refault_s = in->rates->r[QM_REFAULTS];	/* NAN unknown: never trips */
	p->alarm_forks_s = in->alarm_forks_s;
	p->alarm_wait_ms = in->alarm_wait_ms;
}

static int evaluate(const struct policy_config *pc, int n, uint64_t real_ms,
		    struct decide_plan *p)
{
	/* at most one action per rule and tenant, and one more (the bound the array had) */
	long long most = (long long)n * (pc->nr_rules + 1) + 1;

	for (;;) {
		int nact = policy_evaluate(pc, p->pin, p->prev, p->next, n, p->cpu_level,
					   real_ms, p->acts, p->acts_cap), cap;

		if (nact != -ENOSPC || p->acts_cap >= most)
			return nact;
		/* prev is untouched: evaluating again with room is the same tick */
		cap = p->acts_cap * 2 < most ? p->acts_cap * 2 : (int)most;
		if (grow((void **)&p->acts, sizeof(*p->acts), cap))
			return -ENOMEM;
		p->acts_cap = cap;
	}
}

int decide(const struct policy_config *pc, const struct decide_in *in, int n, uint64_t real_ms,
	   struct decide_plan *p)
{
	int nact, ret;

	p->n = p->nact = 0;
	p->watch = false;
	if (!pc || n < 0 || (n && !in))
		return -EINVAL;
	ret = decide_reserve(p, n);
	if (!ret)
		ret = reserve_rules(p, pc->nr_rules);
	if (ret)
		return ret;
	for (int i = 0; i < n; i++) {
		input_build(&in[i], &p->pin[i]);
		p->prev[i] = in[i].pol;
		p->next[i].r = p->next_r + (size_t)i * (size_t)pc->nr_rules;
	}
	p->cpu_level = policy_cpu_level(p->pin, n, p->ncpu);
	nact = evaluate(pc, n, real_ms, p);
	if (nact < 0)
		return nact;
	for (int i = 0; i < n; i++) {
		const struct policy_tnext *b = &p->next[i];
		struct decide_out *o = &p->out[i];
		uint64_t from;
		double above;

		/* policy_evaluate compared the rule states (a pass over them here missed the cache) */
		o->win_opened = b->win_opened;
		o->win_closed = b->win_closed;
		o->keep_ladder = b->keep;
		o->manual_expired = decide_manual_expired(in[i].st, real_ms);
		limits_of(pc, p->mem_base, in[i].lim, in[i].st, o->manual_expired, b->level,
			  b->rule, b->r, true, NULL, o);
		/* the watch needs an open window: most tenants have none */
		if (b->win_open && policy_refault_watch(pc, b->r, real_ms, &from, &above)) {
			if (!p->watch || from < p->watch_ms)
				p->watch_ms = from;
			if (!p->watch || above < p->watch_above)
				p->watch_above = above;
			p->watch = true;
		}
	}
	p->n = n;
	p->nact = nact;
	p->nr_rules = pc->nr_rules;
	return nact;
}

int tick_decide(struct daemon *d, uint64_t real_ms, struct decide_plan *p)
{
	int n = d->reg.nr;

	p->n = p->nact = 0;
	p->watch = false;
	p->ret = decide_reserve(p, n);
	if (p->ret)
		return p->ret;
	for (int i = 0; i < n; i++) {
		const struct tenant *t = d->reg.t[i];

		p->in[i] = (struct decide_in){
			.name = t->name, .view = &t->view, .rates = &t->rates, .pol = &t->pol,
			.lim = &t->lim, .exempt = t->exempt, .has_cg = t->cg[0] != '\0',
			.alarm_forks_s = t->alarm.forks_s, .alarm_wait_ms = t->alarm.wait_ms,
			.st = p->db && p->db->nr ? state_find(p->db, t->name, false) : NULL,
		};
	}
	p->mem_base = d->mem_base;
	p->ncpu = d->host.ncpu;
	p->ret = decide(&d->cfg.policy, p->in, n, real_ms, p);
	return p->ret;
}
