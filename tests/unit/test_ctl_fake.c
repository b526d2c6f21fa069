// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_ctl_fake.c - quellctl end to end against a fake quelld: a thread
 * serving literal JSON on a temp socket. Checks what quellctl sends, what
 * it prints and its exit codes (0 ok, 1 daemon error, 2 usage, 3 connect).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/quellctl/ctl.h"

#define ARGV(...) ((char *[]){ "quellctl", "-s", fake.path, __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "quellctl", "-s", "x", __VA_ARGS__ }) / sizeof(char *)))

static const char tenants_json[] =
	"[{\"name\":\"alice\",\"uid\":1001,\"cgroup\":\"quell/alice\",\"state\":\"ok\",\"rule\":\"\","
	"\"offender\":false,\"rates\":{\"cpu_pct\":5.0,\"io_rbps\":0,\"io_wbps\":0},"
	"\"gauges\":{\"mem_bytes\":104857600,\"nproc\":3},\"faults\":{\"cpu\":0,\"mem\":0,\"pids\":0,\"io\":null}},"
	"{\"name\":\"bob\",\"uid\":1002,\"cgroup\":\"quell/bob\",\"state\":\"throttled\",\"rule\":\"cpu_hog\","
	"\"offender\":true,\"rates\":{\"cpu_pct\":199.5,\"inflicted_ms_s\":300.0},"
	"\"gauges\":{\"mem_bytes\":2147483648,\"nproc\":40},\"faults\":{\"cpu\":12}},"
	"{\"name\":\"carol\",\"uid\":1003,\"cgroup\":\"\",\"state\":\"ok\",\"rates\":{\"cpu_pct\":null}}]";

static struct {
	char path[108];
	int lfd;
	pthread_t th;
	pthread_mutex_t lock;
	char last[4096];	/* last request, compact JSON */
} fake;

static json_t *reply_for(json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	const char *name = json_string_value(json_object_get(req, "name"));
	json_error_t jerr;
	char buf[8192];

	if (!cmd)
		return proto_error("missing \"cmd\"");
	if (!strcmp(cmd, "snapshot")) {
		snprintf(buf, sizeof(buf), "{\"ok\":true,\"host\":{\"hostname\":\"h\"},\"tenants\":%s}",
			 tenants_json);
		return json_loads(buf, 0, &jerr);
	}
	if (!strcmp(cmd, "tenant")) {
		if (!name || strcmp(name, "bob"))
			return proto_error("no tenant \"%s\"", name ? name : "");
		return json_loads("{\"ok\":true,\"tenant\":{\"name\":\"bob\",\"uid\":1002,\"state\":\"ok\","
				  "\"procs\":[{\"pid\":4242,\"comm\":\"stress-ng\",\"cpu_pct\":99.5,"
				  "\"rss_bytes\":1048576,\"threads\":1}]}}", 0, &jerr);
	}
	if (!strcmp(cmd, "status"))
		return json_loads("{\"ok\":true,\"host\":{\"hostname\":\"h\",\"ncpu\":2,\"tenants\":3}}", 0, &jerr);
	if (!strcmp(cmd, "set") || !strcmp(cmd, "limits"))
		return json_pack("{s:b,s:{s:s,s:{s:f,s:n}}}", "ok", 1, "limits", "tenant", name, "static",
				 "cpu_pct", 50.0, "nproc");
	if (!strcmp(cmd, "throttle"))
		return json_loads("{\"ok\":true,\"state\":{\"tenant\":\"bob\",\"state\":\"throttled\","
				  "\"rule\":\"manual\",\"until\":0,\"frozen\":false,"
				  "\"dynamic\":{\"cpu_pct\":25.0}}}", 0, &jerr);
	if (!strcmp(cmd, "events"))
		return json_loads("{\"ok\":true,\"events\":[{\"time\":0,\"tenant\":\"bob\","
				  "\"action\":\"kill\",\"rule\":\"manual\"}]}", 0, &jerr);
	if (!strcmp(cmd, "where"))
		return json_loads("{\"ok\":true,\"pid\":1,\"cgroup\":\"init.scope\",\"tenant\":null}", 0, &jerr);
	if (!strcmp(cmd, "place"))
		return json_loads("{\"ok\":true,\"pid\":4242,\"moved\":false,\"tenant\":\"bob\","
				  "\"cgroup\":\"quell/bob\"}", 0, &jerr);
	if (!strcmp(cmd, "ping"))
		return json_loads("{\"version\":\"x\"}", 0, &jerr);	/* no "ok": a broken daemon */
	if (!strcmp(cmd, "freeze"))	/* what quelld says to a tenant (src/quelld/api.c) */
		return json_loads("{\"ok\":false,\"error\":\"permission denied: uid 1001 (tenant "
				  "alice) may only read its own account\",\"code\":\"permission_denied\"}",
				  0, &jerr);
	return proto_error("unknown command \"%s\"", cmd);
}

