// SPDX-License-Identifier: GPL-2.0-only
/*
 * api.c - the UNIX-socket server: newline-delimited JSON requests, one
 * reply line each. Non-blocking, driven by the daemon's epoll loop; a
 * client that sends garbage, an oversized line, stops reading or
 * disappears mid-reply costs only its own connection, never the daemon.
 *
 * Nothing a client does can hold the loop (docs/protocol.md, "Limits"):
 *  - replies are queued in a per-client output buffer and written as the
 *    socket takes them (EPOLLOUT); a client whose unsent replies pass
 *    API_OUT_CAP, or that takes none of them for the send timeout, is dropped;
 *    past API_OUT_TOTAL unsent in all, new replies are a short error;
 *  - a client with more than API_OUT_HOLD unsent is not served until it
 *    reads: its next requests wait in its buffer, then in the socket. A
 *    client pipelining `snapshot` without reading made quelld build one
 *    snapshot a wake-up until its 4 MiB cap: t_realhost_clients' 50 such
 *    clients kept quelld 72-87 % busy at 500 tenants (perf: most of it
 *    building and copying snapshots); now each costs one snapshot;
 *  - one request per client per wake-up, and a wake-up stops serving after
 *    API_BUDGET_MS: the rest wait for the next one (an eventfd keeps the
 *    loop coming back), so the tick timer is never starved;
 *  - a client that completes no request for client_timeout is dropped
 *    (idle connections and slow senders alike);
 *  - client_max_per_uid connections per non-root uid (SO_PEERCRED at
 *    accept), API_MAX_CLIENTS in all: one more closes the least recently
 *    active connection of that uid (of the uid holding most when the table
 *    is full), so a newcomer always gets in.
 * Measured on main (9451f72): 500 idle connections made `quellctl status`
 * take 7.6 s and four clients that never read stalled the loop, ticks
 * included, for 7.3 s; t_api_clients checks both stay under 100 ms / one tick.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "api.h"
#include "api_cmds.h"
#include "authz.h"
#include "daemon.h"
#include "fs.h"
#include "log.h"
#include "proto.h"

#define API_TAG_LISTEN	((uint64_t)1 << 62)
#define API_TAG_TIMER	((uint64_t)1 << 60)
#define API_TAG_WAKE	((uint64_t)1 << 59)
#define API_TAG_CLIENT	((uint64_t)1 << 61)
#define API_SLOT_MASK	0xffffffULL
#define API_GEN_SHIFT	24		/* slot generation: a stale event never reaches a newcomer */
#define API_GEN_MASK	0xffffffULL

struct api_client {
	int fd;
	struct ucred peer;	/* SO_PEERCRED at accept: who is asking */
	uint64_t active_ms;	/* accept, last request, last write progress (monotonic) */
	uint64_t sent_ms;	/* output pending: when it last made progress (or began) */
	uint32_t events;	/* what epoll watches now */
	uint32_t gen;		/* in epoll data with the slot (API_GEN_SHIFT) */
	uint64_t served_wake;	/* the wake-up that last served it: one request each */
	bool discarding;	/* skipping the rest of an oversized line */
	bool eof;		/* peer shut down its side: serve what is buffered, then close */
	char *in;		/* request bytes, at most PROTO_MAX_LINE + 1 */
	size_t in_len, in_cap;
	struct api_outbuf out;
};

struct api_server {
	int lfd;
	int epfd;
	int tfd;		/* 1 s sweep of timeouts */
	int wfd;		/* eventfd: requests are buffered, come back */
	char path[108];
	struct api_client **c;	/* slots, grown up to API_MAX_CLIENTS */
	int nr_slots, nr_clients;
	int next;		/* first slot served at the next wake-up (round robin) */
	uint64_t timeout_ms;	/* client_timeout */
	int max_per_uid;	/* client_max_per_uid */
	uint64_t served, dropped;
	size_t out_total;	/* unsent reply bytes of all clients */
	uint64_t wake;		/* api_process() calls */
	uint32_t gen;
};

static uint64_t client_tag(const struct api_client *c, int i)
{
	return API_TAG_CLIENT | ((uint64_t)(c->gen & API_GEN_MASK) << API_GEN_SHIFT) | (uint64_t)i;
}

