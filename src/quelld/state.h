/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * state.h - what the enforcer must remember across a crash or restart
 * (<state_dir>/policy-state.json, written atomically: tmp + fsync + rename):
 * `set` overrides, manual throttles / freezes with their expiry
 * (CLOCK_REALTIME), and each tenant's position on every rule's ladder.
 * Implemented in src/quelld/state.c. Returns 0 / -errno.
 */
#ifndef QUELL_STATE_H
#define QUELL_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"
#include "config.h"
#include "tenant_limits.h"
#include "policy.h"

enum state_manual {
	SM_NONE,
	SM_THROTTLE,	/* quellctl throttle */
	SM_FREEZE,	/* quellctl freeze */
};

struct state_rule {
	char rule[POLICY_RULE_NAME_MAX];
	struct policy_rstate rs;	/* times are CLOCK_REALTIME ms */
};

struct state_tenant {
	char name[QUELL_NAME_MAX];
	struct tenant_limits over;	/* `set` overrides (over.set = which) */
	enum state_manual manual;
	struct tenant_limits manual_lim;
	uint64_t manual_until;		/* epoch s, 0 = until released */
	/*
	 * Sized by what is used (malloc'd, NULL when nr_rules is 0), not
	 * POLICY_MAX_RULES: 16 slots were 2,304 of the entry's 2,584 bytes.
	 */
	int nr_rules;
	struct state_rule *rules;
};

/*
 * Only tenants with something to persist have an entry (a calm tenant costs
 * none: the last-write cache lives in struct tenant); state_compact() drops
 * the entries that stopped mattering.
 */
struct state_db {
	struct state_tenant *t;
	int nr, cap;
	int *idx;		/* open addressing by name into t[], -1 empty */
	int idx_cap;		/* power of two, > 2 * nr; 0 = not built yet */
};

/* A missing file is an empty db (returns 0); a corrupt one is -EBADMSG (db left empty). */
int state_load(const char *path, struct state_db *db);
int state_save(const char *path, const struct state_db *db);
void state_free(struct state_db *db);
/* Returns the entry, creating it when create (NULL on ENOMEM / not found). */
struct state_tenant *state_find(struct state_db *db, const char *name, bool create);
/* Does the entry hold anything worth keeping? */
bool state_tenant_used(const struct state_tenant *st);
/*
 * state_compact - drop the entries state_tenant_used() says are empty and
 * give back the memory. Moves entries: pointers from state_find() are
 * invalid afterwards. Returns the number dropped.
 */
int state_compact(struct state_db *db);

/* The ladder of a tenant by rule name <-> by rule index of pc. -ENOMEM leaves st as it was. */
int state_put_policy(struct state_tenant *st, const struct policy_config *pc,
		      const struct policy_tstate *ts);
/*
 * state_get_policy - restore ts from st. A rung whose hold and calm period
 * both ran out while quelld was down (now_ms past since + hold + calm) is
 * dropped: nobody watched the tenant, so it gets the benefit of the doubt.
 * Returns the number of rungs dropped.
 */
int state_get_policy(const struct state_tenant *st, const struct policy_config *pc,
		     struct policy_tstate *ts, uint64_t now_ms);

/* JSON form of limits: only the fields set; unlimited is null. */
json_t *state_limits_json(const struct tenant_limits *l);
int state_limits_from_json(json_t *j, struct tenant_limits *l);

#endif /* QUELL_STATE_H */
