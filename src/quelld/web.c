// SPDX-License-Identifier: GPL-2.0-only
/*
 * web.c - the read-only web view (src/quelld/web.h, docs/web.md): the page
 * (src/quelld/web/index.html, app.js, embedded at build time), JSON
 * endpoints that are the socket's read commands, and graph PNGs. The link
 * credentials of the customer view are web_link.c; the socket commands
 * "web_link" and "table" are api_web.c.
 *
 * The page and its script are compiled into quelld (xxd -i, Makefile)
 * rather than installed under /usr/share: they always match the daemon's
 * protocol, there is no path to configure or get wrong, and build/quelld
 * serves them from the tree in the tests. They hold no data, so they are
 * served without credentials; every byte of data comes from /api/.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "api.h"
#include "api_cmds.h"
#include "daemon.h"
#include "history.h"
#include "http_auth.h"
#include "log.h"
#include "proto.h"
#include "tenant_name.h"
#include "web.h"
#include "web_assets.h"		/* generated: index_html, app_js (Makefile) */

#define WEB_QUEUE_MAX	64	/* = the listener's connection limit: one job each at most */
#define WEB_BUDGET_MS	20	/* loop time per wake-up, as the socket's API_BUDGET_MS */
#define WEB_MAX_ARGS	8

/* ---------------------------------------------------------- requests */

bool web_cmd_allowed(const char *cmd)
{
	const struct api_cmd *c = api_cmds_find(cmd);	/* the "web" column of api_cmds.c */

	return c && c->web;
}

json_t *web_request_build(const char *cmd, const char *const *keys, const char *const *vals,
			  int n)
{
	json_t *req;

	if (!web_cmd_allowed(cmd))
		return NULL;
	req = json_pack("{s:s}", "cmd", cmd);
	for (int i = 0; req && i < n; i++) {
		const char *v = vals[i] ? vals[i] : "";
		size_t l = strlen(v);
		json_t *jv;

		if (!keys[i] || !strcmp(keys[i], "cmd"))
			continue;
		if (l && l <= 15 && strspn(v, "0123456789") == l)
			jv = json_integer(strtoll(v, NULL, 10));
		else if (!strcmp(v, "true") || !strcmp(v, "false"))
			jv = json_boolean(v[0] == 't');
		else
			jv = json_string(v);
		if (!jv || json_object_set_new(req, keys[i], jv)) {
			json_decref(req);
			return NULL;
		}
	}
	return req;
}

unsigned int web_http_status(const json_t *resp)
{
	const char *code, *err;

	if (json_is_true(json_object_get(resp, "ok")))
		return 200;
	code = json_string_value(json_object_get(resp, "code"));
	if (code && !strcmp(code, "permission_denied"))
		return 403;
	err = json_string_value(json_object_get(resp, "error"));
	if (err && !strncmp(err, "unknown command", 15))
		return 404;
	return 400;
}

int64_t web_range_seconds(const char *range)
{
	if (!range)
		return 0;
	if (!strcmp(range, "1h"))
		return 3600;
	if (!strcmp(range, "1d"))
		return 86400;
	if (!strcmp(range, "30d"))
		return 30 * 86400;
	return 0;
}

/* ---------------------------------------------------------- the server */

struct web_job {
	struct web_job *next;
	struct MHD_Connection *conn;
	struct authz_caller caller;
	json_t *req;
	bool done;
	unsigned int status;
	char *body;		/* reply, malloc()ed; handed to microhttpd */
};

/* 0 with the secret, creating the file (0600, 32 random bytes) when missing. */
static int secret_load(const char *path, uint8_t *key)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		if (getrandom(key, WEB_SECRET_LEN, 0) != WEB_SECRET_LEN)
			return -EIO;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return -errno;
		n = write(fd, key, WEB_SECRET_LEN);
		if (n != WEB_SECRET_LEN || fsync(fd)) {
			close(fd);
			unlink(path);
			return -EIO;
		}
		close(fd);
		log_info("web: new link secret in %s", path);
		return 0;
	}
	if (fd < 0)
		return -errno;
	/* whoever reads it can sign a link for any tenant */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (st.st_mode & 0077) || st.st_uid != 0) {
		close(fd);
		return -EPERM;
	}
	n = read(fd, key, WEB_SECRET_LEN);
	close(fd);
	return n == WEB_SECRET_LEN ? 0 : -EINVAL;
}

