// SPDX-License-Identifier: GPL-2.0-only
/*
 * act.c - the tick's act stage (was enforcer.c): carries out the plan of
 * src/quelld/decide.c. The only writer of tenant limits (through
 * include/cgroup.h, skipping a write identical to the last one and trying
 * a failed one again after a growing delay, src/quelld/backoff.h), the only
 * killer (never in dry-run, never an exempt tenant, never uid 0: cg_kill
 * spares root's processes), and the keeper of what a restart must know
 * (src/quelld/state.h). Every action leaves an audit line (audit.c).
 *
 * One quelld per host, so the module keeps its state in one static struct
 * (the persisted db and the previous policy config, needed to remap ladders
 * by rule name after a reload).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "act.h"
#include "audit.h"
#include "backoff.h"
#include "clock.h"
#include "decide.h"
#include "fs.h"
#include "log.h"
#include "policy.h"

static struct {
	struct state_db db;
	char path[300];
	struct policy_config prev_pc;
	bool dirty;
} E;

struct state_tenant *act_state(const char *name, bool create)
{
	return state_find(&E.db, name, create);
}

int act_save(struct daemon *d)
{
	int ret;

	/* entries that stopped mattering go (pointers into the db are invalid now) */
	state_compact(&E.db);
	if (!E.path[0])
		return 0;
	ret = state_save(E.path, &E.db);
	if (ret)
		log_warn("policy state %s: cannot save: %s", E.path, strerror(-ret));
	else
		E.dirty = false;
	return ret;
}

void act_desired(struct daemon *d, struct tenant *t, struct tenant_limits *stat,
		 struct tenant_limits *dyn, struct tenant_limits *full, bool *frozen)
{
	struct decide_out o;

	decide_limits(&d->cfg.policy, d->mem_base, &t->lim, state_find(&E.db, t->name, false),
		      false, &t->pol, stat, &o);
	*dyn = o.dyn;
	*full = o.full;
	*frozen = o.frozen;
}

static void tenant_state_update(struct daemon *d, struct tenant *t, const struct decide_out *o)
{
	const struct policy_config *pc = &d->cfg.policy;

	t->dyn = o->dyn;
	if (t->state == TS_KILLED && !o->frozen && !o->dyn.set)
		return;		/* stays "killed" until something else happens */
	t->state = o->frozen ? TS_FROZEN : o->dyn.set ? TS_THROTTLED : TS_OK;
	t->state_rule[0] = '\0';
	t->state_until = o->until;
	if (o->rule == DECIDE_RULE_MANUAL)
		snprintf(t->state_rule, sizeof(t->state_rule), "manual");
	else if (o->rule >= 0 && o->rule < pc->nr_rules)
		snprintf(t->state_rule, sizeof(t->state_rule), "%s", pc->rules[o->rule].name);
}

/* Are a and b the same limits, field by field (not memcmp: padding)? */
static bool limits_same(const struct tenant_limits *a, const struct tenant_limits *b)
{
	return a->set == b->set && a->mem_high_pct == b->mem_high_pct &&
	       a->mem_max_pct == b->mem_max_pct && a->cpu_pct == b->cpu_pct &&
	       a->mem_high == b->mem_high &&
	       a->mem_max == b->mem_max && a->nproc == b->nproc && a->io_rbps == b->io_rbps &&
	       a->io_wbps == b->io_wbps && a->io_riops == b->io_riops &&
	       a->io_wiops == b->io_wiops && a->cpu_weight == b->cpu_weight &&
	       a->cpu_idle == b->cpu_idle && a->mem_hold == b->mem_hold &&
	       a->io_weight == b->io_weight;
}

_Static_assert(sizeof(struct tenant_limits) == 104, "limits_same() compares every field");

/* Is c (frozen or not) what w holds, written or only tried? */
static bool written_eq(const struct tenant_written *w, const struct cg_limits *c, bool frozen)
{
	return w->frozen == frozen && c->nr_io <= 1 && w->nr_io == c->nr_io &&
	       w->cpu_quota_us == c->cpu_quota_us && w->cpu_period_us == c->cpu_period_us &&
	       w->mem_high == c->mem_high && w->mem_max == c->mem_max &&
	       w->pids_max == c->pids_max && w->mem_hold == c->mem_hold &&
	       w->cpu_weight == c->cpu_weight && w->cpu_idle == c->cpu_idle &&
	       w->io_weight == c->io_weight &&
	       (!c->nr_io || !memcmp(&w->io0, &c->io[0], sizeof(w->io0)));
}