static void *server(void *arg)
{
	for (;;) {
		int fd = accept(fake.lfd, NULL, NULL);
		json_t *req;

		if (fd < 0)
			return NULL;
		while (proto_recv(fd, &req) == 0) {
			char *s = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
			json_t *resp;
			bool quit = !strcmp(json_string_value(json_object_get(req, "cmd")) ?: "", "quit");
			bool hangup = !strcmp(json_string_value(json_object_get(req, "cmd")) ?: "", "release");

			pthread_mutex_lock(&fake.lock);
			snprintf(fake.last, sizeof(fake.last), "%s", s ? s : "");
			pthread_mutex_unlock(&fake.lock);
			free(s);
			if (quit) {
				json_decref(req);
				close(fd);
				return NULL;
			}
			if (hangup) {	/* the daemon dies mid-request */
				json_decref(req);
				break;
			}
			resp = reply_for(req);
			proto_send(fd, resp);
			json_decref(resp);
			json_decref(req);
		}
		close(fd);
	}
}

static int setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(fake.path, sizeof(fake.path), "/tmp/quell-ctl-test-%d.sock", (int)getpid());
	unlink(fake.path);
	strcpy(sa.sun_path, fake.path);
	fake.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fake.lfd < 0 || bind(fake.lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fake.lfd, 8))
		return -1;
	pthread_mutex_init(&fake.lock, NULL);
	return pthread_create(&fake.th, NULL, server, NULL);
}

static int teardown(void **state)
{
	int fd = proto_connect(fake.path);

	if (fd >= 0) {
		json_t *q = json_pack("{s:s}", "cmd", "quit");

		proto_send(fd, q);
		json_decref(q);
		close(fd);
	}
	pthread_join(fake.th, NULL);
	close(fake.lfd);
	unlink(fake.path);
	return 0;
}

struct run {
	char *out, *err;
	size_t outlen, errlen;
	int rc;
	char req[4096];
};

static void run_ctl(struct run *r, int argc, char **argv)
{
	struct ctl_ctx c;

	ctl_ctx_init(&c);
	c.out = open_memstream(&r->out, &r->outlen);
	c.err = open_memstream(&r->err, &r->errlen);
	fake.last[0] = '\0';
	r->rc = ctl_main(&c, argc, argv);
	ctl_ctx_close(&c);
	fclose(c.out);
	fclose(c.err);
	pthread_mutex_lock(&fake.lock);
	snprintf(r->req, sizeof(r->req), "%s", fake.last);
	pthread_mutex_unlock(&fake.lock);
}

/* quellctl with these arguments (after -s fake.path), once: run_ctl(r, argc, argv) */
#define RUN_CTL(r, ...)	run_ctl(r, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void test_list(void **state)
{
	struct run r;

	RUN_CTL(&r, "list");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.req, "{\"cmd\":\"snapshot\",\"reverse\":false,\"sort\":\"cpu\",\"top\":0}");
	assert_string_equal(r.out,
		"TENANT  STATE        CPU%   MEM  READ/s  WRITE/s  IOPS  INFL-ms/s  SUFF-ms/s  NPROC  FAULTS\n"
		"bob     throttled*  199.5    2G       -        -     -      300.0          -     40      12\n"
		"alice   ok            5.0  100M      0B       0B     -          -          -      3       0\n"
		"carol   ok              -     -       -        -     -          -          -      -       0\n");
	assert_string_equal(r.err, "");
	run_free(&r);

	/* --json keeps the daemon's objects, in the asked order and number */
	RUN_CTL(&r, "list", "--sort", "name", "--reverse", "--top", "2", "--json");
	assert_int_equal(r.rc, 0);
	{
		json_error_t jerr;
		json_t *j = json_loads(r.out, 0, &jerr), *arr = json_object_get(j, "tenants");

		assert_non_null(j);
		assert_true(json_is_true(json_object_get(j, "ok")));
		assert_int_equal(json_array_size(arr), 2);
		assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "name")), "carol");
		assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "name")), "bob");
		/* untouched daemon fields pass through */
		assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "rule")), "cpu_hog");
		json_decref(j);
	}
	run_free(&r);
}

