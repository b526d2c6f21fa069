/* SPDX-License-Identifier: GPL-2.0-only */
/* api.h - the socket server's life cycle, for main.c (handlers: daemon.h). */
#ifndef QUELL_API_H
#define QUELL_API_H

#include <jansson.h>

struct daemon;

/* Bind cfg.socket_path (mode, group); -EADDRINUSE if another daemon answers there. */
int api_open(struct daemon *d);
/* epoll fd to watch for readability (listen socket and clients), -1 if closed. */
int api_epoll_fd(const struct daemon *d);
/* Serve whatever is ready, without blocking. */
void api_process(struct daemon *d);
void api_close(struct daemon *d);
/* Run one request through the handler table; returns the reply (new reference). */
json_t *api_dispatch(struct daemon *d, json_t *req);
void api_unregister_all(void);

#endif /* QUELL_API_H */