/* {"ok":false,"error":"permission denied: ...","code":"permission_denied"} */
static json_t *api_denied(const struct authz_caller *c, const char *cmd)
{
	json_t *r;

	if (c->cls == AUTHZ_TENANT)
		r = proto_error("permission denied: uid %u (tenant %s) may only read its own "
				"account (show, events, history of %s)", (unsigned)c->uid,
				c->tenant, c->tenant);
	else
		r = proto_error("permission denied: uid %u (%s) may not run \"%.64s\"",
				(unsigned)c->uid, authz_class_name(c->cls), cmd);
	json_object_set_new(r, "code", json_string("permission_denied"));
	/* debug only: a hostile client must not be able to flood the log */
	log_debug("api: uid %u (%s) refused \"%.64s\"", (unsigned)c->uid,
		  authz_class_name(c->cls), cmd);
	return r;
}

static json_t *dispatch(struct daemon *d, const struct ucred *peer, json_t *req)
{
	struct authz_caller caller;

	/* who asks (docs/protocol.md, "Who may do what"); a known command or not, same cost */
	authz_caller_get(d, peer, &caller);
	return api_dispatch_as(d, &caller, req);
}

json_t *api_dispatch_as(struct daemon *d, const struct authz_caller *c, json_t *req)
{
	struct authz_caller caller = *c;
	const struct api_cmd *ac;
	enum authz_verdict v;
	char err[256] = "";
	const char *cmd, *key;
	json_t *resp, *scoped;
	int ret;

	d->api_tail.len = 0;	/* only what this request's handler writes is appended */
	if (!json_is_object(req))
		return proto_error("request is not a JSON object");
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (!cmd)
		return proto_error("missing \"cmd\" (a string)");
	ac = api_cmds_find(cmd);
	if (!ac)
		return proto_error("unknown command \"%.64s\"", cmd);
	/* may they (docs/protocol.md, "Who may do what") */
	key = authz_target_key(cmd);
	v = authz_decide(&caller, cmd, key ? json_string_value(json_object_get(req, key)) : NULL);
	if (v == AUTHZ_DENY)
		return api_denied(&caller, cmd);
	scoped = v == AUTHZ_SELF ? authz_scope_request(&caller, cmd, req) : json_incref(req);
	resp = json_object();
	if (!resp || !scoped) {
		json_decref(resp);
		json_decref(scoped);
		return proto_error("out of memory");
	}
	ret = ac->fn(d, scoped, resp, err, sizeof(err));
	json_decref(scoped);
	if (ret < 0) {
		d->api_tail.len = 0;
		json_decref(resp);
		return proto_error("%s", *err ? err : strerror(-ret));
	}
	/*
	 * Only a command that acts can change what a snapshot shows; the
	 * shared one (api_core.c) is then stale.
	 */
	if (ac->kind == AK_ACT)
		d->api_gen++;
	if (v == AUTHZ_SELF)
		authz_filter_reply(&caller, cmd, resp);
	if (!strcmp(cmd, "ping"))
		json_object_set_new(resp, "caller", authz_caller_json(&caller));
	json_object_set_new(resp, "ok", json_true());
	return resp;
}

/* --- pure pieces: framing, output buffer, admission (tests/unit/test_api_client.c) --- */

int api_frame(char *buf, size_t *len, size_t max, bool *discarding, size_t *ll)
{
	char *nl;

	while ((nl = memchr(buf, '\n', *len))) {
		size_t l = (size_t)(nl - buf);

		if (!*discarding) {
			*ll = l;
			return 1;
		}
		/* the end of an oversized line: what follows is the next request */
		*discarding = false;
		memmove(buf, nl + 1, *len - l - 1);
		*len -= l + 1;
	}
	if (*len < max)
		return 0;
	*len = 0;
	if (*discarding)
		return 0;
	*discarding = true;
	return -EMSGSIZE;
}

size_t api_out_pending(const struct api_outbuf *o)
{
	return o->len - o->off;
}