int web_start(struct daemon *d)
{
	struct web *w;
	int ret;

	if (!d->cfg.web)
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	ret = secret_load(d->cfg.web_secret_file, w->secret);
	if (ret) {
		log_err("web: secret_file %s: %s", d->cfg.web_secret_file,
			ret == -EPERM ? "not a regular file owned by root with mode 0600" :
			ret == -EINVAL ? "shorter than 32 bytes" : strerror(-ret));
		free(w);
		return ret;
	}
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		ret = -errno;
		free(w);
		return ret;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->graph_lock, NULL);
	snprintf(w->token_file, sizeof(w->token_file), "%s", d->cfg.web_token_file);
	snprintf(w->rrd_dir, sizeof(w->rrd_dir), "%s", d->cfg.rrd_dir);
	snprintf(w->events_path, sizeof(w->events_path), "%s", d->cfg.events_path);
	if (!w->token_file[0])
		log_info("web: [web] token_file is not set: no admin view, customer links only");
	d->web = w;
	return 0;
}

/* answer job with a short error; caller holds nothing */
static void job_fail(struct web_job *j, unsigned int status, const char *msg)
{
	json_t *r = proto_error("%s", msg);

	j->body = r ? json_dumps(r, JSON_COMPACT) : NULL;
	json_decref(r);
	j->status = status;
	j->done = true;
}

void web_quiesce(struct daemon *d)
{
	struct web *w = d->web;
	struct web_job *j, *next;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	j = w->head;
	w->head = w->tail = NULL;
	w->queued = 0;
	pthread_mutex_unlock(&w->lock);
	/* suspended connections must be resumed before microhttpd stops */
	for (; j; j = next) {
		next = j->next;
		job_fail(j, 503, "quelld is stopping");
		MHD_resume_connection(j->conn);
	}
}

void web_stop(struct daemon *d)
{
	struct web *w = d->web;

	if (!w)
		return;
	close(w->efd);
	pthread_mutex_destroy(&w->lock);
	pthread_mutex_destroy(&w->graph_lock);
	explicit_bzero(w->secret, sizeof(w->secret));
	free(w->table_body);
	free(w);
	d->web = NULL;
}

int web_event_fd(const struct daemon *d)
{
	return d->web ? d->web->efd : -1;
}

void web_process(struct daemon *d)
{
	struct web *w = d->web;
	uint64_t v, t0 = clock_mono_ns(), t1, t2;
	struct web_job *j;
	json_t *resp;
	size_t blen = 0;

	if (!w)
		return;
	if (read(w->efd, &v, sizeof(v)) < 0)
		v = 0;
	for (;;) {
		if (clock_mono_ns() - t0 >= (uint64_t)WEB_BUDGET_MS * 1000000) {
			/* the rest at the next wake-up: the tick goes first */
			v = 1;
			if (write(w->efd, &v, sizeof(v)) < 0)
				log_debug("web: eventfd: %m");
			return;
		}
		pthread_mutex_lock(&w->lock);
		j = w->head;
		if (j) {
			w->head = j->next;
			if (!w->head)
				w->tail = NULL;
			w->queued--;
		}
		pthread_mutex_unlock(&w->lock);
		if (!j)
			return;
		if (j->caller.cls == AUTHZ_TENANT) {
			/* the HTTP thread knows the name only; the registry knows the uid */
			const struct tenant *t = registry_by_name(&d->reg, j->caller.tenant);

			j->caller.uid = t ? t->uid : UINT32_MAX;
		}
		t1 = clock_mono_ns();
		if (j->caller.cls != AUTHZ_TENANT && json_object_size(j->req) == 1 &&
		    !strcmp(json_string_value(json_object_get(j->req, "cmd")), "table") &&
		    w->table_body && w->table_tick == d->tick_no) {
			/* nothing changed since the last tick: the same bytes */
			j->body = strdup(w->table_body);
			j->status = 200;
			if (j->body)
				goto done;
		}
		resp = api_dispatch_as(d, &j->caller, j->req);
		t2 = clock_mono_ns();
		j->status = web_http_status(resp);
		/* a snapshot's rows come pre-encoded (api_core.c): spliced in here */
		j->body = resp ? api_reply_text(d, resp, &blen) : NULL;
		json_decref(resp);
		log_debug("web: %s: handler %.1f ms, dump %.1f ms (%zu bytes)",
			  json_string_value(json_object_get(j->req, "cmd")), (t2 - t1) / 1e6,
			  (clock_mono_ns() - t2) / 1e6, j->body ? strlen(j->body) : 0);
		if (j->body && j->status == 200 && j->caller.cls != AUTHZ_TENANT &&
		    json_object_size(j->req) == 1 &&
		    !strcmp(json_string_value(json_object_get(j->req, "cmd")), "table")) {
			free(w->table_body);
			w->table_body = strdup(j->body);
			w->table_tick = d->tick_no;
		}
done:
		if (!j->body)
			job_fail(j, 500, "out of memory");
		j->done = true;
		w->served++;
		MHD_resume_connection(j->conn);
	}
}

