// SPDX-License-Identifier: GPL-2.0-only
/* test_proto.c - socket API framing, client call, decoders and encoders (round trips). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "proto.h"
#include "api_encode.h"
#include "tenant.h"

struct writer {
	int fd;
	const char *buf;
	size_t len;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	size_t off = 0;

	while (off < w->len) {
		ssize_t n = write(w->fd, w->buf + off, w->len - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	return NULL;
}

/* Write buf into fd from a thread (it may be bigger than the socket buffer). */
static pthread_t spawn_writer(struct writer *w, int fd, const char *buf, size_t len)
{
	pthread_t th;

	w->fd = fd;
	w->buf = buf;
	w->len = len;
	assert_int_equal(pthread_create(&th, NULL, writer_fn, w), 0);
	return th;
}

/* A socket pair a thread fills with a buffer; the test reads the other end, fd. */
struct feed {
	struct writer w;
	pthread_t th;
	int sv[2];
	int fd;
};

static void feed_start(struct feed *f, const char *buf, size_t len)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, f->sv), 0);
	f->th = spawn_writer(&f->w, f->sv[0], buf, len);
	f->fd = f->sv[1];
}

static void feed_end(struct feed *f)
{
	pthread_join(f->th, NULL);
	close(f->sv[0]);
	close(f->sv[1]);
}

/* head, big bytes of c, tail: one long line (caller frees; *len its length) */
static char *padded(const char *head, char c, size_t big, const char *tail, size_t *len)
{
	size_t h = strlen(head), t = strlen(tail);
	char *buf = malloc(h + big + t + 1);

	assert_non_null(buf);
	memcpy(buf, head, h);
	memset(buf + h, c, big);
	memcpy(buf + h + big, tail, t + 1);
	*len = h + big + t;
	return buf;
}

static void test_send_recv(void **state)
{
	int sv[2];
	json_t *m, *r = NULL;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	m = json_pack("{s:s,s:s}", "cmd", "tenant", "name", "line\nbreak");
	assert_int_equal(proto_send(sv[0], m), 0);
	assert_int_equal(proto_send(sv[0], m), 0);
	json_decref(m);
	/* two messages in the socket: each recv takes exactly one */
	assert_int_equal(proto_recv(sv[1], &r), 0);
	assert_string_equal(json_string_value(json_object_get(r, "name")), "line\nbreak");
	json_decref(r);
	assert_int_equal(proto_recv(sv[1], &r), 0);
	assert_string_equal(json_string_value(json_object_get(r, "cmd")), "tenant");
	json_decref(r);
	/* non-objects are refused on send */
	m = json_array();
	assert_int_equal(proto_send(sv[0], m), -EINVAL);
	json_decref(m);
	close(sv[0]);
	assert_int_equal(proto_recv(sv[1], &r), -EPIPE);
	assert_null(r);
	close(sv[1]);
}

static void test_bad_lines(void **state)
{
	static const char input[] = "{\"cmd\": \n[1,2,3]\n\"str\"\n\n{\"cmd\":\"ping\"}\n{\"cut";
	int sv[2];
	json_t *r = NULL;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], input, sizeof(input) - 1), (ssize_t)sizeof(input) - 1);
	close(sv[0]);
	assert_int_equal(proto_recv(sv[1], &r), -EBADMSG);	/* invalid JSON */
	assert_int_equal(proto_recv(sv[1], &r), -EBADMSG);	/* array */
	assert_int_equal(proto_recv(sv[1], &r), -EBADMSG);	/* string */
	assert_int_equal(proto_recv(sv[1], &r), -EBADMSG);	/* empty line */
	assert_int_equal(proto_recv(sv[1], &r), 0);		/* and the stream goes on */
	assert_string_equal(json_string_value(json_object_get(r, "cmd")), "ping");
	json_decref(r);
	assert_int_equal(proto_recv(sv[1], &r), -EPIPE);	/* EOF mid-line */
	close(sv[1]);
}

/* A line over PROTO_MAX_LINE: -EMSGSIZE, its rest discarded, the next line intact. */
static void test_oversized(void **state)
{
	size_t n;
	char *buf = padded("{\"cmd\":\"", 'a', PROTO_MAX_LINE + 5000,
			   "\"}\n{\"cmd\":\"status\"}\n", &n);
	struct feed f;
	json_t *r = NULL;

	feed_start(&f, buf, n);
	assert_int_equal(proto_recv(f.fd, &r), -EMSGSIZE);
	assert_null(r);
	assert_int_equal(proto_recv(f.fd, &r), 0);
	assert_string_equal(json_string_value(json_object_get(r, "cmd")), "status");
	json_decref(r);
	feed_end(&f);
	free(buf);
}

