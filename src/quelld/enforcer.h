/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enforcer.h - act on the policy engine's decisions (src/quelld/enforcer.c)
 * and on manual commands (src/quelld/api_policy.c): write limits through
 * include/cgroup.h only, log every action to the audit log, persist what a
 * restart must keep (src/quelld/state.h). Returns 0 / -errno unless said.
 *
 * The limits written to a tenant's cgroup are always
 *   static (config [limits] + [tenant:NAME], then `set` overrides)
 *   made stricter by the dynamic ones (policy rungs, manual throttle),
 * plus a freeze when a rung or `quellctl freeze` asks for one.
 */
#ifndef QUELL_ENFORCER_H
#define QUELL_ENFORCER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"
#include "state.h"

/* Open the audit log, load state, register the socket commands. */
int enforcer_init(struct daemon *d);
/* Static limits + persisted override / manual action / ladder, reconciled with the cgroup. */
int enforcer_tenant_added(struct daemon *d, struct tenant *t);
void enforcer_tenant_removed(struct daemon *d, struct tenant *t);
/* Each tick after the rates are fresh (now_ms is ignored: the ladder runs on CLOCK_REALTIME). */
int policy_tick(struct daemon *d, uint64_t now_ms);
/* policy_tick at a given CLOCK_REALTIME ms (tests). Returns the number of actions. */
int enforcer_tick_at(struct daemon *d, uint64_t real_ms);
/*
 * After SIGHUP: remap ladders to the new rules, reopen the log, re-apply
 * every tenant's limits (every file rewritten when force: limits or rules changed).
 */
int enforcer_reload(struct daemon *d, bool force);
/*
 * t stops being a tenant (excluded on reload): its ladder and manual
 * actions are dropped, every limit (static too) is lifted and its cgroup
 * thawed; one audit line with reason. A `set` override stays persisted.
 */
void enforcer_tenant_release(struct daemon *d, struct tenant *t, const char *reason);
/* SIGTERM: static limits stay; dynamic ones are released if [policy] release_on_exit. */
void enforcer_shutdown(struct daemon *d);

/* --- for api_policy.c ---------------------------------------------------- */

struct state_tenant *enforcer_state(const char *name, bool create);
/* What t should have: full = static made stricter by dyn; frozen. */
void enforcer_desired(struct daemon *d, struct tenant *t, struct tenant_limits *stat,
		      struct tenant_limits *dyn, struct tenant_limits *full, bool *frozen);
/* Compute and write (force: even if identical to the last write). */
int enforcer_apply(struct daemon *d, struct tenant *t, bool force);
int enforcer_kill(struct daemon *d, struct tenant *t);
/*
 * enforcer_log - one audit line: action, rule ("manual" for commands),
 * level, dry_run, the limits now in force for that rule/command (NULL: none)
 * and evidence (stolen, may be NULL).
 */
void enforcer_log(struct daemon *d, const struct tenant *t, const char *action,
		  const char *rule, int level, bool dry, const struct tenant_limits *lim,
		  json_t *evidence);
int enforcer_save(struct daemon *d);
/* {"tenant","state","rule","until","dynamic"} */
json_t *enforcer_state_json(struct daemon *d, struct tenant *t);

#endif /* QUELL_ENFORCER_H */