/* ------------------------------------------------ microhttpd's thread */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type,
			     const void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	/* nothing from elsewhere: no framework, no CDN, no inline script */
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; script-src 'self'; connect-src 'self'; "
				"img-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
				"frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"quell\"");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_json_error(struct MHD_Connection *c, unsigned int status,
					const char *msg)
{
	json_t *r = proto_error("%s", msg);
	char *s = r ? json_dumps(r, JSON_COMPACT) : NULL;

	json_decref(r);
	if (!s)
		return MHD_NO;
	return reply(c, status, "application/json", s, strlen(s), MHD_RESPMEM_MUST_FREE);
}

/*
 * Who is asking: the admin token (a readonly caller: the web view acts on
 * nothing), or a tenant's link. 0, or -EACCES / -EKEYEXPIRED.
 */
static int web_auth(struct web *w, struct MHD_Connection *c, struct authz_caller *out)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	char token[HTTP_TOKEN_MAX];
	const char *cred;
	int ret;

	memset(out, 0, sizeof(*out));
	out->uid = UINT32_MAX;
	if (!h || strncasecmp(h, "Bearer ", 7))
		return -EACCES;
	/* the token file is read per request, as /metrics does: rotation needs no restart */
	if (w->token_file[0] && !http_auth_read_token(w->token_file, token, sizeof(token)) &&
	    !http_auth_check(h, token)) {
		explicit_bzero(token, sizeof(token));
		out->cls = AUTHZ_READONLY;
		return 0;
	}
	explicit_bzero(token, sizeof(token));
	for (cred = h + 7; *cred == ' '; cred++)
		;
	ret = web_link_verify(w->secret, sizeof(w->secret), cred, (int64_t)time(NULL),
			      out->tenant, sizeof(out->tenant));
	if (ret)
		return ret == -EKEYEXPIRED ? ret : -EACCES;
	out->cls = AUTHZ_TENANT;
	return 0;
}

struct arg_list {
	const char *k[WEB_MAX_ARGS], *v[WEB_MAX_ARGS];
	int n;
	bool over;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct arg_list *a = cls;

	if (a->n == WEB_MAX_ARGS) {
		a->over = true;
		return MHD_NO;
	}
	a->k[a->n] = key;
	a->v[a->n++] = value;
	return MHD_YES;
}

/* GET /api/graph?tenant=N&range=1h|1d|30d&metric=cpu: a PNG, as `quellctl graph` draws it */
static enum MHD_Result serve_graph(struct web *w, struct MHD_Connection *c,
				   const struct authz_caller *caller)
{
	const char *tenant = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "tenant");
	const char *range = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "range");
	const char *metric = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "metric");
	struct hist_graph_opts g = { 0 };
	struct hist_event *ev = NULL;
	char err[1024], out[64];
	int64_t span = web_range_seconds(range ? range : "1d");
	struct stat st;
	char *png;
	int fd, ret, nev = 0;

	if (caller->cls == AUTHZ_TENANT && !tenant)
		tenant = caller->tenant;
	/* the same decision as the socket's "history" of that tenant */
	if (!tenant || authz_decide(caller, "history", tenant) == AUTHZ_DENY)
		return reply_json_error(c, tenant ? 403 : 400, tenant ?
					"permission denied: a link shows its own tenant only" :
					"missing \"tenant\"");
	if (!tenant_name_ok(tenant) || !span ||
	    hist_metric_parse(metric ? metric : "cpu", &g.metric))
		return reply_json_error(c, 400, "want tenant=NAME, range=1h|1d|30d, "
					"metric=cpu|mem|io|iops|inflicted|suffered|faults|nproc");
	g.end = (int64_t)time(NULL);
	g.start = g.end - span;
	g.dir = w->rrd_dir;
	g.tenant = tenant;
	g.width = 700;
	g.height = 180;
	/* rrd_graph writes a path: a memfd's, so nothing lands on disk */
	fd = memfd_create("quell-graph", MFD_CLOEXEC);
	if (fd < 0)
		return reply_json_error(c, 500, "memfd_create failed");
	snprintf(out, sizeof(out), "/proc/self/fd/%d", fd);
	g.out = out;
	if (hist_events_load(w->events_path, tenant, g.start, g.end, &ev, &nev))
		nev = 0;
	g.ev = ev;
	g.nev = nev;
	pthread_mutex_lock(&w->graph_lock);
	ret = hist_graph(&g, err, sizeof(err));
	pthread_mutex_unlock(&w->graph_lock);
	free(ev);
	if (ret) {
		close(fd);
		return reply_json_error(c, ret == -ENOENT ? 404 : 500,
					ret == -ENOENT ? "no history yet for this tenant" : err);
	}
	if (fstat(fd, &st) || st.st_size <= 0 || st.st_size > (64 << 20)) {
		close(fd);
		return reply_json_error(c, 500, "graph: empty output");
	}
	png = malloc((size_t)st.st_size);
	if (!png || pread(fd, png, (size_t)st.st_size, 0) != st.st_size) {
		free(png);
		close(fd);
		return reply_json_error(c, 500, "graph: read failed");
	}
	close(fd);
	return reply(c, 200, "image/png", png, (size_t)st.st_size, MHD_RESPMEM_MUST_FREE);
}

