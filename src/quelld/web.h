/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * web.h - quelld's read-only web view (docs/web.md), served on the
 * [metrics] listener by libmicrohttpd.
 *
 * Who: the admin view wants "Authorization: Bearer TOKEN" with the token of
 * [web] token_file and is served as a readonly caller (authz.h), so the
 * web view can read everything and change nothing. The customer view wants
 * a link credential "v1.TENANT.EXPIRY.HMAC" (`quellctl web-link`: a tenant
 * asks the socket, SO_PEERCRED says who it is) and is served as that
 * tenant: the same authz_decide() / authz_filter_reply() as the socket.
 *
 * Threads: the microhttpd thread never touches daemon state. A JSON request
 * is suspended and queued with its caller; an eventfd wakes the loop, which
 * runs it through api_dispatch_as() (the socket's authz and handlers) and
 * resumes the connection with the reply. Graph PNGs are drawn by librrd
 * from the RRD files on the microhttpd thread, as `quellctl graph` draws
 * them: they need no daemon state and can take 100 ms, which the tick
 * must not wait for.
 */
#ifndef QUELL_WEB_H
#define QUELL_WEB_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authz.h"
#include "web_link.h"

struct daemon;
struct MHD_Connection;
struct web_job;

/* --- pure: requests (tests/unit/test_web.c); hashing and link credentials: web_link.h --- */

/*
 * The commands the web view forwards: the socket's read commands, nothing
 * that acts (the "web" column of api_cmds[], api_cmds.c).
 */
bool web_cmd_allowed(const char *cmd);
/*
 * web_request_build - the socket request for GET /api/CMD?k=v&...: {"cmd":CMD,
 * k: v, ...}; a value of digits only (at most 15) becomes an integer, as
 * quellctl sends "since"/"limit"; "cmd" among the keys is ignored. NULL when cmd
 * is not allowed or on ENOMEM.
 */
json_t *web_request_build(const char *cmd, const char *const *keys, const char *const *vals,
			  int n);
/* HTTP status for a socket reply: 200, 403 (permission_denied), 404 (unknown command), 400. */
unsigned int web_http_status(const json_t *resp);
/* Graph period names: "1h", "1d", "30d" -> seconds; 0 when unknown. */
int64_t web_range_seconds(const char *range);

/* --- the daemon side --- */

/*
 * The web view's state, d->web (NULL when off). Here and not in web.c for
 * one reader outside it: the socket command "web_link" (api_web.c) signs
 * with secret. Everything else is web.c's.
 */
struct web {
	pthread_mutex_t lock;	/* the queue and stopping */
	struct web_job *head, *tail;
	int queued;
	bool stopping;
	int efd;
	/* copied at start: the HTTP thread never reads d->cfg, which a reload replaces */
	char token_file[256];
	char rrd_dir[256];
	char events_path[256];
	uint8_t secret[WEB_SECRET_LEN];
	pthread_mutex_t graph_lock;	/* librrd's rrd_graph parses its argv with getopt */
	uint64_t served, refused;
	/* loop only: the whole-host "table" reply of tick table_tick, for every admin viewer */
	char *table_body;
	uint64_t table_tick;
};



/*
 * web_start - with [web] enabled: read (or create, 0600) the secret file, note
 * the token file, the RRD dir and audit log, and make the eventfd. d->web
 * stays NULL when off. Called by metrics_http_start before the listener
 * starts. Returns 0 or -errno (the web view is then off, /metrics unaffected).
 */
int web_start(struct daemon *d);
/* Before the listener stops: no new job is queued, queued ones are answered 503. */
void web_quiesce(struct daemon *d);
/* After the listener stopped: free everything. NULL-safe. */
void web_stop(struct daemon *d);
/* The eventfd the loop watches (-1 when off) and what it runs when it fires. */
int web_event_fd(const struct daemon *d);
void web_process(struct daemon *d);

/*
 * web_handle - microhttpd's thread: serve url if it is the web view's
 * (/, /web/..., /api/...). Returns 1 when handled (*ret set), 0 when the
 * url is someone else's (/metrics).
 */
int web_handle(struct web *w, struct MHD_Connection *c, const char *url, void **con_cls,
	       int *ret);
/* microhttpd's completion callback: frees the request state of con_cls. */
void web_request_done(void *con_cls);

#endif /* QUELL_WEB_H */
