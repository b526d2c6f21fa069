// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy.c - the pure ladder of bad-neighbour rules (their parsing and the
 * built-in rules are rules.c).
 *
 * No I/O here (docs/hacking.md, style 4): policy_evaluate() depends only on its
 * arguments, so tests/unit/test_policy*.c drive it with literal structs.
 * The semantics are documented in docs/policy.md; in short, per tenant and
 * per rule:
 *
 *   level 0: the rule's condition (metric > above WHILE others' signal >
 *            while_above) held for `for` -> enter rung 1 (or one rung above
 *            the one last released from, if that was less than `forget` ago).
 *   level k: after the rung's hold, still pressing (neighbours suffer and
 *            metric > above or the tenant saturates its throttle) for `for`
 *            -> rung k+1; calm for `calm` -> one throttle rung down
 *            (freeze/kill rungs are never re-entered on the way down).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "units.h"

const struct policy_rstate policy_rstate_calm;

void policy_tstate_init(struct policy_tstate *s)
{
	if (s->nr > 0)
		memset(s->r, 0, sizeof(s->r[0]) * (size_t)s->nr);
	s->level = 0;
	s->rule = -1;
	s->mem_last = NAN;
	s->mem_last_ms = 0;
}

int policy_tstate_resize(struct policy_tstate *s, int nr)
{
	struct policy_rstate *r;

	if (nr < 0)
		nr = 0;
	if (nr == s->nr)
		return 0;
	if (!nr) {
		free(s->r);
		s->r = NULL;
		s->nr = 0;
		return 0;
	}
	r = realloc(s->r, sizeof(*r) * (size_t)nr);
	if (!r)
		return -ENOMEM;
	if (nr > s->nr)
		memset(&r[s->nr], 0, sizeof(*r) * (size_t)(nr - s->nr));
	s->r = r;
	s->nr = nr;
	return 0;
}

void policy_tstate_free(struct policy_tstate *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}

static double nz(double d)
{
	return isfinite(d) ? d : 0;
}

static double metric_value(enum policy_metric m, const struct policy_input *in,
			   const struct policy_tstate *prev, uint64_t now_ms)
{
	const struct qm_view *v = &in->v;

	if (m < PM_VIEW_NR)	/* a field of the view (include/metrics.h, a POL row) */
		return qv_get(v, policy_metric_view(m));
	switch (m) {
	case PM_IO_BPS:
		if (isnan(v->io_rbps) && isnan(v->io_wbps))
			return NAN;
		return nz(v->io_rbps) + nz(v->io_wbps);
	case PM_MEM_GROWTH:
			if (!isfinite(v->mem_bytes) || !isfinite(prev->mem_last) ||
		    now_ms <= prev->mem_last_ms)
			return NAN;
		return (v->mem_bytes - prev->mem_last) * 1000.0 /
		       (double)(now_ms - prev->mem_last_ms);
	default:
		return NAN;
	}
}

/* One tenant's value of a neighbour signal; NAN if unknown. */
static double signal_of(enum policy_signal s, const struct policy_input *in)
{
	const struct qm_view *v = &in->v;

	switch (s) {
	case PS_SUFFERED_SUM:
	case PS_SUFFERED_MAX:
		/*
		 * The wait behind other tenants only: what a rule can act on. A
		 * wait behind nginx, root's tasks or kernel threads is no
		 * tenant's doing: the web bench's light site waited 22-45 ms/s
		 * of it beside a hog already on cpu_idle, and cpu-hog went on
		 * to a quota (docs/policy.md "Neighbour signals"). Without BPF
		 * (procfs run_delay) only the whole wait is known.
		 */
		return isfinite(v->behind_ms_s) ? v->behind_ms_s : v->suffered_ms_s;
	case PS_PSI_CPU:
		return v->psi_cpu_some;
	case PS_PSI_MEM:
		return v->psi_mem_some;
	case PS_PSI_IO:
		return v->psi_io_some;
	case PS_IO_LAT:
		return v->io_lat_ms;
	case PS_REFAULT:
		return in->refault_s;
	case PS_IO_WAIT:
		/*
		 * ms stalled on IO per IO request: PSI alone says how much of its
		 * time a tenant waits, which depends as much on how much of its
		 * time it spends issuing IO as on how long each IO takes. A 4 KiB
		 * reader alone stalled 8-50 % of the time on this host's disk
		 * (docs/policy.md "The urgent window"), around any % threshold;
		 * per request it waited tens of us alone and ms beside a writer.
		 * Fewer than one request a second counts as one: a request stuck
		 * for the whole second has not completed yet.
		 */
		if (!isfinite(v->psi_io_some) || !isfinite(v->iops))
			return NAN;
		return v->psi_io_some * 10.0 / (v->iops > 1 ? v->iops : 1);
	default:
		return NAN;
	}
}