void web_request_done(void *con_cls)
{
	struct web_job *j = con_cls;

	if (!j)
		return;
	json_decref(j->req);
	free(j->body);
	free(j);
}

int web_handle(struct web *w, struct MHD_Connection *c, const char *url, void **con_cls,
	       int *ret)
{
	struct web_job *j = *con_cls;
	struct authz_caller caller;
	struct arg_list args = { .n = 0 };
	const char *cmd;
	int a;

	if (!w)
		return 0;
	if (j) {
		/* resumed: the loop has answered */
		char *body = j->body;

		j->body = NULL;
		*ret = body ? reply(c, j->status, "application/json", body, strlen(body),
				    MHD_RESPMEM_MUST_FREE) : MHD_NO;
		return 1;
	}
	if (!strcmp(url, "/")) {
		static const char home[] =
			"<!doctype html><meta http-equiv=\"refresh\" content=\"0; url=/web/\">"
			"<a href=\"/web/\">quell web view</a> &middot; "
			"<a href=\"/metrics\">/metrics</a>\n";

		*ret = reply(c, 200, "text/html; charset=utf-8", home, sizeof(home) - 1,
			     MHD_RESPMEM_PERSISTENT);
		return 1;
	}
	if (!strcmp(url, "/web/") || !strcmp(url, "/web/index.html")) {
		*ret = reply(c, 200, "text/html; charset=utf-8", index_html, index_html_len,
			     MHD_RESPMEM_PERSISTENT);
		return 1;
	}
	if (!strcmp(url, "/web/app.js")) {
		*ret = reply(c, 200, "text/javascript; charset=utf-8", app_js, app_js_len,
			     MHD_RESPMEM_PERSISTENT);
		return 1;
	}
	if (!strcmp(url, "/web")) {
		*ret = reply(c, 404, "text/plain", "try /web/\n", 10, MHD_RESPMEM_PERSISTENT);
		return 1;
	}
	if (strncmp(url, "/api/", 5))
		return 0;

	cmd = url + 5;
	a = web_auth(w, c, &caller);
	if (a) {
		*ret = reply_json_error(c, 401, a == -EKEYEXPIRED ?
					"this link has expired: ask for a new one "
					"(quellctl web-link)" :
					"unauthorized: send \"Authorization: Bearer <token>\" with the "
					"[web] token_file token or a link from quellctl web-link");
		return 1;
	}
	if (!strcmp(cmd, "graph")) {
		*ret = serve_graph(w, c, &caller);
		return 1;
	}
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &args);
	if (args.over) {
		*ret = reply_json_error(c, 400, "too many query arguments");
		return 1;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		*ret = MHD_NO;
		return 1;
	}
	j->req = web_request_build(cmd, args.k, args.v, args.n);
	if (!j->req) {
		free(j);
		*ret = reply_json_error(c, web_cmd_allowed(cmd) ? 500 : 404,
					"unknown command: the web view serves ping, status, "
					"snapshot, table, tenants, tenant, limits, events, "
					"history, graph");
		return 1;
	}
	j->conn = c;
	j->caller = caller;
	/* suspend first: the loop may answer and resume before this function returns */
	pthread_mutex_lock(&w->lock);
	if (w->stopping || w->queued >= WEB_QUEUE_MAX) {
		bool stopping = w->stopping;

		pthread_mutex_unlock(&w->lock);
		web_request_done(j);
		*ret = reply_json_error(c, 503, stopping ? "quelld is stopping" :
					"too many web requests waiting; try again");
		return 1;
	}
	MHD_suspend_connection(c);
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->queued++;
	*con_cls = j;
	pthread_mutex_unlock(&w->lock);
	{
		uint64_t one = 1;

		if (write(w->efd, &one, sizeof(one)) < 0)
			log_debug("web: eventfd: %m");
	}
	*ret = MHD_YES;
	return 1;
}
