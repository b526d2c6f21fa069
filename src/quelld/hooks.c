// SPDX-License-Identifier: GPL-2.0-only
/*
 * hooks.c - calls from the daemon core into the modules, in the order the
 * tick needs them: decide and act (policy) before record (history,
 * metrics), so what is recorded includes this tick's actions.
 * A module that fails to start is logged and left out; the daemon keeps
 * accounting (a broken RRD dir must not stop throttling).
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "enforcer.h"
#include "history.h"
#include "hooks.h"
#include "kernel_events.h"
#include "log.h"
#include "metrics_http.h"
#include "notify.h"

/* hooks_fini after a failed start must not act for modules that never started */
static bool hooks_up;

int hooks_init(struct daemon *d)
{
	int ret;

	ret = enforcer_init(d);
	if (ret) {
		log_err("policy engine: %s", strerror(-ret));
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

void hooks_tick(struct daemon *d, uint64_t now_ms)
{
	policy_tick(d, now_ms);
	kernel_events_tick(d, now_ms);
	if (d->hist)
		history_tick(d, time(NULL));
	if (d->http)
		metrics_http_publish(d);
}

void hooks_reload(struct daemon *d)
{
	enforcer_reload(d);
	notify_ready("configuration reloaded");
}

void hooks_fini(struct daemon *d)
{
	if (!hooks_up)
		return;
	hooks_up = false;
	notify_stopping();
	enforcer_shutdown(d);
	kernel_events_fini();
	metrics_http_stop(d);
	history_close(d);
}

void hooks_tenant_added(struct daemon *d, struct tenant *t)
{
	enforcer_tenant_added(d, t);
}

void hooks_tenant_removed(struct daemon *d, struct tenant *t)
{
	enforcer_tenant_removed(d, t);
}

void hooks_tenant_cgroup(struct daemon *d, struct tenant *t)
{
	if (hooks_up)
		enforcer_apply(d, t, true);
}
