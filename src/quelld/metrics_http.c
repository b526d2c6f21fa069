// SPDX-License-Identifier: GPL-2.0-only
/*
 * metrics_http.c - Prometheus /metrics over libmicrohttpd.
 *
 * Threads: the tick thread renders (metrics_http_publish) into a new
 * snapshot and swaps the pointer under mh->lock; the microhttpd thread takes
 * a reference to the current snapshot under the same lock and hands its
 * bytes to MHD without copying. The lock is held for a pointer swap or a
 * refcount change only, never for rendering or sending, so neither side can
 * stall the other.
 *
 * Rendered on demand: a tick renders only when a scrape found the snapshot
 * older than 1.5 ticks (that scrape waits for it, at most 2 ticks + 0.5 s,
 * then takes what there is). At 10,000 tenants a render is ~10 MB and took
 * quelld from 3.0 to 6.1 % of a core when done every tick; with a scrape
 * every 15 s it is one tick in 15 (docs/performance.md).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpf_loader.h"
#include "daemon.h"
#include "http_auth.h"
#include "log.h"
#include "metrics_http.h"
#include "prom.h"
#include "web.h"

#ifndef QUELL_VERSION
#define QUELL_VERSION "0.1"
#endif

#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct snap {
	int ref;		/* under metrics_http.lock */
	struct metrics_http *mh;
	size_t len;
	char data[];
};

struct metrics_http {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	struct snap *cur;
	struct prom_buf buf;		/* tick thread only: render scratch, reused */
	double render_s;
	/* on demand: under lock */
	pthread_cond_t rendered;	/* CLOCK_MONOTONIC; broadcast after each render */
	bool want;			/* a scrape waits for a fresh render */
	uint64_t gen;			/* renders so far */
	double cur_at;			/* CLOCK_MONOTONIC s of cur's render */
	double period_s;		/* the tick period at start */
	uint16_t port;
	char token_file[256];		/* copied at start: the tick may reload d->cfg meanwhile */
	struct web *web;		/* the web view's routes (web.c), NULL when off */
};

static double now_s(clockid_t clk);

static void snap_put(struct metrics_http *mh, struct snap *s)
{
	bool last;

	if (!s)
		return;
	pthread_mutex_lock(&mh->lock);
	last = --s->ref == 0;
	pthread_mutex_unlock(&mh->lock);
	if (last)
		free(s);
}

static void snap_release(void *cls)
{
	struct snap *s = cls;

	snap_put(s->mh, s);
}