/* Is c (frozen or not) what was last written to t's cgroup? */
static bool written_same(const struct tenant_written *w, const struct cg_limits *c, bool frozen)
{
	return w->valid && written_eq(w, c, frozen);
}

static void written_put(struct tenant_written *w, const struct cg_limits *c, bool frozen,
			bool valid)
{
	*w = (struct tenant_written){
		.cpu_quota_us = c->cpu_quota_us, .cpu_period_us = c->cpu_period_us,
		.mem_high = c->mem_high, .mem_max = c->mem_max, .pids_max = c->pids_max,
		.mem_hold = c->mem_hold, .cpu_weight = c->cpu_weight, .cpu_idle = c->cpu_idle,
		.io_weight = c->io_weight,
		.nr_io = (uint8_t)c->nr_io, .frozen = frozen,
		.valid = valid && c->nr_io <= 1,	/* io[1..] is not kept: rewrite next time */
	};
	if (c->nr_io)
		w->io0 = c->io[0];
}

static uint32_t now_ms32(void)
{
	return (uint32_t)(clock_mono_ns() / 1000000);
}

/*
 * Is the obstacle of the last failure gone? A v1 memory limit refused with
 * EBUSY (the tenant's usage could not be reclaimed under it) is written
 * once the usage gathered this tick is under it: memory.usage_in_bytes is
 * the counter the kernel compares with the new limit
 * (mm/memcontrol-v1.c mem_cgroup_resize_max, page_counter_set_max).
 */
static bool write_fits(const struct tenant *t, const struct cg_limits *c)
{
	return t->written.err == -EBUSY && c->mem_max != CG_UNLIMITED &&
	       qm_valid(&t->cur, QM_MEM_BYTES) && t->cur.v[QM_MEM_BYTES] <= c->mem_max;
}

/*
 * After a write of c: remember a failure (ret, -errno, not one of those
 * remembered as written) for the backoff, log it when backoff_warn() says
 * so, and say when a write succeeds after failures. prev is what t->written
 * held before. lret: the limits' error, fret: the freeze's.
 */
static void written_note(struct tenant *t, const struct tenant_written *prev,
			 const struct cg_limits *c, bool frozen, int lret, int fret, bool ok)
{
	struct tenant_written *w = &t->written;
	uint32_t now = now_ms32();
	int ret = lret ? lret : fret;

	if (ok) {
		/* -EOPNOTSUPP: said once per change, not retried */
		if (lret && lret != -ENOENT)
			log_warn("tenant %s: writing limits to %s: %s", t->name, t->cg,
				 strerror(-lret));
		if (fret)
			log_warn("tenant %s: freeze: %s", t->name, strerror(-fret));
		if (prev->fails && ret != -ENOENT)	/* not when the cgroup went */
			log_info("tenant %s: limits written to %s after %u failed tr%s (%s)",
				 t->name, t->cg, prev->fails, prev->fails == 1 ? "y" : "ies",
				 strerror(-prev->err));
		return;
	}
	/* a different write starts its own backoff; the log keeps counting the run */
	w->fails = prev->fails && written_eq(prev, c, frozen) ?
		   (uint8_t)(prev->fails < UINT8_MAX ? prev->fails + 1 : UINT8_MAX) : 1;
	w->err = (int16_t)ret;
	w->fail_ms = now;
	w->warned_ms = prev->warned_ms;
	if (!backoff_warn(prev->fails > 0, prev->err, ret, prev->warned_ms, now))
		return;
	w->warned_ms = now;
	if (lret && lret != -ENOENT)
		log_warn("tenant %s: writing limits to %s: %s (failure %u in a row, next try "
			 "in %u s)", t->name, t->cg, strerror(-lret), w->fails,
			 backoff_delay_ms(w->fails) / 1000);
	if (fret)
		log_warn("tenant %s: freeze: %s (failure %u in a row, next try in %u s)", t->name,
			 strerror(-fret), w->fails, backoff_delay_ms(w->fails) / 1000);
}