int api_out_queue(struct api_outbuf *o, char *msg, size_t n, size_t cap)
{
	size_t pend = api_out_pending(o);
	char *p;

	if (!pend) {
		/* the common case, and any single reply however big: no copy */
		free(o->buf);
		o->buf = msg;
		o->off = 0;
		o->len = n;
		return 0;
	}
	if (pend + n > cap) {
		free(msg);
		return -ENOBUFS;
	}
	if (o->off) {
		memmove(o->buf, o->buf + o->off, pend);
		o->off = 0;
		o->len = pend;
	}
	p = realloc(o->buf, pend + n);
	if (!p) {
		free(msg);
		return -ENOMEM;
	}
	memcpy(p + pend, msg, n);
	free(msg);
	o->buf = p;
	o->len = pend + n;
	return 0;
}

void api_out_advance(struct api_outbuf *o, size_t n)
{
	o->off += n;
	if (o->off >= o->len) {
		free(o->buf);
		o->buf = NULL;
		o->off = o->len = 0;
	}
}

void api_out_free(struct api_outbuf *o)
{
	free(o->buf);
	o->buf = NULL;
	o->off = o->len = 0;
}

/* the least recently active used slot of uid (any uid if all), -1 if none */
static int lra_slot(const struct api_peer *p, int n, uint32_t uid, bool all)
{
	int best = -1;

	for (int i = 0; i < n; i++) {
		if (!p[i].used || (!all && p[i].uid != uid))
			continue;
		if (best < 0 || p[i].active_ms < p[best].active_ms)
			best = i;
	}
	return best;
}

int api_admit(const struct api_peer *p, int n, uint32_t uid, int max_total, int max_per_uid)
{
	int total = 0, mine = 0, top = -1, top_nr = 0;

	for (int i = 0; i < n; i++) {
		if (!p[i].used)
			continue;
		total++;
		if (p[i].uid == uid)
			mine++;
	}
	/* root is the administrator (and t_robust_signals runs 100 quellctl at once as root) */
	if (uid != 0 && mine >= max_per_uid)
		return lra_slot(p, n, uid, false);
	if (total < max_total)
		return -1;
	/* full: the uid holding most connections pays (O(n^2), n <= API_MAX_CLIENTS, rare) */
	for (int i = 0; i < n; i++) {
		int nr = 0;

		if (!p[i].used)
			continue;
		for (int j = 0; j < n; j++)
			nr += p[j].used && p[j].uid == p[i].uid;
		if (nr > top_nr) {
			top_nr = nr;
			top = i;
		}
	}
	return top < 0 ? -1 : lra_slot(p, n, p[top].uid, false);
}

/* --- the server --- */

/*
 * What sits at the socket path before bind: nothing (0), a stale socket
 * nobody answers on (unlinked, 0), a live daemon (-EADDRINUSE), or anything
 * else, which is never ours to delete (-EEXIST, said in the log).
 */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("socket %s: exists and is not a socket (%s); not removing it",
			path, S_ISREG(st.st_mode) ? "a regular file" : S_ISDIR(st.st_mode) ?
			"a directory" : S_ISLNK(st.st_mode) ? "a symlink" : "not a socket");
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EAGAIN ?
	      -EADDRINUSE : 0;
	close(fd);
	if (ret)
		return ret;
	/* a stale socket from a crashed daemon */
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int api_open(struct daemon *d)
{
	const struct quell_config *c = &d->cfg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	struct itimerspec its = { .it_interval = { .tv_sec = 1 }, .it_value = { .tv_sec = 1 } };
	struct api_server *s;
	struct group *gr;
	bool bound = false;
	mode_t old_umask;
	int ret;

	if (strlen(c->socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lfd = s->epfd = s->tfd = s->wfd = -1;
	s->timeout_ms = c->client_timeout_ms;
	s->max_per_uid = c->client_max_per_uid;
	snprintf(s->path, sizeof(s->path), "%s", c->socket_path);
	strcpy(sa.sun_path, c->socket_path);

	ret = fs_mkdir_parent(c->socket_path, 0755);
	if (ret)
		goto fail;
	ret = clear_stale(c->socket_path, &sa);
	if (ret)
		goto fail;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0)
		goto fail_errno;
	/*
	 * bind() creates the socket with 0777 & ~umask: with the umask set from
	 * socket_mode it is never, even for a moment, looser than configured
	 * (chmod after bind left a window at 0755 & ~umask). umask is
	 * per-process; no other thread creates files yet (history starts later).
	 */
	old_umask = umask(~c->socket_mode & 0777);
	ret = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (ret < 0)
		goto fail_errno;
	bound = true;
	if (*c->socket_group) {
		gr = getgrnam(c->socket_group);
		if (!gr) {
			log_warn("socket_group %s: no such group, keeping root", c->socket_group);
		} else if (chown(c->socket_path, 0, gr->gr_gid) < 0) {
			log_warn("chown %s: %m", c->socket_path);
		}
	}
	/* exact mode (umask cannot add bits, chmod keeps it exact if root's group changed it) */
	if (chmod(c->socket_path, c->socket_mode) < 0)
		goto fail_errno;
	if (listen(s->lfd, 256) < 0)
		goto fail_errno;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	s->wfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->epfd < 0 || s->tfd < 0 || s->wfd < 0)
		goto fail_errno;
	if (timerfd_settime(s->tfd, 0, &its, NULL) < 0)
		goto fail_errno;
	ev.data.u64 = API_TAG_LISTEN;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) < 0)
		goto fail_errno;
	ev.data.u64 = API_TAG_TIMER;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->tfd, &ev) < 0)
		goto fail_errno;
	ev.data.u64 = API_TAG_WAKE;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->wfd, &ev) < 0)
		goto fail_errno;
	d->api = s;
	return 0;

