/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy.h - bad-neighbour rules and the escalation ladder (docs/policy.md).
 *
 * A rule says: a tenant whose METRIC stays above X for N seconds WHILE its
 * neighbours suffer (SIGNAL above Y) is an offender; walk it up a ladder of
 * steps (throttle -> harder throttle -> freeze -> kill), each held for a
 * duration; release one rung at a time after it stays calm for M seconds.
 *
 * policy_evaluate() is pure: (config, inputs, previous state, now) ->
 * (actions, next state). It never touches a cgroup or a file; the daemon's
 * act stage (src/quelld/act.c) applies the actions. struct policy_config holds
 * no heap pointers: config.c copies it by value.
 */
#ifndef QUELL_POLICY_H
#define QUELL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tenant_limits.h"
#include "metrics.h"

#define POLICY_MAX_RULES	16
#define POLICY_MAX_STEPS	6
#define POLICY_RULE_NAME_MAX	32
/*
 * A window of N s is closed by the tick N s after it opened. Ticks are 1 s
 * apart give or take a few ms (gather's duration varies), so a tick 999 ms
 * later would otherwise cost a whole extra second; windows are compared
 * with this much slack (less than half a tick, so integer-second tests are
 * unchanged).
 */
#define POLICY_TICK_SLACK_MS	250
#define POLICY_SAME_WINDOW	UINT64_MAX	/* while_for = for */

/*
 * What a rule watches on the candidate offender (metric = NAME): first the
 * QV_TABLE rows marked POL (include/metrics.h: cpu_pct, inflicted,
 * mem_bytes, iops, faults_s, forks_s: the tenant's struct qm_view field),
 * then the two computed here.
 */
#define PM_ENUM_(id, field, op, a, b, div, rate, top, tc, title, pol, pm, pname, ...) \
	QV_IF_##pol(PM_##pm,)
enum policy_metric {
	QV_TABLE(PM_ENUM_)
	PM_VIEW_NR,
	PM_IO_BPS = PM_VIEW_NR,	/* io_bps: read + write bytes/s */
	PM_MEM_GROWTH,		/* mem_growth: bytes/s of memory growth (one tick's delta) */
	PM_NR
};
#undef PM_ENUM_

/* "Neighbours suffer": computed over the OTHER tenants (never the candidate). */
enum policy_signal {
	PS_NONE,		/* none: no neighbour condition (a plain cap) */
	PS_SUFFERED_SUM,	/* suffered_sum: sum of others' suffered ms/s */
	PS_SUFFERED_MAX,	/* suffered_max: max of others' suffered ms/s */
	PS_PSI_CPU,		/* psi_cpu: max of others' cpu PSI some % */
	PS_PSI_MEM,		/* psi_mem */
	PS_PSI_IO,		/* psi_io */
	PS_IO_LAT,		/* io_lat: max of others' mean IO completion latency, ms */
	PS_REFAULT,		/* refault: max of others' page cache refaults, pages/s */
	PS_IO_WAIT,		/* io_wait: max of others' IO stall per IO request, ms
				 * (psi_io "some" ms/s over their IOPS, at least 1) */
	PS_NR
};

enum policy_step_kind {
	PSTEP_THROTTLE,		/* write lim as dynamic limits */
	PSTEP_FREEZE,		/* freeze for dur_ms, then thaw on parole */
	PSTEP_KILL,		/* kill every process of the tenant */
};

struct policy_step {
	enum policy_step_kind kind;
	struct tenant_limits lim;	/* PSTEP_THROTTLE: limits to write (lim.set says which) */
	bool mem_high_current;		/* mem_high=current: memory.high = usage when tripped */
	bool mem_hold_current;		/* mem_hold=current: hold at the usage when tripped */
	bool gentle;			/* only priority limits (LIM_GENTLE): caps nothing */
	uint64_t dur_ms;		/* minimum hold before escalating / stepping down */
};