/* The limit is exact: PROTO_MAX_LINE bytes before '\n' pass, one more does not. */
static void test_limit_boundary(void **state)
{
	size_t n = PROTO_MAX_LINE;
	char *buf = malloc(2 * n + 16);
	struct feed f;
	json_t *r = NULL;

	assert_non_null(buf);
	/* {"a":"xxxx...x"} of exactly n bytes, then the same with one more x */
	memcpy(buf, "{\"a\":\"", 6);
	memset(buf + 6, 'x', n - 8);
	memcpy(buf + n - 2, "\"}\n", 3);
	memcpy(buf + n + 1, "{\"a\":\"", 6);
	memset(buf + n + 7, 'x', n - 7);
	memcpy(buf + 2 * n, "\"}\n", 3);
	feed_start(&f, buf, 2 * n + 3);
	assert_int_equal(proto_recv(f.fd, &r), 0);
	assert_int_equal(strlen(json_string_value(json_object_get(r, "a"))), n - 8);
	json_decref(r);
	assert_int_equal(proto_recv(f.fd, &r), -EMSGSIZE);
	feed_end(&f);
	free(buf);
}

/* Pipes are not sockets: the byte-at-a-time path. */
static void test_pipe(void **state)
{
	int p[2];
	json_t *r = NULL;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "{\"x\":1}\n{\"x\":2}\n", 16), 16);
	close(p[1]);
	assert_int_equal(proto_recv(p[0], &r), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "x")), 1);
	json_decref(r);
	assert_int_equal(proto_recv(p[0], &r), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "x")), 2);
	json_decref(r);
	assert_int_equal(proto_recv(p[0], &r), -EPIPE);
	close(p[0]);
}

static void test_call(void **state)
{
	static const char replies[] =
		"{\"ok\":true,\"pid\":42}\n"
		"{\"ok\":false,\"error\":\"no tenant \\\"zed\\\"\"}\n"
		"{\"pid\":1}\n"
		"{\"ok\":false}\n"
		"{\"ok\":false,\"error\":\"permission denied: x\",\"code\":\"permission_denied\"}\n"
		"{\"ok\":false,\"error\":\"y\",\"code\":\"other\"}\n";
	struct writer w;
	pthread_t th;
	char err[128];
	json_t *resp = NULL, *req;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	th = spawn_writer(&w, sv[0], replies, sizeof(replies) - 1);
	req = json_pack("{s:s}", "cmd", "ping");
	assert_int_equal(proto_call(sv[1], req, &resp, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(resp, "pid")), 42);
	json_decref(resp);
	req = json_pack("{s:s}", "cmd", "ping");
	assert_int_equal(proto_call(sv[1], req, &resp, err, sizeof(err)), -EREMOTEIO);
	assert_string_equal(err, "no tenant \"zed\"");
	assert_null(resp);
	req = json_pack("{s:s}", "cmd", "ping");
	assert_int_equal(proto_call(sv[1], req, &resp, err, sizeof(err)), -EBADMSG);
	req = json_pack("{s:s}", "cmd", "ping");
	assert_int_equal(proto_call(sv[1], req, &resp, err, sizeof(err)), -EREMOTEIO);
	assert_string_equal(err, "unknown error");
	req = json_pack("{s:s}", "cmd", "ping");
	assert_int_equal(proto_call(sv[1], req, &resp, err, sizeof(err)), -EACCES);
	assert_string_equal(err, "permission denied: x");
	assert_null(resp);
	req = json_pack("{s:s}", "cmd", "ping");
	assert_int_equal(proto_call(sv[1], req, &resp, err, sizeof(err)), -EREMOTEIO);
	pthread_join(th, NULL);
	close(sv[0]);
	req = json_pack("{s:s}", "cmd", "ping");
	assert_int_not_equal(proto_call(sv[1], req, &resp, err, sizeof(err)), 0);
	close(sv[1]);
}

static void test_connect_errors(void **state)
{
	char longpath[200];

	assert_int_equal(proto_connect("/nonexistent/quell.sock"), -ENOENT);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(proto_connect(longpath), -ENAMETOOLONG);
	assert_int_equal(proto_connect(""), -EINVAL);
}

static void fill_tenant(struct tenant *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "alice");
	t->uid = 1001;
	snprintf(t->cg, sizeof(t->cg), "quell/alice");
	t->state = TS_THROTTLED;
	snprintf(t->state_rule, sizeof(t->state_rule), "cpu_hog");
	t->pol.level = 1;
	qm_set(&t->cur, QM_CPU_NS, 123456789000ULL, QM_SRC_BPF);
	qm_set(&t->cur, QM_RQ_INFLICTED_NS, 5000000000ULL, QM_SRC_BPF);
	qm_set(&t->cur, QM_IO_WBYTES, 1ULL << 33, QM_SRC_CGROUP);
	qm_set(&t->cur, QM_CPU_THROTTLED, 17, QM_SRC_CGROUP);
	qm_set(&t->cur, QM_MEM_HIGH_EVENTS, 3, QM_SRC_CGROUP);
	qm_set(&t->cur, QM_OOM_KILLS, 1, QM_SRC_CGROUP);
	qm_set(&t->cur, QM_PIDS_MAX_EVENTS, 9, QM_SRC_CGROUP);
	qm_set(&t->cur, QM_MEM_BYTES, 512ULL << 20, QM_SRC_CGROUP);
	qm_set(&t->cur, QM_MEM_PEAK, 600ULL << 20, QM_SRC_CGROUP);
	qm_set(&t->cur, QM_NPROC, 12, QM_SRC_PROC);
	qm_set(&t->cur, QM_NTHREADS, 40, QM_SRC_PROC);
	t->view = (struct qm_view){
		.cpu_pct = 185.5, .inflicted_ms_s = 120.25, .suffered_ms_s = 2.5, .io_rbps = NAN,
		.io_wbps = 1048576, .iops = 300, .io_lat_ms = 1.75, .faults_s = 10, .forks_s = 0.5,
		.reclaim_ms_s = NAN, .psi_cpu_some = 12.5, .psi_mem_some = 0, .psi_io_some = NAN,
		.mem_bytes = 512.0 * (1 << 20), .nproc = 12,
	};
	limits_init(&t->lim);
	t->lim.cpu_pct = 100;
	t->lim.mem_max = 1ULL << 30;
	t->lim.set = LIM_CPU | LIM_MEM_MAX;
	limits_init(&t->dyn);
	t->dyn.cpu_pct = 50;	/* the policy engine's throttle wins */
	t->dyn.set = LIM_CPU;
}