/*
 * Is tenant p on a rung that lowers its CPU (priority, quota, freeze)? Its
 * run-queue waits are then the rung's doing, not a neighbour's harm (nor a
 * reason for the wait alarm's early tick, src/quelld/alarm.c): the
 * web bench's fork storm, on cpu_idle, waited 967 ms/s behind the light
 * site, whose 100 ms sample read 105 % of a CPU, and cpu-hog demoted the
 * victim (docs/performance.md "The wait alarm").
 */
bool policy_cpu_demoted(const struct policy_config *pc, const struct policy_tstate *p)
{
	if (!p->level)
		return false;
	for (int ri = 0; ri < pc->nr_rules; ri++) {
		const struct policy_rstate *rs = policy_tstate_rule(p, ri);
		const struct policy_step *st;

		if (!rs->level || rs->dry || rs->level > pc->rules[ri].nr_steps)
			continue;
		st = &pc->rules[ri].steps[rs->level - 1];
		if (st->kind != PSTEP_THROTTLE || (st->lim.set & (LIM_CPU | LIM_GENTLE_CPU)))
			return true;
	}
	return false;
}

/*
 * signal_of, but a tenant suffers nobody's harm on the run queue when it
 * is CPU-demoted, or contending: wanting more of the CPU than the fair
 * level (src/policy/cpu_share.c; INFINITY: nobody contends).
 */
static double signal_in(const struct policy_config *pc, enum policy_signal s,
			const struct policy_input *in, const struct policy_tstate *p,
			double level)
{
	if ((s == PS_SUFFERED_SUM || s == PS_SUFFERED_MAX) &&
	    (policy_cpu_demoted(pc, p) || policy_cpu_contending(in, level)))
		return NAN;
	return signal_of(s, in);
}

/*
 * Every signal over all tenants, once per evaluation: the sum and count of
 * the known values and the two largest, so that "over every tenant but
 * self" is O(1) per tenant and the whole evaluation stays O(tenants x rules)
 * (recomputing it per tenant was quadratic: 30 % of the tick at 5,000).
 */
struct sig_agg {
	double sum, max1, max2;
	int n, imax1;
	double level;	/* the CPUs' fair level, for every signal_in() of this signal */
};

/*
 * Only the signals some rule reads, in one pass over the inputs: a pass per
 * signal (8 of them, 4 read by the built-in rules: urgent_signal too) over 10,000 inputs
 * of 184 bytes re-read 1.8 MB per signal per tick at 10,000 tenants.
 */
static void signal_aggregate(const struct policy_config *pc, const struct policy_input *in,
			     const struct policy_tstate *const *prev, int n, double level,
			     struct sig_agg agg[PS_NR])
{
	int used[PS_NR], nu = 0;

	for (int s = 0; s < PS_NR; s++)
		agg[s] = (struct sig_agg){ .max1 = -INFINITY, .max2 = -INFINITY, .imax1 = -1,
					  .level = level };
	for (int s = PS_NONE + 1; s < PS_NR; s++)
		for (int ri = 0; ri < pc->nr_rules; ri++)
			if (pc->rules[ri].signal == (enum policy_signal)s ||
			    pc->rules[ri].urgent_signal == (enum policy_signal)s) {
				used[nu++] = s;
				break;
			}
	if (!nu)
		return;
	for (int j = 0; j < n; j++) {
		for (int k = 0; k < nu; k++) {
			struct sig_agg *a = &agg[used[k]];
			double x = signal_in(pc, (enum policy_signal)used[k], &in[j], prev[j],
					     a->level);

			if (!isfinite(x))
				continue;
			a->sum += x;
			a->n++;
			if (x > a->max1) {
				a->max2 = a->max1;
				a->max1 = x;
				a->imax1 = j;
			} else if (x > a->max2) {
				a->max2 = x;
			}
		}
	}
}

