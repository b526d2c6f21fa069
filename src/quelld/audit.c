// SPDX-License-Identifier: GPL-2.0-only
/*
 * audit.c - the audit-line writer. Every action on a tenant, whoever took
 * it (the ladder in src/quelld/act.c, the socket commands in
 * src/quelld/api_policy.c, the kernel in src/quelld/kernel_events.c), goes
 * through audit_log(), so `quellctl events`, the daemon log,
 * quell_actions_total and the [notify] command see the same lines.
 */
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "events_log.h"
#include "log.h"
#include "notify_cmd.h"
#include "prom.h"
#include "state.h"

void audit_log(struct daemon *d, const struct tenant *t, const char *action, const char *rule,
	       int level, bool dry, const struct tenant_limits *lim, json_t *evidence)
{
	uint64_t ms = clock_real_ms();
	char txt[256] = "";
	json_t *ev;

	if (lim && lim->set)
		limits_fmt(lim, txt, sizeof(txt));
	ev = json_object();
	json_object_set_new(ev, "time", json_integer((json_int_t)(ms / 1000)));
	json_object_set_new(ev, "time_ms", json_integer((json_int_t)ms));
	json_object_set_new(ev, "tenant", json_string(t->name));
	json_object_set_new(ev, "rule", json_string(rule ? rule : ""));
	json_object_set_new(ev, "action", json_string(action));
	json_object_set_new(ev, "level", json_integer(level));
	json_object_set_new(ev, "dry_run", json_boolean(dry));
	json_object_set_new(ev, "limits", lim ? state_limits_json(lim) : json_object());
	json_object_set_new(ev, "limits_text", json_string(txt));
	json_object_set_new(ev, "cgroup", json_string(t->cg));
	json_object_set_new(ev, "evidence", evidence ? evidence : json_object());
	if (!dry)
		prom_actions_count(&d->actions, action);	/* quell_actions_total (prom.c renders it) */
	log_info("%s%s %s: rule %s level %d%s%s", dry ? "dry-run: " : "", action, t->name,
		 rule ? rule : "-", level, *txt ? ", limits " : "", txt);
	if (d->events) {
		int ret = events_log_append(d->events, ev);

		if (ret)
			log_warn("audit log: %s", strerror(-ret));
	}
	notify_cmd_event(d, ev);	/* [notify] command: never waits */
	json_decref(ev);
}

void audit_close(struct daemon *d)
{
	if (d->events) {
		events_log_close(d->events);
		d->events = NULL;
	}
}

void audit_open(struct daemon *d)
{
	int ret;

	audit_close(d);
	if (!d->cfg.events_path[0])
		return;
	ret = events_log_open(d->cfg.events_path, d->cfg.events_max_bytes, d->cfg.events_keep,
			      &d->events);
	if (ret)
		log_err("audit log %s: %s (actions are only logged here)", d->cfg.events_path,
			strerror(-ret));
}