/* Encode a literal tenant, send it over the wire as text, decode, compare. */
static void test_tenant_roundtrip(void **state)
{
	struct tenant *t = calloc(1, sizeof(*t));
	struct tview v;
	json_error_t jerr;
	json_t *j, *back;
	char *s;

	fill_tenant(t);
	j = proto_tenant_json(t);
	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT);
	back = json_loads(s, 0, &jerr);
	assert_non_null(back);
	assert_int_equal(proto_tview_from_json(back, &v), 0);

	assert_string_equal(v.name, "alice");
	assert_int_equal(v.uid, 1001);
	assert_string_equal(v.cgroup, "quell/alice");
	assert_string_equal(v.state, "throttled");
	assert_string_equal(v.rule, "cpu_hog");
	assert_true(v.offender);
	assert_true(v.counters[QM_CPU_NS] == 123456789000.0);
	assert_true(v.counters[QM_IO_WBYTES] == (double)(1ULL << 33));
	assert_true(isnan(v.counters[QM_CTXSW]));	/* not valid -> null -> NAN */
	assert_true(v.counters[QM_MEM_PEAK] == 600.0 * (1 << 20));
	assert_true(v.counters[QM_NTHREADS] == 40);
	assert_int_equal(v.src[QM_CPU_NS], 'b');
	assert_int_equal(v.src[QM_IO_WBYTES], 'c');
	assert_int_equal(v.src[QM_NPROC], 'p');
	assert_int_equal(v.src[QM_EXECS], '-');
	assert_true(v.v.cpu_pct == 185.5);
	assert_true(v.v.inflicted_ms_s == 120.25);
	assert_true(isnan(v.v.io_rbps));
	assert_true(v.v.io_wbps == 1048576);
	assert_true(v.v.iops == 300 && v.v.io_lat_ms == 1.75);
	assert_true(isnan(v.v.reclaim_ms_s) && isnan(v.v.psi_io_some));
	assert_true(v.v.psi_mem_some == 0);
	assert_true(v.v.mem_bytes == 512.0 * (1 << 20));
	assert_true(v.v.nproc == 12);
	assert_true(v.cpu_limit_pct == 50);	/* static 100% tightened to dynamic 50% */
	assert_true(v.mem_limit == (double)(1ULL << 30));
	assert_true(isinf(v.nproc_limit));	/* null = unlimited */
	assert_true(v.faults_cpu == 17);
	assert_true(v.faults_mem == 4);	/* high events + oom kills */
	assert_true(v.faults_pids == 9);
	assert_true(v.faults_io == 0);

	/* the wire form itself: NAN is null, limits null = unlimited */
	assert_true(json_is_null(json_object_get(json_object_get(back, "rates"), "io_rbps")));
	assert_true(json_is_null(json_object_get(json_object_get(back, "limits"), "nproc")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(back, "sources"), "cpu_ns")), "bpf");
	free(s);
	json_decref(j);
	json_decref(back);

	/* cgroup mode: no uid */
	t->uid = TENANT_UID_NONE;
	t->state = TS_OK;
	t->state_rule[0] = '\0';
	j = proto_tenant_json(t);
	assert_true(json_is_null(json_object_get(j, "uid")));
	assert_int_equal(proto_tview_from_json(j, &v), 0);
	assert_int_equal(v.uid, -1);
	assert_string_equal(v.state, "ok");
	assert_string_equal(v.rule, "");
	json_decref(j);
	free(t);
}


/* tview a client decodes from the jansson encoding of t */
static void tview_via_jansson(const struct tenant *t, struct tview *v)
{
	json_t *j = proto_tenant_json(t);

	assert_non_null(j);
	assert_int_equal(proto_tview_from_json(j, v), 0);
	json_decref(j);
}

