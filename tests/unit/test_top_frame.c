// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_top_frame.c - quelltop's header, batch text/JSON frames, drill-down
 * renderings, and the socket source against a canned server (including a
 * daemon that goes away and comes back).
 */
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
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../top/source.h"
#include "../../top/top.h"

static void hv_init(struct hview *h)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->hostname, sizeof(h->hostname), "web1");
	h->load[0] = 1.5;
	h->load[1] = 1.0;
	h->load[2] = 0.5;
	h->cpu_pct = 134;
	h->ncpu = 4;
	h->mem_total = 8.0 * (1 << 30);
	h->mem_used = 3.0 * (1 << 30);
	h->io_rbps = 1 << 20;
	h->io_wbps = 0;
	h->psi_cpu_some = 2.25;
	h->psi_mem_some = h->psi_mem_full = NAN;
	h->psi_io_some = 1;
	h->psi_io_full = 0.5;
	h->tenants = 3;
	h->throttled = 1;
	snprintf(h->source, sizeof(h->source), "bpf");
	snprintf(h->cgroup_mode, sizeof(h->cgroup_mode), "v2");
	h->tick_ms = 3.2;
}

static void tv_init(struct tview *t, const char *name, double cpu)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->state, sizeof(t->state), "ok");
	t->uid = 1001;
	for (int i = 0; i < QV_NR; i++)
		qv_put(&t->v, (enum qv_id)i, NAN);
	t->v.cpu_pct = cpu;
	t->mem_limit = INFINITY;
	t->cpu_limit_pct = 50;
	t->nproc_limit = INFINITY;
}

static void test_header(void **state)
{
	char lines[TOP_HDR_LINES][256];
	struct hview h;

	hv_init(&h);
	assert_int_equal(top_fmt_header(&h, "2026-11-20 03:10:00 live", "connected", 200, lines), 0);
	assert_string_equal(lines[0], "quelltop - web1 - 2026-11-20 03:10:00 live - daemon connected"
				      " - source bpf (cgroup v2)");
	assert_string_equal(lines[1], "load 1.5 1.0 0.5  cpu 134%/400%  mem 3.0G/8.0G  io r 1.0M/s w 0/s");
	assert_string_equal(lines[2], "psi avg10 some/full: cpu 2.2%  mem -/-%  io 1.0/0.5%");
	assert_string_equal(lines[3], "tenants 3  throttled 1  frozen 0  tick 3.2ms  bpf lost 0");
	top_fmt_header(&h, "03:10:00 (replay, 10s)", "replay", 200, lines);
	assert_string_equal(lines[0], "quelltop - web1 - 03:10:00 (replay, 10s) - history, "
				      "Left/Right step - source bpf (cgroup v2)");
	top_fmt_header(&h, "x", "unreachable, retrying", 30, lines);
	for (int i = 0; i < TOP_HDR_LINES; i++)
		assert_true(strlen(lines[i]) <= 30);
}

static void test_tview_json(void **state)
{
	struct tview t;
	json_t *j;

	tv_init(&t, "shop", 12.5);
	t.faults_cpu = 2;
	j = top_tview_json(&t);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "name")), "shop");
	assert_true(fabs(json_real_value(json_object_get(j, "cpu_pct")) - 12.5) < 1e-9);
	/* unknown and unlimited are null, never NaN (invalid JSON) */
	assert_true(json_is_null(json_object_get(j, "inflicted_ms_s")));
	assert_true(json_is_null(json_object_get(j, "mem_limit")));
	assert_true(fabs(json_real_value(json_object_get(j, "cpu_limit_pct")) - 50) < 1e-9);
	assert_true(fabs(json_real_value(json_object_get(j, "limit_hits")) - 2) < 1e-9);
	assert_int_equal(json_integer_value(json_object_get(j, "uid")), 1001);
	json_decref(j);
}

static void make_frame(struct top_frame *f, struct tview *tv, const struct tview **rows)
{
	memset(f, 0, sizeof(*f));
	hv_init(&f->host);
	tv_init(&tv[0], "idle", 0.5);
	tv_init(&tv[1], "busy", 99);
	f->tv = tv;
	f->ntv = 2;
	rows[0] = &tv[1];
	rows[1] = &tv[0];
	f->rows = rows;
	f->nrows = 2;
	f->have_data = true;
	snprintf(f->when, sizeof(f->when), "now");
	snprintf(f->conn, sizeof(f->conn), "connected");
}

/* make_frame()'s frame written n times by top_batch_frame(), 80 columns (caller frees) */
static char *batch_out(bool json, int n)
{
	struct tview tv[2];
	const struct tview *rows[2];
	struct top_frame f;
	struct top_ui ui;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	make_frame(&f, tv, rows);
	top_ui_init(&ui);
	for (int i = 0; i < n; i++)
		assert_int_equal(top_batch_frame(out, &f, &ui, json, 80), 0);
	fclose(out);
	return buf;
}

