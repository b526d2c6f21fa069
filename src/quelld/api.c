// SPDX-License-Identifier: GPL-2.0-only
/*
 * api.c - the UNIX-socket server: newline-delimited JSON requests, one
 * reply line each. Non-blocking, driven by the daemon's epoll loop; a
 * client that sends garbage, an oversized line or disappears mid-reply
 * costs only its own connection, never the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "authz.h"
#include "daemon.h"
#include "log.h"
#include "proto.h"

#define API_MAX_CMDS	64
#define API_MAX_CLIENTS	64
#define API_TAG_LISTEN	((uint64_t)1 << 62)
#define API_TAG_CLIENT	((uint64_t)1 << 61)

struct api_client {
	int fd;
	size_t len;		/* bytes buffered in buf */
	bool discarding;	/* skipping the rest of an oversized line */
	char buf[PROTO_MAX_LINE + 1];
};

struct api_server {
	int lfd;
	int epfd;
	char path[108];
	struct api_client *c[API_MAX_CLIENTS];
	bool paused;		/* all slots taken: lfd out of epoll, callers wait in the backlog */
};

static struct {
	const char *cmd;
	api_handler_fn fn;
} api_cmds[API_MAX_CMDS];
static int api_nr;

int api_register(const char *cmd, api_handler_fn fn)
{
	for (int i = 0; i < api_nr; i++) {
		if (!strcmp(api_cmds[i].cmd, cmd)) {
			api_cmds[i].fn = fn;
			return 0;
		}
	}
	if (api_nr == API_MAX_CMDS)
		return -ENOSPC;
	api_cmds[api_nr].cmd = cmd;
	api_cmds[api_nr].fn = fn;
	api_nr++;
	return 0;
}

void api_unregister_all(void)
{
	api_nr = 0;
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

json_t *api_dispatch(struct daemon *d, const struct ucred *peer, json_t *req)
{
	struct authz_caller caller;
	enum authz_verdict v;
	char err[256] = "";
	const char *cmd, *key;
	json_t *resp, *scoped;
	int ret;

	if (!json_is_object(req))
		return proto_error("request is not a JSON object");
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (!cmd)
		return proto_error("missing \"cmd\" (a string)");
	for (int i = 0; i < api_nr; i++) {
		if (strcmp(api_cmds[i].cmd, cmd))
			continue;
		/* who asks, and may they (docs/protocol.md, "Who may do what") */
		authz_caller_get(d, peer, &caller);
		key = authz_target_key(cmd);
		v = authz_decide(&caller, cmd,
				 key ? json_string_value(json_object_get(req, key)) : NULL);
		if (v == AUTHZ_DENY)
			return api_denied(&caller, cmd);
		scoped = v == AUTHZ_SELF ? authz_scope_request(&caller, cmd, req) : json_incref(req);
		resp = json_object();
		if (!resp || !scoped) {
			json_decref(resp);
			json_decref(scoped);
			return proto_error("out of memory");
		}
		ret = api_cmds[i].fn(d, scoped, resp, err, sizeof(err));
		json_decref(scoped);
		if (ret < 0) {
			json_decref(resp);
			return proto_error("%s", *err ? err : strerror(-ret));
		}
		if (v == AUTHZ_SELF)
			authz_filter_reply(&caller, cmd, resp);
		if (!strcmp(cmd, "ping"))
			json_object_set_new(resp, "caller", authz_caller_json(&caller));
		json_object_set_new(resp, "ok", json_true());
		return resp;
	}
	return proto_error("unknown command \"%.64s\"", cmd);
}

static int mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int api_open(struct daemon *d)
{
	const struct quell_config *c = &d->cfg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	struct api_server *s;
	struct group *gr;
	int ret;

	if (strlen(c->socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lfd = s->epfd = -1;
	snprintf(s->path, sizeof(s->path), "%s", c->socket_path);
	strcpy(sa.sun_path, c->socket_path);

	ret = mkdir_parent(c->socket_path);
	if (ret)
		goto fail;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0)
		goto fail_errno;
	/* a stale socket from a crashed daemon: only remove it if nobody answers */
	if (connect(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		ret = -EADDRINUSE;
		goto fail;
	}
	close(s->lfd);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0)
		goto fail_errno;
	unlink(c->socket_path);
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail_errno;
	if (*c->socket_group) {
		gr = getgrnam(c->socket_group);
		if (!gr) {
			log_warn("socket_group %s: no such group, keeping root", c->socket_group);
		} else if (chown(c->socket_path, 0, gr->gr_gid) < 0) {
			log_warn("chown %s: %m", c->socket_path);
		}
	}
	if (chmod(c->socket_path, c->socket_mode) < 0)
		goto fail_errno;
	if (listen(s->lfd, 256) < 0)
		goto fail_errno;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		goto fail_errno;
	ev.data.u64 = API_TAG_LISTEN;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) < 0)
		goto fail_errno;
	d->api = s;
	return 0;

fail_errno:
	ret = -errno;
fail:
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s);
	return ret;
}

