/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * notify_cmd.h - [notify] command: run an admin's command with each action's
 * audit event (JSON) on stdin, asynchronously, rate limited per tenant, with
 * one summary per window for what the limit suppressed. Not to be confused
 * with notify.h, the sd_notify wrapper. See docs/notify.md.
 *
 * Decide (pure, unit-tested with literal timelines): notify_rate_action()
 * and notify_rate_due(). Act: the loop queues the event; notify_cmd.c's
 * spawner thread vforks the command and writes the event into a
 * non-blocking pipe; the loop reaps on SIGCHLD (main.c's signalfd) and kills
 * the command's process group at the timeout. The loop never waits for a
 * command.
 */
#ifndef QUELL_NOTIFY_CMD_H
#define QUELL_NOTIFY_CMD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

#define NOTIFY_RATE_MAX		1024	/* tenants with an open window at once */
#define NOTIFY_MAX_RUNNING	64	/* upper bound of [notify] max_running */

/* One tenant's window: opened by its first action, closed window_ms later. */
struct notify_rate_ent {
	char tenant[QUELL_NAME_MAX];
	uint64_t start_ms;	/* window start (0: no open window) */
	uint32_t sent;		/* commands run in this window */
	uint32_t suppressed;	/* actions not run in this window */
	/* a closed window's suppressed actions whose summary is not run yet */
	uint32_t sum_n;
	uint64_t sum_from_ms, sum_to_ms;
};

struct notify_rate {
	struct notify_rate_ent ent[NOTIFY_RATE_MAX];
	int nr;
	uint64_t untracked;	/* actions suppressed because the table was full */
};

enum notify_verdict {
	NV_RUN,			/* run the command for this action */
	NV_SUPPRESS,		/* counted; it will be in the tenant's summary */
	NV_UNTRACKED,		/* table full: only counted in r->untracked */
};

/*
 * notify_rate_action - pure: an action for tenant at now_ms. At most max_n
 * commands per tenant per window (window_ms, opened by the tenant's first
 * action); room says whether a command slot is free ([notify] max_running):
 * an action that finds none is suppressed too, so it is still summarised.
 */
enum notify_verdict notify_rate_action(struct notify_rate *r, const char *tenant,
				       uint64_t now_ms, uint64_t window_ms, uint32_t max_n,
				       bool room);
/*
 * notify_rate_due - pure: closes the windows that ended by now_ms. Returns
 * true and fills *out (tenant, sum_n, sum_from_ms, sum_to_ms) for one
 * summary to run now, and forgets it; false when none is due. Call it
 * while it returns true and a command slot is free. A window that ended
 * with nothing suppressed is dropped without a summary.
 */
bool notify_rate_due(struct notify_rate *r, uint64_t now_ms, uint64_t window_ms,
		     struct notify_rate_ent *out);

/*
 * notify_cmd_file_ok - pure: may quelld run the file st describes as uid?
 * A regular file, executable, owned by root or by uid, writable by nobody
 * else (quelld usually runs it as root: a file anyone could rewrite would
 * be a root shell for them). Returns 0 or -errno with the reason in why.
 */
struct stat;
int notify_cmd_file_ok(const struct stat *st, uid_t uid, char *why, size_t len);

struct daemon;

/* Module life cycle (hooks.c); each is a no-op while [notify] command is empty. */
int notify_cmd_open(struct daemon *d);
void notify_cmd_reload(struct daemon *d);	/* [notify] keys apply live */
void notify_cmd_tick(struct daemon *d, uint64_t now_ms);	/* timeouts, due summaries */
void notify_cmd_close(struct daemon *d);	/* kills the commands still running */
/* SIGCHLD (main.c): reap our commands, and only ours. */
void notify_cmd_reap(struct daemon *d);
/* audit_log(): one action's audit event (borrowed). */
void notify_cmd_event(struct daemon *d, json_t *ev);

#endif /* QUELL_NOTIFY_CMD_H */