static void test_batch_text(void **state)
{
	char *buf = batch_out(false, 1), *busy, *idle;

	assert_non_null(strstr(buf, "quelltop - web1 - now - daemon connected"));
	assert_non_null(strstr(buf, "\n\nTENANT "));
	assert_non_null(strstr(buf, "CPU%v"));
	busy = strstr(buf, "\nbusy ");
	idle = strstr(buf, "\nidle ");
	assert_non_null(busy);
	assert_non_null(idle);
	assert_true(busy < idle);
	assert_non_null(strstr(busy, " 99.0 "));
	/* no line passes the width */
	for (char *p = buf, *e; (e = strchr(p, '\n')); p = e + 1)
		assert_true(e - p <= 80);
	free(buf);
}

static void test_batch_json(void **state)
{
	char *buf = batch_out(true, 2);
	json_error_t jerr;
	json_t *j, *arr;

	/* one object per line */
	assert_non_null(strchr(buf, '\n'));
	*strchr(buf, '\n') = '\0';
	j = json_loads(buf, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "daemon")), "connected");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "host"), "ncpu")), 4);
	arr = json_object_get(j, "tenants");
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "name")), "busy");
	json_decref(j);
	free(buf);
}

static void test_event_and_limits(void **state)
{
	char buf[256];
	json_t *ev = json_pack("{s:s,s:s,s:s,s:i,s:n}", "tenant", "shop", "action", "throttle",
			       "rule", "cpu-hog", "for_s", 60, "x");
	json_t *lim;

	top_fmt_event(ev, buf, sizeof(buf));
	assert_string_equal(buf, "throttle cpu-hog for_s=60");
	json_object_set_new(ev, "ts", json_integer(0));
	top_fmt_event(ev, buf, sizeof(buf));
	assert_non_null(strstr(buf, ":00 throttle cpu-hog for_s=60"));
	top_fmt_event(ev, buf, 8);	/* cut, never overflowing */
	assert_int_equal(strlen(buf), 7);
	json_decref(ev);
	/* the daemon's shape (src/quelld/events_log.c): nested evidence flattened */
	ev = json_loads("{\"time\":1,\"time_ms\":1000,\"tenant\":\"a\",\"rule\":\"manual\","
			"\"action\":\"throttle\",\"level\":0,\"dry_run\":false,"
			"\"limits\":{\"cpu_pct\":25.0},\"limits_text\":\"cpu=25%\",\"cgroup\":\"x/a\","
			"\"evidence\":{\"for_s\":600,\"result\":0}}", 0, NULL);
	assert_non_null(ev);
	top_fmt_event(ev, buf, sizeof(buf));
	assert_non_null(strstr(buf, ":01 throttle manual level=0 dry_run=no limits_text=cpu=25% "
				    "for_s=600 result=0"));
	assert_null(strstr(buf, "cgroup"));
	assert_null(strstr(buf, "time_ms"));
	json_decref(ev);

	lim = json_pack("{s:f,s:I,s:n,s:i}", "cpu_pct", 50.0, "mem_max", (json_int_t)1 << 30,
			"nproc", "pids", 100);
	top_fmt_limits(lim, buf, sizeof(buf));
	assert_string_equal(buf, "cpu_pct=50.0% mem_max=1.0G pids=100");
	json_decref(lim);
	lim = json_pack("{s:n,s:n}", "cpu_pct", "mem_max");
	assert_string_equal(top_fmt_limits(lim, buf, sizeof(buf)), "unlimited");
	json_decref(lim);
	assert_string_equal(top_fmt_limits(NULL, buf, sizeof(buf)), "-");
}

static void test_sort_procs(void **state)
{
	struct pview pv[4] = {
		{ .pid = 10, .cpu_pct = 1, .rss_bytes = 100 },
		{ .pid = 11, .cpu_pct = NAN, .rss_bytes = 100 },
		{ .pid = 12, .cpu_pct = 99, .rss_bytes = 5 },
		{ .pid = 9, .cpu_pct = 1, .rss_bytes = 100 },
	};

	top_sort_procs(pv, 4);
	assert_int_equal(pv[0].pid, 12);
	assert_int_equal(pv[1].pid, 9);
	assert_int_equal(pv[2].pid, 10);
	assert_int_equal(pv[3].pid, 11);
}

/* --- the socket source against a canned server --- */

struct fake {
	char path[108];
	int lfd;
	int conns;		/* connections to serve, then stop listening */
	int served;
};

static const char snapshot_reply[] =
	"{\"ok\":true,\"host\":{\"hostname\":\"h\",\"ncpu\":2,\"tenants\":2},"
	"\"tenants\":[{\"name\":\"a\",\"uid\":1001,\"state\":\"ok\",\"rates\":{\"cpu_pct\":50}},"
	"{\"name\":\"b\",\"uid\":null,\"state\":\"throttled\",\"rule\":\"r1\",\"offender\":true}]}\n";
