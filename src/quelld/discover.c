// SPDX-License-Identifier: GPL-2.0-only
/*
 * discover.c - who the tenants are.
 *
 * users mode: every passwd entry with min_uid <= uid <= max_uid that is not
 * excluded; the BPF key is the uid. cgroup mode: every child directory of
 * [tenants] parent; the BPF key is the child's v2 cgroup id. The parent is
 * read when an inotify watch says a child came or went, and every sweep.
 *
 * A tenant that disappears (userdel, rmdir) is dropped once its cgroup is
 * empty; until then it stays visible, so nothing a tenant does is lost.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "bpf_loader.h"
#include "cgroup.h"
#include "hooks.h"
#include "log.h"
#include "quelld.h"
#include "tenant_cgroup.h"
#include "tenant_name.h"

static struct tenant *tenant_new(struct daemon *d, const char *name, uint32_t uid,
				 uint64_t key, const char *cg)
{
	struct tenant *t = registry_add(&d->reg, name, uid, key);

	if (!t) {
		log_warn("tenant %s: cannot add: %m", name);
		return NULL;
	}
	snprintf(t->cg, sizeof(t->cg), "%s", cg);
	t->exempt = config_tenant_exempt(&d->cfg, name);
	config_tenant_limits(&d->cfg, name, &t->lim);
	if (d->cfg.tenant_mode == TENANT_USERS && d->cfg.place)
		tenant_cgroup_create(d, t);
	else
		tenant_cgroup_map_bpf(d, t);	/* cgroup mode: its directory, not ours */
	if (d->tenant_hooks)
		d->tenant_hooks->added(d, t);
	log_info("tenant %s (key %llu%s%s) added", name, (unsigned long long)key,
		 *t->cg ? ", cgroup " : "", t->cg);
	return t;
}

struct tenant *discover_uid(struct daemon *d, uint32_t uid)
{
	struct tenant *t = registry_by_key(&d->reg, uid);
	struct passwd *pw;
	char cg[TENANT_CG_MAX];

	if (t || d->cfg.tenant_mode != TENANT_USERS)
		return t;
	if (uid < d->cfg.min_uid || uid > d->cfg.max_uid)
		return NULL;
	pw = getpwuid(uid);
	if (!pw || config_uid_excluded(&d->cfg, uid, pw->pw_name) || !tenant_name_ok(pw->pw_name))
		return NULL;
	snprintf(cg, sizeof(cg), "%s/%s", d->cfg.managed, pw->pw_name);
	return tenant_new(d, pw->pw_name, uid, uid, d->cfg.place ? cg : "");
}

/*
 * Refused user names are logged once per uid, not once per sweep: a host with
 * a few odd names in passwd would otherwise repeat them every 10 s forever.
 * Remembers the first WARNED_MAX such uids; beyond that a warning may repeat.
 */
#define WARNED_MAX 256

static bool warn_once(uint32_t uid)
{
	static uint32_t warned[WARNED_MAX];
	static int nr;

	for (int i = 0; i < nr; i++)
		if (warned[i] == uid)
			return false;
	if (nr < WARNED_MAX)
		warned[nr++] = uid;
	return true;
}

/* name with everything but printable ASCII as \xNN, for the log */
static const char *name_escaped(const char *name, char *buf, size_t len)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)name; *p && o + 5 < len; p++)
		o += (size_t)snprintf(buf + o, len - o, *p > ' ' && *p < 0x7f && *p != '"' &&
				      *p != '\\' ? "%c" : "\\x%02x", *p);
	buf[o] = '\0';
	return buf;
}

static void discover_users(struct daemon *d)
{
	struct passwd *pw;
	char esc[4 * QUELL_NAME_MAX + 8];

	setpwent();
	while ((pw = getpwent())) {
		struct tenant *t;

		if (pw->pw_uid < d->cfg.min_uid || pw->pw_uid > d->cfg.max_uid)
			continue;
		if (config_uid_excluded(&d->cfg, pw->pw_uid, pw->pw_name))
			continue;
		if (!tenant_name_ok(pw->pw_name)) {
			if (warn_once(pw->pw_uid))
				log_warn("user uid %u (\"%s\"): name not usable as a tenant name, "
					 "skipped", (unsigned)pw->pw_uid,
					 name_escaped(pw->pw_name, esc, sizeof(esc)));
			continue;
		}
		t = registry_by_key(&d->reg, pw->pw_uid);
		if (!t)
			t = discover_uid(d, pw->pw_uid);
		if (t)
			t->seen = true;
	}
	endpwent();
}

static int child_cb(const char *name, uint64_t id, void *arg)
{
	struct daemon *d = arg;
	char rel[TENANT_CG_MAX];
	struct tenant *t;

	if (!tenant_name_ok(name))
		return 0;
	if ((size_t)snprintf(rel, sizeof(rel), "%s/%s", d->cfg.parent, name) >= sizeof(rel))
		return 0;
	t = registry_by_name(&d->reg, name);
	if (t && t->key != id) {
		/* same name, new directory: counters restart, key follows */
		if (d->bpf) {
			qbpf_unmap_key(d->bpf, t->key);
			qbpf_forget(d->bpf, t->key);
		}
		registry_rekey(&d->reg, t, id);
		tenant_cgroup_map_bpf(d, t);
	}
	if (!t)
		t = tenant_new(d, name, TENANT_UID_NONE, id, rel);
	if (t)
		t->seen = true;
	return 0;
}

