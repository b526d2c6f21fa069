// SPDX-License-Identifier: GPL-2.0-only
/* test_ctl_args.c - quellctl's command-line parsing, sorting and usage errors. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/quellctl/ctl.h"
#include "units.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))

static void test_since(void **state)
{
	const time_t now = 1700000000;
	int64_t t = 5;

	assert_int_equal(units_parse_when("-1h", now, &t), 0);
	assert_int_equal(t, now - 3600);
	assert_int_equal(units_parse_when("-30m", now, &t), 0);
	assert_int_equal(t, now - 1800);
	assert_int_equal(units_parse_when("-1h30m", now, &t), 0);
	assert_int_equal(t, now - 5400);
	assert_int_equal(units_parse_when("-90", now, &t), 0);
	assert_int_equal(t, now - 90);
	assert_int_equal(units_parse_when("now", now, &t), 0);
	assert_int_equal(t, now);
	assert_int_equal(units_parse_when("1690000000", now, &t), 0);
	assert_int_equal(t, 1690000000);

	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(units_parse_when("2023-11-14 22:13", now, &t), 0);
	assert_int_equal(t, 1700000000 - 20);
	assert_int_equal(units_parse_when("2023-11-14 22:13:20", now, &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(units_parse_when("2023-11-14T22:13:20", now, &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(units_parse_when("2023-11-14", now, &t), 0);
	assert_int_equal(t, 1700000000 - (22 * 3600 + 13 * 60 + 20));

	t = 5;
	assert_int_equal(units_parse_when("", now, &t), -EINVAL);
	assert_int_equal(units_parse_when("yesterday", now, &t), -EINVAL);
	assert_int_equal(units_parse_when("-1x", now, &t), -EINVAL);
	assert_int_equal(units_parse_when("-", now, &t), -EINVAL);
	assert_int_equal(units_parse_when("2023-13-45 99:99", now, &t), -EINVAL);
	assert_int_equal(units_parse_when("2023-11-14 22:13 junk", now, &t), -EINVAL);
	assert_int_equal(units_parse_when("99999999999999999999999", now, &t), -EINVAL);
	assert_int_equal(units_parse_when("-100000d", now, &t), -EINVAL);	/* before 1970 */
	assert_int_equal(t, 5);
}

static void test_pid(void **state)
{
	int p = 7;

	assert_int_equal(ctl_parse_pid("1", &p), 0);
	assert_int_equal(p, 1);
	assert_int_equal(ctl_parse_pid("4194304", &p), 0);
	assert_int_equal(p, 4194304);
	p = 7;
	assert_int_equal(ctl_parse_pid("0", &p), -EINVAL);
	assert_int_equal(ctl_parse_pid("-5", &p), -EINVAL);
	assert_int_equal(ctl_parse_pid("12a", &p), -EINVAL);
	assert_int_equal(ctl_parse_pid("", &p), -EINVAL);
	assert_int_equal(ctl_parse_pid("99999999999", &p), -EINVAL);
	assert_int_equal(ctl_parse_pid(NULL, &p), -EINVAL);
	assert_int_equal(p, 7);
}

