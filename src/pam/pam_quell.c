// SPDX-License-Identifier: GPL-2.0-only
/*
 * pam_quell.c - PAM session module: put a session process that already runs
 * as the tenant (its real uid is the user's) into <managed>/<user>, with
 * quell.conf's rules (uid range, exclude, mode, place). It never moves a
 * process of root's: sshd, su and cron open the session as root before the
 * fork + setuid that starts the user's shell, and that setuid is what
 * quelld's BPF event places within milliseconds (docs/placement.md).
 *
 *   session optional pam_quell.so [config=/etc/quell/quell.conf] [timeout=500]
 *                                 [exempt_groups=wheel,sudo] [min_uid=N]
 *                                 [managed=quell] [cgroup_root=/sys/fs/cgroup] [debug]
 *
 * gather (quell.conf, user, uid, groups, caller) -> decide (pamq_decide,
 * pure, src/pam/pam_decide.c) -> act (a helper process, so a slow cgroupfs costs the
 * login at most timeout ms). It never fails a login: every error is logged
 * to syslog (authpriv) and the module returns PAM_SUCCESS.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "cgroup.h"
#include "clock.h"
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

static int64_t now_ms(void)
{
	return (int64_t)(clock_mono_ns() / 1000000);
}

/*
 * The helper's work: 0 placed, 1 skipped (frozen), -errno. A frozen
 * tenant is checked right before the move: a process moved into a frozen
 * cgroup stops at once, and with it the login. What is left is a freeze
 * landing between that check and the move (microseconds).
 */
static int place_now(const struct cg_layout *l, const char *rel, pid_t pid)
{
	int ret = cg_frozen(l, rel);

	if (ret == -ENOENT) {
		ret = cg_create(l, rel);
		if (ret && ret != -EEXIST)
			return ret;
		ret = cg_frozen(l, rel);
	}
	if (ret < 0)
		return ret;
	if (ret == 1)
		return 1;
	return cg_attach(l, rel, pid);
}

/*
 * Run place_now() in a child and wait for it at most timeout_ms: cgroupfs
 * writes take the kernel's cgroup locks and can stall under a fork storm;
 * the login must not. The child writes its result into a pipe. Returns its
 * result, or -ETIMEDOUT (the child is killed and left to be reaped).
 */
static int place_bounded(const struct cg_layout *l, const char *rel, pid_t pid,
			 unsigned timeout_ms)
{
	int p[2], ret = -ETIMEDOUT, status;
	int64_t end = now_ms() + timeout_ms;
	pid_t child;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	child = fork();
	if (child < 0) {
		ret = -errno;
		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (child == 0) {
		int r = place_now(l, rel, pid);

		close(p[0]);
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int64_t left = end - now_ms();
		int n, r;

		if (left <= 0)
			break;
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		n = (int)read(p[0], &r, sizeof(r));
		ret = n == sizeof(r) ? r : -EIO;
		break;
	}
	close(p[0]);
	if (ret == -ETIMEDOUT)
		kill(child, SIGKILL);
	/* a child stuck in the kernel stays a zombie until the caller reaps it */
	if (waitpid(child, &status, ret == -ETIMEDOUT ? WNOHANG : 0) < 0 && errno != ECHILD)
		ret = ret ? ret : -errno;
	return ret;
}

static void place(pam_handle_t *pamh, const struct pamq_args *a, const struct quell_config *cfg,
		  const char *user)
{
	char rel[192];
	struct cg_layout l;
	pid_t pid = getpid();
	int64_t t0 = now_ms();
	int fd, ret;

	ret = pamq_cgroup_path(cfg, user, rel, sizeof(rel));
	if (ret) {
		pam_syslog(pamh, LOG_ERR, "user %s: no cgroup path: %s", user, strerror(-ret));
		return;
	}
	fd = open(cfg->cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		pam_syslog(pamh, LOG_ERR, "%s: %m", cfg->cgroup_root);
		return;
	}
	ret = cg_layout_open(fd, &l);
	if (ret) {
		pam_syslog(pamh, LOG_ERR, "cgroupfs at %s: %s", cfg->cgroup_root, strerror(-ret));
		close(fd);
		return;
	}
	ret = place_bounded(&l, rel, pid, a->timeout_ms);
	if (ret == 1)
		pam_syslog(pamh, LOG_NOTICE, "%s is frozen: pid %d of %s not placed (quelld's sweep "
			   "places it once thawed)", rel, (int)pid, user);
	else if (ret == -ETIMEDOUT)
		pam_syslog(pamh, LOG_WARNING, "placing pid %d of %s in %s: gave up after %u ms "
			   "(timeout=)", (int)pid, user, rel, a->timeout_ms);
	else if (ret)
		pam_syslog(pamh, LOG_ERR, "placing pid %d of %s in %s: %s", (int)pid, user, rel,
			   strerror(-ret));
	else if (a->debug)
		pam_syslog(pamh, LOG_DEBUG, "placed pid %d of %s in %s (%s) in %lld ms", (int)pid,
			   user, rel, cg_mode_name(l.mode), (long long)(now_ms() - t0));
	cg_layout_close(&l);
	close(fd);
}

/* quell.conf (or its defaults when there is none) with the module's overrides; 0 or -errno */
static int load_config(pam_handle_t *pamh, const struct pamq_args *a, struct quell_config *cfg)
{
	char err[512];
	int ret;

	config_defaults(cfg);
	ret = config_load(a->config, cfg, err, sizeof(err));
	if (ret == -ENOENT) {
		ret = 0;	/* quelld runs without one too: the defaults */
	} else if (ret) {
		/* the uid range and exclude list are unknown: place nobody */
		pam_syslog(pamh, LOG_ERR, "%s; not placing anyone", err);
		return ret;
	}
	pamq_apply_args(a, cfg);
	return 0;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	static char names[MAX_GROUPS][PAMQ_GROUP_MAX];
	const char *gp[MAX_GROUPS];
	struct quell_config *cfg;
	struct pamq_facts f;
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
	if (pw.pw_uid == 0) {
		if (a.debug)
			pam_syslog(pamh, LOG_DEBUG, "not placing %s: root", user);
		return PAM_SUCCESS;
	}
	cfg = malloc(sizeof(*cfg));	/* ~200 KiB with its [tenant:] table: not on the stack */
	if (!cfg) {
		pam_syslog(pamh, LOG_ERR, "out of memory");
		return PAM_SUCCESS;
	}
	if (load_config(pamh, &a, cfg))
		goto out;
	ng = user_groups(user, pw.pw_gid, names, MAX_GROUPS);
	for (int i = 0; i < ng; i++)
		gp[i] = names[i];
	f = (struct pamq_facts){ .uid = pw.pw_uid, .user = user, .groups = gp,
				 .ngroups = ng < 0 ? 0 : ng, .caller_ruid = getuid() };
	v = pamq_decide(&a, cfg, &f);
	if (v != PAMQ_PLACE) {
		if (a.debug)
			pam_syslog(pamh, LOG_DEBUG, "not placing pid %d for %s (uid %u, caller uid %u): "
				   "%s", (int)getpid(), user, (unsigned)pw.pw_uid,
				   (unsigned)f.caller_ruid, pamq_verdict_name(v));
		goto out;
	}
	place(pamh, &a, cfg, user);
out:
	config_free(cfg);
	free(cfg);
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	/* the cgroup stays: quelld removes it once the tenant is gone and it is empty */
	return PAM_SUCCESS;
}