static void test_show(void **state)
{
	struct run r;

	RUN_CTL(&r, "show", "bob");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.req, "{\"cmd\":\"tenant\",\"name\":\"bob\"}");
	assert_non_null(strstr(r.out, "tenant:     bob (uid 1002)\n"));
	assert_non_null(strstr(r.out, "\n PID  COMM       CPU%  RSS  THREADS\n4242  stress-ng  99.5   1M        1\n"));
	run_free(&r);

	/* the daemon says no: exit 1, its message on stderr */
	RUN_CTL(&r, "show", "zed");
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "quellctl: no tenant \"zed\"\n");
	assert_string_equal(r.out, "");
	run_free(&r);
}

static void test_actions(void **state)
{
	struct run r;

	RUN_CTL(&r, "set", "bob", "cpu=50%", "nproc=unlimited");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.req, "{\"cmd\":\"set\",\"limits\":{\"cpu\":\"50%\",\"nproc\":\"unlimited\"},\"name\":\"bob\"}");
	assert_string_equal(r.out, "tenant:     bob\nstatic:     cpu_pct=50% nproc=unlimited\n");
	run_free(&r);

	RUN_CTL(&r, "throttle", "bob", "--for", "10m");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.req, "{\"cmd\":\"throttle\",\"for\":600,\"name\":\"bob\"}");
	assert_string_equal(r.out, "bob: throttled (rule manual), cpu_pct=25%\n");
	run_free(&r);

	RUN_CTL(&r, "kill", "bob", "--yes");
	assert_int_equal(r.rc, 1);	/* the fake does not know kill */
	assert_string_equal(r.req, "{\"cmd\":\"kill\",\"name\":\"bob\"}");
	assert_string_equal(r.err, "quellctl: unknown command \"kill\"\n");
	run_free(&r);

	/* refused by the daemon's authorization: its message, exit 4 */
	RUN_CTL(&r, "freeze", "bob");
	assert_int_equal(r.rc, 4);
	assert_string_equal(r.err, "quellctl: permission denied: uid 1001 (tenant alice) may only "
			    "read its own account\n");
	assert_string_equal(r.out, "");
	run_free(&r);

	RUN_CTL(&r, "where", "1");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.req, "{\"cmd\":\"where\",\"pid\":1}");
	assert_string_equal(r.out, "pid 1: cgroup init.scope, tenant (none)\n");
	run_free(&r);

	RUN_CTL(&r, "place", "4242");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.req, "{\"cmd\":\"place\",\"pid\":4242}");
	assert_string_equal(r.out, "pid 4242: already in tenant bob, cgroup quell/bob\n");
	run_free(&r);

	RUN_CTL(&r, "events", "--tenant", "bob", "--since", "1690000000");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.req, "{\"cmd\":\"events\",\"since\":1690000000,\"tenant\":\"bob\"}");
	assert_non_null(strstr(r.out, "bob     kill    manual  -\n"));
	run_free(&r);
}

static void test_broken_daemon(void **state)
{
	struct run r;

	/* a reply without "ok" is a daemon error (1), not a crash */
	RUN_CTL(&r, "ping");
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "quellctl: invalid reply from quelld: no \"ok\"\n");
	run_free(&r);

	/* the daemon hangs up mid-request: cannot talk to it (3) */
	RUN_CTL(&r, "release", "bob");
	assert_int_equal(r.rc, 3);
	assert_non_null(strstr(r.err, "connection closed by quelld"));
	run_free(&r);

	/* the JSON flag passes errors through as messages, never as ok output */
	RUN_CTL(&r, "--json", "show", "zed");
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "");
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_broken_daemon),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
