/* SPDX-License-Identifier: GPL-2.0-only */
/* api.h - the socket server's life cycle, for main.c (handlers: daemon.h). */
#ifndef QUELL_API_H
#define QUELL_API_H

#include <jansson.h>
#include <sys/socket.h>

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
void api_unregister_all(void);

#endif /* QUELL_API_H */