static void assert_tview_equal(const struct tview *a, const struct tview *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->uid, b->uid);
	assert_string_equal(a->cgroup, b->cgroup);
	assert_string_equal(a->state, b->state);
	assert_string_equal(a->rule, b->rule);
	assert_int_equal(a->offender, b->offender);
	for (size_t i = 0; i < sizeof(a->v) / sizeof(double); i++) {
		double x = ((const double *)&a->v)[i], y = ((const double *)&b->v)[i];

		assert_true(isnan(x) ? isnan(y) : x == y);
	}
	for (int i = 0; i < QM_NR; i++)
		assert_true(isnan(a->counters[i]) ? isnan(b->counters[i]) :
			    a->counters[i] == b->counters[i]);
	assert_memory_equal(a->src, b->src, sizeof(a->src));
	assert_true(a->mem_limit == b->mem_limit);
	assert_true(a->cpu_limit_pct == b->cpu_limit_pct);
	assert_true(a->nproc_limit == b->nproc_limit);
	assert_true(a->faults_cpu == b->faults_cpu && a->faults_mem == b->faults_mem &&
		    a->faults_pids == b->faults_pids && a->faults_io == b->faults_io);
}

/*
 * The hand-written encoder writes the bytes jansson writes for the same
 * tenant (compact, insertion order), and the daemon's tview (its sort key)
 * is the one a client decodes.
 */
static void check_enc_same(const struct tenant *t)
{
	struct proto_buf b = { 0 };
	struct tview v1, v2;
	json_t *j = proto_tenant_json(t);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT);
	proto_tenant_enc(&b, t);
	assert_false(b.oom);
	assert_string_equal(b.p, s);
	tview_via_jansson(t, &v1);
	proto_tview_of_tenant(t, &v2);
	assert_tview_equal(&v1, &v2);
	free(s);
	json_decref(j);
	proto_buf_free(&b);
}

static void test_tenant_enc(void **state)
{
	struct tenant *t = calloc(1, sizeof(*t));

	fill_tenant(t);
	check_enc_same(t);
	/* reals jansson writes as "%.17g" (+ ".0"), negatives, big and tiny ones */
	t->view.cpu_pct = 0.1;
	t->view.suffered_ms_s = -0.0;
	t->view.io_wbps = 1e300;
	t->view.iops = 3e-9;
	t->view.io_lat_ms = -42;
	t->view.faults_s = 1e15;
	t->view.forks_s = 123456789012345.0;
	t->view.psi_mem_some = INFINITY;
	t->state_until = 1790000000;
	t->exempt = true;
	check_enc_same(t);
	/* escapes: quote, backslash, control characters, UTF-8 kept */
	snprintf(t->name, sizeof(t->name), "a\"b\\c\n\t\x01/\xc3\xa9\xe2\x82\xac");
	snprintf(t->cg, sizeof(t->cg), "p/\x1f\x7f");
	t->uid = TENANT_UID_NONE;
	t->state = TS_FROZEN;
	t->applied_valid = true;
	limits_init(&t->applied);
	t->applied.nproc = 100;
	check_enc_same(t);
	/* nothing valid at all */
	memset(&t->cur, 0, sizeof(t->cur));
	t->pol.level = 0;
	check_enc_same(t);
	free(t);
}

/* jansson refuses invalid UTF-8 (the old encoder lost the row); ours writes U+FFFD. */
static void test_tenant_enc_bad_utf8(void **state)
{
	struct tenant *t = calloc(1, sizeof(*t));
	struct proto_buf b = { 0 };
	json_error_t jerr;
	json_t *j;

	fill_tenant(t);
	snprintf(t->name, sizeof(t->name), "x\xff\xc3(\xed\xa0\x80y");
	proto_tenant_enc(&b, t);
	j = json_loadb(b.p, b.len, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "name")),
			    "x\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdy");
	json_decref(j);
	proto_buf_free(&b);
	free(t);
}

