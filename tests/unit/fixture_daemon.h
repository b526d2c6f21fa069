/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fixture_daemon.h - a struct daemon over a fixture.h fake tree, for the
 * tests that run quelld's stages without a daemon process (test_discover.c,
 * test_gather.c, test_enforcer.c, test_fuzz_api.c, cost_state.c): where its
 * state and audit files go, and its registry and cgroup layout opened and
 * closed. Header-only, like fixture.h.
 */
#ifndef QUELL_TEST_FIXTURE_DAEMON_H
#define QUELL_TEST_FIXTURE_DAEMON_H

#include <stdio.h>

#include "fixture.h"
#include "quelld.h"

/* The state db in root/state, the audit log root/state/events.jsonl. */
static inline void fx_daemon_files(struct daemon *d, const char *root)
{
	snprintf(d->cfg.state_dir, sizeof(d->cfg.state_dir), "%.200s/state", root);
	snprintf(d->cfg.events_path, sizeof(d->cfg.events_path), "%.200s/state/events.jsonl",
		 root);
}

/* d's registry, and the cgroup layout of the fake tree t. Returns 0, -1. */
static inline int fx_daemon_open(struct daemon *d, const struct fx_tree *t)
{
	if (registry_init(&d->reg) || cg_layout_open(t->fd, &d->cg))
		return -1;
	return 0;
}

static inline void fx_daemon_close(struct daemon *d)
{
	registry_free(&d->reg);
	cg_layout_close(&d->cg);
}

#endif /* QUELL_TEST_FIXTURE_DAEMON_H */
