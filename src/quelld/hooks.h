/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hooks.h - the one place where the daemon core calls into the modules'
 * life cycle (act, history, Prometheus, [notify], sd_notify), so that the
 * core's files never grow a list of every module. The tick's stages are
 * called by daemon_tick (src/quelld/daemon.c), not from here.
 */
#ifndef QUELL_HOOKS_H
#define QUELL_HOOKS_H

#include <stdint.h>

struct daemon;
struct quell_config;
struct tenant;

int hooks_init(struct daemon *d);		/* after the registry and socket are up */
void hooks_ready(struct daemon *d);
/*
 * After SIGHUP installed a new config (old: the one it replaced; diff:
 * config_diff's bits): reopen history / the metrics listener if their keys
 * changed, re-apply policy and limits.
 */
void hooks_reload(struct daemon *d, const struct quell_config *old, uint64_t diff);
void hooks_fini(struct daemon *d);
void hooks_tenant_added(struct daemon *d, struct tenant *t);
void hooks_tenant_removed(struct daemon *d, struct tenant *t);
/* t's user was excluded by a reload: lift every limit before it is dropped. */
void hooks_tenant_excluded(struct daemon *d, struct tenant *t);
/* t's cgroup was (re)created: write its limits again. */
void hooks_tenant_cgroup(struct daemon *d, struct tenant *t);

/*
 * What discovery (discover.c) and placement (placement.c) report about a
 * tenant, through d->tenant_hooks (NULL: to nobody, as in unit tests).
 * Calls passed down rather than made by name: the modules hooks.c starts
 * (enforcer, metrics listener, web view) reach the socket's commands,
 * which reach placement, so a named call from placement up into hooks.c
 * closed a circle (issue 13). daemon_init() points d->tenant_hooks at
 * hooks_tenant.
 */
struct tenant_hooks {
	void (*added)(struct daemon *d, struct tenant *t);
	void (*removed)(struct daemon *d, struct tenant *t);
	void (*cgroup_new)(struct daemon *d, struct tenant *t);
};

/* hooks_tenant_added, hooks_tenant_removed, hooks_tenant_cgroup */
extern const struct tenant_hooks hooks_tenant;

#endif /* QUELL_HOOKS_H */