/* The neighbours' signal for tenant self: over every other tenant. NAN if none known. */
static double signal_value(const struct policy_config *pc, enum policy_signal s,
			   const struct sig_agg agg[PS_NR], const struct policy_input *in,
			   int self, const struct policy_tstate *prev)
{
	const struct sig_agg *a = &agg[s];
	double mine;
	bool known;

	if (s <= PS_NONE || s >= PS_NR)
		return NAN;
	mine = signal_in(pc, s, &in[self], prev, a->level);
	known = isfinite(mine);
	if (a->n - known <= 0)
		return NAN;
	if (s == PS_SUFFERED_SUM)
		return known ? a->sum - mine : a->sum;
	return self == a->imax1 ? a->max2 : a->max1;
}

void policy_limits_stricter(struct tenant_limits *dst, const struct tenant_limits *b)
{
#define STRICT(bit, f) do { \
		if (b->set & (bit)) { \
			if (!(dst->set & (bit)) || b->f < dst->f) \
				dst->f = b->f; \
			dst->set |= (bit); \
		} \
	} while (0)
	/*
	 * A memory limit may be a share (tenant_limits.h): the limit is then
	 * min(bytes, share of the base), so the stricter of two keeps the
	 * smaller of each part; limits_resolve() takes the min once the base
	 * is known.
	 */
#define STRICT_MEM(bit, f) do { \
		if (b->set & (bit)) { \
			if (!(dst->set & (bit))) { \
				dst->f = b->f; \
				dst->f##_pct = b->f##_pct; \
			} else { \
				if (b->f < dst->f) \
					dst->f = b->f; \
				if (b->f##_pct && (!dst->f##_pct || b->f##_pct < dst->f##_pct)) \
					dst->f##_pct = b->f##_pct; \
			} \
			dst->set |= (bit); \
		} \
	} while (0)
	STRICT(LIM_CPU, cpu_pct);
	STRICT_MEM(LIM_MEM_HIGH, mem_high);
	STRICT_MEM(LIM_MEM_MAX, mem_max);
	STRICT(LIM_NPROC, nproc);
	STRICT(LIM_IO_RBPS, io_rbps);
	STRICT(LIM_IO_WBPS, io_wbps);
	STRICT(LIM_IO_RIOPS, io_riops);
	STRICT(LIM_IO_WIOPS, io_wiops);
	STRICT(LIM_MEM_HOLD, mem_hold);
	STRICT(LIM_CPU_WEIGHT, cpu_weight);
	STRICT(LIM_CPU_IDLE, cpu_idle);
	STRICT(LIM_IO_WEIGHT, io_weight);
#undef STRICT_MEM
#undef STRICT
}

/*
 * The throttle in force at a rule's level: the nearest throttle rung at or
 * below it, plus every gentle rung below that one. A quota alone made a
 * sleeping victim's latency worse than no rung at all (docs/policy.md), so
 * a hog that is capped stays demoted too.
 */
static void rung_limits(const struct policy_rule *r, const struct policy_rstate *rs,
			struct tenant_limits *out)
{
	limits_init(out);
	for (int k = rs->level; k >= 1; k--) {
		const struct policy_step *st = &r->steps[k - 1];

		if (st->kind != PSTEP_THROTTLE)
			continue;
		*out = st->lim;
		for (int j = 0; j < k - 1; j++)
			if (r->steps[j].gentle)
				policy_limits_stricter(out, &r->steps[j].lim);
		if (st->mem_high_current && isfinite(rs->mem_at_trip) && rs->mem_at_trip > 0) {
			out->mem_high = (uint64_t)rs->mem_at_trip;
			out->set |= LIM_MEM_HIGH;
		}
		if (st->mem_hold_current && isfinite(rs->mem_at_trip) && rs->mem_at_trip > 0) {
			out->mem_hold = (uint64_t)rs->mem_at_trip;
			out->set |= LIM_MEM_HOLD;
		}
		return;
	}
}