int metrics_http_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char host[64], port[16];
	const char *colon;
	char *end;
	unsigned long p;
	size_t hl;

	if (!s || !*s)
		return -EINVAL;
	colon = strrchr(s, ':');
	if (colon && s[0] == '[' && colon < strchr(s, ']'))
		return -EINVAL;		/* "[::1]" without a port */
	if (!colon) {
		snprintf(host, sizeof(host), "127.0.0.1");
		colon = s - 1;
	} else {
		hl = (size_t)(colon - s);
		if (s[0] == '[') {
			if (hl < 2 || s[hl - 1] != ']')
				return -EINVAL;
			s++;
			hl -= 2;
		} else if (memchr(s, ':', hl)) {
			return -EINVAL;	/* IPv6 needs brackets: "::1:80" is ambiguous */
		}
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (!hl || !strcmp(host, "localhost"))
			snprintf(host, sizeof(host), "127.0.0.1");
		else if (!strcmp(host, "*"))
			snprintf(host, sizeof(host), "0.0.0.0");
	}
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || p > 65535 || colon[1] == '-' || colon[1] == '+')
		return -EINVAL;
	snprintf(port, sizeof(port), "%lu", p);
	if (getaddrinfo(host, port, &hints, &res) || !res)
		return -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_warn("metrics http: %s", msg);
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int status,
				  const char *text, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"quell\"");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	web_request_done(*con_cls);
	*con_cls = NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct metrics_http *mh = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct snap *s;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
				  "text/plain");
	{
		int wret;

		/* /, /web/..., /api/...: the web view, when it is on (docs/web.md) */
		if (web_handle(mh->web, c, url, con_cls, &wret))
			return (enum MHD_Result)wret;
	}
	if (!strcmp(url, "/"))
		return reply_text(c, MHD_HTTP_OK,
				  "<html><head><title>quelld</title></head><body>"
				  "<a href=\"/metrics\">/metrics</a></body></html>\n",
				  "text/html; charset=utf-8");
	if (strcmp(url, "/metrics"))
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n", "text/plain");
	/*
	 * Every tenant on the box can reach loopback, so /metrics (every
	 * tenant's series) needs the token. The file is read per request (a
	 * few microseconds, on this thread, never the tick's): rotating or
	 * deleting it takes effect at once, and a file that went missing or
	 * world-readable locks everyone out rather than in.
	 */
	{
		char token[HTTP_TOKEN_MAX];

		if (http_auth_read_token(mh->token_file, token, sizeof(token)) ||
		    http_auth_check(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						MHD_HTTP_HEADER_AUTHORIZATION), token)) {
			explicit_bzero(token, sizeof(token));
			return reply_text(c, MHD_HTTP_UNAUTHORIZED,
					  "401 unauthorized: send \"Authorization: Bearer <token>\" "
					  "with the token of [metrics] token_file\n", "text/plain");
		}
		explicit_bzero(token, sizeof(token));
	}

	pthread_mutex_lock(&mh->lock);
	if (!mh->cur || now_s(CLOCK_MONOTONIC) - mh->cur_at > 1.5 * mh->period_s) {
		double end = now_s(CLOCK_MONOTONIC) + 2 * mh->period_s + 0.5;
		struct timespec ts = { (time_t)end, (long)((end - (double)(time_t)end) * 1e9) };
		uint64_t g = mh->gen;

		mh->want = true;
		while (mh->gen == g &&
		       pthread_cond_timedwait(&mh->rendered, &mh->lock, &ts) != ETIMEDOUT)
			;
	}
	s = mh->cur;
	if (s)
		s->ref++;
	pthread_mutex_unlock(&mh->lock);
	if (!s)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no sample yet\n", "text/plain");

	r = MHD_create_response_from_buffer_with_free_callback_cls(s->len, s->data, snap_release,
								    s);
	if (!r) {
		snap_put(mh, s);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

int metrics_http_start(struct daemon *d)
{
	struct sockaddr_storage ss;
	struct metrics_http *mh;
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	sigset_t all, old;
	socklen_t sl;
	int ret;

	if (!d->cfg.metrics_listen[0])
		return 0;
	ret = metrics_http_parse_listen(d->cfg.metrics_listen, &ss, &sl);
	if (ret) {
		log_err("metrics listen = %s: expected ADDR:PORT", d->cfg.metrics_listen);
		return ret;
	}
	/* loopback is no boundary on a shared host: without a token, no endpoint */
	if (!d->cfg.metrics_token_file[0] && !d->cfg.web) {
		log_err("metrics: [metrics] listen is set but token_file is not: the endpoint "
			"stays off (any local user could read every tenant's series)");
		return -EACCES;
	}
	if (d->cfg.metrics_token_file[0]) {
		char token[HTTP_TOKEN_MAX];

		ret = http_auth_read_token(d->cfg.metrics_token_file, token, sizeof(token));
		explicit_bzero(token, sizeof(token));
		if (ret) {
			log_err("metrics: token_file %s: %s", d->cfg.metrics_token_file,
				ret == -EPERM ? "not a regular file, or readable by others (chmod o-rwx)" :
				ret == -EINVAL ? "want one line of 16 to 254 printable characters" :
				strerror(-ret));
			return ret;
		}
	}
	mh = calloc(1, sizeof(*mh));
	if (!mh)
		return -ENOMEM;
	snprintf(mh->token_file, sizeof(mh->token_file), "%s", d->cfg.metrics_token_file);
	ret = web_start(d);
	if (ret)
		log_warn("web view disabled: %s", strerror(-ret));
	mh->web = d->web;
	if (mh->web)
		flags |= MHD_ALLOW_SUSPEND_RESUME;
	pthread_mutex_init(&mh->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&mh->rendered, &ca);
		pthread_condattr_destroy(&ca);
	}
	mh->period_s = d->cfg.tick_ms ? (double)d->cfg.tick_ms / 1e3 : 1.0;
	prom_buf_init(&mh->buf);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/*
	 * The microhttpd thread inherits our signal mask. quelld takes SIGHUP /
	 * SIGTERM through a signalfd, which only works if no thread leaves them
	 * unblocked; so the server thread starts with every signal blocked,
	 * whatever the caller's order of initialisation (found by
	 * t_prometheus.sh: SIGHUP killed quelld when this ran first).
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* the port argument is ignored when MHD_OPTION_SOCK_ADDR is given */
	errno = 0;
	mh->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, mh,
				   MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				   MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
				   MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)16,
				   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
				   MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
				   MHD_OPTION_END);
	ret = errno ? -errno : -EADDRINUSE;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!mh->mhd) {
		log_err("metrics: cannot listen on %s: %s", d->cfg.metrics_listen, strerror(-ret));
		web_stop(d);
		pthread_cond_destroy(&mh->rendered);
		pthread_mutex_destroy(&mh->lock);
		free(mh);
		return ret;
	}
	info = MHD_get_daemon_info(mh->mhd, MHD_DAEMON_INFO_BIND_PORT);
	mh->port = info ? info->port : 0;
	d->http = mh;
	log_info("metrics: serving http://%s/metrics (port %u)", d->cfg.metrics_listen, mh->port);
	if (mh->web)
		log_info("web: serving http://%s/web/ (docs/web.md)", d->cfg.metrics_listen);
	return 0;
}