static void tenant_gone(struct daemon *d, struct tenant *t)
{
	bool ours = d->cfg.tenant_mode == TENANT_USERS && *t->cg;

	if (ours && cg_exists(&d->cg, t->cg)) {
		int ret = cg_remove(&d->cg, t->cg);

		if (ret == -EBUSY)
			return;		/* processes left: keep accounting, retry next sweep */
		if (ret && ret != -ENOENT) {
			log_warn("tenant %s: removing %s: %s", t->name, t->cg, strerror(-ret));
			return;
		}
	}
	log_info("tenant %s removed", t->name);
	if (d->tenant_hooks)
		d->tenant_hooks->removed(d, t);
	if (d->bpf) {
		qbpf_unmap_key(d->bpf, t->key);
		qbpf_forget(d->bpf, t->key);
	}
	registry_remove(&d->reg, t);
}

/*
 * A cgroup under the managed subtree whose user no longer exists: the user
 * was deleted while quelld was down (with quelld up, tenant_gone() removes
 * it), so no tenant will ever empty it. Removed once empty, in every
 * hierarchy, deepest first (cg_remove), with a log line. Only direct
 * children of <managed> named like a tenant and unknown to the registry;
 * a user that exists but is no tenant (excluded, outside the uid range) is
 * left alone, and so is every name when the passwd lookup fails (an NSS
 * outage must not look like userdel). Nothing is moved or killed here.
 */
static int orphan_cb(const char *name, void *arg)
{
	struct daemon *d = arg;
	char rel[TENANT_CG_MAX], pwbuf[4096];
	struct passwd pw, *res = NULL;
	int ret;

	if (!tenant_name_ok(name) || registry_by_name(&d->reg, name))
		return 0;
	ret = getpwnam_r(name, &pw, pwbuf, sizeof(pwbuf), &res);
	if (ret || res)
		return 0;
	if ((size_t)snprintf(rel, sizeof(rel), "%s/%s", d->cfg.managed, name) >= sizeof(rel))
		return 0;
	ret = cg_remove(&d->cg, rel);
	if (!ret)
		log_info("cgroup %s of deleted user %s removed", rel, name);
	else if (ret == -EBUSY)
		log_debug("cgroup %s of deleted user %s still has processes", rel, name);
	else if (ret != -ENOENT)
		log_warn("cgroup %s of deleted user %s: removing: %s", rel, name, strerror(-ret));
	return 0;
}

static void discover_orphans(struct daemon *d)
{
	int ret = cg_children_all(&d->cg, d->cfg.managed, orphan_cb, d);

	if (ret < 0 && ret != -ENOENT)
		log_warn("managed cgroup %s: %s", d->cfg.managed, strerror(-ret));
}

/*
 * Has the set of children of [tenants] parent changed since the last call?
 * Reading the parent every tick was 26 % of quelld's samples at 10,000
 * tenants (readdir 12 %, a stat per child on sweeps 8 %; docs/performance.md):
 * an inotify watch on the parent says when, and a full readdir still runs
 * every sweep for what a watch cannot see (a mkdir through another mount of
 * the hierarchy). No watch (none possible, lost, or parent changed on
 * reload): true, every tick, as before.
 */
static bool parent_changed(struct daemon *d)
{
	int ret = 0;

	if (d->discover_watch && strcmp(d->discover_watch_rel, d->cfg.parent)) {
		close(d->discover_watch - 1);
		d->discover_watch = 0;
	}
	if (d->discover_watch) {
		ret = cg_watch_read(d->discover_watch - 1);
		if (ret == CG_WATCH_LOST || ret < 0) {
			close(d->discover_watch - 1);
			d->discover_watch = 0;
		}
	}
	if (!d->discover_watch) {
		int fd = cg_watch_open(&d->cg, d->cfg.parent);

		if (fd >= 0) {
			d->discover_watch = fd + 1;
			snprintf(d->discover_watch_rel, sizeof(d->discover_watch_rel), "%s",
				 d->cfg.parent);
		}
		return true;	/* what changed before the watch existed is unknown */
	}
	return ret != 0;
}

void discover_fini(struct daemon *d)
{
	if (d->discover_watch)
		close(d->discover_watch - 1);
	d->discover_watch = 0;
}

static int discover_cgroups(struct daemon *d)
{
	uint64_t now_ms = clock_mono_ns() / 1000000;
	bool changed = parent_changed(d);
	int ret;

	d->discover_full = !d->discover_full_ms || now_ms - d->discover_full_ms >= d->cfg.sweep_ms;
	if (d->discover_full)
		d->discover_full_ms = now_ms;
	if (!changed && !d->discover_full) {
		for (int i = 0; i < d->reg.nr; i++)
			d->reg.t[i]->seen = true;
		return 0;
	}
	d->discover_scans++;
	ret = cg_children_ids(&d->cg, d->cfg.parent, child_cb, d);
	if (ret == -EOPNOTSUPP) {
		/* no v2 hierarchy: no cgroup ids, so no tenants; said once, not every tick */
		if (d->discover_scans == 1)
			log_warn("tenants parent %s: cgroups mode needs cgroup v2", d->cfg.parent);
		return 0;
	}
	if (ret < 0 && ret != -ENOENT) {
		log_warn("tenants parent %s: %s", d->cfg.parent, strerror(-ret));
		return ret;
	}
	return 0;
}

int discover_tenants(struct daemon *d)
{
	int ret;

	for (int i = 0; i < d->reg.nr; i++)
		d->reg.t[i]->seen = false;

	if (d->cfg.tenant_mode == TENANT_USERS) {
		discover_users(d);
	} else {
		ret = discover_cgroups(d);
		if (ret)
			return ret;
	}
	for (int i = d->reg.nr - 1; i >= 0; i--)
		if (!d->reg.t[i]->seen)
			tenant_gone(d, d->reg.t[i]);
	if (d->cfg.tenant_mode == TENANT_USERS && d->cfg.place)
		discover_orphans(d);
	return d->reg.nr;
}
