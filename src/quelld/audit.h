/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * audit.h - the audit log's writer (src/quelld/audit.c): one JSON line per
 * action on a tenant, whoever took it (a rule, a socket command, the
 * kernel), to [daemon] events (src/history/events_log.c rotates it), the
 * daemon log, quell_actions_total and the [notify] command.
 */
#ifndef QUELL_AUDIT_H
#define QUELL_AUDIT_H

#include <jansson.h>
#include <stdbool.h>

#include "daemon.h"

/* (Re)open d->cfg.events_path (start, SIGHUP); a failure is logged, actions are still logged. */
void audit_open(struct daemon *d);
void audit_close(struct daemon *d);
/*
 * audit_log - one audit line: action, rule ("manual" for commands, "kernel"
 * for the kernel's own), level, dry_run, the limits now in force for that
 * rule/command (NULL: none) and evidence (stolen, may be NULL).
 */
void audit_log(struct daemon *d, const struct tenant *t, const char *action, const char *rule,
	       int level, bool dry, const struct tenant_limits *lim, json_t *evidence);

#endif /* QUELL_AUDIT_H */