void metrics_http_stop(struct daemon *d)
{
	struct metrics_http *mh = d->http;

	if (!mh)
		return;
	/* suspended web requests are answered first: microhttpd cannot stop with them */
	web_quiesce(d);
	/* returns after every connection is closed: no snap_release can follow */
	MHD_stop_daemon(mh->mhd);
	web_stop(d);
	if (mh->cur && --mh->cur->ref == 0)
		free(mh->cur);
	prom_buf_free(&mh->buf);
	pthread_cond_destroy(&mh->rendered);
	pthread_mutex_destroy(&mh->lock);
	free(mh);
	d->http = NULL;
}

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int metrics_http_publish(struct daemon *d)
{
	struct metrics_http *mh = d->http;
	struct prom_self self = { 0 };
	struct snap *s, *old;
	double t0;
	int ret;

	if (!mh)
		return 0;
	pthread_mutex_lock(&mh->lock);
	ret = mh->cur && !mh->want;
	pthread_mutex_unlock(&mh->lock);
	if (ret)
		return 0;	/* nobody asked since the last render */
	t0 = now_s(CLOCK_MONOTONIC);
	self.version = QUELL_VERSION;
	self.start_time_s = now_s(CLOCK_REALTIME) -
			    (now_s(CLOCK_MONOTONIC) - (double)d->start_mono_ns / 1e9);
	if (!d->start_mono_ns)
		self.start_time_s = 0;
	self.ticks = d->tick_no;
	self.tick_seconds = d->last_tick_ms / 1e3;
	self.render_seconds = mh->render_s;
	self.bpf = d->bpf != NULL;
	if (d->bpf) {
		qbpf_acct_fill(d->bpf, &self.bpf_map_used, &self.bpf_map_max);
		self.bpf_acct_full = d->bpf_stats[QUELL_STAT_ACCT_FULL];
		self.bpf_task_full = d->bpf_stats[QUELL_STAT_TASK_FULL];
		self.bpf_ringbuf_drop = d->bpf_stats[QUELL_STAT_RB_DROP];
		self.bpf_io_full = d->bpf_stats[QUELL_STAT_IO_FULL];
		self.bpf_events = d->bpf_stats[QUELL_STAT_EVENTS];
		self.bpf_unattributed_ns = d->bpf_stats[QUELL_STAT_UNATTRIB_NS];
		self.bpf_other_inflicted_ns = d->bpf_stats[QUELL_STAT_OTHER_INFLICTED_NS];
	}
	self.actions = d->actions.a;
	self.nr_actions = d->actions.nr;

	prom_buf_reset(&mh->buf);
	ret = prom_render(&mh->buf, d->reg.t, d->reg.nr, &d->host, &self);
	if (ret)
		return ret;
	s = malloc(sizeof(*s) + mh->buf.len + 1);
	if (!s)
		return -ENOMEM;
	s->ref = 1;
	s->mh = mh;
	s->len = mh->buf.len;
	memcpy(s->data, mh->buf.s ? mh->buf.s : "", mh->buf.len + 1);

	pthread_mutex_lock(&mh->lock);
	old = mh->cur;
	mh->cur = s;
	mh->cur_at = now_s(CLOCK_MONOTONIC);
	mh->want = false;
	mh->gen++;
	pthread_cond_broadcast(&mh->rendered);
	pthread_mutex_unlock(&mh->lock);
	snap_put(mh, old);
	mh->render_s = now_s(CLOCK_MONOTONIC) - t0;
	return 0;
}

uint16_t metrics_http_port(const struct daemon *d)
{
	return d->http ? d->http->port : 0;
}

double metrics_http_render_seconds(const struct daemon *d)
{
	return d->http ? d->http->render_s : 0;
}
