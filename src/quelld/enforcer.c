// SPDX-License-Identifier: GPL-2.0-only
/*
 * enforcer.c - gather (struct tenant) -> decide (policy_evaluate, pure) ->
 * act (cgroup writes through include/cgroup.h) -> log (audit) -> persist.
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
#include <time.h>

#include "clock.h"
#include "enforcer.h"
#include "events_log.h"
#include "fs.h"
#include "log.h"
#include "metrics_http.h"
#include "notify_cmd.h"
#include "policy.h"

static struct {
	struct state_db db;
	char path[300];
	struct policy_config prev_pc;
	bool dirty;
	/* per-tick buffers, grown as the registry grows */
	struct policy_input *in;
	struct policy_tstate *prev, *next;
	struct policy_action *acts;
	int cap, acts_cap;
} E;

struct state_tenant *enforcer_state(const char *name, bool create)
{
	return state_find(&E.db, name, create);
}

int enforcer_save(struct daemon *d)
{
	int ret;

	if (!E.path[0])
		return 0;
	ret = state_save(E.path, &E.db);
	if (ret)
		log_warn("policy state %s: cannot save: %s", E.path, strerror(-ret));
	else
		E.dirty = false;
	return ret;
}

void enforcer_log(struct daemon *d, const struct tenant *t, const char *action,
		  const char *rule, int level, bool dry, const struct tenant_limits *lim,
		  json_t *evidence)
{
	uint64_t ms = clock_real_ms();
	char txt[256] = "";
	json_t *ev;

	if (lim && lim->set)
		limits_fmt(lim, txt, sizeof(txt));
	ev = json_object();
	json_object_set_new(ev, "time", json_integer((json_int_t)(ms / 1000)));
	json_object_set_new(ev, "time_ms", json_integer((json_int_t)ms));
	json_object_set_new(ev, "tenant", json_string(t->name));
	json_object_set_new(ev, "rule", json_string(rule ? rule : ""));
	json_object_set_new(ev, "action", json_string(action));
	json_object_set_new(ev, "level", json_integer(level));
	json_object_set_new(ev, "dry_run", json_boolean(dry));
	json_object_set_new(ev, "limits", lim ? state_limits_json(lim) : json_object());
	json_object_set_new(ev, "limits_text", json_string(txt));
	json_object_set_new(ev, "cgroup", json_string(t->cg));
	json_object_set_new(ev, "evidence", evidence ? evidence : json_object());
	if (!dry)
		metrics_http_count_action(d, action);	/* quell_actions_total */
	log_info("%s%s %s: rule %s level %d%s%s", dry ? "dry-run: " : "", action, t->name,
		 rule ? rule : "-", level, *txt ? ", limits " : "", txt);
	if (d->events) {
		int ret = events_log_append(d->events, ev);

		if (ret)
			log_warn("audit log: %s", strerror(-ret));
	}
	notify_cmd_event(d, ev);	/* [notify] command: never waits */
	json_decref(ev);
}

void enforcer_desired(struct daemon *d, struct tenant *t, struct tenant_limits *stat,
		      struct tenant_limits *dyn, struct tenant_limits *full, bool *frozen)
{
	struct state_tenant *st = state_find(&E.db, t->name, false);

	*stat = t->lim;
	if (st)
		limits_merge(stat, &st->over);
	limits_apply_defaults(stat);	/* nproc = 512 unless configured */
	policy_effective(&d->cfg.policy, &t->pol, dyn, frozen);
	if (st && st->manual == SM_THROTTLE)
		policy_limits_stricter(dyn, &st->manual_lim);
	if (st && st->manual == SM_FREEZE)
		*frozen = true;
	*full = *stat;
	policy_limits_stricter(full, dyn);
}

static void tenant_state_update(struct daemon *d, struct tenant *t, const struct tenant_limits *dyn,
				bool frozen)
{
	const struct policy_config *pc = &d->cfg.policy;
	struct state_tenant *st = state_find(&E.db, t->name, false);
	bool manual = st && st->manual != SM_NONE;

	t->dyn = *dyn;
	if (t->state == TS_KILLED && !frozen && !dyn->set)
		return;		/* stays "killed" until something else happens */
	t->state = frozen ? TS_FROZEN : dyn->set ? TS_THROTTLED : TS_OK;
	t->state_rule[0] = '\0';
	t->state_until = 0;
	if (manual) {
		snprintf(t->state_rule, sizeof(t->state_rule), "manual");
		t->state_until = st->manual_until;
	} else if (t->pol.rule >= 0 && t->pol.rule < pc->nr_rules && t->pol.level > 0) {
		const struct policy_rule *r = &pc->rules[t->pol.rule];
		const struct policy_rstate *rs = &t->pol.r[t->pol.rule];

		snprintf(t->state_rule, sizeof(t->state_rule), "%s", r->name);
		if (rs->level <= r->nr_steps)
			t->state_until = (rs->since_ms + r->steps[rs->level - 1].dur_ms) / 1000;
	}
}