/* Is the tenant pressing against the throttle it has (so lower metrics mean nothing)? */
static bool saturated(const struct tenant_limits *l, const struct policy_input *in, double sat)
{
	const struct qm_view *v = &in->v;

#define AT(bit, val, lim) ((l->set & (bit)) && (lim) != UINT64_MAX && isfinite(val) && \
			   (val) >= sat * (double)(lim))
	if ((l->set & LIM_CPU) && isfinite(l->cpu_pct) &&
	    ((isfinite(v->cpu_pct) && v->cpu_pct >= sat * l->cpu_pct) || in->cpu_throttled_s > 0))
		return true;
	if (AT(LIM_IO_RBPS, v->io_rbps, l->io_rbps) || AT(LIM_IO_WBPS, v->io_wbps, l->io_wbps))
		return true;
	if ((l->set & (LIM_IO_RIOPS | LIM_IO_WIOPS)) &&
	    (AT(LIM_IO_RIOPS, v->iops, l->io_riops) || AT(LIM_IO_WIOPS, v->iops, l->io_wiops)))
		return true;
	if ((l->set & LIM_MEM_HIGH) && (in->mem_high_s > 0 || AT(LIM_MEM_HIGH, v->mem_bytes,
								    l->mem_high)))
		return true;
	/* a hold is v1's limit_in_bytes (failcnt) or v2's memory.high */
	if ((l->set & LIM_MEM_HOLD) && (in->mem_high_s > 0 || in->mem_max_s > 0 ||
					 AT(LIM_MEM_HOLD, v->mem_bytes, l->mem_hold)))
		return true;
	if ((l->set & LIM_NPROC) && (in->pids_max_s > 0 || AT(LIM_NPROC, v->nproc, l->nproc)))
		return true;
#undef AT
	return false;
}

struct emitter {
	struct policy_action *acts;
	int max, n;
};

static void emit(struct emitter *e, int tenant, enum policy_act kind, int rule,
		 const struct policy_rule *r, const struct policy_rstate *rs,
		 const struct policy_evidence *ev)
{
	struct policy_action *a;

	if (e->n++ >= e->max)
		return;
	a = &e->acts[e->n - 1];
	memset(a, 0, sizeof(*a));
	a->tenant = tenant;
	a->kind = kind;
	a->rule = rule;
	a->level = rs->level;
	a->dry_run = rs->dry;
	rung_limits(r, rs, &a->lim);
	a->hold_ms = rs->level ? r->steps[rs->level - 1].dur_ms : 0;
	a->ev = *ev;
}

static enum policy_act enter_kind(const struct policy_rule *r, int level, bool first)
{
	switch (r->steps[level - 1].kind) {
	case PSTEP_FREEZE:
		return PA_FREEZE;
	case PSTEP_KILL:
		return PA_KILL;
	default:
		return first ? PA_APPLY : PA_ESCALATE;
	}
}

static void rstate_reset(struct policy_rstate *rs, uint64_t now_ms, bool released)
{
	int from = rs->level;

	if (released && from) {
		rs->released_ms = now_ms;
		rs->released_from = from;
	}
	rs->level = 0;
	rs->dry = false;
	rs->thawed = false;
	rs->since_ms = 0;
	rs->over = false;
	rs->sover = false;
	rs->calm = false;
	rs->mem_at_trip = NAN;
}

/* Has a window of want ms closed after have ms (POLICY_TICK_SLACK_MS)? */
static bool window_closed(uint64_t have, uint64_t want)
{
	return have + POLICY_TICK_SLACK_MS >= want;
}

static uint64_t gentle_window(const struct policy_rule *r)
{
	return r->gentle_for_ms < r->for_ms ? r->gentle_for_ms : r->for_ms;
}

/*
 * Follow one level-0 window (open since *since): open it when cond holds,
 * keep it over a dip no longer than grace. Returns whether it is open now.
 */
static bool window_track(bool open, uint64_t *since, uint64_t *ok, bool cond, uint64_t grace,
			 uint64_t now_ms)
{
	if (!cond)
		return open && grace && now_ms - *ok <= grace;
	if (!open)
		*since = now_ms;
	*ok = now_ms;
	return true;
}

/*
 * Is this a trip through the urgent window: the metric's window (the single
 * window over metric and signal, or the metric's own) open for urgent_for,
 * and the neighbours' signal past urgent_above in one of its samples? The
 * signal need not stay that high: a reader stalled 67 % of one half-second
 * on IO showed 30 % in the next (t_policy_io_rule, box CPU-starved), and a
 * neighbour that stalled that hard once in the window is not imagined.
 */
static bool urgent_closed(const struct policy_rule *r, const struct policy_rstate *rs,
			  uint64_t now_ms)
{
	uint64_t want = r->urgent_for_ms < r->for_ms ? r->urgent_for_ms : r->for_ms;

	return r->urgent_above > 0 && rs->urgent && rs->urgent_ms >= rs->over_ms &&
	       window_closed(now_ms - rs->over_ms, want);
}

