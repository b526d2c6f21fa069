// SPDX-License-Identifier: GPL-2.0-only
/* pam_decide.c - pam_quell.so's argument parser and placement decision (pure). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pam_quell.h"

void pamq_args_default(struct pamq_args *a)
{
	memset(a, 0, sizeof(*a));
	a->min_uid = 1000;
	snprintf(a->managed, sizeof(a->managed), "quell");
	snprintf(a->cgroup_root, sizeof(a->cgroup_root), "/sys/fs/cgroup");
	snprintf(a->exempt[0], sizeof(a->exempt[0]), "wheel");
	snprintf(a->exempt[1], sizeof(a->exempt[1]), "sudo");
	a->nr_exempt = 2;
}

bool pamq_name_ok(const char *name)
{
	if (!name || !*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	if (strlen(name) >= 64)
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || !isprint((unsigned char)*p) || *p == ' ')
			return false;
	return true;
}

/* a relative cgroup path: components that pass pamq_name_ok, no leading '/' */
static bool rel_path_ok(const char *s)
{
	char buf[64], *tok, *save = NULL;

	if (!*s || *s == '/' || strlen(s) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
		if (!pamq_name_ok(tok))
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

enum pamq_verdict pamq_decide(const struct pamq_args *a, uint32_t uid, const char *user,
			      const char *const *groups, int ngroups)
{
	if (uid == 0)
		return PAMQ_SKIP_ROOT;
	if (uid < a->min_uid)
		return PAMQ_SKIP_UID;
	for (int i = 0; i < ngroups; i++)
		for (int k = 0; k < a->nr_exempt; k++)
			if (groups[i] && !strcmp(groups[i], a->exempt[k]))
				return PAMQ_SKIP_GROUP;
	if (!pamq_name_ok(user))
		return PAMQ_SKIP_NAME;
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
		return "uid below min_uid";
	case PAMQ_SKIP_GROUP:
		return "exempt group";
	case PAMQ_SKIP_NAME:
		return "user name not usable as a cgroup name";
	}
	return "?";
}

int pamq_cgroup_path(const struct pamq_args *a, const char *user, char *buf, size_t len)
{
	if (!pamq_name_ok(user))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s/%s", a->managed, user) >= len)
		return -ENAMETOOLONG;
	return 0;
}