static void test_json_member(void **state)
{
	const char *s = "{ \"host\" : {\"a\":[1,{\"ok\":false}],\"s\":\"}\\\"]\"} , \"n\":-1.5e3,"
			"\"ok\":true,\"t\":[{},[]], \"z\" :null}";
	const char *v;
	size_t n;

	assert_int_equal(proto_json_member(s, strlen(s), "ok", &v, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(v, "true", 4);
	assert_int_equal(proto_json_member(s, strlen(s), "n", &v, &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(v, "-1.5e3", 6);
	assert_int_equal(proto_json_member(s, strlen(s), "host", &v, &n), 0);
	assert_int_equal(n, strlen("{\"a\":[1,{\"ok\":false}],\"s\":\"}\\\"]\"}"));
	assert_int_equal(proto_json_member(s, strlen(s), "t", &v, &n), 0);
	assert_memory_equal(v, "[{},[]]", n);
	assert_int_equal(proto_json_member(s, strlen(s), "z", &v, &n), 0);
	assert_memory_equal(v, "null", n);
	assert_int_equal(proto_json_member(s, strlen(s), "nope", &v, &n), -ENOENT);
	assert_int_equal(proto_json_member("{}", 2, "ok", &v, &n), -ENOENT);
	assert_int_equal(proto_json_member("[1]", 3, "ok", &v, &n), -EBADMSG);
	assert_int_equal(proto_json_member("{\"a\":\"x", 7, "ok", &v, &n), -EBADMSG);
	assert_int_equal(proto_json_member("{\"a\":[1", 7, "ok", &v, &n), -EBADMSG);
	assert_int_equal(proto_json_member("{\"a\" 1}", 7, "ok", &v, &n), -EBADMSG);
	/* a key inside a nested object is not a top-level one */
	assert_int_equal(proto_json_member("{\"a\":{\"ok\":true}}", 17, "ok", &v, &n), -ENOENT);
}

static void test_sort_index(void **state)
{
	struct tview t[4];
	int idx[4];

	memset(t, 0, sizeof(t));
	snprintf(t[0].name, sizeof(t[0].name), "d");
	snprintf(t[1].name, sizeof(t[1].name), "b");
	snprintf(t[2].name, sizeof(t[2].name), "c");
	snprintf(t[3].name, sizeof(t[3].name), "a");
	t[0].v.cpu_pct = 10;
	t[1].v.cpu_pct = NAN;
	t[2].v.cpu_pct = 50;
	t[3].v.cpu_pct = 10;
	proto_sort_index(t, 4, PROTO_SORT_CPU, false, idx);
	assert_int_equal(idx[0], 2);
	assert_int_equal(idx[1], 3);	/* tie: by name */
	assert_int_equal(idx[2], 0);
	assert_int_equal(idx[3], 1);	/* unknown last */
	proto_sort_index(t, 4, PROTO_SORT_CPU, true, idx);
	assert_int_equal(idx[0], 3);
	assert_int_equal(idx[1], 0);
	assert_int_equal(idx[2], 2);
	assert_int_equal(idx[3], 1);	/* unknown last, reversed too */
	proto_sort_index(t, 4, PROTO_SORT_NAME, false, idx);
	assert_int_equal(idx[0], 3);
	assert_int_equal(idx[3], 0);
	t[1].faults_cpu = 2;
	t[1].faults_io = 1;
	t[2].faults_mem = 2;
	proto_sort_index(t, 4, PROTO_SORT_FAULTS, false, idx);
	assert_int_equal(idx[0], 1);
	assert_int_equal(idx[1], 2);
	/* the daemon's rows give the client's order, for every key and direction */
	t[0].v.mem_bytes = 5;
	t[2].v.mem_bytes = 5;
	t[1].v.io_rbps = 7;
	t[3].v.io_wbps = 7;
	t[0].v.io_rbps = t[0].v.io_wbps = NAN;
	for (int s = 0; s < PROTO_SORT_NR; s++) {
		for (int r = 0; r < 2; r++) {
			struct proto_sort_row rows[4];
			int idx2[4];

			for (int i = 0; i < 4; i++)
				proto_sort_row_of(&t[i], &rows[i]);
			proto_sort_index(t, 4, (enum proto_sort)s, r, idx);
			proto_sort_rows(rows, 4, (enum proto_sort)s, r, idx2);
			assert_memory_equal(idx, idx2, sizeof(idx));
		}
	}
	enum proto_sort k;
	assert_int_equal(proto_sort_parse("iops", &k), 0);
	assert_int_equal(k, PROTO_SORT_IOPS);
	assert_string_equal(proto_sort_name(k), "iops");
	assert_int_equal(proto_sort_parse("bogus", &k), -EINVAL);
	assert_int_equal(proto_sort_parse(NULL, &k), -EINVAL);
}

/* proto_call_raw: an ok reply with the key comes back as text; others parsed as before. */
static void test_call_raw(void **state)
{
	static const char *const replies[] = {
		"{\"sorted\":{},\"ok\":true,\"tenants\":[{\"name\":\"x\"}]}\n",
		"{\"ok\":true,\"tenants\":[]}\n",
		"{\"sorted\":{},\"ok\":false,\"error\":\"nope\"}\n",
	};
	json_t *resp;
	char err[128], *line;
	size_t len;
	int sv[2];

	for (int i = 0; i < 3; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		assert_int_equal(write(sv[1], replies[i], strlen(replies[i])),
				 (ssize_t)strlen(replies[i]));
		int ret = proto_call_raw(sv[0], json_pack("{s:s}", "cmd", "snapshot"), "sorted",
					 &line, &len, &resp, err, sizeof(err));
		if (i == 0) {
			assert_int_equal(ret, 0);
			assert_null(resp);
			assert_non_null(line);
			assert_int_equal(len, strlen(replies[0]) - 1);
			assert_memory_equal(line, replies[0], len);
			free(line);
		} else if (i == 1) {
			assert_int_equal(ret, 0);
			assert_null(line);
			assert_non_null(resp);
			json_decref(resp);
		} else {
			assert_int_equal(ret, -EREMOTEIO);
			assert_null(line);
			assert_string_equal(err, "nope");
		}
		close(sv[0]);
		close(sv[1]);
	}
}

static void test_tview_missing_and_wrong(void **state)
{
	struct tview v;
	json_t *j;

	/* missing everything: "-" and NAN, no error */
	j = json_object();
	assert_int_equal(proto_tview_from_json(j, &v), 0);
	assert_string_equal(v.name, "-");
	assert_string_equal(v.state, "-");
	assert_int_equal(v.uid, -1);
	assert_true(isnan(v.v.cpu_pct) && isnan(v.v.mem_bytes) && isnan(v.counters[QM_CPU_NS]));
	assert_true(isnan(v.mem_limit));	/* missing = unknown, not unlimited */
	assert_int_equal(v.src[0], '-');
	json_decref(j);

	/* unknown metric keys from a newer daemon are ignored */
	j = json_pack("{s:s,s:{s:i,s:i}}", "name", "b", "counters", "cpu_ns", 5, "warp_ns", 7);
	assert_int_equal(proto_tview_from_json(j, &v), 0);
	assert_true(v.counters[QM_CPU_NS] == 5);
	json_decref(j);

	/* wrong types: -EBADMSG and *out untouched */
	static const char *const bad[] = {
		"{\"name\":5}", "{\"uid\":\"1000\"}", "{\"rates\":[]}", "{\"rates\":{\"cpu_pct\":\"hot\"}}",
		"{\"counters\":{\"cpu_ns\":true}}", "{\"sources\":{\"cpu_ns\":1}}", "{\"offender\":\"yes\"}",
		"{\"limits\":{\"mem_max\":\"1G\"}}", "{\"faults\":{\"cpu\":[]}}", "{\"gauges\":3}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_error_t jerr;

		memset(&v, 0x11, sizeof(v));
		j = json_loads(bad[i], 0, &jerr);
		assert_non_null(j);
		assert_int_equal(proto_tview_from_json(j, &v), -EBADMSG);
		assert_int_equal(v.name[0], 0x11);
		json_decref(j);
	}
	assert_int_equal(proto_tview_from_json(NULL, &v), -EBADMSG);
	j = json_array();
	assert_int_equal(proto_tview_from_json(j, &v), -EBADMSG);
	json_decref(j);
}

static void test_hview_roundtrip(void **state)
{
	struct hview h = {
		.hostname = "web1", .load = { 1.5, 0.75, NAN }, .cpu_pct = 150, .ncpu = 2,
		.mem_total = 4e9, .mem_used = 1e9, .io_rbps = 0, .io_wbps = NAN,
		.psi_cpu_some = 3.5, .psi_mem_some = 0, .psi_mem_full = 0, .psi_io_some = 1,
		.psi_io_full = NAN, .tenants = 120, .throttled = 2, .frozen = 1, .source = "bpf",
		.cgroup_mode = "hybrid", .tick_ms = 4.25, .quiet = 97, .bpf_dropped = 7,
	}, o;
	json_t *j = proto_hview_json(&h);

	assert_non_null(j);
	assert_int_equal(proto_hview_from_json(j, &o), 0);
	assert_string_equal(o.hostname, "web1");
	assert_true(o.load[0] == 1.5 && o.load[1] == 0.75 && isnan(o.load[2]));
	assert_true(o.cpu_pct == 150 && o.ncpu == 2 && o.mem_total == 4e9 && o.mem_used == 1e9);
	assert_true(o.io_rbps == 0 && isnan(o.io_wbps) && isnan(o.psi_io_full));
	assert_true(o.psi_cpu_some == 3.5 && o.psi_io_some == 1);
	assert_int_equal(o.tenants, 120);
	assert_int_equal(o.throttled, 2);
	assert_int_equal(o.frozen, 1);
	assert_string_equal(o.source, "bpf");
	assert_string_equal(o.cgroup_mode, "hybrid");
	assert_true(o.tick_ms == 4.25 && o.bpf_dropped == 7);
	assert_int_equal(o.quiet, 97);
	json_decref(j);

	j = json_pack("{s:s}", "load", "high");
	assert_int_equal(proto_hview_from_json(j, &o), -EBADMSG);
	json_decref(j);
}

static void test_pview_and_error(void **state)
{
	struct pview p = { .pid = 4242, .comm = "php-fpm", .cpu_pct = NAN, .rss_bytes = 1 << 20,
			   .threads = 3 }, o;
	json_t *j = proto_pview_json(&p);

	assert_int_equal(proto_pview_from_json(j, &o), 0);
	assert_int_equal(o.pid, 4242);
	assert_string_equal(o.comm, "php-fpm");
	assert_true(isnan(o.cpu_pct) && o.rss_bytes == 1 << 20 && o.threads == 3);
	json_decref(j);

	j = proto_error("no tenant \"%s\" (%d)", "zed", 5);
	assert_true(json_is_false(json_object_get(j, "ok")));
	assert_string_equal(json_string_value(json_object_get(j, "error")), "no tenant \"zed\" (5)");
	json_decref(j);
}

/* j parsed from text (a test's literal) */
static json_t *jlit(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (!j)
		fail_msg("bad literal %s: %s", text, jerr.text);
	return j;
}

/*
 * The host, process and tenant scalars, member by member, as literal text
 * both ways: what missing, null, short, fractional and negative values
 * decode to, and the exact bytes (key order, null for NAN, the u64 clamp)
 * the encoders write. Written before the decoders and encoders were driven
 * from one field table (src/common/proto.c, hview_wire), and passing on both.
 */
static void test_views_edges(void **state)
{
	struct hview h, hz = { .hostname = "h", .load = { NAN, 2, INFINITY }, .cpu_pct = 150,
			       .ncpu = -2, .mem_total = 4e9, .mem_used = NAN, .tenants = 3,
			       .source = "cgroupfs", .cgroup_mode = "v2", .tick_ms = 0.5,
			       .bpf_dropped = UINT64_MAX };
	struct pview p, pz = { .pid = 7, .comm = "", .cpu_pct = 0.25, .rss_bytes = NAN };
	struct tview t;
	json_t *j;
	char *txt;

	/* missing: "-", NAN, 0 */
	j = jlit("{}");
	assert_int_equal(proto_hview_from_json(j, &h), 0);
	assert_string_equal(h.hostname, "-");
	assert_string_equal(h.source, "-");
	assert_string_equal(h.cgroup_mode, "-");
	assert_true(isnan(h.load[0]) && isnan(h.load[1]) && isnan(h.load[2]));
	assert_true(isnan(h.cpu_pct) && isnan(h.mem_total) && isnan(h.psi_io_full));
	assert_true(isnan(h.tick_ms));
	assert_true(h.ncpu == 0 && h.tenants == 0 && h.throttled == 0 && h.frozen == 0);
	assert_true(h.bpf_dropped == 0);
	assert_int_equal(proto_pview_from_json(j, &p), 0);
	assert_true(p.pid == 0 && p.threads == 0 && isnan(p.cpu_pct) && isnan(p.rss_bytes));
	assert_string_equal(p.comm, "-");
	json_decref(j);

	/* null: the same, but a tenant's null limit is unlimited */
	j = jlit("{\"hostname\":null,\"load\":null,\"ncpu\":null,\"cpu_pct\":null,"
		 "\"bpf_dropped\":null,\"pid\":null,\"comm\":null,\"uid\":null,\"rule\":null,"
		 "\"offender\":null,\"limits\":{\"cpu_pct\":null},\"faults\":null}");
	assert_int_equal(proto_hview_from_json(j, &h), 0);
	assert_string_equal(h.hostname, "-");
	assert_true(isnan(h.load[0]) && isnan(h.cpu_pct) && h.ncpu == 0 && h.bpf_dropped == 0);
	assert_int_equal(proto_pview_from_json(j, &p), 0);
	assert_true(p.pid == 0);
	assert_string_equal(p.comm, "-");
	assert_int_equal(proto_tview_from_json(j, &t), 0);
	assert_true(t.uid == -1 && !t.offender);
	assert_string_equal(t.rule, "");
	assert_true(isinf(t.cpu_limit_pct) && isnan(t.mem_limit) && isnan(t.nproc_limit));
	assert_true(t.faults_cpu == 0 && t.faults_io == 0);
	json_decref(j);

	/* short, long and null-holed load; fractions cut; negative counters 0 */
	j = jlit("{\"load\":[1.5,null],\"ncpu\":2.9,\"tenants\":-3,\"bpf_dropped\":-5,"
		 "\"pid\":41.9,\"uid\":1000.7,\"offender\":true,"
		 "\"faults\":{\"cpu\":-3,\"mem\":2.5,\"pids\":7}}");
	assert_int_equal(proto_hview_from_json(j, &h), 0);
	assert_true(h.load[0] == 1.5 && isnan(h.load[1]) && isnan(h.load[2]));
	assert_true(h.ncpu == 2 && h.tenants == -3 && h.bpf_dropped == 0);
	assert_int_equal(proto_pview_from_json(j, &p), 0);
	assert_int_equal(p.pid, 41);
	assert_int_equal(proto_tview_from_json(j, &t), 0);
	assert_true(t.uid == 1000 && t.offender);
	assert_true(t.faults_cpu == 0 && t.faults_mem == 2 && t.faults_pids == 7);
	json_decref(j);
	j = jlit("{\"load\":[1,2,3,\"x\"]}");
	assert_int_equal(proto_hview_from_json(j, &h), 0);
	assert_true(h.load[2] == 3);
	json_decref(j);

	/* wrong types: -EBADMSG, *out untouched */
	static const char *const bad_host[] = {
		"{\"load\":[\"x\"]}", "{\"load\":{}}", "{\"load\":[1,{}]}", "{\"ncpu\":\"2\"}",
		"{\"hostname\":1}", "{\"bpf_dropped\":true}", "{\"tick_ms\":[]}",
		"{\"cgroup_mode\":false}",
	};
	static const char *const bad_proc[] = {
		"{\"pid\":\"1\"}", "{\"comm\":[]}", "{\"threads\":{}}", "{\"rss_bytes\":true}",
	};
	for (size_t i = 0; i < sizeof(bad_host) / sizeof(bad_host[0]); i++) {
		memset(&h, 0x11, sizeof(h));
		j = jlit(bad_host[i]);
		if (proto_hview_from_json(j, &h) != -EBADMSG || h.hostname[0] != 0x11)
			fail_msg("host %s taken", bad_host[i]);
		json_decref(j);
	}
	for (size_t i = 0; i < sizeof(bad_proc) / sizeof(bad_proc[0]); i++) {
		memset(&p, 0x11, sizeof(p));
		j = jlit(bad_proc[i]);
		if (proto_pview_from_json(j, &p) != -EBADMSG || p.pid != 0x11111111)
			fail_msg("process %s taken", bad_proc[i]);
		json_decref(j);
	}
	assert_int_equal(proto_hview_from_json(NULL, &h), -EBADMSG);
	j = jlit("[]");
	assert_int_equal(proto_pview_from_json(j, &p), -EBADMSG);
	json_decref(j);

	/* the bytes on the wire */
	j = proto_hview_json(&hz);
	txt = json_dumps(j, JSON_COMPACT);
	assert_string_equal(txt, "{\"hostname\":\"h\",\"load\":[null,2.0,null],\"cpu_pct\":150.0,"
			    "\"ncpu\":-2,\"mem_total\":4000000000.0,\"mem_used\":null,"
			    "\"io_rbps\":0.0,\"io_wbps\":0.0,\"psi_cpu_some\":0.0,"
			    "\"psi_mem_some\":0.0,\"psi_mem_full\":0.0,\"psi_io_some\":0.0,"
			    "\"psi_io_full\":0.0,\"tenants\":3,\"throttled\":0,\"frozen\":0,"
			    "\"source\":\"cgroupfs\",\"cgroup_mode\":\"v2\",\"tick_ms\":0.5,"
			    "\"quiet\":0,\"bpf_dropped\":9223372036854775807}");
	free(txt);
	json_decref(j);
	j = proto_pview_json(&pz);
	txt = json_dumps(j, JSON_COMPACT);
	assert_string_equal(txt, "{\"pid\":7,\"comm\":\"\",\"cpu_pct\":0.25,\"rss_bytes\":null,"
			    "\"threads\":0}");
	free(txt);
	json_decref(j);
	/* a string jansson cannot hold: no object at all */
	snprintf(hz.hostname, sizeof(hz.hostname), "\xff\xfe");
	assert_null(proto_hview_json(&hz));
	snprintf(pz.comm, sizeof(pz.comm), "a\xc3");
	assert_null(proto_pview_json(&pz));
}

static void test_limits_json(void **state)
{
	struct tenant_limits l;
	json_t *j;

	limits_init(&l);
	l.cpu_pct = 25;
	l.nproc = 100;
	j = proto_limits_json(&l);
	assert_true(json_number_value(json_object_get(j, "cpu_pct")) == 25);
	assert_int_equal(json_integer_value(json_object_get(j, "nproc")), 100);
	assert_true(json_is_null(json_object_get(j, "mem_max")));
	assert_true(json_is_null(json_object_get(j, "io_wiops")));
	json_decref(j);
}

/*
 * A reply is not a request: proto_call takes one of 20 MB (~18,000 tenants of
 * 1.1 KB); it failed with -EMSGSIZE ("Message too long") over 64 KiB before.
 */
static void test_call_big_reply(void **state)
{
	size_t big = 20 << 20, n;
	char *buf = padded("{\"ok\":true,\"pad\":\"", 'x', big, "\"}\n", &n), err[128] = "";
	struct feed f;
	json_t *resp = NULL;

	feed_start(&f, buf, n);
	assert_int_equal(proto_call(f.fd, json_pack("{s:s}", "cmd", "snapshot"), &resp, err,
				    sizeof(err)), 0);
	assert_int_equal(json_string_length(json_object_get(resp, "pad")), big);
	json_decref(resp);
	feed_end(&f);
	free(buf);
}

/* proto_recv_max's cap is exact and leaves the stream usable. */
static void test_recv_max(void **state)
{
	const char *s = "{\"a\":\"0123456789\"}\n{\"a\":1}\n";	/* first line: 18 bytes */
	int sv[2];
	json_t *r = NULL;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], s, strlen(s)), (ssize_t)strlen(s));
	assert_int_equal(proto_recv_max(sv[1], &r, 17), -EMSGSIZE);
	assert_int_equal(proto_recv_max(sv[1], &r, 17), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "a")), 1);
	json_decref(r);
	assert_int_equal(write(sv[0], s, strlen(s)), (ssize_t)strlen(s));
	assert_int_equal(proto_recv_max(sv[1], &r, 18), 0);
	json_decref(r);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_recv),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_limit_boundary),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_call),
		cmocka_unit_test(test_call_big_reply),
		cmocka_unit_test(test_recv_max),
		cmocka_unit_test(test_connect_errors),
		cmocka_unit_test(test_tenant_roundtrip),
		cmocka_unit_test(test_tenant_enc),
		cmocka_unit_test(test_tenant_enc_bad_utf8),
		cmocka_unit_test(test_json_member),
		cmocka_unit_test(test_sort_index),
		cmocka_unit_test(test_call_raw),
		cmocka_unit_test(test_tview_missing_and_wrong),
		cmocka_unit_test(test_hview_roundtrip),
		cmocka_unit_test(test_pview_and_error),
		cmocka_unit_test(test_views_edges),
		cmocka_unit_test(test_limits_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
