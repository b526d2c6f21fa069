/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * metrics_http.h - quelld's Prometheus endpoint (libmicrohttpd).
 *
 * The tick thread renders the exposition (prom.c) into a fresh immutable
 * snapshot and swaps it in under a mutex (metrics_http_publish); the
 * microhttpd thread only ever serves the latest snapshot, so a scrape never
 * reads the registry while the tick is changing it. Snapshots are reference
 * counted: a slow scraper keeps its copy alive, the tick never waits for it.
 *
 * Endpoints: GET/HEAD /metrics (text format 0.0.4), / (a link), else 404.
 * /metrics wants "Authorization: Bearer TOKEN" with the token of [metrics]
 * token_file (else 401); without a token_file the endpoint stays off,
 * unless the web view ([web] enabled, src/quelld/web.h) is on: then /, /web/
 * and /api/ are its routes and /metrics answers 401 without a token file.
 */
#ifndef QUELL_METRICS_HTTP_H
#define QUELL_METRICS_HTTP_H

#include <stdint.h>
#include <sys/socket.h>

#include "daemon.h"
#include "prom.h"

struct daemon;

/*
 * metrics_http_parse_listen - "ADDR:PORT" -> socket address. ADDR is a
 * numeric IPv4 address, "[IPv6]", "localhost" or "*" (every IPv4 address);
 * "PORT" or ":PORT" alone means 127.0.0.1 (loopback is the safe default).
 * Returns 0 or -EINVAL.
 */
int metrics_http_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* The bearer token of [metrics] / [web] token_file: http_auth.h. */

/*
 * metrics_http_start - listen on d->cfg.metrics_listen. An empty setting
 * means off: returns 0 and leaves d->http NULL. Returns -EINVAL for a bad
 * address or token file, -EACCES when listen is set without token_file,
 * -EPERM for a token file others can read, -EADDRINUSE / -errno when the
 * socket cannot be bound.
 */
int metrics_http_start(struct daemon *d);
/* Stop the server (waits for running requests) and free everything. NULL-safe. */
void metrics_http_stop(struct daemon *d);

/*
 * metrics_http_publish - render d->reg, d->host and the daemon's self
 * metrics and make it the snapshot scrapes see. Call from the tick thread
 * after the tick's gather/decide/act. No-op (0) when the server is off.
 * Returns 0 or -ENOMEM (the previous snapshot stays served).
 */
int metrics_http_publish(struct daemon *d);

/* The TCP port actually bound (useful with port 0 in tests), or 0 when off. */
uint16_t metrics_http_port(const struct daemon *d);

/* Duration of the last render in seconds (bench and self-metric). */
double metrics_http_render_seconds(const struct daemon *d);

#endif /* QUELL_METRICS_HTTP_H */
