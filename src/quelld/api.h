/* SPDX-License-Identifier: GPL-2.0-only */
/* api.h - the socket server's life cycle, for main.c (handlers: daemon.h). */
#ifndef QUELL_API_H
#define QUELL_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* docs/protocol.md, "Limits", says what a client sees of these. */
#define API_MAX_CLIENTS		1024	/* connections in all (fds: quelld.service LimitNOFILE) */
#define API_OUT_CAP		(4 << 20)	/* unsent replies beyond the one being sent */
#define API_OUT_HOLD		(64 << 10)	/* unsent replies past which no more are made */
#define API_OUT_TOTAL		(512 << 20)	/* unsent replies of all clients: then errors */
#define API_SEND_TIMEOUT_MS	10000	/* unsent reply, no byte taken: dropped */
#define API_BUDGET_MS		20	/* serving time per wake-up before the loop runs again */

struct daemon;

/* Bind cfg.socket_path (mode, group); -EADDRINUSE if another daemon answers there. */
int api_open(struct daemon *d);
/* epoll fd to watch for readability (listen socket and clients), -1 if closed. */
int api_epoll_fd(const struct daemon *d);
/* Serve whatever is ready, without blocking. */
void api_process(struct daemon *d);
void api_close(struct daemon *d);
/*
 * Run one request from the peer (SO_PEERCRED of its connection; NULL: an
 * unknown caller, ping only) through authz.c and the handler table; returns
 * the reply (new reference). A refusal is {"ok":false,"error":"permission
 * denied: ...","code":"permission_denied"}.
 */
json_t *api_dispatch(struct daemon *d, const struct ucred *peer, json_t *req);
struct authz_caller;
/*
 * api_dispatch_as - the same for a caller whose identity someone else
 * established: the web view (web.c) maps its admin token or a tenant's
 * signed link to one. Loop thread only.
 */
json_t *api_dispatch_as(struct daemon *d, const struct authz_caller *c, json_t *req);
/*
 * api_dispatch_text - the reply as the socket sends it (no '\n'; room for
 * one more byte), with what a handler pre-encoded (a snapshot's "tenants")
 * spliced in; NULL on ENOMEM. api_dispatch() is this, parsed (for tests).
 */
char *api_dispatch_text(struct daemon *d, const struct ucred *peer, json_t *req, size_t *n);
/*
 * api_reply_text - the text of resp (a reply of api_dispatch_as(), not
 * consumed) with what its handler pre-encoded spliced in, as
 * api_dispatch_text() makes it; NULL on ENOMEM.
 */
char *api_reply_text(struct daemon *d, json_t *resp, size_t *n);
/* Frees the shared snapshot (api_core.c); api_close() calls it. */
void api_core_fini(struct daemon *d);
/* Frees the shared snapshot once a tick has made it stale (api_process(), >= 1/s). */
void api_core_idle(struct daemon *d);

/* --- pure pieces of the server, exposed for tests/unit/test_api_client.c --- */

/*
 * api_frame - the next request in buf[0, *len): 1 with *ll set when buf starts
 * with a complete line (buf[*ll] == '\n'); 0 when more bytes are needed;
 * -EMSGSIZE once when *len reaches max with no newline: the bytes are dropped
 * and the rest of that line will be skipped (*discarding).
 */
int api_frame(char *buf, size_t *len, size_t max, bool *discarding, size_t *ll);

/* A client's unsent replies: buf[off, len). */
struct api_outbuf {
	char *buf;
	size_t off, len;
};
size_t api_out_pending(const struct api_outbuf *o);
/*
 * api_out_queue - append msg (malloc'd, n bytes, consumed in every case).
 * A reply of any size is taken when nothing is pending; otherwise -ENOBUFS
 * when pending + n would pass cap (the caller drops the client), -ENOMEM.
 */
int api_out_queue(struct api_outbuf *o, char *msg, size_t n, size_t cap);
/* n bytes were sent. */
void api_out_advance(struct api_outbuf *o, size_t n);
void api_out_free(struct api_outbuf *o);

/* A connected client as admission sees it. */
struct api_peer {
	bool used;
	uint32_t uid;
	uint64_t active_ms;	/* last accept / request / write progress */
};
/*
 * api_admit - a client of uid connects while p[0, n) are the slots: -1 to take
 * it as is, or the slot to close first: the uid's least recently active when
 * it already holds max_per_uid (root is not capped), else, when max_total are
 * connected, the least recently active of the uid holding most.
 */
int api_admit(const struct api_peer *p, int n, uint32_t uid, int max_total, int max_per_uid);

#endif /* QUELL_API_H */