/* Have the level-0 windows held for want ms (the signal's: while_for, at most want)? */
static bool windows_closed(const struct policy_rule *r, const struct policy_rstate *rs,
			   uint64_t now_ms, uint64_t want)
{
	uint64_t sw = r->while_for_ms < want ? r->while_for_ms : want;

	if (!window_closed(now_ms - rs->over_ms, want))
		return false;
	return r->while_for_ms == POLICY_SAME_WINDOW || window_closed(now_ms - rs->sover_ms, sw);
}

/* Tripped at level 0: enter rung start (the window's way or the fork alarm's) */
static void trip(struct emitter *e, int self, int ri, const struct policy_rule *r,
		 struct policy_rstate *rs, const struct policy_input *me, int start, bool dry,
		 uint64_t now_ms, const struct policy_evidence *ev)
{
	rs->level = start;
	rs->dry = dry;
	rs->thawed = false;
	rs->since_ms = now_ms;
	rs->calm = false;
	rs->mem_at_trip = me->v.mem_bytes;
	emit(e, self, enter_kind(r, start, true), ri, r, rs, ev);
}

static void eval_rule(const struct policy_config *pc, int ri, const struct policy_input *in,
		      const struct sig_agg *agg, int self, const struct policy_tstate *prev,
		      struct policy_rstate *rs, uint64_t now_ms, struct emitter *e)
{
	const struct policy_rule *r = &pc->rules[ri];
	const struct policy_input *me = &in[self];
	struct policy_evidence ev;
	bool dry = pc->dry_run || r->dry_run;
	double m = metric_value(r->metric, me, prev, now_ms);
	double sig = r->signal == PS_NONE ? NAN :
		     signal_value(pc, r->signal, agg, in, self, prev);
	bool neigh = r->signal == PS_NONE || (isfinite(sig) && sig > r->while_above);

	ev = (struct policy_evidence){
		.metric = m, .threshold = r->above, .signal = sig,
		.signal_threshold = r->signal == PS_NONE ? NAN : r->while_above,
		.cpu_throttled_s = me->cpu_throttled_s, .mem_high_s = me->mem_high_s,
		.mem_max_s = me->mem_max_s, .pids_max_s = me->pids_max_s, .oom_s = me->oom_s,
	};

	/* rule switched off, tenant out of reach, or dry-run flipped: let go */
	if (rs->level && (!pc->enabled || !r->enabled || me->exempt || !me->has_cg ||
			  rs->dry != dry)) {
		emit(e, self, PA_RELEASE, ri, r, &(struct policy_rstate){ .dry = rs->dry }, &ev);
		rstate_reset(rs, now_ms, true);
		return;
	}
	if (!pc->enabled || !r->enabled || me->exempt || !me->has_cg) {
		rs->over = false;
		rs->sover = false;
		return;
	}