fail_errno:
	ret = -errno;
fail:
	if (bound)
		unlink(c->socket_path);

	if (s->lfd >= 0)
		close(s->lfd);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->tfd >= 0)
		close(s->tfd);
	if (s->wfd >= 0)
		close(s->wfd);
	free(s);
	return ret;
}

int api_epoll_fd(const struct daemon *d)
{
	return d->api ? d->api->epfd : -1;
}

static void client_close(struct api_server *s, int i, const char *why)
{
	struct api_client *c = s->c[i];

	if (!c)
		return;
	if (why) {
		s->dropped++;
		log_debug("api: dropping client pid %d uid %u: %s", (int)c->peer.pid,
			  (unsigned)c->peer.uid, why);
	}
	close(c->fd);		/* also leaves the epoll set */
	s->out_total -= api_out_pending(&c->out);
	api_out_free(&c->out);
	free(c->in);
	free(c);
	s->c[i] = NULL;
	s->nr_clients--;
}

static bool client_has_line(const struct api_client *c)
{
	return !c->discarding && c->in_len && memchr(c->in, '\n', c->in_len);
}

/* Watch what the client can make progress on; a buffered request is served via wfd. */
static void client_watch(struct api_server *s, int i)
{
	struct api_client *c = s->c[i];
	struct epoll_event ev = { .data.u64 = client_tag(c, i) };

	ev.events = (!c->eof && !client_has_line(c) ? EPOLLIN : 0) |
		    (api_out_pending(&c->out) ? EPOLLOUT : 0);
	if (ev.events == c->events)
		return;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		client_close(s, i, "epoll");
	else
		c->events = ev.events;
}

/* Write what the socket takes now. Returns 0, or -errno after closing the client. */
static int client_flush(struct api_server *s, int i)
{
	struct api_client *c = s->c[i];

	while (api_out_pending(&c->out)) {
		ssize_t w = send(c->fd, c->out.buf + c->out.off, api_out_pending(&c->out),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w < 0) {
			client_close(s, i, "send failed");
			return -EPIPE;
		}
		api_out_advance(&c->out, (size_t)w);
		s->out_total -= (size_t)w;
		c->active_ms = c->sent_ms = (clock_mono_ns() / 1000000);
	}
	return 0;
}

/*
 * resp as one line; tail (members pre-encoded by the handler, e.g. a
 * snapshot's "tenants", api_core.c) goes in before the closing brace when
 * resp is a success. NULL on ENOMEM; *n is the length without the NUL.
 */
