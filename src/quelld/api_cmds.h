/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * api_cmds.h - the socket's commands: one const table (api_cmds.c), one row
 * per command with its handler and who may run it. api.c looks a request's
 * "cmd" up here; authz.c reads the row's kind and target key from here, so
 * a command is one row, not one line of registration plus one of authz.
 * docs/protocol.md describes each command; docs/plans/issue-13/hacking-draft.md
 * says how to add one.
 */
#ifndef QUELL_API_CMDS_H
#define QUELL_API_CMDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "authz.h"

struct daemon;

/*
 * One handler per command: fill resp (an object) and return 0, or return
 * -errno with a message in err (sent as {"ok":false,"error":err}). req has
 * passed authz already (scoped to the caller's tenant on AUTHZ_SELF).
 */
typedef int (*api_handler_fn)(struct daemon *d, json_t *req, json_t *resp, char *err,
			      size_t errlen);

struct api_cmd {
	const char *name;	/* the request's "cmd" */
	api_handler_fn fn;
	enum authz_kind kind;	/* who may run it (authz.h) */
	const char *target;	/* request key naming the tenant it is about, NULL if none */
	bool web;		/* the web view forwards it (web_cmd_allowed): never one that acts */
};

extern const struct api_cmd api_cmds[];
extern const size_t api_cmds_nr;

/* The row of command name, NULL when there is none (or name is NULL). */
const struct api_cmd *api_cmds_find(const char *name);

/* api_core.c: the daemon, its tenants and processes */
int api_cmd_ping(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
int api_cmd_status(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
int api_cmd_snapshot(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
int api_cmd_tenant(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
int api_cmd_tenants(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
int api_cmd_where(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
int api_cmd_place(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
/* api_policy.c: limits and manual actions, the audit log */
int api_cmd_limits(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
int api_cmd_set(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
int api_cmd_throttle(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
int api_cmd_release(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
int api_cmd_freeze(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
int api_cmd_kill(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
int api_cmd_events(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
/*
 * api_history.c: {"cmd":"history","tenant":NAME,"since":EPOCH,"until":EPOCH,
 * "step":S,"max":BOOL,"recent":BOOL} -> the series of hist_series_json
 * (recent: the in-memory per-second window of history_recent_json instead of
 * the files).
 */
int api_cmd_history(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
/* api_web.c: a link to a tenant's web page; the admin table's rows */
int api_cmd_web_link(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);
int api_cmd_table(struct daemon *d, json_t *req, json_t *resp, char *err, size_t len);

#endif /* QUELL_API_CMDS_H */
