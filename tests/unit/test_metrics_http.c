// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_metrics_http.c - the /metrics server for real on 127.0.0.1 (port 0):
 * listen-address parsing, 503 before the first publish, 200 with exactly
 * the rendered text after it, 404 / 405, action counters, a scraper thread
 * hammering while the "tick" publishes (ASan catches a snapshot freed under
 * a scrape), and publish + scrape time for 1,000 and 5,000 tenants
 * (printed, not asserted). The bearer token of [metrics] token_file:
 * 401 without it or with a wrong one, 200 with it, rotation without a
 * restart, no endpoint without a token file or with one others can read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "http_auth.h"
#include "metrics_http.h"
#include "prom.h"

#define TOKEN	"s3cret-token-0123456789abcdef"

/* the Authorization header http_req sends; NULL: none */
static const char *http_auth = "Bearer " TOKEN;

struct reply {
	int status;
	bool www_auth;		/* a WWW-Authenticate header came back */
	char ctype[128];
	char *body;
	size_t len;
};

/* Minimal HTTP/1.0 client: the server closes after the response. */
static int http_req(uint16_t port, const char *method, const char *path, struct reply *r)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	char req[512], *buf = NULL, *hdr_end, *ct;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	memset(r, 0, sizeof(*r));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -errno;
	}
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: localhost\r\n%s%s%s\r\n", method, path,
		 http_auth ? "Authorization: " : "", http_auth ? http_auth : "",
		 http_auth ? "\r\n" : "");
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -EIO;
	}
	for (;;) {
		if (len + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 131072;
			buf = realloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf)
		return -EIO;
	buf[len] = '\0';
	hdr_end = strstr(buf, "\r\n\r\n");
	if (!hdr_end || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
		free(buf);
		return -EBADMSG;
	}
	*hdr_end = '\0';
	r->www_auth = strcasestr(buf, "\r\nWWW-Authenticate: Bearer") != NULL;
	ct = strcasestr(buf, "\r\nContent-Type: ");
	if (ct)
		sscanf(ct + 16, "%127[^\r]", r->ctype);
	r->len = len - (size_t)(hdr_end + 4 - buf);
	r->body = malloc(r->len + 1);
	memcpy(r->body, hdr_end + 4, r->len + 1);
	free(buf);
	return 0;
}

/* write text to path with mode (a token file) */
static void put_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static struct daemon *mk_daemon(const char *listen)
{
	struct daemon *d = calloc(1, sizeof(*d));
	int fd;

	snprintf(d->cfg.metrics_listen, sizeof(d->cfg.metrics_listen), "%s", listen);
	snprintf(d->cfg.metrics_token_file, sizeof(d->cfg.metrics_token_file),
		 "/tmp/quell-test-token.XXXXXX");
	fd = mkstemp(d->cfg.metrics_token_file);
	assert_true(fd >= 0);
	close(fd);
	put_file(d->cfg.metrics_token_file, TOKEN "\n", 0600);
	assert_int_equal(registry_init(&d->reg), 0);
	snprintf(d->host.source, sizeof(d->host.source), "cgroupfs");
	snprintf(d->host.cgroup_mode, sizeof(d->host.cgroup_mode), "v2");
	d->host.load[0] = d->host.load[1] = d->host.load[2] = NAN;
	d->host.cpu_pct = NAN;
	return d;
}

static void free_daemon(struct daemon *d)
{
	metrics_http_stop(d);
	unlink(d->cfg.metrics_token_file);
	registry_free(&d->reg);
	free(d);
}

static void add_tenants(struct daemon *d, int n)
{
	char name[32];

	for (int i = 0; i < n; i++) {
		struct tenant *t;

		snprintf(name, sizeof(name), "u%05d", i);
		t = registry_add(&d->reg, name, 20000 + (uint32_t)i, 20000 + (uint64_t)i);
		assert_non_null(t);
		limits_init(&t->lim);
		limits_init(&t->dyn);
		for (int k = 0; k < QM_NR; k++)
			qm_set(&t->cur, (enum qm_id)k, (uint64_t)i * 977 + (uint64_t)k,
			       QM_SRC_CGROUP);
	}
}