static char *reply_text(json_t *resp, struct proto_buf *tail, size_t *n)
{
	char *msg = json_dumps(resp, JSON_COMPACT), *all;
	size_t h, t;

	if (!msg)
		return NULL;
	h = strlen(msg);
	*n = h;
	if (!tail || !tail->len || !json_is_true(json_object_get(resp, "ok")) || h < 2)
		return msg;
	/*
	 * "{...}" -> "{...," tail "}", built in the tail's own buffer (moved up
	 * by the head), so a 13.8 MB snapshot is not copied into a second one.
	 */
	t = tail->len;
	h -= 1;			/* without the '}' */
	if (h > 1)
		msg[h++] = ',';	/* "{}" has no member to separate */
	all = realloc(tail->p, h + t + 2);
	if (!all) {
		free(msg);
		return NULL;
	}
	memmove(all + h, all, t);
	memcpy(all, msg, h);
	all[h + t] = '}';
	all[h + t + 1] = '\0';
	*n = h + t + 1;
	free(msg);
	tail->p = NULL;		/* handed over */
	tail->len = tail->cap = 0;
	return all;
}

char *api_reply_text(struct daemon *d, json_t *resp, size_t *n)
{
	char *msg = resp ? reply_text(resp, &d->api_tail, n) : NULL;

	/* a 13.8 MB tail (10,000 tenants) is not kept between requests */
	proto_buf_free(&d->api_tail);
	return msg;
}

char *api_dispatch_text(struct daemon *d, const struct ucred *peer, json_t *req, size_t *n)
{
	json_t *r = dispatch(d, peer, req);
	char *msg;

	if (!r)
		r = proto_error("out of memory");
	msg = api_reply_text(d, r, n);
	json_decref(r);
	return msg;
}

json_t *api_dispatch(struct daemon *d, const struct ucred *peer, json_t *req)
{
	json_error_t jerr;
	size_t n = 0;
	char *msg = api_dispatch_text(d, peer, req, &n);
	json_t *r;

	if (!msg)
		return NULL;
	r = json_loadb(msg, n, 0, &jerr);
	free(msg);
	return r;
}

/* Queue msg (n bytes + NUL room, consumed) and start sending it. Returns 0 or -errno (client closed). */
static int client_reply_text(struct api_server *s, int i, char *msg, size_t n)
{
	struct api_client *c = s->c[i];
	json_t *resp;
	int ret;

	if (!msg) {
		client_close(s, i, "out of memory");
		return -ENOMEM;
	}
	if (s->out_total + n + 1 > API_OUT_TOTAL) {
		/*
		 * Clients that do not read could hold a snapshot each (13.8 MB at
		 * 10,000 tenants): past the total, answer with a short error
		 * instead, until the send timeout has dropped them.
		 */
		free(msg);
		resp = proto_error("quelld has %zu MiB of replies unsent to other clients; "
				   "try again", s->out_total >> 20);
		msg = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
		json_decref(resp);
		if (!msg) {
			client_close(s, i, "out of memory");
			return -ENOMEM;
		}
		n = strlen(msg);
	}
	msg[n] = '\n';	/* overwrite the NUL; json_dumps allocated n + 1 */
	if (!api_out_pending(&c->out))
		c->sent_ms = (clock_mono_ns() / 1000000);	/* a client that keeps asking but never reads is still timed out */
	ret = api_out_queue(&c->out, msg, n + 1, API_OUT_CAP);
	if (!ret)
		s->out_total += n + 1;
	if (ret) {
		client_close(s, i, ret == -ENOBUFS ? "unsent replies over the output cap" :
			     "out of memory");
		return ret;
	}
	return client_flush(s, i);
}

/* Queue resp (consumed) and start sending it. Returns 0 or -errno (client closed). */
static int client_reply(struct api_server *s, int i, json_t *resp)
{
	size_t n = 0;
	char *msg;

	if (!resp)
		resp = proto_error("out of memory");
	msg = resp ? reply_text(resp, NULL, &n) : NULL;
	json_decref(resp);
	return client_reply_text(s, i, msg, n);
}