	if (!rs->level) {
		/*
		 * One window over "metric AND signal", or (while_for given) one
		 * over the metric and one over the signal: a leak grows for
		 * seconds before its neighbours lose anything.
		 */
		bool split = r->while_for_ms != POLICY_SAME_WINDOW;
		bool cond = isfinite(m) && m > r->above && (split || neigh);

		if (r->urgent_above > 0) {
			/* the rule's own signal unless urgent_while names another */
			double u = r->urgent_signal == PS_NONE ? sig :
				   signal_value(pc, r->urgent_signal, agg, in, self, prev);

			if (isfinite(u) && u > r->urgent_above) {
				rs->urgent = true;
				rs->urgent_ms = now_ms;
			}
		}

		if (split)
			rs->sover = window_track(rs->sover, &rs->sover_ms, &rs->sok_ms, neigh,
						 r->grace_ms, now_ms);
		rs->over = window_track(rs->over, &rs->over_ms, &rs->ok_ms, cond, r->grace_ms,
					now_ms);
		/*
		 * The fork alarm (docs/policy.md "The fork alarm"): the BPF side
		 * saw the burst and a neighbour stalled behind others within
		 * the same half second. This tick's sample may be mostly from
		 * before the burst, so the alarm is the evidence: the gentle
		 * rung 1, at once, and nothing higher (config.c allows the
		 * alarm only on a rule whose first step is gentle).
		 */
		if (r->alarm && me->alarm_forks_s > 0 && r->steps[0].gentle &&
		    (!cond || !neigh || !windows_closed(r, rs, now_ms, r->for_ms))) {
			ev.alarm = true;
			ev.metric = me->alarm_forks_s;
			ev.threshold = pc->alarm_forks;
			ev.signal = me->alarm_wait_ms;
			ev.signal_threshold = (double)pc->alarm_wait_ms;
			trip(e, self, ri, r, rs, me, 1, dry, now_ms, &ev);
			return;
		}
		if (!cond || !neigh)
			return;		/* it never trips on a dip */
		ev.over_ms = now_ms - rs->over_ms;

		/* tripped: one rung above the last release if it was recent */
		int start = 1;

		if (rs->released_from > 0 && now_ms - rs->released_ms < pc->forget_ms) {
			start = rs->released_from + 1;
			if (start > r->nr_steps)
				start = r->nr_steps;
			/* never come back straight into a freeze or a kill */
			while (start > 1 && r->steps[start - 1].kind != PSTEP_THROTTLE)
				start--;
		}
		/*
		 * A gentle rung costs nothing while nobody else wants the CPU, so
		 * it is entered after gentle_for; when the neighbours stall hard
		 * (urgent_above) rung 1 is entered after urgent_for; anything else
		 * needs the full window. Either short way leads to rung 1 only: a
		 * recent offender is not sent higher by it, so a burst that
		 * repeats every minute never gets past rung 1.
		 */
		if (!windows_closed(r, rs, now_ms, r->for_ms)) {
			bool gentle = r->steps[0].gentle &&
				      windows_closed(r, rs, now_ms, gentle_window(r));

			if (!gentle && !urgent_closed(r, rs, now_ms))
				return;
			start = 1;
		}
		trip(e, self, ri, r, rs, me, start, dry, now_ms, &ev);
		return;
	}

	/* on the ladder */
	const struct policy_step *st = &r->steps[rs->level - 1];
	bool frozen = st->kind == PSTEP_FREEZE && !rs->thawed;
	bool held = window_closed(now_ms - rs->since_ms, st->dur_ms);
	struct tenant_limits lim;
	bool press, calm;

	if (frozen) {
		/* a frozen tenant shows no usage: nothing to judge until it thaws */
		rs->over = false;
		rs->calm = false;
		if (held) {
			rs->thawed = true;	/* parole: its hold is over, judged from now on */
			emit(e, self, PA_THAW, ri, r, rs, &ev);
		}
		return;
	}

	rung_limits(r, rs, &lim);
	press = neigh && isfinite(m) && (m > r->above || saturated(&lim, me, pc->saturation));
	/*
	 * On a gentle rung the neighbours are fine *because* of it, so their
	 * relief is no reason to let go: it is calm only once the tenant's own
	 * demand dropped below the threshold (a hog demoted to cpu.idle keeps
	 * its 190% on an otherwise idle box and stays demoted).
	 */
	calm = st->gentle ? !(isfinite(m) && m > r->above) : !press;
	if (press) {
		if (!rs->over) {
			rs->over = true;
			rs->over_ms = now_ms;
		}
	} else {
		rs->over = false;
	}
	if (!calm) {
		rs->calm = false;
	} else if (!rs->calm) {
		rs->calm = true;
		rs->calm_ms = now_ms;
	}
	ev.over_ms = rs->over ? now_ms - rs->over_ms : 0;
	if (!held)
		return;

	if (press && window_closed(now_ms - rs->over_ms, r->for_ms)) {
		if (rs->level < r->nr_steps) {
			rs->level++;
			rs->thawed = false;
			rs->since_ms = now_ms;
			rs->over = false;
			emit(e, self, enter_kind(r, rs->level, false), ri, r, rs, &ev);
		} else if (st->kind == PSTEP_KILL) {
			/* top of a ladder that ends in kill: kill again */
			rs->since_ms = now_ms;
			rs->over = false;
			emit(e, self, PA_KILL, ri, r, rs, &ev);
		}
		return;
	}
	if (calm && window_closed(now_ms - rs->calm_ms, r->calm_ms)) {
		int to = rs->level - 1;

		while (to > 0 && r->steps[to - 1].kind != PSTEP_THROTTLE)
			to--;
		if (!to) {
			emit(e, self, PA_RELEASE, ri, r, &(struct policy_rstate){ .dry = rs->dry },
			     &ev);
			rstate_reset(rs, now_ms, true);
			return;
		}
		rs->level = to;
		rs->thawed = false;
		rs->since_ms = now_ms;
		rs->calm = true;
		rs->calm_ms = now_ms;	/* another full calm period before the next rung down */
		emit(e, self, PA_STEP_DOWN, ri, r, rs, &ev);
	}
}

