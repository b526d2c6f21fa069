// SPDX-License-Identifier: GPL-2.0-only
/*
 * hooks.c - calls from the daemon core into the modules, in the order the
 * tick needs them: decide and act (policy_tick) before record (history,
 * metrics), so what is recorded includes this tick's actions.
 */
#include "daemon.h"
#include "hooks.h"
#include "log.h"

int hooks_init(struct daemon *d)
{
	return 0;
}

void hooks_ready(struct daemon *d)
{
}

void hooks_tick(struct daemon *d, uint64_t now_ms)
{
}

void hooks_reload(struct daemon *d)
{
}

void hooks_fini(struct daemon *d)
{
}

void hooks_tenant_added(struct daemon *d, struct tenant *t)
{
}

void hooks_tenant_removed(struct daemon *d, struct tenant *t)
{
}