/*
 * Write what o says t should have (force: even if identical to the last
 * write). The last write is remembered in t, not in the state db: an entry
 * per tenant only for that was 2.7 KB x 10,000 tenants (docs/performance.md).
 * A write that failed is not tried again before src/quelld/backoff.h says
 * so, unless forced or different (a rung, a `set`, a release); returns the
 * -errno of the last try then.
 */
static int apply(struct daemon *d, struct tenant *t, const struct decide_out *o, bool force)
{
	bool frozen = o->frozen;
	bool same = t->applied_valid && limits_same(&t->applied, &o->full);
	struct tenant_written prev;
	struct cg_limits cgl;
	int lret, fret = 0, ret;
	bool ok;

	tenant_state_update(d, t, o);
	t->applied = o->full;
	t->applied_valid = true;
	if (!t->cg[0]) {
		t->written.valid = false;	/* nothing written for what applied says now */
		return 0;
	}
	/*
	 * What was written is limits_to_cg(t->applied) whenever written.valid
	 * (set together below, both dropped by act_tenant_release): the same
	 * limits need no conversion to compare (3.4 % of quelld's samples at
	 * 10,000 calm tenants, docs/performance.md).
	 */
	if (!force && same && t->written.valid && t->written.frozen == frozen)
		return 0;
	limits_to_cg(&o->full, NULL, 0, &cgl);
	if (!force && written_same(&t->written, &cgl, frozen))
		return 0;
	/*
	 * The same write failed last time: a v1 memory limit under the usage
	 * makes the kernel reclaim inside the write before its EBUSY, and
	 * retried each tick that stalled the tick and logged a warning a second
	 * (tests/integration/t_mem_share_busy.sh).
	 */
	if (!force && t->written.fails && written_eq(&t->written, &cgl, frozen) &&
	    !backoff_due(t->written.fails, t->written.fail_ms, now_ms32(), write_fits(t, &cgl)))
		return t->written.err;
	lret = cg_apply_limits(&d->cg, t->cg, &cgl);
	if (force || !t->written.valid || frozen != t->written.frozen) {
		int r2 = cg_freeze(&d->cg, t->cg, frozen);

		/* thawing a cgroup that was never frozen must not fail the write */
		if (r2 && frozen && r2 != -ENOENT)
			fret = r2;
	}
	/*
	 * A controller that is not there (cgroups mode on a hybrid host: the
	 * tenant's cgroup exists only on unified) will not appear by retrying:
	 * remember the write so it is not repeated every tick (it was 15 % of
	 * the tick at 5,000 tenants). A recreated cgroup is re-applied with
	 * force by hooks_tenant_cgroup().
	 */
	prev = t->written;
	ret = lret ? lret : fret;
	ok = !ret || ret == -ENOENT || ret == -EOPNOTSUPP;
	written_put(&t->written, &cgl, frozen, ok);
	written_note(t, &prev, &cgl, frozen, lret, fret, ok);
	return ret == -ENOENT ? 0 : ret;
}

int act_apply(struct daemon *d, struct tenant *t, bool force)
{
	struct decide_out o;

	decide_limits(&d->cfg.policy, d->mem_base, &t->lim, state_find(&E.db, t->name, false),
		      false, &t->pol, NULL, &o);
	return apply(d, t, &o, force);
}

int act_kill(struct daemon *d, struct tenant *t)
{
	int ret;

	if (!t->cg[0])
		return -ENOENT;
	ret = cg_kill(&d->cg, t->cg);
	if (ret == -EPERM) {
		/*
		 * root's processes in a tenant's cgroup (a login's sshd or su, or
		 * anything root moved there) were left alive, everything else is
		 * dead: the tenant is killed, and the audit log says who was spared
		 */
		log_warn("tenant %s: kill: root's processes in %s were not signalled", t->name,
			 t->cg);
		audit_log(d, t, "spare_root", "kill", 0, false, NULL,
			  json_pack("{s:s}", "reason", "uid-0 processes in the cgroup"));
		ret = 0;
	}
	if (ret && ret != -ENOENT)
		log_warn("tenant %s: kill: %s", t->name, strerror(-ret));
	else
		t->state = TS_KILLED;
	return ret;
}