int enforcer_apply(struct daemon *d, struct tenant *t, bool force)
{
	struct tenant_limits stat, dyn, full;
	struct state_tenant *st;
	struct cg_limits cgl;
	bool frozen;
	int ret = 0;

	enforcer_desired(d, t, &stat, &dyn, &full, &frozen);
	tenant_state_update(d, t, &dyn, frozen);
	t->applied = full;
	t->applied_valid = true;
	if (!t->cg[0])
		return 0;
	st = state_find(&E.db, t->name, true);
	if (!st)
		return -ENOMEM;
	limits_to_cg(&full, NULL, 0, &cgl);
	if (!force && st->written_valid && !memcmp(&cgl, &st->written, sizeof(cgl)) &&
	    frozen == st->written_frozen)
		return 0;
	ret = cg_apply_limits(&d->cg, t->cg, &cgl);
	if (ret && ret != -ENOENT)
		log_warn("tenant %s: writing limits to %s: %s", t->name, t->cg, strerror(-ret));
	if (force || !st->written_valid || frozen != st->written_frozen) {
		int r2 = cg_freeze(&d->cg, t->cg, frozen);

		/* thawing a cgroup that was never frozen must not fail the write */
		if (r2 && frozen && r2 != -ENOENT) {
			log_warn("tenant %s: freeze: %s", t->name, strerror(-r2));
			ret = ret ? ret : r2;
		}
	}
	st->written = cgl;
	st->written_frozen = frozen;
	/*
	 * A controller that is not there (cgroups mode on a hybrid host: the
	 * tenant's cgroup exists only on unified) will not appear by retrying:
	 * remember the write so it is not repeated every tick (it was 15 % of
	 * the tick at 5,000 tenants). A recreated cgroup is re-applied with
	 * force by hooks_tenant_cgroup().
	 */
	st->written_valid = !ret || ret == -ENOENT || ret == -EOPNOTSUPP;
	return ret == -ENOENT ? 0 : ret;
}

int enforcer_kill(struct daemon *d, struct tenant *t)
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
		enforcer_log(d, t, "spare_root", "kill", 0, false, NULL,
			     json_pack("{s:s}", "reason", "uid-0 processes in the cgroup"));
		ret = 0;
	}
	if (ret && ret != -ENOENT)
		log_warn("tenant %s: kill: %s", t->name, strerror(-ret));
	else
		t->state = TS_KILLED;
	return ret;
}

json_t *enforcer_state_json(struct daemon *d, struct tenant *t)
{
	struct tenant_limits stat, dyn, full;
	bool frozen;

	enforcer_desired(d, t, &stat, &dyn, &full, &frozen);
	return json_pack("{s:s, s:s, s:s, s:I, s:b, s:o}", "tenant", t->name,
			 "state", tenant_state_name(t->state), "rule", t->state_rule,
			 "until", (json_int_t)t->state_until, "frozen", frozen,
			 "dynamic", state_limits_json(&dyn));
}

static void events_open(struct daemon *d)
{
	int ret;

	if (d->events) {
		events_log_close(d->events);
		d->events = NULL;
	}
	if (!d->cfg.events_path[0])
		return;
	ret = events_log_open(d->cfg.events_path, d->cfg.events_max_bytes, d->cfg.events_keep,
			      &d->events);
	if (ret)
		log_err("audit log %s: %s (actions are only logged here)", d->cfg.events_path,
			strerror(-ret));
}