struct policy_rule {
	char name[POLICY_RULE_NAME_MAX];
	bool enabled;			/* enabled = yes */
	bool dry_run;			/* dry_run = no: log only, for this rule */
	bool builtin;			/* embedded default (dropped by default_rules = no) */
	bool user;			/* named in the config file */
	enum policy_metric metric;	/* metric = cpu_pct */
	double above;			/* above = 80 */
	uint64_t for_ms;		/* for = 10s */
	enum policy_signal signal;	/* while = suffered_sum */
	double while_above;		/* while_above = 50 */
	uint64_t calm_ms;		/* calm = 30s */
	uint64_t grace_ms;		/* grace = 0 (2s for the embedded rules): a dip of
					 * the trip condition this short keeps the for window */
	uint64_t gentle_for_ms;		/* gentle_for = 1s: window to enter a gentle rung 1 */
	uint64_t while_for_ms;		/* while_for = for (POLICY_SAME_WINDOW): one window over
					 * metric and signal; a duration: the metric's window is
					 * `for`, the signal's this (at most `for`) */
	double urgent_above;		/* urgent_above = 0 (off): neighbours' signal above this
					 * at the trip -> rung 1 after urgent_for, not `for` */
	enum policy_signal urgent_signal;	/* urgent_while = while (PS_NONE): the signal
						 * urgent_above reads */
	uint64_t urgent_for_ms;		/* urgent_for = 1s */
	bool alarm;			/* alarm = no (yes for fork-storm): the fork alarm
					 * enters a gentle rung 1 at once (metric forks_s) */
	int nr_steps;
	struct policy_step steps[POLICY_MAX_STEPS];	/* steps = cpu=50% for 60s, ... */
	uint32_t seen;			/* keys given in the file (parser bookkeeping) */
};

struct policy_config {
	bool enabled;			/* enabled = yes: evaluate rules at all */
	int dry_run;			/* dry_run = no: every rule logs only */
	bool release_on_exit;		/* release_on_exit = yes: SIGTERM drops dynamic throttles */
	bool default_rules;		/* default_rules = yes: keep the embedded rules */
	uint64_t forget_ms;		/* forget = 10m: re-offending within this after a
					 * release starts one rung higher */
	double saturation;		/* saturation = 0.8: "still pressing" = metric >= 0.8 x its throttle */
	struct tenant_limits manual_lim;	/* throttle_limits = cpu=25%: `quellctl throttle` */
	uint64_t manual_ms;		/* throttle_for = 10m: default `throttle` duration */
	/*
	 * The fork alarm (docs/policy.md "The fork alarm"): a tenant forking
	 * at alarm_forks/s or more over 50 ms while another tenant's task has
	 * just waited alarm_wait_ms behind others (quelld's BPF side sees it,
	 * quelld takes a tick at once). alarm_forks = 1000 (0: off),
	 * alarm_wait = 5ms.
	 */
	double alarm_forks;
	uint64_t alarm_wait_ms;
	/*
	 * The wait alarm (docs/policy.md "The wait alarm"): a tenant's task
	 * that waited alarm_wait_ms behind others asks for an early tick, so a
	 * rule's urgent way can be taken within a fraction of a second.
	 * wait_alarm = yes.
	 */
	bool wait_alarm;
	int nr_rules;
	struct policy_rule rules[POLICY_MAX_RULES];
};

/*
 * One rule's ladder position for one tenant: 64 bytes (112 with a bool and
 * an int per flag and level, and every time apart), kept pc->nr_rules times
 * for every tenant (struct policy_tstate) and in decide's plan.
 * The times are CLOCK_REALTIME ms (persisted: src/quelld/state.c), so they
 * stay 64-bit; the grace and while_for windows are followed at level 0
 * only, the hold and the calm period on the ladder only, so those share
 * their storage (src/policy/policy.c writes since_ms when it trips, calm_ms
 * before it reads it, and closes both windows at a release).
 */