/* Serve the first buffered request of client i, if there is one. */
static void client_serve(struct daemon *d, struct api_server *s, int i)
{
	struct api_client *c = s->c[i];
	json_error_t jerr;
	json_t *req;
	size_t ll;
	int ret;

	ret = api_frame(c->in, &c->in_len, PROTO_MAX_LINE, &c->discarding, &ll);
	if (ret <= 0)
		return;
	c->active_ms = (clock_mono_ns() / 1000000);
	if (ll) {
		s->served++;
		req = json_loadb(c->in, ll, 0, &jerr);
		if (!req) {
			ret = client_reply(s, i, proto_error("invalid JSON: %s", jerr.text));
		} else {
			size_t n = 0;
			char *msg = api_dispatch_text(d, &c->peer, req, &n);

			ret = client_reply_text(s, i, msg, n);
			json_decref(req);
		}
		if (ret)
			return;
	}
	memmove(c->in, c->in + ll + 1, c->in_len - ll - 1);
	c->in_len -= ll + 1;
}

static void client_read(struct api_server *s, int i)
{
	struct api_client *c = s->c[i];
	ssize_t n;
	int ret;

	if (c->in_len == c->in_cap) {
		size_t ncap = c->in_cap ? c->in_cap * 2 : 4096;
		char *p;

		if (ncap > PROTO_MAX_LINE + 1)
			ncap = PROTO_MAX_LINE + 1;
		p = realloc(c->in, ncap);
		if (!p) {
			client_close(s, i, "out of memory");
			return;
		}
		c->in = p;
		c->in_cap = ncap;
	}
	n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		client_close(s, i, NULL);
		return;
	}
	if (n == 0) {
		c->eof = true;
		return;
	}
	c->in_len += (size_t)n;
	ret = api_frame(c->in, &c->in_len, PROTO_MAX_LINE, &c->discarding, &(size_t){ 0 });
	if (ret == -EMSGSIZE)	/* refused once; the rest of the line is skipped */
		client_reply(s, i, proto_error("request longer than %d bytes", PROTO_MAX_LINE));
}

static void client_accept(struct api_server *s)
{
	struct epoll_event ev = { .events = EPOLLIN };
	socklen_t sl = sizeof(struct ucred);
	struct api_peer *peers;
	struct ucred cr;
	int fd, i, victim;

	/* at most 64 a wake-up: a connect storm cannot hold the loop either */
	for (int k = 0; k < 64; k++) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) < 0) {
			close(fd);
			continue;
		}
		peers = calloc((size_t)s->nr_slots + 1, sizeof(*peers));
		if (!peers) {
			close(fd);
			continue;
		}
		for (i = 0; i < s->nr_slots; i++) {
			if (!s->c[i])
				continue;
			peers[i].used = true;
			peers[i].uid = s->c[i]->peer.uid;
			peers[i].active_ms = s->c[i]->active_ms;
		}
		victim = api_admit(peers, s->nr_slots, cr.uid, API_MAX_CLIENTS, s->max_per_uid);
		free(peers);
		if (victim >= 0)
			client_close(s, victim, s->c[victim]->peer.uid == cr.uid &&
				     cr.uid != 0 ? "a newer connection of the same uid, over "
				     "client_max_per_uid" : "connection table full");
		for (i = 0; i < s->nr_slots && s->c[i]; i++)
			;
		if (i == s->nr_slots) {
			int ns = s->nr_slots ? s->nr_slots * 2 : 64;
			struct api_client **nc;

			if (ns > API_MAX_CLIENTS)
				ns = API_MAX_CLIENTS;
			nc = ns > s->nr_slots ? realloc(s->c, (size_t)ns * sizeof(*nc)) : NULL;
			if (!nc) {
				close(fd);
				continue;
			}
			memset(nc + s->nr_slots, 0, (size_t)(ns - s->nr_slots) * sizeof(*nc));
			s->c = nc;
			s->nr_slots = ns;
		}
		s->c[i] = calloc(1, sizeof(*s->c[i]));
		if (!s->c[i]) {
			close(fd);
			continue;
		}
		s->nr_clients++;
		s->c[i]->fd = fd;
		s->c[i]->peer = cr;
		s->c[i]->active_ms = (clock_mono_ns() / 1000000);
		s->c[i]->events = EPOLLIN;
		s->c[i]->gen = ++s->gen;
		ev.data.u64 = client_tag(s->c[i], i);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			client_close(s, i, "epoll");
	}
}

