/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy.h - bad-neighbour rules and the escalation ladder.
 * (Skeleton: the policy engine fills this in; config.c only calls
 * policy_config_init() and policy_parse_kv().)
 */
#ifndef QUELL_POLICY_H
#define QUELL_POLICY_H

#include <stddef.h>

struct policy_config {
	int dry_run;
};

/* Per-tenant policy state, kept in struct tenant between ticks. */
struct policy_tstate {
	int level;		/* 0 = calm, 1.. = rung of the ladder */
};

void policy_config_init(struct policy_config *pc);
/*
 * policy_parse_kv - one key of section "policy" or "rule:NAME".
 * Returns 0, -ENOENT unknown key/section, -EINVAL bad value (message in err).
 */
int policy_parse_kv(struct policy_config *pc, const char *section, const char *key,
		    const char *val, char *err, size_t errlen);
/* Check cross-key consistency after the whole file was read. */
int policy_config_finish(struct policy_config *pc, char *err, size_t errlen);
void policy_config_free(struct policy_config *pc);

#endif /* QUELL_POLICY_H */
