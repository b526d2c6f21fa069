// SPDX-License-Identifier: GPL-2.0-only
/*
 * authz.c - the socket's authorization model (src/quelld/authz.h,
 * docs/protocol.md "Who may do what"): a pure decision on the kind each
 * command's row in api_cmds[] (api_cmds.c) gives it, a pure reply
 * filter, and the one impure part, the caller's class from SO_PEERCRED and
 * NSS, cached per uid.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_cmds.h"
#include "authz.h"
#include "clock.h"
#include "daemon.h"
#include "log.h"

const char *authz_class_name(enum authz_class cls)
{
	switch (cls) {
	case AUTHZ_ROOT:
		return "root";
	case AUTHZ_ADMIN:
		return "admin";
	case AUTHZ_READONLY:
		return "readonly";
	case AUTHZ_TENANT:
		return "tenant";
	default:
		return "none";
	}
}

enum authz_class authz_classify(uint32_t uid, bool in_admin, bool in_readonly, bool is_tenant)
{
	if (uid == 0)
		return AUTHZ_ROOT;
	if (in_admin)
		return AUTHZ_ADMIN;
	if (in_readonly)
		return AUTHZ_READONLY;
	if (is_tenant)
		return AUTHZ_TENANT;
	return AUTHZ_NONE;
}

const char *authz_target_key(const char *cmd)
{
	const struct api_cmd *r = api_cmds_find(cmd);	/* its kind and target key */

	return r ? r->target : NULL;
}

enum authz_verdict authz_decide(const struct authz_caller *c, const char *cmd,
				const char *target)
{
	const struct api_cmd *r = api_cmds_find(cmd);	/* its kind and target key */
	bool own;

	if (c->cls == AUTHZ_ROOT)
		return AUTHZ_ALLOW;
	if (!r)
		return AUTHZ_DENY;
	if (r->kind == AK_PUBLIC)
		return AUTHZ_ALLOW;
	switch (c->cls) {
	case AUTHZ_ADMIN:
		return AUTHZ_ALLOW;
	case AUTHZ_READONLY:
		return r->kind == AK_ACT ? AUTHZ_DENY : AUTHZ_ALLOW;
	case AUTHZ_TENANT:
		own = c->tenant[0] && target && !strcmp(target, c->tenant);
		switch (r->kind) {
		case AK_OVERVIEW:
			/* a filter naming someone else is refused, not silently emptied */
			return !target || own ? AUTHZ_SELF : AUTHZ_DENY;
		case AK_READ_ONE:
			return own ? AUTHZ_SELF : AUTHZ_DENY;
		case AK_READ_LOG:
			return !target || own ? AUTHZ_SELF : AUTHZ_DENY;
		default:
			return AUTHZ_DENY;
		}
	default:
		return AUTHZ_DENY;
	}
}

json_t *authz_scope_request(const struct authz_caller *c, const char *cmd, json_t *req)
{
	const char *key = authz_target_key(cmd);
	json_t *copy = json_copy(req);

	if (copy && key && json_object_set_new(copy, key, json_string(c->tenant))) {
		json_decref(copy);
		return NULL;
	}
	return copy;
}

/* keep only the elements of arr whose key equals want */
static void keep_only(json_t *arr, const char *key, const char *want)
{
	size_t i = 0;

	if (!json_is_array(arr))
		return;
	while (i < json_array_size(arr)) {
		const char *v = json_string_value(json_object_get(json_array_get(arr, i), key));

		if (v && !strcmp(v, want))
			i++;
		else
			json_array_remove(arr, i);
	}
}

/* the host object a tenant may see: what the machine is, not how its neighbours load it */
static void host_minimal(json_t *resp)
{
	static const char *const keep[] = { "hostname", "ncpu", "mem_total", "source",
					     "cgroup_mode" };
	json_t *h = json_object_get(resp, "host"), *m;

	if (!json_is_object(h))
		return;
	m = json_object();
	for (size_t i = 0; m && i < sizeof(keep) / sizeof(keep[0]); i++) {
		json_t *v = json_object_get(h, keep[i]);

		if (v)
			json_object_set(m, keep[i], v);
	}
	json_object_set_new(resp, "host", m ? m : json_object());
}

void authz_filter_reply(const struct authz_caller *c, const char *cmd, json_t *resp)
{
	const struct api_cmd *r = api_cmds_find(cmd);	/* its kind and target key */
	json_t *t;

	if (c->cls != AUTHZ_TENANT || !r || !json_is_object(resp))
		return;
	switch (r->kind) {
	case AK_OVERVIEW:
		/* status's daemon internals (BPF map fill, placement latencies) are host-wide */
		json_object_del(resp, "bpf");
		json_object_del(resp, "placement");
		host_minimal(resp);
		keep_only(json_object_get(resp, "tenants"), "name", c->tenant);
		break;
	case AK_READ_ONE:
		t = json_object_get(resp, "tenant");
		if (json_is_object(t)) {
			const char *n = json_string_value(json_object_get(t, "name"));

			if (!n || strcmp(n, c->tenant))
				json_object_del(resp, "tenant");
		}
		t = json_object_get(resp, "limits");
		if (json_is_object(t)) {
			const char *n = json_string_value(json_object_get(t, "tenant"));

			if (n && strcmp(n, c->tenant))
				json_object_del(resp, "limits");
		}
		break;
	case AK_READ_LOG:
		keep_only(json_object_get(resp, "events"), "tenant", c->tenant);
		break;
	default:
		break;
	}
}