struct policy_rstate {
	uint64_t over_ms;		/* over: condition true continuously since */
	uint64_t sok_ms;		/* sover (level 0): last tick the signal held */
	uint64_t urgent_ms;		/* urgent: last at this tick (level 0) */
	uint64_t released_ms;		/* last step down to 0 (for forget) */
	union {
		struct {		/* level 0 */
			uint64_t ok_ms;		/* last tick the trip condition held */
			uint64_t sover_ms;	/* sover: open since */
		};
		struct {		/* on the ladder */
			uint64_t since_ms;	/* when the current level was entered */
			uint64_t calm_ms;	/* calm: continuously since */
		};
	};
	double mem_at_trip;		/* usage when tripped, for mem_high=current */
	int8_t level;			/* 0 calm, k = steps[k-1] in force */
	int8_t released_from;		/* level left at that release */
	bool dry:1;			/* entered in dry-run: nothing was written */
	bool thawed:1;			/* freeze rung whose freeze has expired (parole) */
	bool over:1, calm:1;		/* condition true / calm continuously (since above) */
	bool sover:1;			/* while_for: the signal's own window (level 0) */
	bool urgent:1;			/* the signal was past urgent_above */
};
_Static_assert(POLICY_MAX_STEPS <= INT8_MAX, "policy_rstate.level is an int8_t");
_Static_assert(sizeof(struct policy_rstate) <= 64, "policy_rstate is kept per rule and tenant");

/* A rule with no state in a tenant's r[] (see policy_tstate_rule): calm, all zero. */
extern const struct policy_rstate policy_rstate_calm;

/*
 * Per-tenant policy state, kept in struct tenant between ticks: 32 bytes
 * and nr rule states on the heap (the configured rule count: 4 x 64 bytes
 * at the built-in rules, where 16 slots in place were 1,048 bytes a
 * tenant). A zeroed one is valid (no rule states); policy_tstate_resize()
 * sizes it, policy_tstate_remap() re-sizes it on a reload, and
 * policy_tstate_free() releases it. Rules at or past nr (only after a
 * failed allocation) read as calm: policy_tstate_rule().
 */
struct policy_tstate {
	int level;		/* highest rung over all rules: 0 = calm */
	int rule;		/* rule index behind level, -1 none */
	double mem_last;	/* for mem_growth */
	uint64_t mem_last_ms;
	int nr;			/* rule states in r[] */
	struct policy_rstate *r;	/* nr states (malloc) or NULL */
};

/* s's state for rule ri, or policy_rstate_calm when s has no room for it. */
static inline const struct policy_rstate *policy_tstate_rule(const struct policy_tstate *s, int ri)
{
	return ri >= 0 && ri < s->nr ? &s->r[ri] : &policy_rstate_calm;
}

/*
 * A tenant's ladder after one policy_evaluate(): the fields of struct
 * policy_tstate, with its rule states (pc->nr_rules of them) in an array the
 * caller owns, so one tick's plan holds 4 x 64 bytes a tenant at the 4
 * built-in rules instead of a second and a third 1,048-byte copy.
 */
struct policy_tnext {
	int level;
	int rule;
	double mem_last;
	uint64_t mem_last_ms;
	struct policy_rstate *r;	/* pc->nr_rules states, set by the caller */
	/*
	 * Set by policy_evaluate from r[] and prev's states while both are in
	 * the cache (a second pass over them at 10,000 tenants missed it: the
	 * caller's share of the tick was mostly that, docs/performance.md):
	 * bit ri of win_opened / win_closed: rule ri's level-0 window opened /
	 * closed this tick; win_open: rule ri's level-0 window is open now;
	 * keep: a rule holds a rung or a release to remember;
	 * from: prev[i] when r[] equals its nr rule states byte for byte (then
	 * policy_tstate_commit into that same state copies nothing), else NULL.
	 */
	uint16_t win_opened, win_closed, win_open;
	bool keep;
	const struct policy_tstate *from;
};
_Static_assert(POLICY_MAX_RULES <= 16, "policy_tnext.win_* hold one bit per rule");

/* One tenant as policy_evaluate sees it (built by the enforcer from struct tenant). */
struct policy_input {
	const char *name;
	bool exempt;		/* never touched; an active ladder is released */
	bool has_cg;		/* no cgroup: nothing can be applied, rules ignored */
	struct qm_view v;	/* per-second rates; NAN = unknown (never trips) */
	/* limit-hit rates (fault counters, per second), evidence + saturation */
	double cpu_throttled_s, mem_high_s, mem_max_s, pids_max_s, oom_s;
	double refault_s;	/* page cache refaults, pages/s (NAN unknown): signal "refault" */
	/*
	 * The fork alarm since the last tick (0: none): the burst's forks/s
	 * over its 50 ms and the neighbour's wait behind others, ms.
	 */
	double alarm_forks_s, alarm_wait_ms;
};