static void test_list_args(void **state)
{
	struct ctl_list_opts o;
	char err[256];

	assert_int_equal(ctl_list_parse_args(ARGC("list"), ARGV("list"), &o, err, sizeof(err)), 0);
	assert_int_equal(o.sort, CTL_SORT_CPU);
	assert_false(o.reverse);
	assert_int_equal(o.top, 0);
	assert_int_equal(ctl_list_parse_args(ARGC("list", "--sort", "inflicted", "--reverse", "--top", "5"),
					     ARGV("list", "--sort", "inflicted", "--reverse", "--top", "5"),
					     &o, err, sizeof(err)), 0);
	assert_int_equal(o.sort, CTL_SORT_INFLICTED);
	assert_true(o.reverse);
	assert_int_equal(o.top, 5);
	assert_int_equal(ctl_list_parse_args(ARGC("list", "--sort=name", "--top=2"),
					     ARGV("list", "--sort=name", "--top=2"), &o, err, sizeof(err)), 0);
	assert_int_equal(o.sort, CTL_SORT_NAME);
	assert_int_equal(o.top, 2);

	assert_int_equal(ctl_list_parse_args(ARGC("list", "--sort"), ARGV("list", "--sort"), &o, err,
					     sizeof(err)), -EINVAL);
	assert_string_equal(err, "--sort needs a key");
	assert_int_equal(ctl_list_parse_args(ARGC("list", "--sort", "speed"), ARGV("list", "--sort", "speed"),
					     &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown sort key \"speed\" (cpu, mem, io, iops, inflicted, suffered, faults, nproc, mem_inflicted, name)");
	assert_int_equal(ctl_list_parse_args(ARGC("list", "--top", "0"), ARGV("list", "--top", "0"), &o,
					     err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--top: \"0\" is not a positive number");
	assert_int_equal(ctl_list_parse_args(ARGC("list", "alice"), ARGV("list", "alice"), &o, err,
					     sizeof(err)), -EINVAL);
	assert_string_equal(err, "unexpected argument \"alice\"");
	assert_int_equal(ctl_list_parse_args(ARGC("list", "--sortx", "cpu"), ARGV("list", "--sortx", "cpu"),
					     &o, err, sizeof(err)), -EINVAL);
}

static struct tview tv(const char *name, double cpu, double mem, double infl)
{
	struct tview t;

	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s", name);
	t.v.cpu_pct = cpu;
	t.v.mem_bytes = mem;
	t.v.inflicted_ms_s = infl;
	t.v.io_rbps = t.v.io_wbps = t.v.iops = t.v.suffered_ms_s = t.v.nproc = NAN;
	return t;
}

/* t sorted by o: the names in their new order, comma-separated */
static const char *sorted(struct tview *t, int n, const struct ctl_list_opts *o)
{
	static char buf[128];

	ctl_sort_tviews(t, n, o);
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		strcat(buf, t[i].name);
		strcat(buf, i < n - 1 ? "," : "");
	}
	return buf;
}

static void test_sort(void **state)
{
	struct tview t[5];
	struct ctl_list_opts o = { CTL_SORT_CPU, false, 0 };

	t[0] = tv("carol", 10, 3e9, NAN);
	t[1] = tv("alice", 90, 1e9, 5);
	t[2] = tv("dave", NAN, NAN, 1);
	t[3] = tv("bob", 10, 2e9, 50);
	t[4] = tv("erin", 0, 0, 0);
	/* biggest first, ties by name, unknown last */
	assert_string_equal(sorted(t, 5, &o), "alice,bob,carol,erin,dave");
	o.reverse = true;
	/* NAN still last */
	assert_string_equal(sorted(t, 5, &o), "erin,bob,carol,alice,dave");
	o = (struct ctl_list_opts){ CTL_SORT_MEM, false, 0 };
	assert_string_equal(sorted(t, 5, &o), "carol,bob,alice,erin,dave");
	o.sort = CTL_SORT_INFLICTED;
	assert_string_equal(sorted(t, 5, &o), "bob,alice,dave,erin,carol");
	o.sort = CTL_SORT_NAME;
	assert_string_equal(sorted(t, 5, &o), "alice,bob,carol,dave,erin");
	o.reverse = true;
	assert_string_equal(sorted(t, 5, &o), "erin,dave,carol,bob,alice");

	/* faults: the sum of the four counters; io: read + write, one unknown side counts 0 */
	t[0].faults_pids = 3;
	t[1].faults_cpu = 1;
	t[1].faults_mem = 1;
	t[1].faults_io = 2;
	o = (struct ctl_list_opts){ CTL_SORT_FAULTS, false, 0 };
	/* 1+1+2 = 4, 3, then 0s */
	assert_string_equal(sorted(t, 5, &o), "dave,erin,alice,bob,carol");
	assert_int_equal(ctl_tview_faults(&t[0]), 4);
	t[2].v.io_wbps = 100;	/* alice: read unknown, write 100 */
	o.sort = CTL_SORT_IO;
	ctl_sort_tviews(t, 5, &o);
	assert_string_equal(t[0].name, "alice");
}

static void test_set_args(void **state)
{
	json_t *l = NULL;
	char err[256];

	assert_int_equal(ctl_set_parse_args(ARGC("set", "alice", "cpu=50%", "mem=1G", "io=10M", "iops=500", "nproc=100"),
					    ARGV("set", "alice", "cpu=50%", "mem=1G", "io=10M", "iops=500", "nproc=100"),
					    &l, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(l, "cpu")), "50%");
	assert_string_equal(json_string_value(json_object_get(l, "nproc")), "100");
	assert_int_equal(json_object_size(l), 5);
	json_decref(l);

	assert_int_equal(ctl_set_parse_args(ARGC("set", "alice", "mem=default"), ARGV("set", "alice", "mem=default"),
					    &l, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(l, "mem")), "default");
	json_decref(l);
	assert_int_equal(ctl_set_parse_args(ARGC("set", "alice", "disk=default"), ARGV("set", "alice", "disk=default"),
					    &l, err, sizeof(err)), -EINVAL);
	assert_int_equal(ctl_set_parse_args(ARGC("set"), ARGV("set"), &l, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "which tenant?");
	assert_int_equal(ctl_set_parse_args(ARGC("set", "alice"), ARGV("set", "alice"), &l, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "nothing to set (key=value...)");
	assert_int_equal(ctl_set_parse_args(ARGC("set", "alice", "cpu"), ARGV("set", "alice", "cpu"), &l, err,
					    sizeof(err)), -EINVAL);
	assert_string_equal(err, "\"cpu\": expected key=value, e.g. cpu=50% mem=1G");
	assert_int_equal(ctl_set_parse_args(ARGC("set", "alice", "=5"), ARGV("set", "alice", "=5"), &l, err,
					    sizeof(err)), -EINVAL);
	assert_int_equal(ctl_set_parse_args(ARGC("set", "alice", "cpu="), ARGV("set", "alice", "cpu="), &l, err,
					    sizeof(err)), -EINVAL);
	assert_int_equal(ctl_set_parse_args(ARGC("set", "alice", "mem=lots"), ARGV("set", "alice", "mem=lots"),
					    &l, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "mem: bad value \"lots\": expected a size such as 512M, 1G, a share "
			    "such as 50% or \"unlimited\"");
	/* issue 14: a share of the tenants' memory, checked here too */
	assert_int_equal(ctl_set_parse_args(ARGC("set", "alice", "mem=101%"), ARGV("set", "alice", "mem=101%"),
					    &l, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "at most 100%"));
	assert_int_equal(ctl_set_parse_args(ARGC("set", "alice", "mem=50%"), ARGV("set", "alice", "mem=50%"),
					    &l, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(l, "mem")), "50%");
	json_decref(l);
	assert_int_equal(ctl_set_parse_args(ARGC("set", "alice", "swap=1G"), ARGV("set", "alice", "swap=1G"),
					    &l, err, sizeof(err)), -EINVAL);
	assert_null(l);
}

static void test_for(void **state)
{
	int64_t s = 9;
	char err[256];

	assert_int_equal(ctl_parse_for(ARGC("throttle", "bob"), ARGV("throttle", "bob"), &s, err, sizeof(err)), 0);
	assert_int_equal(s, 0);
	assert_int_equal(ctl_parse_for(ARGC("throttle", "bob", "--for", "10m"), ARGV("throttle", "bob", "--for", "10m"),
				       &s, err, sizeof(err)), 0);
	assert_int_equal(s, 600);
	assert_int_equal(ctl_parse_for(ARGC("freeze", "bob", "--for=1500ms"), ARGV("freeze", "bob", "--for=1500ms"),
				       &s, err, sizeof(err)), 0);
	assert_int_equal(s, 2);	/* rounded up */
	assert_int_equal(ctl_parse_for(ARGC("throttle", "bob", "--for"), ARGV("throttle", "bob", "--for"), &s, err,
				       sizeof(err)), -EINVAL);
	assert_string_equal(err, "--for needs a duration (10m, 1h)");
	assert_int_equal(ctl_parse_for(ARGC("throttle", "bob", "--for", "soon"), ARGV("throttle", "bob", "--for", "soon"),
				       &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--for: bad duration \"soon\" (1s or more: 30s, 10m, 1h)");
	assert_int_equal(ctl_parse_for(ARGC("throttle", "bob", "--for", "0"), ARGV("throttle", "bob", "--for", "0"),
				       &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(ctl_parse_for(ARGC("throttle", "bob", "now"), ARGV("throttle", "bob", "now"), &s, err,
				       sizeof(err)), -EINVAL);
	assert_string_equal(err, "unexpected argument \"now\"");
}

static void test_events_args(void **state)
{
	json_t *r = NULL;
	char err[256];

	assert_int_equal(ctl_events_parse_args(ARGC("events", "--tenant", "bob", "--since", "-1h", "--limit", "20"),
					       ARGV("events", "--tenant", "bob", "--since", "-1h", "--limit", "20"),
					       1700000000, &r, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(r, "cmd")), "events");
	assert_string_equal(json_string_value(json_object_get(r, "tenant")), "bob");
	assert_int_equal(json_integer_value(json_object_get(r, "since")), 1700000000 - 3600);
	assert_int_equal(json_integer_value(json_object_get(r, "limit")), 20);
	json_decref(r);
	assert_int_equal(ctl_events_parse_args(ARGC("events"), ARGV("events"), 1, &r, err, sizeof(err)), 0);
	assert_int_equal(json_object_size(r), 1);
	json_decref(r);

	assert_int_equal(ctl_events_parse_args(ARGC("events", "--since", "later"), ARGV("events", "--since", "later"),
					       1, &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--since: bad time \"later\" (-1h, EPOCH, \"YYYY-MM-DD HH:MM\")");
	assert_null(r);
	assert_int_equal(ctl_events_parse_args(ARGC("events", "--tenant"), ARGV("events", "--tenant"), 1, &r, err,
					       sizeof(err)), -EINVAL);
	assert_string_equal(err, "--tenant needs a name");
	assert_int_equal(ctl_events_parse_args(ARGC("events", "--limit", "x"), ARGV("events", "--limit", "x"), 1, &r,
					       err, sizeof(err)), -EINVAL);
	assert_int_equal(ctl_events_parse_args(ARGC("events", "bob"), ARGV("events", "bob"), 1, &r, err, sizeof(err)),
			 -EINVAL);
}

/* ctl_main with output captured: usage errors never reach the socket. */
struct run {
	char *out, *err;
	size_t outlen, errlen;
	int rc;
};

static void run_ctl(struct run *r, int argc, char **argv)
{
	struct ctl_ctx c;

	ctl_ctx_init(&c);
	c.sock_path = "/nonexistent/quell-test.sock";
	c.out = open_memstream(&r->out, &r->outlen);
	c.err = open_memstream(&r->err, &r->errlen);
	r->rc = ctl_main(&c, argc, argv);
	ctl_ctx_close(&c);
	fclose(c.out);
	fclose(c.err);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void test_main_usage(void **state)
{
	struct run r;

	run_ctl(&r, ARGC("quellctl", "--help"), ARGV("quellctl", "--help"));
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "exit status:"));
	assert_non_null(strstr(r.out, "3  cannot connect"));
	run_free(&r);

	run_ctl(&r, ARGC("quellctl", "list", "--help"), ARGV("quellctl", "list", "--help"));
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "usage: quellctl [-s SOCKET] [--json] list [--sort"));
	run_free(&r);

	run_ctl(&r, ARGC("quellctl"), ARGV("quellctl"));
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "usage:"));
	run_free(&r);

	run_ctl(&r, ARGC("quellctl", "frobnicate"), ARGV("quellctl", "frobnicate"));
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "quellctl: unknown command \"frobnicate\" (see quellctl --help)\n");
	run_free(&r);

	run_ctl(&r, ARGC("quellctl", "--bogus", "list"), ARGV("quellctl", "--bogus", "list"));
	assert_int_equal(r.rc, 2);
	run_free(&r);

	run_ctl(&r, ARGC("quellctl", "-s"), ARGV("quellctl", "-s"));
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "quellctl: -s needs a path\n");
	run_free(&r);

	const struct { int argc; char **argv; const char *msg; } bad[] = {
		{ 2, ARGV("quellctl", "show"), "quellctl show: which tenant?\n" },
		{ 3, ARGV("quellctl", "where", "abc"), "quellctl where: \"abc\" is not a pid\n" },
		{ 2, ARGV("quellctl", "place"), "quellctl place: which pid?\n" },
		{ 4, ARGV("quellctl", "status", "extra", "args"), "quellctl status: unexpected argument \"extra\"\n" },
		{ 3, ARGV("quellctl", "set", "alice"), "quellctl set: nothing to set (key=value...)\n" },
		{ 5, ARGV("quellctl", "throttle", "bob", "--for", "x"),
		  "quellctl throttle: --for: bad duration \"x\" (1s or more: 30s, 10m, 1h)\n" },
		{ 3, ARGV("quellctl", "release", "--json"), "quellctl release: which tenant?\n" },
		{ 4, ARGV("quellctl", "kill", "bob", "--now"), "quellctl kill: unexpected argument \"--now\"\n" },
		{ 4, ARGV("quellctl", "list", "--top", "-3"), "quellctl list: --top: \"-3\" is not a positive number\n" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run_ctl(&r, bad[i].argc, bad[i].argv);
		assert_int_equal(r.rc, 2);
		/* first line is the message, then the command's usage */
		assert_true(!strncmp(r.err, bad[i].msg, strlen(bad[i].msg)));
		assert_non_null(strstr(r.err, "usage: quellctl "));
		run_free(&r);
	}

	/* kill without --yes and without a terminal refuses (stdin is not a tty under test) */
	if (!isatty(STDIN_FILENO)) {
		run_ctl(&r, 3, ARGV("quellctl", "kill", "bob"));
		assert_int_equal(r.rc, 2);
		assert_non_null(strstr(r.err, "refusing to kill every process of \"bob\" without --yes"));
		run_free(&r);
	}

	/* a valid command without a daemon: exit 3 and a clear message */
	run_ctl(&r, 2, ARGV("quellctl", "status"));
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.err, "quellctl: cannot connect to quelld at /nonexistent/quell-test.sock: "
				   "No such file or directory (is quelld running?)\n");
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_since),
		cmocka_unit_test(test_pid),
		cmocka_unit_test(test_list_args),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_set_args),
		cmocka_unit_test(test_for),
		cmocka_unit_test(test_events_args),
		cmocka_unit_test(test_main_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
