// SPDX-License-Identifier: GPL-2.0-only
/*
 * pam_quell.c - PAM session module: put a login (ssh, su, cron, ...) into
 * its tenant's cgroup <managed>/<user> at session open, so the session is
 * contained even when quelld is not running yet. quelld's placement does
 * the same later; both use cg_create()/cg_attach(), so they agree.
 *
 *   session optional pam_quell.so [min_uid=1000] [exempt_groups=wheel,sudo]
 *                                 [managed=quell] [cgroup_root=/sys/fs/cgroup] [debug]
 *
 * gather (user, uid, groups) -> decide (pamq_decide, pure, src/lib) -> act.
 * It never fails a login: every error is logged to syslog (authpriv) and
 * the module returns PAM_SUCCESS.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "cgroup.h"
#include "pam_quell.h"

#define MAX_GROUPS	256

/* Names of every group user is in; returns count (>= 0) or -errno. */
static int user_groups(const char *user, gid_t gid, char names[][PAMQ_GROUP_MAX], int max)
{
	gid_t gids[MAX_GROUPS];
	int ngids = MAX_GROUPS, n = 0;
	char buf[4096];

	if (getgrouplist(user, gid, gids, &ngids) < 0)
		ngids = MAX_GROUPS;	/* truncated: the first MAX_GROUPS are still filled */
	for (int i = 0; i < ngids && n < max; i++) {
		struct group gr, *res = NULL;

		if (getgrgid_r(gids[i], &gr, buf, sizeof(buf), &res) || !res)
			continue;
		snprintf(names[n++], PAMQ_GROUP_MAX, "%s", gr.gr_name);
	}
	return n;
}

static void place(pam_handle_t *pamh, const struct pamq_args *a, const char *user)
{
	char rel[192];
	struct cg_layout l;
	pid_t pid = getpid();
	int fd, ret;

	ret = pamq_cgroup_path(a, user, rel, sizeof(rel));
	if (ret) {
		pam_syslog(pamh, LOG_ERR, "user %s: no cgroup path: %s", user, strerror(-ret));
		return;
	}
	fd = open(a->cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		pam_syslog(pamh, LOG_ERR, "%s: %m", a->cgroup_root);
		return;
	}
	ret = cg_layout_open(fd, &l);
	if (ret) {
		pam_syslog(pamh, LOG_ERR, "cgroupfs at %s: %s", a->cgroup_root, strerror(-ret));
		close(fd);
		return;
	}
	ret = cg_create(&l, rel);
	if (!ret)
		ret = cg_attach(&l, rel, pid);
	if (ret)
		pam_syslog(pamh, LOG_ERR, "placing pid %d of %s in %s: %s", (int)pid, user, rel,
			   strerror(-ret));
	else if (a->debug)
		pam_syslog(pamh, LOG_DEBUG, "placed pid %d of %s in %s (%s)", (int)pid, user, rel,
			   cg_mode_name(l.mode));
	cg_layout_close(&l);
	close(fd);
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	static char names[MAX_GROUPS][PAMQ_GROUP_MAX];
	const char *gp[MAX_GROUPS];
	struct pamq_args a;
	struct passwd pw, *pwr = NULL;
	const char *user = NULL;
	char err[256], buf[4096];
	enum pamq_verdict v;
	int ng;

	(void)flags;
	if (pamq_args_parse(&a, argc, argv, err, sizeof(err))) {
		pam_syslog(pamh, LOG_ERR, "bad arguments, doing nothing: %s", err);
		return PAM_SUCCESS;
	}
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user) {
		pam_syslog(pamh, LOG_ERR, "no user name");
		return PAM_SUCCESS;
	}
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &pwr) || !pwr) {
		pam_syslog(pamh, LOG_ERR, "user %s not in the passwd database", user);
		return PAM_SUCCESS;
	}
	ng = user_groups(user, pw.pw_gid, names, MAX_GROUPS);
	for (int i = 0; i < ng; i++)
		gp[i] = names[i];
	v = pamq_decide(&a, pw.pw_uid, user, gp, ng < 0 ? 0 : ng);
	if (v != PAMQ_PLACE) {
		if (a.debug)
			pam_syslog(pamh, LOG_DEBUG, "not placing %s (uid %u): %s", user,
				   (unsigned)pw.pw_uid, pamq_verdict_name(v));
		return PAM_SUCCESS;
	}
	place(pamh, &a, user);
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	/* the cgroup stays: quelld removes it once the tenant is gone and it is empty */
	return PAM_SUCCESS;
}