enum policy_act {
	PA_APPLY,		/* first rung: throttle */
	PA_ESCALATE,		/* one rung up: throttle */
	PA_STEP_DOWN,		/* one rung down: throttle of the lower rung */
	PA_RELEASE,		/* back to level 0: drop this rule's limits */
	PA_FREEZE,
	PA_THAW,		/* freeze expired: thaw, the lower throttle stays */
	PA_KILL,
	PA_NR
};

struct policy_evidence {
	double metric;		/* value of the rule's metric */
	double threshold;
	double signal;		/* neighbours' signal value (NAN for none) */
	double signal_threshold;
	uint64_t over_ms;	/* how long the condition has held */
	bool alarm;		/* entered by the fork alarm: metric = the burst's forks/s,
				 * signal = the neighbour's wait, ms */
	double cpu_throttled_s, mem_high_s, mem_max_s, pids_max_s, oom_s;
};

struct policy_action {
	int tenant;			/* index into the inputs */
	enum policy_act kind;
	int rule;			/* index into pc->rules */
	int level;			/* level after the action */
	bool dry_run;			/* log only: the enforcer writes nothing */
	struct tenant_limits lim;	/* this rule's throttle now in force (none after release) */
	uint64_t hold_ms;		/* the rung's minimum hold (0: none) */
	struct policy_evidence ev;
};

void policy_config_init(struct policy_config *pc);
/*
 * policy_parse_kv - one key of section "policy" or "rule:NAME".
 * Returns 0, -ENOENT unknown key/section, -EINVAL bad value (message in err),
 * -ENOSPC too many rules.
 */
int policy_parse_kv(struct policy_config *pc, const char *section, const char *key,
		    const char *val, char *err, size_t errlen);
/* Check cross-key consistency after the whole file was read. 0 or -EINVAL. */
int policy_config_finish(struct policy_config *pc, char *err, size_t errlen);
void policy_config_free(struct policy_config *pc);

/* Parse "cpu=50% for 60s, cpu=25% for 5m, freeze for 60s, kill". 0 or -EINVAL. */
int policy_parse_steps(const char *val, struct policy_step *steps, int *nr,
		       char *err, size_t errlen);
/* Index of the rule called name, or -1. */
int policy_rule_find(const struct policy_config *pc, const char *name);

/*
 * policy_tstate_init - reset s to calm (level 0, every rule state zeroed),
 * keeping its storage: s must be zeroed or set up by policy_tstate_resize().
 * policy_tstate_resize - make room for nr rule states (new ones zeroed,
 * those past nr dropped); 0, or -ENOMEM with s unchanged.
 * policy_tstate_free - release the rule states; s is zeroed (nr 0).
 */
void policy_tstate_init(struct policy_tstate *s);
int policy_tstate_resize(struct policy_tstate *s, int nr);
void policy_tstate_free(struct policy_tstate *s);

/*
 * policy_evaluate - one tick of the ladder, for n tenants.
 * in[i] and *prev[i] describe tenant i; next[i] (its r pointing at
 * pc->nr_rules states, none of them inside *prev[i]) receives its new
 * state; prev is only read, so evaluating again is the same tick.
 * cpu_level: the CPUs' fair level of in[] (policy_cpu_level(); INFINITY:
 * nobody contends, every neighbour's wait counts). now_ms: wall clock in ms
 * (CLOCK_REALTIME in quelld, so persisted state survives a restart). Up to
 * max actions are written to acts. Returns the number of actions, or
 * -EINVAL (bad args), -ENOSPC (acts too small: next is still fully
 * advanced).
 */
int policy_evaluate(const struct policy_config *pc, const struct policy_input *in,
		    const struct policy_tstate *const *prev, struct policy_tnext *next, int n,
		    double cpu_level, uint64_t now_ms, struct policy_action *acts, int max);

/*
 * policy_refault_watch - does a tenant whose rule states after the tick at
 * now_ms are r (pc->nr_rules of them) wait only for its neighbours' page
 * cache refaults to trip a rule (docs/policy.md "The refault watch")? That
 * is a rule whose signal is refault, at level 0, with its metric's window
 * open: its urgent way (urgent_above, once the urgent window can close)
 * or, once the metric's whole window has held at now_ms and the signal
 * needs no window of its own (while_for = 0), its regular way
 * (while_above). Returns true and sets *from_ms (wall clock: the soonest
 * such a window is closed) and *above (the lowest of those thresholds,
 * pages/s); false for none.
 */
