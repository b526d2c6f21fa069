// SPDX-License-Identifier: GPL-2.0-only
/* pam_decide.c - pam_quell.so's argument parser and placement decision (pure). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pam_quell.h"
#include "tenant_name.h"

void pamq_args_default(struct pamq_args *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->config, sizeof(a->config), "%s", QUELL_DEFAULT_CONFIG);
	a->timeout_ms = 500;
	snprintf(a->exempt[0], sizeof(a->exempt[0]), "wheel");
	snprintf(a->exempt[1], sizeof(a->exempt[1]), "sudo");
	a->nr_exempt = 2;
}

/* a relative cgroup path: components that pass tenant_name_ok, no leading '/' */
static bool rel_path_ok(const char *s)
{
	char buf[64], *tok, *save = NULL;

	if (!*s || *s == '/' || strlen(s) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
		if (!tenant_name_ok(tok))
			return false;
	return s[strlen(s) - 1] != '/' && !strstr(s, "//");
}

static int parse_groups(struct pamq_args *a, const char *v, char *err, size_t errlen)
{
	const char *p = v;

	a->nr_exempt = 0;
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n) {
			if (a->nr_exempt == PAMQ_MAX_EXEMPT || n >= PAMQ_GROUP_MAX) {
				snprintf(err, errlen, "exempt_groups: too many or too long");
				return -EINVAL;
			}
			memcpy(a->exempt[a->nr_exempt], p, n);
			a->exempt[a->nr_exempt][n] = '\0';
			a->nr_exempt++;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int pamq_args_parse(struct pamq_args *a, int argc, const char **argv, char *err, size_t errlen)
{
	pamq_args_default(a);
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq = strchr(arg, '=');
		const char *v = eq ? eq + 1 : "";
		size_t kl = eq ? (size_t)(eq - arg) : strlen(arg);

#define KEY(k) (kl == strlen(k) && !strncmp(arg, k, kl))
		if (KEY("debug") && !eq) {
			a->debug = true;
		} else if (KEY("min_uid") && eq) {
			char *end;
			unsigned long u;

			errno = 0;
			u = strtoul(v, &end, 10);
			if (!*v || *end || errno || u > UINT32_MAX || *v == '-') {
				snprintf(err, errlen, "min_uid: bad number '%s'", v);
				return -EINVAL;
			}
			a->min_uid = (uint32_t)u;
			a->min_uid_set = true;
		} else if (KEY("timeout") && eq) {
			char *end;
			unsigned long ms;

			errno = 0;
			ms = strtoul(v, &end, 10);
			if (!*v || *end || errno || *v == '-' || ms < 1 || ms > PAMQ_TIMEOUT_MAX_MS) {
				snprintf(err, errlen, "timeout: want 1..%d ms, got '%s'",
					 PAMQ_TIMEOUT_MAX_MS, v);
				return -EINVAL;
			}
			a->timeout_ms = (unsigned)ms;
		} else if (KEY("config") && eq) {
			if (v[0] != '/' || strlen(v) >= sizeof(a->config)) {
				snprintf(err, errlen, "config: want an absolute path, got '%s'", v);
				return -EINVAL;
			}
			snprintf(a->config, sizeof(a->config), "%s", v);
		} else if (KEY("exempt_groups") && eq) {
			if (parse_groups(a, v, err, errlen))
				return -EINVAL;
		} else if (KEY("managed") && eq) {
			if (!rel_path_ok(v) || strlen(v) >= sizeof(a->managed)) {
				snprintf(err, errlen, "managed: bad cgroup name '%s'", v);
				return -EINVAL;
			}
			snprintf(a->managed, sizeof(a->managed), "%s", v);
		} else if (KEY("cgroup_root") && eq) {
			if (v[0] != '/' || strlen(v) >= sizeof(a->cgroup_root)) {
				snprintf(err, errlen, "cgroup_root: want an absolute path, got '%s'", v);
				return -EINVAL;
			}
			snprintf(a->cgroup_root, sizeof(a->cgroup_root), "%s", v);
		} else {
			snprintf(err, errlen, "unknown argument '%s'", arg);
			return -EINVAL;
		}
#undef KEY
	}
	return 0;
}

void pamq_apply_args(const struct pamq_args *a, struct quell_config *cfg)
{
	if (a->min_uid_set)
		cfg->min_uid = a->min_uid;
	if (a->managed[0])
		snprintf(cfg->managed, sizeof(cfg->managed), "%s", a->managed);
	if (a->cgroup_root[0])
		snprintf(cfg->cgroup_root, sizeof(cfg->cgroup_root), "%s", a->cgroup_root);
}

enum pamq_verdict pamq_decide(const struct pamq_args *a, const struct quell_config *cfg,
			      const struct pamq_facts *f)
{
	if (f->uid == 0)
		return PAMQ_SKIP_ROOT;
	if (cfg->tenant_mode != TENANT_USERS || !cfg->place)
		return PAMQ_SKIP_OFF;
	if (f->uid < cfg->min_uid || f->uid > cfg->max_uid)
		return PAMQ_SKIP_UID;
	if (config_uid_excluded(cfg, f->uid, f->user))
		return PAMQ_SKIP_EXCLUDED;
	for (int i = 0; i < f->ngroups; i++)
		for (int k = 0; k < a->nr_exempt; k++)
			if (f->groups[i] && !strcmp(f->groups[i], a->exempt[k]))
				return PAMQ_SKIP_GROUP;
	if (!tenant_name_ok(f->user))
		return PAMQ_SKIP_NAME;
	/*
	 * pam_open_session runs in sshd's monitor, su, cron: as root, before the
	 * fork + setuid that starts the user's shell. Moving that process put
	 * root into the tenant's cgroup (frozen with it, killed with it). The
	 * user's own process is placed by quelld's set*uid event within
	 * milliseconds (docs/placement.md), or by its sweep.
	 */
	if (f->caller_ruid != f->uid)
		return PAMQ_SKIP_CALLER;
	return PAMQ_PLACE;
}

const char *pamq_verdict_name(enum pamq_verdict v)
{
	switch (v) {
	case PAMQ_PLACE:
		return "place";
	case PAMQ_SKIP_ROOT:
		return "root";
	case PAMQ_SKIP_UID:
		return "uid outside [min_uid, max_uid]";
	case PAMQ_SKIP_EXCLUDED:
		return "excluded in quell.conf";
	case PAMQ_SKIP_OFF:
		return "placement off in quell.conf (mode = cgroups or place = no)";
	case PAMQ_SKIP_CALLER:
		return "session process is not the user's (left to quelld's set*uid placement)";
	case PAMQ_SKIP_GROUP:
		return "exempt group";
	case PAMQ_SKIP_NAME:
		return "user name not usable as a cgroup name";
	}
	return "?";
}

int pamq_cgroup_path(const struct quell_config *cfg, const char *user, char *buf, size_t len)
{
	if (!tenant_name_ok(user))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s/%s", cfg->managed, user) >= len)
		return -ENAMETOOLONG;
	return 0;
}
