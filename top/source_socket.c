// SPDX-License-Identifier: GPL-2.0-only
/*
 * source_socket.c - the live top_source: quelld's socket API.
 *
 * The connection is opened lazily and dropped on any transport error, so
 * a restarted daemon is picked up by the next refresh; a call that fails on
 * a connection that used to work is retried once on a fresh one (the old
 * one died with the previous daemon). Replies are bounded by SO_RCVTIMEO so
 * a hung daemon cannot freeze the screen.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "source.h"

#define SOCK_TIMEOUT_S	5

struct sock_priv {
	char path[108];
	int fd;
};

static void sock_drop(struct sock_priv *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static int sock_ensure(struct sock_priv *p)
{
	struct timeval tv = { .tv_sec = SOCK_TIMEOUT_S };
	int fd;

	if (p->fd >= 0)
		return 0;
	fd = proto_connect(p->path);
	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	p->fd = fd;
	return 0;
}

/*
 * One request; req is stolen. Returns 0 with *resp, -EREMOTEIO with the
 * daemon's message in err, -EACCES (message in err) when the daemon refused
 * this user, -errno on transport errors (connection dropped).
 */
static int sock_call(struct sock_priv *p, json_t *req, json_t **resp, char *err, size_t len)
{
	bool fresh = p->fd < 0;
	int ret;

	*resp = NULL;
	if (!req)
		return -ENOMEM;
	for (int attempt = 0; attempt < 2; attempt++) {
		ret = sock_ensure(p);
		if (ret) {
			snprintf(err, len, "connect %s: %s", p->path, strerror(-ret));
			break;
		}
		json_incref(req);
		ret = proto_call(p->fd, req, resp, err, len);
		if (!ret || ret == -EREMOTEIO || ret == -EACCES)
			break;
		sock_drop(p);
		if (fresh)
			break;
		fresh = true;
	}
	json_decref(req);
	return ret;
}

static int tview_one(json_t *j, void *out)
{
	return proto_tview_from_json(j, out);
}

static int pview_one(json_t *j, void *out)
{
	return proto_pview_from_json(j, out);
}

/*
 * The elements of arr (none when it is not an array) decoded by one() into
 * a calloc'd array of *cnt items of size bytes, *out (NULL when none).
 * Returns 0, -ENOMEM, or one()'s error (nothing kept).
 */
static int decode_each(json_t *arr, size_t size, int (*one)(json_t *j, void *out), void **out,
		       size_t *cnt)
{
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
	char *v = NULL;
	int ret;

	*out = NULL;
	*cnt = 0;
	if (n && !(v = calloc(n, size)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ret = one(json_array_get(arr, i), v + i * size);
		if (ret) {
			free(v);
			return ret;
		}
	}
	*out = v;
	*cnt = n;
	return 0;
}

static int sock_fetch(struct top_source *s, struct hview *h, struct tview **tv, int *n,
		      char *when, size_t len)
{
	struct sock_priv *p = s->priv;
	json_t *resp, *arr;
	void *out;
	char err[256];
	time_t now = time(NULL);
	struct tm tm;
	size_t cnt;
	int ret;

	*tv = NULL;
	*n = 0;
	if (when && len && localtime_r(&now, &tm))
		strftime(when, len, "%H:%M:%S live", &tm);
	ret = sock_call(p, json_pack("{s:s}", "cmd", "snapshot"), &resp, err, sizeof(err));
	if (ret)
		return ret;
	ret = proto_hview_from_json(json_object_get(resp, "host"), h);
	if (ret)
		goto out;
	arr = json_object_get(resp, "tenants");
	if (!json_is_array(arr)) {
		ret = -EBADMSG;
		goto out;
	}
	ret = decode_each(arr, sizeof(**tv), tview_one, &out, &cnt);
	if (ret)
		goto out;
	*tv = out;
	*n = (int)cnt;
out:
	json_decref(resp);
	return ret;
}

static int sock_detail(struct top_source *s, const char *tenant, struct pview **pv, int *np,
		       json_t **limits_events)
{
	struct sock_priv *p = s->priv;
	json_t *resp, *t, *le;
	void *out;
	char err[256];
	size_t cnt;
	int ret;

	*pv = NULL;
	*np = 0;
	*limits_events = NULL;
	ret = sock_call(p, json_pack("{s:s,s:s}", "cmd", "tenant", "name", tenant), &resp,
			err, sizeof(err));
	if (ret)
		return ret == -EREMOTEIO ? -ENOENT : ret;
	t = json_object_get(resp, "tenant");
	if (!json_is_object(t))
		t = resp;
	ret = decode_each(json_object_get(t, "procs"), sizeof(**pv), pview_one, &out, &cnt);
	if (ret)
		goto out;
	le = json_object();
	if (le) {
		json_t *v = json_object_get(t, "limits");

		if (v)
			json_object_set(le, "limits", v);
		v = json_object_get(t, "events");
		if (v) {
			json_object_set(le, "events", v);
		} else {
			/* the policy engine keeps events apart: ask; an old daemon may not know */
			json_t *er;

			if (!sock_call(p, json_pack("{s:s,s:s,s:i}", "cmd", "events", "tenant",
						    tenant, "limit", 20), &er, err, sizeof(err)))
				json_object_set(le, "events", json_object_get(er, "events"));
			json_decref(er);
		}
	}
	*limits_events = le;
	*pv = out;
	*np = (int)cnt;
out:
	json_decref(resp);
	return ret;
}

static int sock_action(struct top_source *s, const char *cmd, const char *tenant, char *err,
		       size_t len)
{
	struct sock_priv *p = s->priv;
	json_t *resp;
	int ret;

	if (strcmp(cmd, "throttle") && strcmp(cmd, "release") && strcmp(cmd, "kill") &&
	    strcmp(cmd, "freeze")) {
		snprintf(err, len, "unknown action %s", cmd);
		return -EINVAL;
	}
	ret = sock_call(p, json_pack("{s:s,s:s}", "cmd", cmd, "name", tenant), &resp, err, len);
	json_decref(resp);
	return ret;
}

static int sock_step(struct top_source *s, int dir)
{
	return -ENOTSUP;
}

static void sock_close(struct top_source *s)
{
	struct sock_priv *p = s->priv;

	if (p) {
		sock_drop(p);
		free(p);
	}
	s->priv = NULL;
}

static const struct top_source_ops sock_ops = {
	.fetch = sock_fetch,
	.detail = sock_detail,
	.action = sock_action,
	.step = sock_step,
	.close = sock_close,
};

int top_source_socket_open(const char *sock_path, struct top_source *out)
{
	struct sock_priv *p;

	if (!sock_path || !sock_path[0])
		return -EINVAL;
	if (strlen(sock_path) >= sizeof(p->path))
		return -ENAMETOOLONG;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(p->path, sizeof(p->path), "%s", sock_path);
	p->fd = -1;
	out->ops = &sock_ops;
	out->priv = p;
	return 0;
}