/* one way a rule can trip on refaults alone: from its window's close, past above */
static void watch_way(bool *any, uint64_t over_ms, uint64_t want, double thr, uint64_t *from_ms,
		      double *above)
{
	/* the tick at which the window can first be closed (window_closed()) */
	uint64_t from = over_ms + (want > POLICY_TICK_SLACK_MS ? want - POLICY_TICK_SLACK_MS : 0);

	if (!*any || from < *from_ms)
		*from_ms = from;
	if (!*any || thr < *above)
		*above = thr;
	*any = true;
}

bool policy_refault_watch(const struct policy_config *pc, const struct policy_rstate *r,
			  uint64_t now_ms, uint64_t *from_ms, double *above)
{
	bool any = false;

	if (!pc->enabled)
		return false;
	for (int ri = 0; ri < pc->nr_rules; ri++) {
		const struct policy_rule *rl = &pc->rules[ri];
		const struct policy_rstate *rs = &r[ri];
		enum policy_signal u = rl->urgent_signal == PS_NONE ? rl->signal :
				       rl->urgent_signal;
		uint64_t want = rl->urgent_for_ms < rl->for_ms ? rl->urgent_for_ms : rl->for_ms;

		if (!rl->enabled || rs->level || !rs->over)
			continue;
		if (rl->urgent_above > 0 && u == PS_REFAULT)
			watch_way(&any, rs->over_ms, want, rl->urgent_above, from_ms, above);
		/*
		 * The regular way, only once the metric's window has held: before
		 * that a lower threshold would only buy early ticks that trip
		 * nothing. The next tick offers it if the window closes between.
		 */
		if (rl->signal == PS_REFAULT && rl->while_for_ms == 0 &&
		    now_ms >= rs->over_ms && window_closed(now_ms - rs->over_ms, rl->for_ms))
			watch_way(&any, rs->over_ms, rl->for_ms, rl->while_above, from_ms, above);
	}
	return any;
}

bool policy_wait_alarm_wanted(const struct policy_config *pc)
{
	if (!pc->enabled || !pc->wait_alarm || !pc->alarm_wait_ms)
		return false;
	for (int ri = 0; ri < pc->nr_rules; ri++) {
		const struct policy_rule *rl = &pc->rules[ri];
		enum policy_signal u = rl->urgent_signal == PS_NONE ? rl->signal :
				       rl->urgent_signal;

		if (rl->enabled && rl->urgent_above > 0 &&
		    (u == PS_SUFFERED_MAX || u == PS_SUFFERED_SUM))
			return true;
	}
	return false;
}

int policy_evaluate(const struct policy_config *pc, const struct policy_input *in,
		    const struct policy_tstate *const *prev, struct policy_tnext *next, int n,
		    double cpu_level, uint64_t now_ms, struct policy_action *acts, int max)
{
	struct emitter e = { .acts = acts, .max = max, .n = 0 };
	struct sig_agg agg[PS_NR];

	if (!pc || n < 0 || (n && (!in || !prev || !next)) || (max && !acts) || max < 0)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (!prev[i] || (pc->nr_rules && !next[i].r))
			return -EINVAL;
	signal_aggregate(pc, in, prev, n, cpu_level, agg);
	for (int i = 0; i < n; i++) {
		const struct policy_tstate *p = prev[i];
		struct policy_tnext *s = &next[i];

		for (int ri = 0; ri < pc->nr_rules; ri++) {
			s->r[ri] = *policy_tstate_rule(p, ri);
			eval_rule(pc, ri, in, agg, i, p, &s->r[ri], now_ms, &e);
		}
		s->level = 0;
		s->rule = -1;
		s->win_opened = s->win_closed = s->win_open = 0;
		s->keep = false;
		for (int ri = 0; ri < pc->nr_rules; ri++) {
			const struct policy_rstate *ra = policy_tstate_rule(p, ri), *rb = &s->r[ri];

			if (!rb->dry && rb->level > s->level) {
				s->level = rb->level;
				s->rule = ri;
			}
			/* why a rule did or did not trip: its window opening and closing */
			if (!rb->level && ra->over != rb->over) {
				if (rb->over)
					s->win_opened |= (uint16_t)(1u << ri);
				else
					s->win_closed |= (uint16_t)(1u << ri);
			}
			if (!rb->level && rb->over)
				s->win_open |= (uint16_t)(1u << ri);
			s->keep |= rb->level || rb->released_from;
		}
		s->from = p->nr == pc->nr_rules && (!p->nr ||
			  !memcmp(p->r, s->r, sizeof(s->r[0]) * (size_t)p->nr)) ? p : NULL;
		s->mem_last = in[i].v.mem_bytes;
		s->mem_last_ms = now_ms;
	}
	return e.n > max ? -ENOSPC : e.n;
}