json_t *act_state_json(struct daemon *d, struct tenant *t)
{
	struct tenant_limits stat, dyn, full;
	bool frozen;

	act_desired(d, t, &stat, &dyn, &full, &frozen);
	return json_pack("{s:s, s:s, s:s, s:I, s:b, s:o}", "tenant", t->name,
			 "state", tenant_state_name(t->state), "rule", t->state_rule,
			 "until", (json_int_t)t->state_until, "frozen", frozen,
			 "dynamic", state_limits_json(&dyn));
}

int act_init(struct daemon *d)
{
	int ret;

	audit_open(d);
	state_free(&E.db);
	E.path[0] = '\0';
	if (d->cfg.state_dir[0]) {
		ret = fs_mkdir_p(d->cfg.state_dir, 0755, 0700);
		if (ret)
			log_warn("state_dir %s: %s", d->cfg.state_dir, strerror(-ret));
		snprintf(E.path, sizeof(E.path), "%s/policy-state.json", d->cfg.state_dir);
		ret = state_load(E.path, &E.db);
		if (ret == -EBADMSG)
			log_err("policy state %s is corrupt: starting from the configuration "
				"alone (it is rewritten on the next change)", E.path);
		else if (ret)
			log_warn("policy state %s: %s", E.path, strerror(-ret));
		else if (E.db.nr)
			log_info("policy state: %d tenant(s) with overrides or active actions",
				 E.db.nr);
	}
	E.prev_pc = d->cfg.policy;
	d->plan.db = &E.db;
	return 0;
}

static void fmt_cg(const struct cg_limits *c, char *buf, size_t len)
{
	snprintf(buf, len, "cpu %s/%llu mem_high %s mem_max %s pids %s io %d",
		 c->cpu_quota_us == CG_UNLIMITED ? "max" : "q",
		 (unsigned long long)c->cpu_period_us,
		 c->mem_high == CG_UNLIMITED ? "max" : "set",
		 c->mem_max == CG_UNLIMITED ? "max" : "set",
		 c->pids_max == CG_UNLIMITED ? "max" : "set", c->nr_io);
}

int act_tenant_added(struct daemon *d, struct tenant *t)
{
	struct state_tenant *st = state_find(&E.db, t->name, false);
	uint64_t now = clock_real_ms();
	struct decide_out o;
	struct cg_limits want, have;

	/* room for each configured rule (policy_tstate_commit tries again each tick) */
	if (policy_tstate_resize(&t->pol, d->cfg.policy.nr_rules))
		log_warn("tenant %s: policy state: %s", t->name, strerror(ENOMEM));
	policy_tstate_init(&t->pol);
	if (st) {
		int dropped;

		if (decide_manual_expired(st, now)) {
			audit_log(d, t, "release", "manual", 0, false, NULL,
				  json_pack("{s:s}", "reason", "expired while quelld was down"));
			st->manual = SM_NONE;
			E.dirty = true;
		}
		dropped = state_get_policy(st, &d->cfg.policy, &t->pol, now);
		if (dropped) {
			audit_log(d, t, "release", NULL, 0, false, NULL,
				  json_pack("{s:s, s:i}", "reason",
					    "expired while quelld was down", "rungs", dropped));
			E.dirty = true;
		}
	}
	/* reconcile: say when the cgroup holds something other than what we want */
	decide_limits(&d->cfg.policy, d->mem_base, &t->lim, st, false, &t->pol, NULL, &o);
	limits_to_cg(&o.full, NULL, 0, &want);
	if (t->cg[0] && !cg_read_limits(&d->cg, t->cg, &have) &&
	    (have.cpu_quota_us != want.cpu_quota_us || have.mem_high != want.mem_high ||
	     have.mem_max != want.mem_max || have.pids_max != want.pids_max)) {
		char a[128], b[128];

		fmt_cg(&have, a, sizeof(a));
		fmt_cg(&want, b, sizeof(b));
		log_info("tenant %s: reconcile: cgroup had %s, writing %s", t->name, a, b);
	}
	if (E.dirty)
		act_save(d);
	return apply(d, t, &o, true);
}