static const char tenant_reply[] =
	"{\"ok\":true,\"tenant\":{\"name\":\"a\",\"procs\":[{\"pid\":42,\"comm\":\"stress-ng\","
	"\"cpu_pct\":99.5,\"rss_bytes\":4096,\"threads\":1}],\"limits\":{\"cpu_pct\":null}}}\n";
static const char events_reply[] =
	"{\"ok\":true,\"events\":[{\"action\":\"throttle\",\"tenant\":\"a\"}]}\n";

/* one request per connection, answered from the canned replies, then hang up */
static void *fake_serve(void *arg)
{
	struct fake *fk = arg;

	for (int i = 0; i < fk->conns; i++) {
		int fd = accept(fk->lfd, NULL, NULL);
		char req[512] = "";
		const char *reply;
		ssize_t n;

		if (fd < 0)
			break;
		n = read(fd, req, sizeof(req) - 1);
		if (n > 0) {
			if (strstr(req, "\"snapshot\""))
				reply = snapshot_reply;
			else if (strstr(req, "\"tenant\":") || strstr(req, "\"cmd\":\"tenant\""))
				reply = strstr(req, "\"events\"") ? events_reply : tenant_reply;
			else if (strstr(req, "\"events\""))
				reply = events_reply;
			else if (strstr(req, "\"kill\""))
				reply = "{\"ok\":false,\"error\":\"no such tenant: zz\"}\n";
			else
				reply = "{\"ok\":true,\"state\":\"throttled\"}\n";
			if (write(fd, reply, strlen(reply)) < 0)
				break;
		}
		fk->served++;
		close(fd);
	}
	return NULL;
}

static int fake_listen(struct fake *fk)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fk->path);
	fk->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fk->lfd < 0 || bind(fk->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fk->lfd, 8))
		return -errno;
	return 0;
}

static void test_socket_source(void **state)
{
	struct fake fk = { .conns = 5 };
	struct top_source src;
	struct hview h;
	struct tview *tv;
	struct pview *pv;
	json_t *le;
	char when[64], err[128], dir[] = "/tmp/quelltop-test-XXXXXX";
	pthread_t th;
	int n, np;

	assert_non_null(mkdtemp(dir));
	snprintf(fk.path, sizeof(fk.path), "%s/s.sock", dir);
	assert_int_equal(top_source_socket_open(fk.path, &src), 0);

	/* no daemon yet: an error to show, not a crash */
	assert_int_equal(src.ops->fetch(&src, &h, &tv, &n, when, sizeof(when)), -ENOENT);
	assert_null(tv);
	assert_int_equal(n, 0);

	assert_int_equal(fake_listen(&fk), 0);
	assert_int_equal(pthread_create(&th, NULL, fake_serve, &fk), 0);

	/* the server hangs up after each reply: every call below reconnects */
	assert_int_equal(src.ops->fetch(&src, &h, &tv, &n, when, sizeof(when)), 0);
	assert_non_null(strstr(when, "live"));
	assert_int_equal(n, 2);
	assert_string_equal(h.hostname, "h");
	assert_string_equal(tv[0].name, "a");
	assert_true(fabs(tv[0].v.cpu_pct - 50) < 1e-9);
	assert_true(isnan(tv[0].v.mem_bytes));
	assert_string_equal(tv[1].rule, "r1");
	assert_true(tv[1].offender);
	assert_int_equal(tv[1].uid, -1);
	free(tv);

	/* detail: procs from "tenant", events from a second request */
	assert_int_equal(src.ops->detail(&src, "a", &pv, &np, &le), 0);
	assert_int_equal(np, 1);
	assert_int_equal(pv[0].pid, 42);
	assert_string_equal(pv[0].comm, "stress-ng");
	assert_non_null(json_object_get(le, "limits"));
	assert_int_equal(json_array_size(json_object_get(le, "events")), 1);
	free(pv);
	json_decref(le);

	assert_int_equal(src.ops->action(&src, "throttle", "a", err, sizeof(err)), 0);
	assert_int_equal(src.ops->action(&src, "kill", "zz", err, sizeof(err)), -EREMOTEIO);
	assert_string_equal(err, "no such tenant: zz");
	assert_int_equal(src.ops->action(&src, "rm -rf", "a", err, sizeof(err)), -EINVAL);
	assert_int_equal(src.ops->step(&src, 1), -ENOTSUP);

	pthread_join(th, NULL);
	assert_int_equal(fk.served, 5);
	/* the daemon is gone (socket closed and removed): an error again */
	close(fk.lfd);
	unlink(fk.path);
	assert_true(src.ops->fetch(&src, &h, &tv, &n, when, sizeof(when)) < 0);
	top_source_close(&src);
	assert_null(src.ops);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_tview_json),
		cmocka_unit_test(test_batch_text),
		cmocka_unit_test(test_batch_json),
		cmocka_unit_test(test_event_and_limits),
		cmocka_unit_test(test_sort_procs),
		cmocka_unit_test(test_socket_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