static void test_parse_listen(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	char a[64];

	assert_int_equal(metrics_http_parse_listen("127.0.0.1:9477", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(in4->sin_port), 9477);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(metrics_http_parse_listen("[::1]:9100", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 9100);
	assert_int_equal(metrics_http_parse_listen("9477", &ss, &len), 0);
	inet_ntop(AF_INET, &in4->sin_addr, a, sizeof(a));
	assert_string_equal(a, "127.0.0.1");
	assert_int_equal(metrics_http_parse_listen(":9477", &ss, &len), 0);
	inet_ntop(AF_INET, &in4->sin_addr, a, sizeof(a));
	assert_string_equal(a, "127.0.0.1");
	assert_int_equal(metrics_http_parse_listen("localhost:1", &ss, &len), 0);
	assert_int_equal(metrics_http_parse_listen("*:80", &ss, &len), 0);
	inet_ntop(AF_INET, &in4->sin_addr, a, sizeof(a));
	assert_string_equal(a, "0.0.0.0");

	assert_int_equal(metrics_http_parse_listen("", &ss, &len), -EINVAL);
	assert_int_equal(metrics_http_parse_listen("127.0.0.1:", &ss, &len), -EINVAL);
	assert_int_equal(metrics_http_parse_listen("127.0.0.1:65536", &ss, &len), -EINVAL);
	assert_int_equal(metrics_http_parse_listen("127.0.0.1:-1", &ss, &len), -EINVAL);
	assert_int_equal(metrics_http_parse_listen("127.0.0.1:9x", &ss, &len), -EINVAL);
	assert_int_equal(metrics_http_parse_listen("example.com:80", &ss, &len), -EINVAL);
	assert_int_equal(metrics_http_parse_listen("[::1]", &ss, &len), -EINVAL);
	assert_int_equal(metrics_http_parse_listen("[::1:80", &ss, &len), -EINVAL);
	assert_int_equal(metrics_http_parse_listen("::1:80", &ss, &len), -EINVAL);
}

static void test_off_and_bad(void **state)
{
	struct daemon *d = mk_daemon("");

	assert_int_equal(metrics_http_start(d), 0);
	assert_null(d->http);
	assert_int_equal(metrics_http_publish(d), 0);
	prom_actions_count(&d->actions, "throttle");	/* counted, served by nobody, no crash */
	assert_int_equal(metrics_http_port(d), 0);
	free_daemon(d);

	d = mk_daemon("nonsense");
	assert_int_equal(metrics_http_start(d), -EINVAL);
	assert_null(d->http);
	free_daemon(d);
}

static void test_serve(void **state)
{
	struct daemon *d = mk_daemon("127.0.0.1:0"), *d2;
	struct prom_buf pb;
	struct reply r;
	uint16_t port;
	char listen[64];

	add_tenants(d, 3);
	assert_int_equal(metrics_http_start(d), 0);
	port = metrics_http_port(d);
	assert_true(port > 0);

	assert_int_equal(http_req(port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 503);
	free(r.body);

	d->tick_no = 7;
	prom_actions_count(&d->actions, "throttle");
	prom_actions_count(&d->actions, "throttle");
	prom_actions_count(&d->actions, "freeze");
	assert_int_equal(metrics_http_publish(d), 0);
	assert_int_equal(http_req(port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "text/plain; version=0.0.4; charset=utf-8");
	assert_non_null(strstr(r.body, "\nquell_tenant_memory_bytes{tenant=\"u00002\"} 1980\n"));
	assert_non_null(strstr(r.body, "\nquell_ticks_total 7\n"));
	assert_non_null(strstr(r.body, "\nquell_actions_total{action=\"throttle\"} 2\n"));
	assert_non_null(strstr(r.body, "\nquell_actions_total{action=\"freeze\"} 1\n"));
	assert_non_null(strstr(r.body, "\nquell_bpf_loaded 0\n"));
	/* the tenant part is byte-for-byte what prom_render gives */
	prom_buf_init(&pb);
	assert_int_equal(prom_render(&pb, d->reg.t, d->reg.nr, NULL, NULL), 0);
	assert_memory_equal(r.body, pb.s, pb.len);
	prom_buf_free(&pb);
	free(r.body);

	assert_int_equal(http_req(port, "HEAD", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, 0);
	free(r.body);
	assert_int_equal(http_req(port, "GET", "/", &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "/metrics"));
	free(r.body);
	assert_int_equal(http_req(port, "GET", "/metricsx", &r), 0);
	assert_int_equal(r.status, 404);
	free(r.body);
	assert_int_equal(http_req(port, "POST", "/metrics", &r), 0);
	assert_int_equal(r.status, 405);
	free(r.body);

	/* a second server on the same port: a clean error, not a crash */
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	d2 = mk_daemon(listen);
	assert_true(metrics_http_start(d2) < 0);
	assert_null(d2->http);
	free_daemon(d2);
	free_daemon(d);
}

static void test_check_auth(void **state)
{
	(void)state;
	assert_int_equal(http_auth_check("Bearer abcdefghijklmnop", "abcdefghijklmnop"), 0);
	assert_int_equal(http_auth_check("bearer  abcdefghijklmnop ", "abcdefghijklmnop"), 0);
	assert_int_equal(http_auth_check(NULL, "abcdefghijklmnop"), -EACCES);
	assert_int_equal(http_auth_check("", "abcdefghijklmnop"), -EACCES);
	assert_int_equal(http_auth_check("Bearer ", "abcdefghijklmnop"), -EACCES);
	assert_int_equal(http_auth_check("Bearer abcdefghijklmno", "abcdefghijklmnop"),
			 -EACCES);
	assert_int_equal(http_auth_check("Bearer abcdefghijklmnopq", "abcdefghijklmnop"),
			 -EACCES);
	assert_int_equal(http_auth_check("Bearer abcdefghijklmnoP", "abcdefghijklmnop"),
			 -EACCES);
	assert_int_equal(http_auth_check("Basic YWxhZGRpbjpvcGVuc2VzYW1l",
						 "YWxhZGRpbjpvcGVuc2VzYW1l"), -EACCES);
	assert_int_equal(http_auth_check("abcdefghijklmnop", "abcdefghijklmnop"), -EACCES);
	/* an empty token never matches, not even an empty credential */
	assert_int_equal(http_auth_check("Bearer ", ""), -EACCES);
}

static void test_token(void **state)
{
	struct daemon *d = mk_daemon("127.0.0.1:0");
	const char *saved = http_auth;
	struct reply r;
	uint16_t port;

	(void)state;
	/* no token file: no endpoint at all */
	unlink(d->cfg.metrics_token_file);
	snprintf(d->cfg.metrics_token_file, sizeof(d->cfg.metrics_token_file), "%s", "");
	assert_int_equal(metrics_http_start(d), -EACCES);
	assert_null(d->http);
	free_daemon(d);

	/* a token others can read protects nothing: refused */
	d = mk_daemon("127.0.0.1:0");
	assert_int_equal(chmod(d->cfg.metrics_token_file, 0644), 0);
	assert_int_equal(metrics_http_start(d), -EPERM);
	assert_null(d->http);
	/* too short */
	put_file(d->cfg.metrics_token_file, "short\n", 0600);
	assert_int_equal(metrics_http_start(d), -EINVAL);
	assert_null(d->http);
	put_file(d->cfg.metrics_token_file, TOKEN "\n", 0640);
	assert_int_equal(metrics_http_start(d), 0);
	port = metrics_http_port(d);
	assert_int_equal(metrics_http_publish(d), 0);

	http_auth = NULL;
	assert_int_equal(http_req(port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 401);
	assert_true(r.www_auth);
	assert_null(strstr(r.body, "quell_"));
	free(r.body);
	http_auth = "Bearer wrong-token-0123456789abcdef";
	assert_int_equal(http_req(port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 401);
	free(r.body);
	http_auth = "Bearer " TOKEN;
	assert_int_equal(http_req(port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "quell_ticks_total"));
	free(r.body);

	/* rotation: the file is read per request */
	put_file(d->cfg.metrics_token_file, "a-brand-new-token-9876543210\n", 0600);
	assert_int_equal(http_req(port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 401);
	free(r.body);
	http_auth = "Bearer a-brand-new-token-9876543210";
	assert_int_equal(http_req(port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	free(r.body);
	/* the file made world-readable after start: everyone locked out */
	assert_int_equal(chmod(d->cfg.metrics_token_file, 0604), 0);
	assert_int_equal(http_req(port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 401);
	free(r.body);
	http_auth = saved;
	free_daemon(d);
}

struct hammer {
	uint16_t port;
	volatile int stop;
	int ok, bad;
};

static void *scraper(void *arg)
{
	struct hammer *h = arg;
	struct reply r;

	while (!h->stop) {
		if (http_req(h->port, "GET", "/metrics", &r) == 0 && r.status == 200 &&
		    r.len > 0 && r.body[r.len - 1] == '\n' && strstr(r.body, "quell_ticks_total"))
			h->ok++;
		else
			h->bad++;
		free(r.body);
	}
	return NULL;
}

static void test_publish_while_scraping(void **state)
{
	struct daemon *d = mk_daemon("127.0.0.1:0");
	struct hammer h = { 0 };
	pthread_t th[2];

	add_tenants(d, 200);
	assert_int_equal(metrics_http_start(d), 0);
	assert_int_equal(metrics_http_publish(d), 0);
	h.port = metrics_http_port(d);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, scraper, &h), 0);
	for (int i = 0; i < 300; i++) {
		d->tick_no++;
		assert_int_equal(metrics_http_publish(d), 0);
		usleep(1000);
	}
	h.stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("[ INFO     ] 300 publishes during %d scrapes, %d bad\n", h.ok, h.bad);
	assert_true(h.ok > 0);
	assert_int_equal(h.bad, 0);
	free_daemon(d);
}


struct one_scrape {
	uint16_t port;
	struct reply r;
	volatile int done;
};

static void *scrape_once(void *arg)
{
	struct one_scrape *o = arg;

	if (http_req(o->port, "GET", "/metrics", &o->r))
		o->r.status = -1;
	o->done = 1;
	return NULL;
}

/*
 * Rendered on demand: a tick nobody scraped since the last render does not
 * render (10 MB at 10,000 tenants); a scrape that finds the snapshot older
 * than 1.5 ticks waits for the next tick's render and gets it.
 */
static void test_render_on_demand(void **state)
{
	struct daemon *d = mk_daemon("127.0.0.1:0");
	struct one_scrape o = { 0 };
	pthread_t th;
	struct reply r;

	d->cfg.tick_ms = 100;
	add_tenants(d, 3);
	assert_int_equal(metrics_http_start(d), 0);
	d->tick_no = 1;
	assert_int_equal(metrics_http_publish(d), 0);
	assert_int_equal(http_req(metrics_http_port(d), "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\nquell_ticks_total 1\n"));
	free(r.body);

	/* nobody asked: tick 2 is not rendered (was rendered every tick before) */
	d->tick_no = 2;
	assert_int_equal(metrics_http_publish(d), 0);
	assert_int_equal(http_req(metrics_http_port(d), "GET", "/metrics", &r), 0);
	assert_non_null(strstr(r.body, "\nquell_ticks_total 1\n"));
	free(r.body);

	/* older than 1.5 ticks: the scrape waits, the next tick renders for it */
	usleep(200 * 1000);
	o.port = metrics_http_port(d);
	assert_int_equal(pthread_create(&th, NULL, scrape_once, &o), 0);
	usleep(50 * 1000);
	assert_false(o.done);	/* waiting for a render */
	d->tick_no = 3;
	for (int i = 0; i < 100 && !o.done; i++) {
		assert_int_equal(metrics_http_publish(d), 0);
		usleep(10 * 1000);
	}
	pthread_join(th, NULL);
	assert_int_equal(o.r.status, 200);
	assert_non_null(strstr(o.r.body, "\nquell_ticks_total 3\n"));
	free(o.r.body);
	free_daemon(d);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench(int n)
{
	struct daemon *d = mk_daemon("127.0.0.1:0");
	double pub = 1e9, scrape = 1e9, t0;
	struct reply r;

	add_tenants(d, n);
	assert_int_equal(metrics_http_start(d), 0);
	for (int i = 0; i < 5; i++) {
		t0 = now_s();
		assert_int_equal(metrics_http_publish(d), 0);
		if (i == 0)	/* later ones skip: nobody asked for a new render */
			pub = now_s() - t0;
		t0 = now_s();
		assert_int_equal(http_req(metrics_http_port(d), "GET", "/metrics", &r), 0);
		if (now_s() - t0 < scrape)
			scrape = now_s() - t0;
		assert_int_equal(r.status, 200);
		assert_non_null(strstr(r.body, "quell_tenant_threads{tenant=\"u00000\"}"));
		free(r.body);
	}
	printf("[ BENCH    ] %d tenants: publish (render+swap) %.2f ms, scrape %.2f ms, %zu bytes\n",
	       n, pub * 1e3, scrape * 1e3, r.len);
	free_daemon(d);
}

static void test_bench_1000(void **state)
{
	bench(1000);
}

static void test_bench_5000(void **state)
{
	bench(5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_off_and_bad),
		cmocka_unit_test(test_serve),
		cmocka_unit_test(test_check_auth),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_publish_while_scraping),
		cmocka_unit_test(test_render_on_demand),
		cmocka_unit_test(test_bench_1000),
		cmocka_unit_test(test_bench_5000),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