bool policy_refault_watch(const struct policy_config *pc, const struct policy_rstate *r,
			  uint64_t now_ms, uint64_t *from_ms, double *above);

/*
 * s = next (rules beyond pc->nr_rules: calm, nothing remembered). s is
 * grown to pc->nr_rules states if it has fewer; if that allocation fails,
 * the rules it has no room for are not remembered (they restart calm).
 */
void policy_tstate_commit(const struct policy_config *pc, struct policy_tstate *s,
			  const struct policy_tnext *next);

/*
 * policy_effective - the dynamic limits and freeze a tenant's state asks for:
 * the strictest of every non-dry rule's rung. Returns true if anything is in force.
 * policy_effective_r: the same from its pc->nr_rules rule states r.
 */
bool policy_effective(const struct policy_config *pc, const struct policy_tstate *s,
		      struct tenant_limits *dyn, bool *frozen);
bool policy_effective_r(const struct policy_config *pc, const struct policy_rstate *r,
			struct tenant_limits *dyn, bool *frozen);

/*
 * policy_tstate_remap - after a reload, move each rule's state to the index
 * the rule of the same name has in cur (rules gone from cur are dropped: the
 * enforcer recomputes and writes the effective limits afterwards), and
 * re-size s to cur->nr_rules states. 0, or -ENOMEM when the re-size failed:
 * s keeps its old room, rules past it read as calm (policy_tstate_rule).
 */
int policy_tstate_remap(const struct policy_config *old, const struct policy_config *cur,
			 struct policy_tstate *s);

/* Names: "cpu_pct", "suffered_sum", "escalate", ...; NULL-safe lookups return -1. */
const char *policy_metric_name(enum policy_metric m);
const char *policy_signal_name(enum policy_signal s);
/*
 * policy_wait_alarm_wanted - would an early tick on a tenant's long wait
 * serve a rule: the policy and the wait alarm on, and some enabled rule
 * with an urgent way (urgent_above) on the neighbours' run-queue waits
 * (suffered_max / suffered_sum). The early tick can then find it past
 * urgent_above; no other rule decides faster for it.
 */
bool policy_wait_alarm_wanted(const struct policy_config *pc);
/*
 * policy_cpu_demoted - is the tenant of state p on a rung that lowers its CPU
 * (cpu_idle, a weight, a quota, freeze, kill; not a dry-run rung)? Its
 * run-queue waits are the rung working: no neighbour signal counts them,
 * and they sound no wait alarm. A rung that caps only memory, IO or
 * processes leaves them a victim's.
 */
bool policy_cpu_demoted(const struct policy_config *pc, const struct policy_tstate *p);
/*
 * Contention is not harm (src/policy/cpu_share.c, docs/policy.md).
 * policy_cpu_demand - what a tenant wants of the CPU, % of a core: what it
 * ran plus what it waited behind other tenants (NAN unknown).
 * policy_cpu_level - the max-min fair level of the n tenants' demands on
 * ncpu CPUs (each gets min(demand, level), together all the CPUs);
 * INFINITY when the demands fit, or ncpu is unknown (< 1).
 * policy_cpu_contending - does in want more than level (times
 * POLICY_CONTEND_SLACK)? Its waits are then no neighbour's harm: no
 * neighbour signal counts them, and they sound no wait alarm.
 */
#define POLICY_CONTEND_SLACK	1.1
double policy_cpu_demand(const struct policy_input *in);
double policy_cpu_level(const struct policy_input *in, int n, int ncpu);
bool policy_cpu_contending(const struct policy_input *in, double level);
const char *policy_act_name(enum policy_act a);
int policy_metric_by_name(const char *s);
/* The struct qm_view field a metric reads, QV_NR for io_bps and mem_growth. */
enum qv_id policy_metric_view(enum policy_metric m);
int policy_signal_by_name(const char *s);

/* Stricter of two limit sets, field by field (min where both are set). */
void policy_limits_stricter(struct tenant_limits *dst, const struct tenant_limits *b);

#endif /* QUELL_POLICY_H */