void policy_tstate_commit(const struct policy_config *pc, struct policy_tstate *s,
			  const struct policy_tnext *next)
{
	int nr = pc->nr_rules;

	/* a tenant sized before a reload added rules (or whose resize failed) */
	if (s->nr < nr)
		policy_tstate_resize(s, nr);	/* -ENOMEM: the rules past s->nr restart calm */
	if (nr > s->nr)
		nr = s->nr;
	s->level = next->level;
	s->rule = next->rule;
	s->mem_last = next->mem_last;
	s->mem_last_ms = next->mem_last_ms;
	/* a calm tenant's rule states did not change: 256 bytes not copied (4 rules) */
	if (nr > 0 && !(next->from == s && s->nr == nr))
		memcpy(s->r, next->r, sizeof(s->r[0]) * (size_t)nr);
	/* rules beyond the configured ones (config shrank): nothing stays active */
	if (s->nr > nr)
		memset(&s->r[nr], 0, sizeof(s->r[0]) * (size_t)(s->nr - nr));
	/* a level from a rule it could not keep would name a calm rule */
	if (s->rule >= nr) {
		s->level = 0;
		s->rule = -1;
	}
}

static bool effective(const struct policy_config *pc, const struct policy_rstate *r, int nr,
		      struct tenant_limits *dyn, bool *frozen)
{
	bool any = false;

	limits_init(dyn);
	*frozen = false;
	for (int ri = 0; ri < pc->nr_rules && ri < nr; ri++) {
		const struct policy_rstate *rs = &r[ri];
		const struct policy_rule *rl = &pc->rules[ri];
		struct tenant_limits l;

		if (!rs->level || rs->dry || rs->level > rl->nr_steps)
			continue;
		any = true;
		if (rl->steps[rs->level - 1].kind == PSTEP_FREEZE && !rs->thawed)
			*frozen = true;
		rung_limits(rl, rs, &l);
		policy_limits_stricter(dyn, &l);
	}
	return any;
}

bool policy_effective_r(const struct policy_config *pc, const struct policy_rstate *r,
			struct tenant_limits *dyn, bool *frozen)
{
	return effective(pc, r, pc->nr_rules, dyn, frozen);
}

bool policy_effective(const struct policy_config *pc, const struct policy_tstate *s,
		      struct tenant_limits *dyn, bool *frozen)
{
	return effective(pc, s->r, s->nr, dyn, frozen);
}

int policy_tstate_remap(const struct policy_config *old, const struct policy_config *cur,
			struct policy_tstate *s)
{
	struct policy_rstate r[POLICY_MAX_RULES];
	int nr = cur->nr_rules < POLICY_MAX_RULES ? cur->nr_rules : POLICY_MAX_RULES, ret;

	memset(r, 0, sizeof(r));
	for (int i = 0; i < nr; i++) {
		int j = policy_rule_find(old, cur->rules[i].name);

		if (j < 0)
			continue;
		r[i] = *policy_tstate_rule(s, j);
		/* a shorter ladder: stay on its top rung */
		if (r[i].level > cur->rules[i].nr_steps)
			r[i].level = cur->rules[i].nr_steps;
	}
	ret = policy_tstate_resize(s, nr);
	if (s->nr > 0)
		memcpy(s->r, r, sizeof(r[0]) * (size_t)(s->nr < nr ? s->nr : nr));
	if (s->nr > nr)		/* resize failed on a shrink: nothing past nr stays */
		memset(&s->r[nr], 0, sizeof(r[0]) * (size_t)(s->nr - nr));
	s->level = 0;
	s->rule = -1;
	for (int i = 0; i < nr && i < s->nr; i++) {
		if (!s->r[i].dry && s->r[i].level > s->level) {
			s->level = s->r[i].level;
			s->rule = i;
		}
	}
	return ret;
}
