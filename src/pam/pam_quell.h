/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pam_quell.h - the pure half of pam_quell.so: module arguments and the
 * "should this session process be placed?" decision. Lives in libquell.a
 * (src/pam/pam_decide.c) so unit tests exercise it without PAM;
 * src/pam/pam_quell.c gathers (quell.conf, user, uid, groups, the caller's
 * real uid), calls pamq_decide() and acts (cg_frozen, cg_create, cg_attach
 * in a helper process bounded by timeout=).
 */
#ifndef QUELL_PAM_QUELL_H
#define QUELL_PAM_QUELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define PAMQ_MAX_EXEMPT	16
#define PAMQ_GROUP_MAX	64
#define PAMQ_TIMEOUT_MAX_MS	10000

struct pamq_args {
	char config[256];			/* config=/etc/quell/quell.conf */
	uint32_t min_uid;			/* min_uid=N: overrides quell.conf's */
	bool min_uid_set;
	char managed[64];			/* managed=NAME: overrides quell.conf's */
	char cgroup_root[256];			/* cgroup_root=PATH: overrides quell.conf's */
	char exempt[PAMQ_MAX_EXEMPT][PAMQ_GROUP_MAX];	/* exempt_groups=wheel,sudo */
	int nr_exempt;
	unsigned timeout_ms;			/* timeout=500: longest a login waits for us */
	bool debug;				/* debug: log every decision */
};

enum pamq_verdict {
	PAMQ_PLACE,		/* move the calling process into <managed>/<user> */
	PAMQ_SKIP_ROOT,		/* uid 0 is never moved */
	PAMQ_SKIP_UID,		/* uid outside quell.conf's [min_uid, max_uid] */
	PAMQ_SKIP_EXCLUDED,	/* in quell.conf's exclude list */
	PAMQ_SKIP_GROUP,	/* member of an exempt group */
	PAMQ_SKIP_NAME,		/* user name fails tenant_name_ok() */
	PAMQ_SKIP_OFF,		/* quell.conf: mode = cgroups or place = no */
	PAMQ_SKIP_CALLER,	/* the calling process is not the user's (e.g. sshd's, su's) */
};

/* What pamq_decide looks at, all gathered before it runs. */
struct pamq_facts {
	uint32_t uid;			/* the user's uid (passwd) */
	const char *user;
	const char *const *groups;	/* names of every group the user is in */
	int ngroups;
	uint32_t caller_ruid;		/* getuid() of the process that opens the session */
};

void pamq_args_default(struct pamq_args *a);
/*
 * pamq_args_parse - module arguments as PAM passes them ("config=PATH",
 * "min_uid=1000", "exempt_groups=wheel,sudo", "managed=quell",
 * "cgroup_root=/sys/fs/cgroup", "timeout=500", "debug"). Returns 0, or
 * -EINVAL with a message in err for an unknown argument or a bad value
 * (*a then holds the defaults plus what parsed).
 */
int pamq_args_parse(struct pamq_args *a, int argc, const char **argv, char *err, size_t errlen);
/*
 * pamq_apply_args - quell.conf as the module sees it: the explicit module
 * arguments (min_uid, managed, cgroup_root) replace cfg's values.
 */
void pamq_apply_args(const struct pamq_args *a, struct quell_config *cfg);
/*
 * pamq_decide - pure. Root beats everything, then quell.conf (mode/place,
 * uid range, exclude), then exempt groups, then the name rule, and last the
 * caller: only a process whose real uid is already the user's is placed,
 * the same rule quelld's placement applies (docs/placement.md), so PAM never
 * moves what quelld would not (sshd's and su's root-owned processes).
 */
enum pamq_verdict pamq_decide(const struct pamq_args *a, const struct quell_config *cfg,
			      const struct pamq_facts *f);
const char *pamq_verdict_name(enum pamq_verdict v);
/* "<managed>/<user>" into buf; returns 0 or -ENAMETOOLONG / -EINVAL. */
int pamq_cgroup_path(const struct quell_config *cfg, const char *user, char *buf, size_t len);

#endif /* QUELL_PAM_QUELL_H */