json_t *authz_caller_json(const struct authz_caller *c)
{
	return json_pack("{s:s, s:I, s:o}", "class", authz_class_name(c->cls),
			 "uid", (json_int_t)c->uid,
			 "tenant", c->cls == AUTHZ_TENANT ? json_string(c->tenant) : json_null());
}

/* --- the caller's groups: NSS, cached ---------------------------------- */

/* the gid of a configured group name; false when unset or unknown */
static bool group_gid(struct authz_cache *ac, const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (!*name)
		return false;
	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) || !res) {
		if (!ac->warned)
			log_warn("authz: group \"%s\" does not exist: nobody is a member", name);
		ac->warned = true;
		return false;
	}
	*gid = res->gr_gid;
	return true;
}

static bool gid_in(gid_t g, const gid_t *groups, int n)
{
	for (int i = 0; i < n; i++)
		if (groups[i] == g)
			return true;
	return false;
}

/* fill e->in_admin / in_readonly for e->uid from its passwd and group entries */
static void cache_fill(const struct authz_cache *ac, struct authz_cache_entry *e)
{
	struct passwd pw, *res = NULL;
	gid_t stack[64], *groups = stack;
	char buf[4096];
	int n = 64;

	e->in_admin = e->in_readonly = false;
	if ((!ac->have_admin && !ac->have_readonly) ||
	    getpwuid_r(e->uid, &pw, buf, sizeof(buf), &res) || !res)
		return;
	/* getgrouplist returns -1 and the count it needs when the buffer is short */
	if (getgrouplist(res->pw_name, res->pw_gid, stack, &n) < 0) {
		groups = n > 0 && n < 65536 ? malloc(sizeof(gid_t) * (size_t)n) : NULL;
		if (!groups || getgrouplist(res->pw_name, res->pw_gid, groups, &n) < 0)
			n = 0;
	}
	e->in_admin = ac->have_admin && gid_in(ac->admin_gid, groups, n);
	e->in_readonly = ac->have_readonly && gid_in(ac->readonly_gid, groups, n);
	if (groups != stack)
		free(groups);
}

static struct authz_cache_entry *cache_lookup(struct daemon *d, uint32_t uid)
{
	struct authz_cache *ac = &d->authz;
	struct authz_cache_entry *e = NULL, *oldest = &ac->e[0];
	uint64_t now = clock_mono_ns() / 1000000;

	if (strcmp(ac->admin_group, d->cfg.admin_group) ||
	    strcmp(ac->readonly_group, d->cfg.readonly_group)) {
		/* a reload changed the groups: forget everything */
		memset(ac, 0, sizeof(*ac));
		snprintf(ac->admin_group, sizeof(ac->admin_group), "%s", d->cfg.admin_group);
		snprintf(ac->readonly_group, sizeof(ac->readonly_group), "%s",
			 d->cfg.readonly_group);
	}
	if (ac->groups_expire_ms <= now) {
		ac->have_admin = group_gid(ac, ac->admin_group, &ac->admin_gid);
		ac->have_readonly = group_gid(ac, ac->readonly_group, &ac->readonly_gid);
		ac->groups_expire_ms = now + AUTHZ_TTL_S * 1000;
	}
	for (int i = 0; i < AUTHZ_CACHE_NR; i++) {
		struct authz_cache_entry *x = &ac->e[i];

		if (x->used && x->uid == uid) {
			e = x;
			break;
		}
		if (!x->used || (oldest->used && x->expires_ms < oldest->expires_ms))
			oldest = x;
	}
	if (e && e->expires_ms > now)
		return e;
	if (!e)
		e = oldest;
	e->uid = uid;
	e->used = true;
	cache_fill(ac, e);
	e->expires_ms = now + AUTHZ_TTL_S * 1000;
	return e;
}

void authz_caller_get(struct daemon *d, const struct ucred *peer, struct authz_caller *out)
{
	const struct authz_cache_entry *e;
	const struct authz_cache *ac = &d->authz;
	struct tenant *t = NULL;
	bool admin, ro;

	memset(out, 0, sizeof(*out));
	out->cls = AUTHZ_NONE;
	if (!peer || peer->uid == (uid_t)-1) {
		out->uid = (uint32_t)-1;
		return;
	}
	out->uid = peer->uid;
	if (peer->uid == 0) {
		out->cls = AUTHZ_ROOT;
		return;
	}
	e = cache_lookup(d, peer->uid);
	/*
	 * The connecting process's own gid counts too (sg / newgrp, a setgid
	 * helper); it is not cached: it belongs to the connection, not the uid.
	 */
	admin = e->in_admin || (ac->have_admin && ac->admin_gid == peer->gid);
	ro = e->in_readonly || (ac->have_readonly && ac->readonly_gid == peer->gid);
	if (d->cfg.tenant_mode == TENANT_USERS) {
		t = registry_by_key(&d->reg, peer->uid);
		if (t && t->uid != peer->uid)
			t = NULL;
	}
	out->cls = authz_classify(peer->uid, admin, ro, t != NULL);
	if (out->cls == AUTHZ_TENANT)
		snprintf(out->tenant, sizeof(out->tenant), "%s", t->name);
}