/* Drop who has been idle (or not reading) too long. */
static void clients_sweep(struct api_server *s)
{
	uint64_t now = (clock_mono_ns() / 1000000), send_ms = s->timeout_ms < API_SEND_TIMEOUT_MS ?
					    s->timeout_ms : API_SEND_TIMEOUT_MS;

	for (int i = 0; i < s->nr_slots; i++) {
		struct api_client *c = s->c[i];

		if (!c)
			continue;
		if (api_out_pending(&c->out) && now - c->sent_ms >= send_ms)
			client_close(s, i, "not reading its replies");
		else if (!api_out_pending(&c->out) && now - c->active_ms >= s->timeout_ms)
			client_close(s, i, "idle");
	}
}

void api_process(struct daemon *d)
{
	struct api_server *s = d->api;
	struct epoll_event evs[64];
	uint64_t t0, v;
	bool more = false, stop = false;
	int n, k;

	if (!s)
		return;
	api_core_idle(d);
	n = epoll_wait(s->epfd, evs, 64, 0);
	for (k = 0; k < n; k++) {
		uint64_t tag = evs[k].data.u64;
		int i = (int)(tag & API_SLOT_MASK);

		if (tag == API_TAG_LISTEN) {
			client_accept(s);
		} else if (tag == API_TAG_TIMER) {
			if (read(s->tfd, &v, sizeof(v)) == sizeof(v))
				clients_sweep(s);
		} else if (tag == API_TAG_WAKE) {
			if (read(s->wfd, &v, sizeof(v)) < 0)
				v = 0;
		} else if (i < s->nr_slots && s->c[i] && tag == client_tag(s->c[i], i)) {
			if (evs[k].events & EPOLLOUT && client_flush(s, i))
				continue;
			if (evs[k].events & EPOLLERR)
				client_close(s, i, NULL);
			else if (evs[k].events & (EPOLLIN | EPOLLHUP) && !client_has_line(s->c[i]))
				client_read(s, i);
		}
	}

	/*
	 * One request per client, round robin, until the budget is spent: a
	 * client with a dozen pipelined requests, or a dozen clients asking for
	 * 10,000-tenant snapshots, wait for later wake-ups instead of the tick.
	 * Clients that read their replies go first; those with replies still
	 * unsent (pipelining, or not reading at all) get what budget is left:
	 * 67 non-readers pipelining status otherwise put quellctl status at
	 * 140 ms in t_api_clients.
	 */
	t0 = (clock_mono_ns() / 1000000);
	s->wake++;
	for (int pass = 0; pass < 2 && !stop; pass++) {
		for (k = 0; k < s->nr_slots; k++) {
			int i = (s->next + k) % s->nr_slots;
			struct api_client *c = s->c[i];

			if (!c || !client_has_line(c) || c->served_wake == s->wake ||
			    (api_out_pending(&c->out) != 0) != pass ||
			    api_out_pending(&c->out) > API_OUT_HOLD)
				continue;	/* a held client: EPOLLOUT brings it back */
			if ((clock_mono_ns() / 1000000) - t0 >= API_BUDGET_MS) {
				s->next = i;
				more = stop = true;
				break;
			}
			c->served_wake = s->wake;
			client_serve(d, s, i);
			if (s->c[i] && client_has_line(s->c[i]))
				more = true;
		}
	}
	if (!stop && s->nr_slots)
		s->next = (s->next + 1) % s->nr_slots;
	for (int i = 0; i < s->nr_slots; i++) {
		struct api_client *c = s->c[i];

		if (!c)
			continue;
		if (c->eof && !client_has_line(c) && !api_out_pending(&c->out))
			client_close(s, i, NULL);
		else
			client_watch(s, i);
	}
	if (more) {
		v = 1;
		if (write(s->wfd, &v, sizeof(v)) < 0)
			log_debug("api: eventfd: %m");
	}
}

void api_close(struct daemon *d)
{
	struct api_server *s = d->api;

	if (!s)
		return;
	for (int i = 0; i < s->nr_slots; i++)
		client_close(s, i, NULL);
	api_core_fini(d);
	free(s->c);
	close(s->lfd);
	close(s->epfd);
	close(s->tfd);
	close(s->wfd);
	unlink(s->path);
	free(s);
	d->api = NULL;
}
