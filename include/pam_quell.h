/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pam_quell.h - the pure half of pam_quell.so: module arguments and the
 * "should this session be placed?" decision. Lives in libquell.a
 * (src/lib/pam_decide.c) so unit tests exercise it without PAM;
 * src/pam/pam_quell.c gathers (user, uid, groups), calls pamq_decide() and
 * acts (cg_create + cg_attach).
 */
#ifndef QUELL_PAM_QUELL_H
#define QUELL_PAM_QUELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAMQ_MAX_EXEMPT	16
#define PAMQ_GROUP_MAX	64

struct pamq_args {
	uint32_t min_uid;			/* min_uid=1000 */
	char managed[64];			/* managed=quell */
	char cgroup_root[256];			/* cgroup_root=/sys/fs/cgroup */
	char exempt[PAMQ_MAX_EXEMPT][PAMQ_GROUP_MAX];	/* exempt_groups=wheel,sudo */
	int nr_exempt;
	bool debug;				/* debug: log every decision */
};

enum pamq_verdict {
	PAMQ_PLACE,		/* move the session into <managed>/<user> */
	PAMQ_SKIP_ROOT,		/* uid 0 is never moved */
	PAMQ_SKIP_UID,		/* uid < min_uid */
	PAMQ_SKIP_GROUP,	/* member of an exempt group */
	PAMQ_SKIP_NAME,		/* user name unusable as a cgroup name */
};

void pamq_args_default(struct pamq_args *a);
/*
 * pamq_args_parse - module arguments as PAM passes them ("min_uid=1000",
 * "exempt_groups=wheel,sudo", "managed=quell", "cgroup_root=/sys/fs/cgroup",
 * "debug"). Returns 0, or -EINVAL with a message in err for an unknown
 * argument or a bad value (*a then holds the defaults plus what parsed).
 */
int pamq_args_parse(struct pamq_args *a, int argc, const char **argv, char *err, size_t errlen);
/* Is name safe as one cgroup path component? (non-empty, no '/', not . or .., printable) */
bool pamq_name_ok(const char *name);
/*
 * pamq_decide - pure: uid, user name and the names of every group the user
 * is in (primary included) -> verdict. Root beats everything, then min_uid,
 * then exempt groups, then the name check.
 */
enum pamq_verdict pamq_decide(const struct pamq_args *a, uint32_t uid, const char *user,
			      const char *const *groups, int ngroups);
const char *pamq_verdict_name(enum pamq_verdict v);
/* "<managed>/<user>" into buf; returns 0 or -ENAMETOOLONG / -EINVAL. */
int pamq_cgroup_path(const struct pamq_args *a, const char *user, char *buf, size_t len);

#endif /* QUELL_PAM_QUELL_H */