int enforcer_init(struct daemon *d)
{
	int ret;

	events_open(d);
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

int enforcer_tenant_added(struct daemon *d, struct tenant *t)
{
	struct state_tenant *st = state_find(&E.db, t->name, false);
	uint64_t now = clock_real_ms();
	struct tenant_limits stat, dyn, full;
	struct cg_limits want, have;
	bool frozen;

	policy_tstate_init(&t->pol);
	if (st) {
		int dropped;

		if (st->manual != SM_NONE && st->manual_until && now / 1000 >= st->manual_until) {
			enforcer_log(d, t, "release", "manual", 0, false, NULL,
				     json_pack("{s:s}", "reason", "expired while quelld was down"));
			st->manual = SM_NONE;
			E.dirty = true;
		}
		dropped = state_get_policy(st, &d->cfg.policy, &t->pol, now);
		if (dropped) {
			enforcer_log(d, t, "release", NULL, 0, false, NULL,
				     json_pack("{s:s, s:i}", "reason",
					       "expired while quelld was down", "rungs", dropped));
			E.dirty = true;
		}
	}
	/* reconcile: say when the cgroup holds something other than what we want */
	enforcer_desired(d, t, &stat, &dyn, &full, &frozen);
	limits_to_cg(&full, NULL, 0, &want);
	if (t->cg[0] && !cg_read_limits(&d->cg, t->cg, &have) &&
	    (have.cpu_quota_us != want.cpu_quota_us || have.mem_high != want.mem_high ||
	     have.mem_max != want.mem_max || have.pids_max != want.pids_max)) {
		char a[128], b[128];

		fmt_cg(&have, a, sizeof(a));
		fmt_cg(&want, b, sizeof(b));
		log_info("tenant %s: reconcile: cgroup had %s, writing %s", t->name, a, b);
	}
	if (E.dirty)
		enforcer_save(d);
	return enforcer_apply(d, t, true);
}

void enforcer_tenant_removed(struct daemon *d, struct tenant *t)
{
	struct state_tenant *st = state_find(&E.db, t->name, false);

	/* what is persisted stays (a user re-created keeps its override) */
	if (st) {
		state_put_policy(st, &d->cfg.policy, &t->pol);
		st->written_valid = false;
	}
}

static int grow(int n, int nacts)
{
	if (n > E.cap) {
		int cap = n + 64;
		void *a = realloc(E.in, sizeof(*E.in) * (size_t)cap);

		if (!a)
			return -ENOMEM;
		E.in = a;
		a = realloc(E.prev, sizeof(*E.prev) * (size_t)cap);
		if (!a)
			return -ENOMEM;
		E.prev = a;
		a = realloc(E.next, sizeof(*E.next) * (size_t)cap);
		if (!a)
			return -ENOMEM;
		E.next = a;
		E.cap = cap;
	}
	if (nacts > E.acts_cap) {
		void *a = realloc(E.acts, sizeof(*E.acts) * (size_t)nacts);

		if (!a)
			return -ENOMEM;
		E.acts = a;
		E.acts_cap = nacts;
	}
	return 0;
}

static double rate(const struct tenant *t, enum qm_id id)
{
	double r = t->rates.r[id];

	return isfinite(r) ? r : 0;
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
	json_object_set_new(j, "faults", json_pack("{s:o, s:o, s:o, s:o, s:o}",
		"cpu_throttled_s", NUM(e->cpu_throttled_s), "mem_high_s", NUM(e->mem_high_s),
		"mem_max_s", NUM(e->mem_max_s), "pids_max_s", NUM(e->pids_max_s),
		"oom_s", NUM(e->oom_s)));
#undef NUM
	return j;
}

int enforcer_tick_at(struct daemon *d, uint64_t real_ms)
{
	const struct policy_config *pc = &d->cfg.policy;
	int n = d->reg.nr, nact, ret;

	ret = grow(n, n * (pc->nr_rules + 1) + 1);
	if (ret)
		return ret;
	for (int i = 0; i < n; i++) {
		struct tenant *t = d->reg.t[i];
		struct policy_input *in = &E.in[i];

		memset(in, 0, sizeof(*in));
		in->name = t->name;
		in->exempt = t->exempt;
		in->has_cg = t->cg[0] != '\0';
		in->v = t->view;
		in->cpu_throttled_s = rate(t, QM_CPU_THROTTLED);
		in->mem_high_s = rate(t, QM_MEM_HIGH_EVENTS);
		in->mem_max_s = rate(t, QM_MEM_MAX_EVENTS);
		in->pids_max_s = rate(t, QM_PIDS_MAX_EVENTS);
		in->oom_s = rate(t, QM_OOM_KILLS);
		in->refault_s = t->rates.r[QM_REFAULTS];	/* NAN unknown: never trips */
		E.prev[i] = t->pol;
	}
	nact = policy_evaluate(pc, E.in, E.prev, E.next, n, real_ms, E.acts, E.acts_cap);
	if (nact < 0) {
		log_err("policy: %s", strerror(-nact));	/* cannot happen: acts sized above */
		return nact;
	}
	for (int i = 0; i < n; i++) {
		/* why a rule did or did not trip: its window opening and closing */
		for (int ri = 0; ri < pc->nr_rules; ri++) {
			const struct policy_rstate *a = &E.prev[i].r[ri], *b = &E.next[i].r[ri];

			if (!b->level && a->over != b->over)
				log_debug("policy: %s: rule %s window %s (cpu %.1f%%, suffered %.1f ms/s)",
					  E.in[i].name, pc->rules[ri].name,
					  b->over ? "opened" : "closed", E.in[i].v.cpu_pct,
					  E.in[i].v.suffered_ms_s);
		}
		d->reg.t[i]->pol = E.next[i];
	}

	for (int k = 0; k < nact; k++) {
		const struct policy_action *a = &E.acts[k];
		struct tenant *t = d->reg.t[a->tenant];

		enforcer_log(d, t, policy_act_name(a->kind), pc->rules[a->rule].name, a->level,
			     a->dry_run, &a->lim, evidence_json(pc, a));
		/* re-check before the one irreversible action */
		if (a->kind == PA_KILL && !a->dry_run && !t->exempt && t->cg[0])
			enforcer_kill(d, t);
		E.dirty = true;
	}

	/* manual throttles and freezes that ran out */
	for (int i = 0; i < n; i++) {
		struct tenant *t = d->reg.t[i];
		struct state_tenant *st = state_find(&E.db, t->name, false);

		if (st && st->manual != SM_NONE && st->manual_until &&
		    real_ms / 1000 >= st->manual_until) {
			enforcer_log(d, t, "release", "manual", 0, false, NULL,
				     json_pack("{s:s}", "reason", "expired"));
			st->manual = SM_NONE;
			st->manual_until = 0;
			E.dirty = true;
		}
		if (!st) {
			bool keep = false;

			for (int ri = 0; ri < pc->nr_rules; ri++)
				keep |= t->pol.r[ri].level || t->pol.r[ri].released_from;
			st = state_find(&E.db, t->name, keep);
		}
		if (st)
			state_put_policy(st, pc, &t->pol);
		enforcer_apply(d, t, false);
	}
	if (E.dirty)
		enforcer_save(d);
	return nact;
}

int policy_tick(struct daemon *d, uint64_t now_ms)
{
	(void)now_ms;	/* monotonic in quelld; the ladder is persisted in wall-clock time */
	return enforcer_tick_at(d, clock_real_ms());
}

int enforcer_reload(struct daemon *d, bool force)
{
	events_open(d);
	/*
	 * Limits are rewritten only where they differ from what was written,
	 * unless the limits or rules changed: forcing every file of every
	 * tenant made a reload with 500 tenants take 500-850 ms of the loop
	 * (t_realhost_life, SIGHUPs under load: client queries timed out).
	 */
	for (int i = 0; i < d->reg.nr; i++) {
		struct tenant *t = d->reg.t[i];

		policy_tstate_remap(&E.prev_pc, &d->cfg.policy, &t->pol);
		enforcer_apply(d, t, force);
	}
	E.prev_pc = d->cfg.policy;
	E.dirty = true;
	enforcer_save(d);
	return 0;
}

void enforcer_tenant_release(struct daemon *d, struct tenant *t, const char *reason)
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
		st->written_valid = false;
		E.dirty = true;
	}
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
	enforcer_log(d, t, "release", NULL, 0, false, NULL,
		     json_pack("{s:s, s:b}", "reason", reason, "was_throttled", active));
	if (E.dirty)
		enforcer_save(d);
}

void enforcer_shutdown(struct daemon *d)
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
		enforcer_apply(d, t, true);
		enforcer_log(d, t, "release", NULL, 0, false, NULL,
			     json_pack("{s:s}", "reason", "quelld stopping (release_on_exit)"));
	}
	enforcer_save(d);
	if (d->events) {
		events_log_close(d->events);
		d->events = NULL;
	}
	state_free(&E.db);
	free(E.in);
	free(E.prev);
	free(E.next);
	free(E.acts);
	memset(&E, 0, sizeof(E));
}
