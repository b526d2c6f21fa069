// SPDX-License-Identifier: GPL-2.0-only
/*
 * hooks.c - the modules' life cycle, called from the daemon core: start,
 * ready, reload, stop, and a tenant added, removed, excluded or given a new
 * cgroup. The tick itself is daemon_tick's four stages (daemon.c).
 * A module that fails to start is logged and left out; the daemon keeps
 * accounting (a broken RRD dir must not stop throttling).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "act.h"
#include "daemon.h"
#include "history_writer.h"
#include "hooks.h"
#include "kernel_events.h"
#include "log.h"
#include "metrics_http.h"
#include "notify.h"
#include "notify_cmd.h"

/* hooks_fini after a failed start must not act for modules that never started */
static bool hooks_up;

int hooks_init(struct daemon *d)
{
	int ret;

	/* first: the enforcer's start-up actions (state restored) are notified too */
	ret = notify_cmd_open(d);
	if (ret)
		log_warn("[notify] disabled: %s", strerror(-ret));
	ret = act_init(d);
	if (ret) {
		log_err("policy engine: %s", strerror(-ret));
		notify_cmd_close(d);
		return ret;
	}
	if (d->cfg.history) {
		ret = history_open(d);
		if (ret)
			log_warn("history disabled: %s", strerror(-ret));
	}
	ret = metrics_http_start(d);
	if (ret)
		log_warn("metrics endpoint %s disabled: %s", d->cfg.metrics_listen, strerror(-ret));
	hooks_up = true;
	return 0;
}

void hooks_ready(struct daemon *d)
{
	notify_ready("accounting");
}

void hooks_reload(struct daemon *d, const struct quell_config *old, uint64_t diff)
{
	int ret;

	if (diff & CK_HISTORY_MASK) {
		/* the writer drains its queue into the old files, then starts on the new ones */
		history_close(d);
		if (d->cfg.history) {
			ret = history_open(d);
			if (ret)
				log_warn("history disabled: %s", strerror(-ret));
		} else {
			log_info("history: off");
		}
	}
	if (diff & CK_BIT(CK_METRICS_LISTEN)) {
		metrics_http_stop(d);
		ret = metrics_http_start(d);
		if (ret && old->metrics_listen[0]) {
			/* parse-time checks passed, binding did not (port taken): keep serving */
			log_warn("reload: [metrics] listen %s: %s: keeping %s", d->cfg.metrics_listen,
				 strerror(-ret), old->metrics_listen);
			snprintf(d->cfg.metrics_listen, sizeof(d->cfg.metrics_listen), "%s",
				 old->metrics_listen);
			ret = metrics_http_start(d);
		}
		if (ret)
			log_warn("metrics endpoint %s disabled: %s", d->cfg.metrics_listen,
				 strerror(-ret));
		else if (!d->cfg.metrics_listen[0])
			log_info("metrics: off");
	}
	notify_cmd_reload(d);
	act_reload(d, diff & (CK_BIT(CK_LIMITS) | CK_BIT(CK_TENANT_OVERRIDES) |
			  CK_BIT(CK_POLICY)));
	notify_ready("configuration reloaded");
}

void hooks_fini(struct daemon *d)
{
	if (!hooks_up)
		return;
	hooks_up = false;
	notify_stopping();
	act_shutdown(d);
	kernel_events_fini();
	notify_cmd_close(d);
	metrics_http_stop(d);
	history_close(d);
}

void hooks_tenant_added(struct daemon *d, struct tenant *t)
{
	act_tenant_added(d, t);
}

void hooks_tenant_removed(struct daemon *d, struct tenant *t)
{
	act_tenant_removed(d, t);
}

void hooks_tenant_excluded(struct daemon *d, struct tenant *t)
{
	act_tenant_release(d, t, "excluded by the configuration (reload)");
}

void hooks_tenant_cgroup(struct daemon *d, struct tenant *t)
{
	if (hooks_up)
		act_apply(d, t, true);
}

const struct tenant_hooks hooks_tenant = {
	.added = hooks_tenant_added,
	.removed = hooks_tenant_removed,
	.cgroup_new = hooks_tenant_cgroup,
};
