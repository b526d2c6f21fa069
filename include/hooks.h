/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hooks.h - the one place where the daemon core calls into the optional
 * modules (policy/enforcer, history, Prometheus, sd_notify), so that the
 * core's files never grow a list of every module.
 */
#ifndef QUELL_HOOKS_H
#define QUELL_HOOKS_H

#include <stdint.h>

struct daemon;
struct tenant;

int hooks_init(struct daemon *d);		/* after the registry and socket are up */
void hooks_ready(struct daemon *d);
void hooks_tick(struct daemon *d, uint64_t now_ms);	/* after gather: decide, act, record */
void hooks_reload(struct daemon *d);		/* after SIGHUP installed a new config */
void hooks_fini(struct daemon *d);
void hooks_tenant_added(struct daemon *d, struct tenant *t);
void hooks_tenant_removed(struct daemon *d, struct tenant *t);
/* t's cgroup was (re)created: write its limits again. */
void hooks_tenant_cgroup(struct daemon *d, struct tenant *t);

#endif /* QUELL_HOOKS_H */
