/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * decide.h - the tick's second stage (src/quelld/decide.c): what every
 * tenant should have after this tick. decide() is pure: it reads its
 * arguments and writes its plan, no log, no file, no clock, no global;
 * src/quelld/act.c carries the plan out. Returns 0 / -errno unless said.
 *
 * The limits a tenant should have are always
 *   static (config [limits] + [tenant:NAME], then `set` overrides, then the
 *   defaults: nproc 512, mem 50 %)
 *   made stricter by the dynamic ones (policy rungs, manual throttle),
 * plus a freeze when a rung or `quellctl freeze` asks for one; a memory
 * share ("mem = 50%") is bytes of the tick's mem_base by then.
 */
#ifndef QUELL_DECIDE_H
#define QUELL_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "metrics.h"
#include "policy.h"
#include "state.h"

struct daemon;

/*
 * One tenant as decide() sees it: 56 bytes of pointers into what the gather
 * stage filled and the act stage keeps (struct tenant, the state db), valid
 * for the call only. Nothing is copied that policy_evaluate does not need
 * contiguous.
 */
struct decide_in {
	const char *name;
	const struct qm_view *view;		/* this tick's per-second view (NAN unknown) */
	const struct qm_rates *rates;		/* fault counters per second (NAN unknown) */
	const struct policy_tstate *pol;	/* its ladder before this tick */
	const struct tenant_limits *lim;	/* static: [limits] + [tenant:NAME] */
	const struct state_tenant *st;		/* `set` override, manual action; NULL none */
	bool exempt;				/* never touched; an active ladder is released */
	bool has_cg;				/* no cgroup: rules ignore it */
	float alarm_forks_s, alarm_wait_ms;	/* the fork alarm since the last tick, 0 none */
};

#define DECIDE_RULE_NONE	(-1)
#define DECIDE_RULE_MANUAL	(-2)		/* a `quellctl throttle` / `freeze` */

/* What one tenant should have after this tick (216 bytes). */
struct decide_out {
	struct tenant_limits dyn;	/* dynamic: rungs made stricter by a manual throttle */
	struct tenant_limits full;	/* to write: static (+ `set`) made stricter by dyn */
	uint64_t until;			/* CLOCK_REALTIME s when the action behind it ends, 0 never */
	int16_t rule;			/* index into pc->rules behind it, or DECIDE_RULE_* */
	/* bit ri: rule ri's window opened / closed this tick, before any rung (debug "why") */
	uint16_t win_opened, win_closed;
	bool frozen;
	bool manual_expired;		/* its manual action ran out: dropped from the limits above */
	bool keep_ladder;		/* a rule holds a rung or a release to remember (persist) */
};
_Static_assert(POLICY_MAX_RULES <= 16, "decide_out.win_* hold one bit per rule");

/*
 * The plan of one tick: decide()'s output, plus what policy_evaluate()
 * takes. Sized for the tenants that exist and grown with them; the action
 * array grows only when a tick has more actions than it holds (it was sized
 * for the worst case, n x (rules + 1) x 208 bytes: 10 MB of address space at
 * 10,000 tenants and the 4 built-in rules, for the few actions a tick
 * takes). The ladders are not copied: policy_evaluate() reads each tenant's
 * own (decide_in.pol) and writes next[] and its pc->nr_rules rule states
 * (next_r, 64 bytes a rule): 296 bytes a tenant at the 4 built-in rules,
 * where full prev and next copies took 3,632 (docs/performance.md).
 */
struct decide_plan {
	int n;				/* tenants decided: in[], out[], next[] */
	int nact;			/* actions in acts[], in tenant order */
	int ret;			/* the last tick_decide(): actions, or -errno */
	struct decide_in *in;
	struct decide_out *out;
	struct policy_tnext *next;	/* each tenant's ladder after this tick ... */
	struct policy_rstate *next_r;	/* ... its rules: next[i].r = next_r + i x rules */
	struct policy_action *acts;
	int cap, acts_cap;
	int r_cap;			/* rule states next_r holds */
	int nr_rules;			/* pc->nr_rules at decide(): next[i].r's length */
	/* policy_evaluate's inputs (built from in[]) and each tenant's ladder (in[].pol) */
	struct policy_input *pin;
	const struct policy_tstate **prev;
	/* the act stage's state db (act_init sets it): looked up, never changed here */
	struct state_db *db;
	/*
	 * The memory the tenants share (limits_share_base, read by gather
	 * every tick; 0 unknown), in bytes: what a share such as the default
	 * mem = 50% is of. An input, set before decide() (tick_decide).
	 */
	uint64_t mem_base;
	/*
	 * The CPUs the tenants share (an input, set before decide() like
	 * mem_base; 0 unknown), and the fair level of this tick's demands on
	 * them that decide() computed from pin[] (policy_cpu_level; INFINITY:
	 * nobody contends): what policy_evaluate judged the neighbour signals
	 * by, and the wait alarm's crowd after the tick (src/quelld/alarm.c).
	 */
	int ncpu;
	double cpu_level;
	/*
	 * The refault watch (policy_refault_watch, docs/policy.md): a tenant
	 * waits only for its neighbours' refaults to take a rule's urgent way,
	 * from watch_ms (CLOCK_REALTIME), at watch_above pages/s.
	 */
	bool watch;
	uint64_t watch_ms;
	double watch_above;
};

/* Room for n tenants (in, out, next and the scratch), shrunk when far fewer; -ENOMEM. */
int decide_reserve(struct decide_plan *p, int n);
void decide_plan_free(struct decide_plan *p);

/*
 * decide - one tick for n tenants at real_ms (CLOCK_REALTIME: the ladder is
 * persisted): policy_evaluate, the windows that opened or closed, manual
 * actions that ran out (at real_ms / 1000 >= manual_until), and each
 * tenant's limits (decide_limits). in may be p->in once decide_reserve(p, n)
 * was called. Returns the number of actions (p->acts) or -errno.
 */
int decide(const struct policy_config *pc, const struct decide_in *in, int n, uint64_t real_ms,
	   struct decide_plan *p);

/* Has st's manual action run out at real_ms? */
bool decide_manual_expired(const struct state_tenant *st, uint64_t real_ms);
/*
 * decide_limits - one tenant's limits from its static ones (lim), its state
 * entry (st, may be NULL; its manual action ignored when manual_expired) and
 * ladder (pol), memory shares resolved into bytes of mem_base (see
 * decide_plan.mem_base). stat (may be NULL) receives static + `set` +
 * defaults, shares as given; o receives dyn, full (in bytes), frozen, rule
 * and until.
 */
void decide_limits(const struct policy_config *pc, uint64_t mem_base,
		   const struct tenant_limits *lim, const struct state_tenant *st,
		   bool manual_expired, const struct policy_tstate *pol,
		   struct tenant_limits *stat, struct decide_out *o);

/* The daemon's side: decide_in from the registry (d->reg order), then decide(). */
int tick_decide(struct daemon *d, uint64_t real_ms, struct decide_plan *p);

#endif /* QUELL_DECIDE_H */