void act_tenant_removed(struct daemon *d, struct tenant *t)
{
	struct state_tenant *st = state_find(&E.db, t->name, false);

	/* what is persisted stays (a user re-created keeps its override) */
	if (st)
		state_put_policy(st, &d->cfg.policy, &t->pol);
}

static json_t *evidence_json(const struct policy_config *pc, const struct policy_action *a)
{
	const struct policy_rule *r = &pc->rules[a->rule];
	const struct policy_evidence *e = &a->ev;
	json_t *j = json_object();

#define NUM(x) (isfinite(x) ? json_real(x) : json_null())
	json_object_set_new(j, "metric", json_string(policy_metric_name(r->metric)));
	json_object_set_new(j, "value", NUM(e->metric));
	json_object_set_new(j, "above", json_real(e->threshold));
	json_object_set_new(j, "while", json_string(policy_signal_name(r->signal)));
	json_object_set_new(j, "signal", NUM(e->signal));
	json_object_set_new(j, "while_above", NUM(e->signal_threshold));
	json_object_set_new(j, "over_s", json_real((double)e->over_ms / 1000.0));
	json_object_set_new(j, "hold_s", json_real((double)a->hold_ms / 1000.0));
	/*
	 * The fork alarm's way in (docs/policy.md "The fork alarm"): value is
	 * the burst's forks/s over 50 ms, signal the neighbour's wait (ms).
	 */
	if (e->alarm) {
		json_object_set_new(j, "alarm", json_true());
		json_object_set_new(j, "metric", json_string("alarm_forks"));
		json_object_set_new(j, "while", json_string("alarm_wait"));
	}
	json_object_set_new(j, "faults", json_pack("{s:o, s:o, s:o, s:o, s:o}",
		"cpu_throttled_s", NUM(e->cpu_throttled_s), "mem_high_s", NUM(e->mem_high_s),
		"mem_max_s", NUM(e->mem_max_s), "pids_max_s", NUM(e->pids_max_s),
		"oom_s", NUM(e->oom_s)));
#undef NUM
	return j;
}

int tick_act(struct daemon *d, const struct decide_plan *p)
{
	const struct policy_config *pc = &d->cfg.policy;
	int n = p->n;
	bool stale;

	if (p->ret < 0) {
		log_err("policy: %s", strerror(-p->ret));	/* out of memory: nothing decided */
		return p->ret;
	}
	/* the registry or the rules changed between decide and act: the plan is stale */
	stale = n != d->reg.nr || (n && p->nr_rules != pc->nr_rules);
	for (int i = 0; i < n && !stale; i++)
		stale = p->in[i].name != d->reg.t[i]->name;
	if (stale) {
		log_err("policy: plan for %d tenants, %d now: not applied", n, d->reg.nr);
		return -ESTALE;
	}
	/*
	 * The actions first (their audit lines and kills read no ladder), then
	 * one pass over the tenants: a pass per step (commit, then state and
	 * limits) took the cache misses of 10,000 tenants twice
	 * (docs/performance.md).
	 */
	for (int k = 0; k < p->nact; k++) {
		const struct policy_action *a = &p->acts[k];
		struct tenant *t = d->reg.t[a->tenant];

		audit_log(d, t, policy_act_name(a->kind), pc->rules[a->rule].name, a->level,
			  a->dry_run, &a->lim, evidence_json(pc, a));
		/* re-check before the one irreversible action */
		if (a->kind == PA_KILL && !a->dry_run && !t->exempt && t->cg[0])
			act_kill(d, t);
		E.dirty = true;
	}

	for (int i = 0; i < n; i++) {
		struct tenant *t = d->reg.t[i];
		const struct decide_out *o = &p->out[i];
		struct state_tenant *st;

		if (o->win_opened | o->win_closed)
			for (int ri = 0; ri < pc->nr_rules; ri++) {
				uint16_t bit = (uint16_t)(1u << ri);

				if ((o->win_opened | o->win_closed) & bit)
					log_debug("policy: %s: rule %s window %s (cpu %.1f%%, "
						  "suffered %.1f ms/s)", t->name, pc->rules[ri].name,
						  o->win_opened & bit ? "opened" : "closed",
						  p->pin[i].v.cpu_pct, p->pin[i].v.suffered_ms_s);
			}
		policy_tstate_commit(pc, &t->pol, &p->next[i]);
		/* an empty db (no tenant with anything to persist) needs no hash of the name */
		st = E.db.nr || o->keep_ladder ? state_find(&E.db, t->name, o->keep_ladder) : NULL;

		/* a manual throttle or freeze that ran out (decide left it out of o) */
		if (o->manual_expired && st) {
			audit_log(d, t, "release", "manual", 0, false, NULL,
				  json_pack("{s:s}", "reason", "expired"));
			st->manual = SM_NONE;
			st->manual_until = 0;
			E.dirty = true;
		}
		if (st)
			state_put_policy(st, pc, &t->pol);
		apply(d, t, o, false);
	}
	if (E.dirty)
		act_save(d);
	return p->nact;
}