int api_epoll_fd(const struct daemon *d)
{
	return d->api ? d->api->epfd : -1;
}

static void client_close(struct api_server *s, int i)
{
	if (!s->c[i])
		return;
	close(s->c[i]->fd);
	free(s->c[i]);
	s->c[i] = NULL;
	if (s->paused) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = API_TAG_LISTEN };

		if (!epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev))
			s->paused = false;
	}
}

static void client_reply(struct api_server *s, int i, json_t *resp)
{
	int fd = s->c[i]->fd, fl = fcntl(fd, F_GETFL);

	/*
	 * A snapshot of thousands of tenants is megabytes: write it blocking,
	 * bounded by SO_SNDTIMEO (set at accept), so a client that stopped
	 * reading is dropped after 2 s instead of stalling the tick forever.
	 */
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	if (proto_send(fd, resp) < 0)
		client_close(s, i);
	else
		fcntl(fd, F_SETFL, fl);
	json_decref(resp);
}

static void client_line(struct daemon *d, struct api_server *s, int i, char *line, size_t len)
{
	struct ucred peer = { .uid = (uid_t)-1, .gid = (gid_t)-1 };
	socklen_t pl = sizeof(peer);
	json_error_t jerr;
	json_t *req;

	if (len == 0)
		return;
	/* who connected (kernel-filled at connect(): cannot be forged); unknown -> ping only */
	if (getsockopt(s->c[i]->fd, SOL_SOCKET, SO_PEERCRED, &peer, &pl) < 0)
		peer.uid = (uid_t)-1;
	req = json_loadb(line, len, 0, &jerr);
	if (!req) {
		client_reply(s, i, proto_error("invalid JSON: %s", jerr.text));
		return;
	}
	client_reply(s, i, api_dispatch(d, &peer, req));
	json_decref(req);
}

static void client_read(struct daemon *d, struct api_server *s, int i)
{
	struct api_client *c = s->c[i];
	ssize_t n;
	char *nl;

	n = read(c->fd, c->buf + c->len, PROTO_MAX_LINE - c->len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_close(s, i);
		return;
	}
	if (n < 0)
		return;
	c->len += (size_t)n;
	while (s->c[i] && (nl = memchr(c->buf, '\n', c->len))) {
		size_t ll = (size_t)(nl - c->buf);

		if (c->discarding)
			c->discarding = false;
		else
			client_line(d, s, i, c->buf, ll);
		if (!s->c[i])
			return;
		memmove(c->buf, nl + 1, c->len - ll - 1);
		c->len -= ll + 1;
	}
	if (c->len == PROTO_MAX_LINE) {
		/* no newline in PROTO_MAX_LINE bytes: refuse once, skip to the next newline */
		if (!c->discarding)
			client_reply(s, i, proto_error("request longer than %d bytes", PROTO_MAX_LINE));
		if (s->c[i]) {
			s->c[i]->discarding = true;
			s->c[i]->len = 0;
		}
	}
}

static void client_accept(struct api_server *s)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct timeval tmo = { .tv_sec = 2 };
	int fd, i;

	for (;;) {
		for (i = 0; i < API_MAX_CLIENTS && s->c[i]; i++)
			;
		if (i == API_MAX_CLIENTS) {
			/*
			 * Full: stop accepting until a client leaves (client_close)
			 * instead of hanging up on the newcomer; it waits in the
			 * listen backlog. 100 parallel `quellctl status` all get an
			 * answer this way (t_robust_signals).
			 */
			if (!epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL)) {
				s->paused = true;
				log_debug("api: %d clients connected, the next wait", API_MAX_CLIENTS);
			}
			return;
		}
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		s->c[i] = calloc(1, sizeof(*s->c[i]));
		if (!s->c[i]) {
			close(fd);
			continue;
		}
		s->c[i]->fd = fd;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
		ev.data.u64 = API_TAG_CLIENT | (uint64_t)i;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			client_close(s, i);
	}
}

void api_process(struct daemon *d)
{
	struct api_server *s = d->api;
	struct epoll_event evs[16];
	int n;

	if (!s)
		return;
	n = epoll_wait(s->epfd, evs, 16, 0);
	for (int k = 0; k < n; k++) {
		uint64_t tag = evs[k].data.u64;

		if (tag == API_TAG_LISTEN) {
			client_accept(s);
		} else {
			int i = (int)(tag & 0xffff);

			if (i < API_MAX_CLIENTS && s->c[i])
				client_read(d, s, i);
		}
	}
}

void api_close(struct daemon *d)
{
	struct api_server *s = d->api;

	if (!s)
		return;
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		client_close(s, i);
	close(s->lfd);
	close(s->epfd);
	unlink(s->path);
	free(s);
	d->api = NULL;
}
