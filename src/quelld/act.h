/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * act.h - the tick's act stage (src/quelld/act.c): carry out the plan of
 * src/quelld/decide.h, and the manual commands of src/quelld/api_policy.c.
 * Writes limits through include/cgroup.h only, logs every action to the
 * audit log (src/quelld/audit.h), persists what a restart must keep
 * (src/quelld/state.h). Returns 0 / -errno unless said.
 */
#ifndef QUELL_ACT_H
#define QUELL_ACT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"
#include "decide.h"
#include "state.h"

/* Open the audit log, load state, register the socket commands. */
int act_init(struct daemon *d);
/* Static limits + persisted override / manual action / ladder, reconciled with the cgroup. */
int act_tenant_added(struct daemon *d, struct tenant *t);
void act_tenant_removed(struct daemon *d, struct tenant *t);
/*
 * tick_act - carry out p (tick_decide's, for the registry as it is now):
 * the ladders, the actions' audit lines and kills (not dry-run, not exempt,
 * only with a cgroup), manual actions that ran out, the limits (a write
 * identical to the last one is skipped), the state db. Returns the number
 * of actions, or -errno (nothing done).
 */
int tick_act(struct daemon *d, const struct decide_plan *p);
/*
 * After SIGHUP: remap ladders to the new rules, reopen the log, re-apply
 * every tenant's limits (every file rewritten when force: limits or rules changed).
 */
int act_reload(struct daemon *d, bool force);
/*
 * t stops being a tenant (excluded on reload): its ladder and manual
 * actions are dropped, every limit (static too) is lifted and its cgroup
 * thawed; one audit line with reason. A `set` override stays persisted.
 */
void act_tenant_release(struct daemon *d, struct tenant *t, const char *reason);
/* SIGTERM: static limits stay; dynamic ones are released if [policy] release_on_exit. */
void act_shutdown(struct daemon *d);

/* --- for api_policy.c ---------------------------------------------------- */

struct state_tenant *act_state(const char *name, bool create);
/* What t should have: full = static made stricter by dyn; frozen. */
void act_desired(struct daemon *d, struct tenant *t, struct tenant_limits *stat,
		 struct tenant_limits *dyn, struct tenant_limits *full, bool *frozen);
/* Compute and write (force: even if identical to the last write). */
int act_apply(struct daemon *d, struct tenant *t, bool force);
int act_kill(struct daemon *d, struct tenant *t);
int act_save(struct daemon *d);
/* {"tenant","state","rule","until","dynamic"} */
json_t *act_state_json(struct daemon *d, struct tenant *t);


#endif /* QUELL_ACT_H */