int act_reload(struct daemon *d, bool force)
{
	audit_open(d);
	/*
	 * Limits are rewritten only where they differ from what was written,
	 * unless the limits or rules changed: forcing every file of every
	 * tenant made a reload with 500 tenants take 500-850 ms of the loop
	 * (t_realhost_life, SIGHUPs under load: client queries timed out).
	 */
	for (int i = 0; i < d->reg.nr; i++) {
		struct tenant *t = d->reg.t[i];

		if (policy_tstate_remap(&E.prev_pc, &d->cfg.policy, &t->pol))
			log_warn("tenant %s: policy state: %s", t->name, strerror(ENOMEM));
		act_apply(d, t, force);
	}
	E.prev_pc = d->cfg.policy;
	E.dirty = true;
	act_save(d);
	return 0;
}

void act_tenant_release(struct daemon *d, struct tenant *t, const char *reason)
{
	struct state_tenant *st = state_find(&E.db, t->name, false);
	bool active = t->pol.level > 0 || (st && st->manual != SM_NONE);
	struct cg_limits none;
	int ret;

	policy_tstate_init(&t->pol);
	if (st) {
		/* the ladder and manual actions go; a `set` override stays persisted */
		st->manual = SM_NONE;
		st->manual_until = 0;
		state_put_policy(st, &d->cfg.policy, &t->pol);
		E.dirty = true;
	}
	t->written = (struct tenant_written){ .valid = false };	/* no backoff for what comes next */
	if (t->cg[0]) {
		cg_limits_init(&none);
		ret = cg_apply_limits(&d->cg, t->cg, &none);
		if (ret && ret != -ENOENT)
			log_warn("tenant %s: lifting limits on %s: %s", t->name, t->cg, strerror(-ret));
		ret = cg_freeze(&d->cg, t->cg, false);
		if (ret && ret != -ENOENT)
			log_warn("tenant %s: thaw: %s", t->name, strerror(-ret));
	}
	limits_init(&t->dyn);
	limits_init(&t->applied);
	t->applied_valid = false;
	t->state = TS_OK;
	audit_log(d, t, "release", NULL, 0, false, NULL,
		  json_pack("{s:s, s:b}", "reason", reason, "was_throttled", active));
	if (E.dirty)
		act_save(d);
}

void act_shutdown(struct daemon *d)
{
	const struct policy_config *pc = &d->cfg.policy;

	for (int i = 0; i < d->reg.nr; i++) {
		struct tenant *t = d->reg.t[i];
		struct state_tenant *st = state_find(&E.db, t->name, false);
		bool active = t->pol.level > 0 || (st && st->manual != SM_NONE);

		if (!pc->release_on_exit) {
			if (st)
				state_put_policy(st, pc, &t->pol);
			continue;
		}
		if (!active)
			continue;
		/* static limits (and `set` overrides) stay, dynamic ones go */
		policy_tstate_init(&t->pol);
		if (st) {
			st->manual = SM_NONE;
			st->manual_until = 0;
			state_put_policy(st, pc, &t->pol);
		}
		act_apply(d, t, true);
		audit_log(d, t, "release", NULL, 0, false, NULL,
			  json_pack("{s:s}", "reason", "quelld stopping (release_on_exit)"));
	}
	act_save(d);
	audit_close(d);
	decide_plan_free(&d->plan);
	state_free(&E.db);
	memset(&E, 0, sizeof(E));
}
