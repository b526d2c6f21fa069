// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_enforcer.c - the act stage (src/quelld/act.c, carrying out the plan
 * of decide.c) against a fake cgroup v2 tree: static limits, a rule
 * tripping and what gets written, dry-run, exempt, manual commands through
 * the socket dispatcher, the audit log, and crash safety (state saved,
 * restored, expired rungs released, release on exit). The decisions alone,
 * without a tree, are tests/unit/test_decide.c.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "api.h"
#include "act.h"
#include "events_log.h"
#include "fixture.h"
#include "fixture_daemon.h"
#include "fixture_policy.h"
#include "log.h"
#include "state.h"

static struct fx_tree tree;
static struct daemon D;
/* the socket commands run as root here; tests/unit/test_authz.c covers the other callers */
static const struct ucred root_peer = { .pid = 1, .uid = 0, .gid = 0 };
static uint64_t base;

static const char *const files[] = {
	"cpu.max", "memory.high", "memory.max", "pids.max", "io.max", "cgroup.freeze",
	"cgroup.kill", "cgroup.procs", "cpu.idle", "cpu.weight",
};

static void mk_tenant_dir(const char *rel)
{
	char p[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", rel, files[i]);
		assert_int_equal(fx_write(&tree, p, !strcmp(files[i], "cpu.max") ? "max 100000\n" :
					  !strcmp(files[i], "cgroup.freeze") ? "0\n" :
					  !strcmp(files[i], "cpu.idle") ? "0\n" :
					  !strcmp(files[i], "cpu.weight") ? "100\n" :
					  !strcmp(files[i], "io.max") || !strcmp(files[i], "cgroup.procs") ||
					  !strcmp(files[i], "cgroup.kill") ? "" : "max\n"), 0);
	}
}

/*
 * Assert that the first line of rel (in the fake tree) is want. A macro so
 * that a failure names the test's line, not this helper's.
 */
#define expect_file(rel, want)	expect_file_at(rel, want, __FILE__, __LINE__)

static void expect_file_at(const char *rel, const char *want, const char *file, int line)
{
	char buf[256];

	_assert_true(fx_read(&tree, rel, buf, sizeof(buf)) >= 0, rel, file, line);
	buf[strcspn(buf, "\n")] = '\0';
	_assert_string_equal(buf, want, file, line);
}

static struct tenant *add(const char *name, uint32_t uid)
{
	struct tenant *t = registry_add(&D.reg, name, uid, uid);

	assert_non_null(t);
	snprintf(t->cg, sizeof(t->cg), "quell/%s", name);
	limits_init(&t->lim);
	t->view = fx_view(1, 0);
	for (int i = 0; i < QM_NR; i++)
		t->rates.r[i] = NAN;
	return t;
}

/*
 * alice (1001) and bob (1002), each added to act as gather adds a tenant;
 * bob with the static limit key=value (limits.conf's words) unless key is NULL
 */
static void alice_and_bob_with(struct tenant **a, struct tenant **b, const char *key,
			       const char *value)
{
	char err[100];

	*a = add("alice", 1001);
	*b = add("bob", 1002);
	if (key)
		assert_int_equal(limits_parse_kv(&(*b)->lim, key, value, err, sizeof(err)), 0);
	assert_int_equal(act_tenant_added(&D, *a), 0);
	assert_int_equal(act_tenant_added(&D, *b), 0);
}

static void alice_and_bob(struct tenant **a, struct tenant **b)
{
	alice_and_bob_with(a, b, NULL, NULL);
}

static void daemon_up(void)
{
	char err[200];

	memset(&D, 0, sizeof(D));
	policy_config_init(&D.cfg.policy);
	assert_int_equal(policy_config_finish(&D.cfg.policy, err, sizeof(err)), 0);
	fx_daemon_files(&D, tree.path);
	D.cfg.events_max_bytes = 1 << 20;
	D.cfg.events_keep = 2;
	assert_int_equal(fx_daemon_open(&D, &tree), 0);
	assert_int_equal(act_init(&D), 0);
}

static void daemon_down(void)
{
	act_shutdown(&D);
	fx_daemon_close(&D);
}

static int setup(void **state)
{
	(void)state;
	if (fx_tree_new(&tree))
		return -1;
	fx_write(&tree, "cgroup.controllers", "cpu io memory pids\n");
	mk_tenant_dir("quell/alice");
	mk_tenant_dir("quell/bob");
	base = clock_real_ms() / 1000 * 1000;
	daemon_up();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	daemon_down();
	fx_tree_free(&tree);
	return 0;
}

/* one tick at a CLOCK_REALTIME ms, as daemon_tick runs it after gather; returns actions */
static int tick_at(uint64_t real_ms)
{
	tick_decide(&D, real_ms, &D.plan);
	return tick_act(&D, &D.plan);
}

/* alice hogs, bob waits; ticks base+from .. base+to seconds; returns actions */
static int run(struct tenant *hog, struct tenant *victim, double cpu, double suff, int from,
	       int to)
{
	int n = 0;

	hog->view.cpu_pct = cpu;
	victim->view.suffered_ms_s = suff;
	for (int s = from; s <= to; s++) {
		int r = tick_at(base + (uint64_t)s * 1000);

		assert_true(r >= 0);
		n += r;
	}
	return n;
}

static json_t *events(const char *tenant)
{
	json_t *arr;

	assert_int_equal(events_log_read(D.cfg.events_path, tenant, 0, 0, &arr), 0);
	return arr;
}

static const char *last_action(const char *tenant)
{
	static char buf[32];
	json_t *arr = events(tenant);
	size_t n = json_array_size(arr);

	snprintf(buf, sizeof(buf), "%s", n ? json_string_value(json_object_get(
		json_array_get(arr, n - 1), "action")) : "");
	json_decref(arr);
	return buf;
}

static void test_static_limits_on_add(void **state)
{
	char err[100];
	struct tenant *a;

	(void)state;
	a = add("alice", 1001);
	assert_int_equal(limits_parse_kv(&a->lim, "cpu", "150%", err, sizeof(err)), 0);
	assert_int_equal(limits_parse_kv(&a->lim, "nproc", "300", err, sizeof(err)), 0);
	assert_int_equal(act_tenant_added(&D, a), 0);
	expect_file("quell/alice/cpu.max", "150000 100000");
	expect_file("quell/alice/pids.max", "300");
	assert_int_equal(a->state, TS_OK);
}

/* issue 14: every tenant gets pids.max 512 unless its limits say otherwise */
static void test_default_nproc(void **state)
{
	struct tenant *a, *b;

	(void)state;
	alice_and_bob_with(&a, &b, "nproc", "unlimited");
	expect_file("quell/alice/pids.max", "512");
	expect_file("quell/bob/pids.max", "max");
}

/*
 * issue 14: the default memory share in bytes of the base gather read; a
 * tick with the same base writes nothing, a new base (the admin boxed the
 * tenants after quelld started) rewrites each tenant's limit once.
 */
static void test_mem_share_base_change(void **state)
{
	struct tenant *a, *b;

	(void)state;
	D.mem_base = 512ULL << 20;
	alice_and_bob_with(&a, &b, "mem", "unlimited");
	expect_file("quell/alice/memory.max", "268435456");
	expect_file("quell/bob/memory.max", "max");

	/* same base: nothing written (a write would replace the marker) */
	assert_int_equal(fx_write(&tree, "quell/alice/memory.max", "marker\n"), 0);
	assert_int_equal(fx_write(&tree, "quell/bob/memory.max", "marker\n"), 0);
	assert_int_equal(tick_at(base + 1000), 0);
	assert_int_equal(tick_at(base + 2000), 0);
	expect_file("quell/alice/memory.max", "marker");

	/* a new base: alice's limit follows, once; bob (unlimited) is left alone */
	D.mem_base = 1ULL << 30;
	assert_int_equal(tick_at(base + 3000), 0);
	expect_file("quell/alice/memory.max", "536870912");
	expect_file("quell/bob/memory.max", "marker");
	assert_int_equal(fx_write(&tree, "quell/alice/memory.max", "marker\n"), 0);
	assert_int_equal(tick_at(base + 4000), 0);
	expect_file("quell/alice/memory.max", "marker");
	assert_true(a->applied.mem_max == 1ULL << 29);
}

/*
 * A write that fails (memory.max a directory here: EISDIR; on a v1 host the
 * EBUSY of a memory.limit_in_bytes under the usage) is not tried again on
 * the next ticks, a different limit set and a forced write are tried at
 * once, and the same write again a second after it last failed. pids.max
 * shows each try: the backend writes every file it can.
 */
static void test_failed_write_backoff(void **state)
{
	char p[300], err[100];
	struct tenant *a;

	(void)state;
	D.mem_base = 512ULL << 20;
	snprintf(p, sizeof(p), "%s/quell/alice/memory.max", tree.path);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	a = add("alice", 1001);
	assert_int_equal(act_tenant_added(&D, a), -EISDIR);
	expect_file("quell/alice/pids.max", "512");
	assert_int_equal(a->written.fails, 1);

	/* the next ticks: not tried again (a write a tick before the backoff) */
	assert_int_equal(fx_write(&tree, "quell/alice/pids.max", "marker\n"), 0);
	assert_int_equal(tick_at(base + 1000), 0);
	assert_int_equal(tick_at(base + 2000), 0);
	expect_file("quell/alice/pids.max", "marker");

	/* forced (a `quellctl` command, a recreated cgroup): at once, and counted */
	assert_int_equal(act_apply(&D, a, true), -EISDIR);
	expect_file("quell/alice/pids.max", "512");
	assert_int_equal(a->written.fails, 2);

	/* a different limit set: at once, its own backoff */
	assert_int_equal(limits_parse_kv(&a->lim, "nproc", "300", err, sizeof(err)), 0);
	assert_int_equal(tick_at(base + 3000), 0);
	expect_file("quell/alice/pids.max", "300");
	assert_int_equal(a->written.fails, 1);
	assert_int_equal(a->written.err, -EISDIR);

	/* the obstacle gone: still the backoff, then the write a second later */
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(fx_write(&tree, "quell/alice/memory.max", "max\n"), 0);
	assert_int_equal(fx_write(&tree, "quell/alice/pids.max", "marker\n"), 0);
	assert_int_equal(tick_at(base + 4000), 0);
	expect_file("quell/alice/pids.max", "marker");
	usleep(1000 * 1000);
	assert_int_equal(tick_at(base + 5000), 0);
	expect_file("quell/alice/pids.max", "300");
	expect_file("quell/alice/memory.max", "268435456");
	assert_int_equal(a->written.fails, 0);
	assert_true(a->written.valid);

	/* written: the next tick skips it as any identical write */
	assert_int_equal(fx_write(&tree, "quell/alice/pids.max", "marker\n"), 0);
	assert_int_equal(tick_at(base + 6000), 0);
	expect_file("quell/alice/pids.max", "marker");
}

static void test_rule_trips_and_writes(void **state)
{
	struct tenant *a, *b;
	json_t *arr, *ev;

	(void)state;
	alice_and_bob(&a, &b);

	assert_int_equal(run(a, b, 190, 0, 0, 30), 0);		/* busy, nobody hurt */
	assert_int_equal(run(a, b, 190, 40, 31, 31), 0);	/* the window opens */
	assert_int_equal(run(a, b, 190, 40, 32, 32), 1);	/* 1 s: the gentle rung */
	expect_file("quell/alice/cpu.idle", "1");
	expect_file("quell/alice/cpu.max", "max 100000");			/* no cap yet */
	expect_file("quell/bob/cpu.idle", "0");
	assert_int_equal(a->state, TS_THROTTLED);
	assert_string_equal(a->state_rule, "cpu-hog");
	assert_int_equal(a->dyn.cpu_idle, 1);
	assert_int_equal(a->state_until, base / 1000 + 32 + 10);

	arr = events("alice");
	assert_int_equal(json_array_size(arr), 1);
	ev = json_array_get(arr, 0);
	assert_string_equal(json_string_value(json_object_get(ev, "action")), "apply");
	assert_string_equal(json_string_value(json_object_get(ev, "rule")), "cpu-hog");
	assert_false(json_is_true(json_object_get(ev, "dry_run")));
	assert_true(json_real_value(json_object_get(json_object_get(ev, "evidence"), "value")) ==
		    190);
	assert_true(json_real_value(json_object_get(json_object_get(ev, "evidence"), "signal")) ==
		    40);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "limits"),
							    "cpu_idle")), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "limits_text")), "cpu_idle=yes");
	json_decref(arr);

	/* neighbours still suffer while it is demoted: the quota, idle kept */
	assert_int_equal(run(a, b, 190, 40, 33, 41), 0);
	assert_int_equal(run(a, b, 190, 40, 42, 42), 1);
	assert_string_equal(last_action("alice"), "escalate");
	expect_file("quell/alice/cpu.max", "50000 100000");
	expect_file("quell/alice/cpu.idle", "1");
	expect_file("quell/bob/cpu.max", "max 100000");
	assert_true(a->dyn.cpu_pct == 50);
	assert_int_equal(a->state_until, base / 1000 + 42 + 60);

	/* calm: back to the gentle rung after the 60 s hold, released 30 s later */
	assert_int_equal(run(a, b, 49, 5, 43, 101), 0);
	assert_int_equal(run(a, b, 49, 5, 102, 102), 1);
	assert_string_equal(last_action("alice"), "step_down");
	expect_file("quell/alice/cpu.max", "max 100000");
	expect_file("quell/alice/cpu.idle", "1");
	assert_int_equal(run(a, b, 49, 5, 103, 131), 0);
	assert_int_equal(run(a, b, 49, 5, 132, 132), 1);
	expect_file("quell/alice/cpu.idle", "0");
	assert_string_equal(last_action("alice"), "release");
	assert_int_equal(a->state, TS_OK);
}

static void test_freeze_rung_and_kill(void **state)
{
	char err[200];
	struct tenant *a, *b;

	(void)state;
	assert_int_equal(policy_parse_kv(&D.cfg.policy, "rule:cpu-hog", "steps",
					 "cpu=50% for 2s, freeze for 3s, kill", err, sizeof(err)), 0);
	alice_and_bob(&a, &b);
	assert_int_equal(run(a, b, 190, 40, 0, 10), 1);	/* apply at 10 */
	assert_int_equal(run(a, b, 50, 40, 11, 12), 1);	/* freeze at 12 */
	expect_file("quell/alice/cgroup.freeze", "1");
	assert_int_equal(a->state, TS_FROZEN);
	assert_int_equal(run(a, b, 0, 0, 13, 15), 1);		/* thaw at 15 */
	expect_file("quell/alice/cgroup.freeze", "0");
	expect_file("quell/alice/cpu.max", "50000 100000");		/* the throttle stays */
	assert_int_equal(run(a, b, 50, 40, 16, 26), 1);	/* parole broken: kill */
	assert_string_equal(last_action("alice"), "kill");
	expect_file("quell/alice/cgroup.kill", "1");
}

static void test_dry_run_writes_nothing(void **state)
{
	struct tenant *a, *b;
	json_t *arr;

	(void)state;
	D.cfg.policy.dry_run = 1;
	alice_and_bob(&a, &b);
	assert_int_equal(run(a, b, 190, 40, 0, 10), 1);
	expect_file("quell/alice/cpu.max", "max 100000");
	expect_file("quell/alice/cpu.idle", "0");
	assert_int_equal(a->state, TS_OK);
	arr = events("alice");
	assert_int_equal(json_array_size(arr), 1);
	assert_true(json_is_true(json_object_get(json_array_get(arr, 0), "dry_run")));
	json_decref(arr);
}

static void test_exempt_untouched(void **state)
{
	struct tenant *a, *b;

	(void)state;
	a = add("alice", 1001);
	b = add("bob", 1002);
	a->exempt = true;
	act_tenant_added(&D, a);
	act_tenant_added(&D, b);
	assert_int_equal(run(a, b, 190, 40, 0, 100), 0);
	expect_file("quell/alice/cpu.max", "max 100000");
}

/* a plan decided for other tenants than the registry holds is not carried out */
static void test_stale_plan_not_applied(void **state)
{
	struct tenant *a, *b;

	(void)state;
	alice_and_bob(&a, &b);
	assert_int_equal(run(a, b, 190, 40, 0, 0), 0);			/* the window opens */
	assert_int_equal(tick_decide(&D, base + 1000, &D.plan), 1);	/* the gentle rung */
	registry_remove(&D.reg, b);
	assert_int_equal(tick_act(&D, &D.plan), -ESTALE);
	expect_file("quell/alice/cpu.idle", "0");
	assert_int_equal(a->pol.level, 0);
	assert_string_equal(last_action("alice"), "");

	/* as many tenants, not the same ones at the same places */
	b = add("bob", 1002);
	b->view.suffered_ms_s = 40;
	assert_int_equal(tick_decide(&D, base + 1000, &D.plan), 1);
	registry_remove(&D.reg, a);
	add("carol", 1003);
	assert_int_equal(tick_act(&D, &D.plan), -ESTALE);
	assert_string_equal(last_action("alice"), "");
}

static json_t *call(const char *fmt, ...)
{
	va_list ap;
	json_t *req, *resp;

	va_start(ap, fmt);
	req = json_vpack_ex(NULL, 0, fmt, ap);
	va_end(ap);
	assert_non_null(req);
	resp = api_dispatch(&D, &root_peer, req);
	json_decref(req);
	return resp;
}

static void test_manual_commands(void **state)
{
	struct tenant *a;
	json_t *r;

	(void)state;
	a = add("alice", 1001);
	act_tenant_added(&D, a);

	r = call("{s:s, s:s, s:{s:s, s:s}}", "cmd", "set", "name", "alice", "limits", "cpu",
		 "30%", "mem", "1G");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	expect_file("quell/alice/cpu.max", "30000 100000");
	expect_file("quell/alice/memory.max", "1073741824");
	assert_string_equal(last_action("alice"), "set");

	r = call("{s:s, s:s, s:{s:s}}", "cmd", "set", "name", "alice", "limits", "cpu", "lots");
	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_non_null(strstr(json_string_value(json_object_get(r, "error")), "cpu"));
	json_decref(r);
	r = call("{s:s, s:s, s:{s:s}}", "cmd", "set", "name", "nobody", "limits", "cpu", "1%");
	assert_false(json_is_true(json_object_get(r, "ok")));
	json_decref(r);

	/* throttle: the stricter of override (30%) and throttle_limits (25%) */
	r = call("{s:s, s:s, s:s}", "cmd", "throttle", "name", "alice", "for", "10m");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "state"),
							      "state")), "throttled");
	json_decref(r);
	expect_file("quell/alice/cpu.max", "25000 100000");
	assert_string_equal(a->state_rule, "manual");

	r = call("{s:s, s:s}", "cmd", "limits", "name", "alice");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_true(json_real_value(json_object_get(json_object_get(json_object_get(r, "limits"),
			"cgroup"), "cpu_pct")) == 25);
	assert_true(json_real_value(json_object_get(json_object_get(json_object_get(r, "limits"),
			"static"), "cpu_pct")) == 30);
	json_decref(r);

	r = call("{s:s, s:s}", "cmd", "release", "name", "alice");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	expect_file("quell/alice/cpu.max", "30000 100000");	/* the override stays */

	r = call("{s:s, s:s, s:i}", "cmd", "freeze", "name", "alice", "for", 60);
	json_decref(r);
	expect_file("quell/alice/cgroup.freeze", "1");
	/* expires on a later tick */
	tick_at(clock_real_ms() + 61000);
	expect_file("quell/alice/cgroup.freeze", "0");

	r = call("{s:s, s:s, s:{s:s}}", "cmd", "set", "name", "alice", "limits", "cpu",
		 "default");
	json_decref(r);
	expect_file("quell/alice/cpu.max", "max 100000");
	expect_file("quell/alice/memory.max", "1073741824");

	r = call("{s:s, s:s, s:i}", "cmd", "events", "tenant", "alice", "limit", 3);
	assert_int_equal(json_array_size(json_object_get(r, "events")), 3);
	json_decref(r);
	r = call("{s:s, s:s}", "cmd", "events", "since", "yesterday");
	assert_false(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	r = call("{s:s, s:s, s:s}", "cmd", "throttle", "name", "alice", "for", "-1");
	assert_false(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
}

static void test_restart_keeps_state(void **state)
{
	struct tenant *a, *b;
	json_t *r;

	(void)state;
	D.cfg.policy.release_on_exit = false;
	alice_and_bob(&a, &b);
	r = call("{s:s, s:s, s:{s:s}}", "cmd", "set", "name", "bob", "limits", "nproc", "77");
	json_decref(r);
	/* the gentle rung at 1, the quota at 11 (demoted 10 s, neighbours still suffer) */
	assert_int_equal(run(a, b, 190, 40, 0, 11), 2);

	/* crash: nothing released; a new daemon reads it back */
	daemon_down();
	fx_write(&tree, "quell/alice/cpu.max", "max 100000\n");	/* someone reset it */
	fx_write(&tree, "quell/alice/cpu.idle", "0\n");
	daemon_up();
	alice_and_bob(&a, &b);
	expect_file("quell/alice/cpu.max", "50000 100000");
	expect_file("quell/alice/cpu.idle", "1");
	assert_int_equal(a->pol.level, 2);
	expect_file("quell/bob/pids.max", "77");

	/* SIGTERM with release_on_exit: throttle goes, override stays */
	D.cfg.policy.release_on_exit = true;
	daemon_down();
	expect_file("quell/alice/cpu.max", "max 100000");
	expect_file("quell/alice/cpu.idle", "0");
	expect_file("quell/bob/pids.max", "77");
	daemon_up();
}

static void test_expired_while_down(void **state)
{
	char p[512];
	struct tenant *a;
	uint64_t old = clock_real_ms() - 3600 * 1000;

	(void)state;
	daemon_down();
	snprintf(p, sizeof(p),
		 "{\"version\":1,\"tenants\":{\"alice\":{\"manual\":\"throttle\","
		 "\"manual_limits\":{\"cpu_pct\":10},\"manual_until\":%llu,"
		 "\"rules\":{\"cpu-hog\":{\"level\":2,\"since\":%llu}}}}}",
		 (unsigned long long)(old / 1000), (unsigned long long)old);
	fx_write(&tree, "state/policy-state.json", p);
	fx_write(&tree, "quell/alice/cpu.max", "10000 100000\n");
	daemon_up();
	a = add("alice", 1001);
	assert_int_equal(act_tenant_added(&D, a), 0);
	expect_file("quell/alice/cpu.max", "max 100000");
	assert_int_equal(a->pol.level, 0);
	assert_string_equal(last_action("alice"), "release");

	/* a corrupt state file is not fatal */
	daemon_down();
	fx_write(&tree, "state/policy-state.json", "{nonsense");
	daemon_up();
	a = add("alice", 1001);
	assert_int_equal(act_tenant_added(&D, a), 0);
}

static void test_state_roundtrip(void **state)
{
	struct state_db db = { 0 }, back;
	struct state_tenant *st;
	char p[512], err[100];

	(void)state;
	st = state_find(&db, "carol", true);
	assert_non_null(st);
	assert_int_equal(limits_parse_kv(&st->over, "io", "10M", err, sizeof(err)), 0);
	assert_int_equal(limits_parse_kv(&st->over, "cpu", "unlimited", err, sizeof(err)), 0);
	/* `quellctl set carol mem=25% mem_high=12.5%`: a share stays a share */
	assert_int_equal(limits_parse_kv(&st->over, "mem", "25%", err, sizeof(err)), 0);
	assert_int_equal(limits_parse_kv(&st->over, "mem_high", "12.5%", err, sizeof(err)), 0);
	st->manual = SM_FREEZE;
	st->manual_until = 123;
	st->nr_rules = 1;
	st->rules = calloc(1, sizeof(*st->rules));	/* sized by use: freed by state_free */
	assert_non_null(st->rules);
	snprintf(st->rules[0].rule, sizeof(st->rules[0].rule), "io-hog");
	st->rules[0].rs.level = 2;
	st->rules[0].rs.since_ms = 5000;
	assert_non_null(state_find(&db, "dave", true));	/* unused: not written */
	snprintf(p, sizeof(p), "%s/st.json", tree.path);
	assert_int_equal(state_save(p, &db), 0);
	assert_int_equal(state_load(p, &back), 0);
	assert_int_equal(back.nr, 1);
	st = state_find(&back, "carol", false);
	assert_non_null(st);
	assert_int_equal(st->over.set, LIM_IO_RBPS | LIM_IO_WBPS | LIM_CPU | LIM_MEM_MAX |
					LIM_MEM_HIGH);
	assert_int_equal(st->over.mem_max_pct, 2500);
	assert_true(st->over.mem_max == CG_UNLIMITED);
	assert_int_equal(st->over.mem_high_pct, 1250);
	assert_int_equal(st->over.io_wbps, 10 << 20);
	assert_true(isinf(st->over.cpu_pct));
	assert_int_equal(st->manual, SM_FREEZE);
	assert_int_equal(st->manual_until, 123);
	assert_string_equal(st->rules[0].rule, "io-hog");
	assert_int_equal(st->rules[0].rs.level, 2);
	assert_int_equal(st->rules[0].rs.since_ms, 5000);
	assert_null(state_find(&back, "dave", false));
	state_free(&db);
	state_free(&back);
	snprintf(p, sizeof(p), "%s/none.json", tree.path);
	assert_int_equal(state_load(p, &back), 0);
	assert_int_equal(back.nr, 0);
}

/*
 * issue 15: a calm tenant costs no state entry (the last-write cache lives in
 * struct tenant), identical writes are still skipped, and an entry that
 * stopped mattering goes at the next save.
 */
static void test_calm_tenant_no_state_entry(void **state)
{
	struct tenant *a, *b;

	(void)state;
	alice_and_bob(&a, &b);
	assert_int_equal(run(a, b, 1, 0, 0, 5), 0);
	assert_null(act_state("alice", false));
	assert_null(act_state("bob", false));

	/* nothing changed: the tick does not rewrite what it wrote before */
	assert_int_equal(fx_write(&tree, "quell/alice/cpu.max", "12345 100000\n"), 0);
	assert_int_equal(run(a, b, 1, 0, 6, 7), 0);
	expect_file("quell/alice/cpu.max", "12345 100000");
	assert_int_equal(act_apply(&D, a, true), 0);		/* force: written again */
	expect_file("quell/alice/cpu.max", "max 100000");

	/* a ladder is worth an entry; bob, calm, still has none */
	assert_int_equal(run(a, b, 190, 40, 8, 12), 1);
	assert_non_null(act_state("alice", false));
	assert_null(act_state("bob", false));
	/* released: nothing left to persist, the entry goes with the save */
	act_tenant_release(&D, a, "test");
	assert_null(act_state("alice", false));
	assert_int_equal(D.plan.db->nr, 0);
}

/* state_compact keeps what is used, drops the rest, and the index still finds */
static void test_state_compact(void **state)
{
	struct state_db db = { 0 };
	char name[32];

	(void)state;
	for (int i = 0; i < 100; i++) {
		struct state_tenant *st;

		snprintf(name, sizeof(name), "u%d", i);
		st = state_find(&db, name, true);
		assert_non_null(st);
		if (i % 10 == 3)
			st->manual = SM_THROTTLE;
	}
	assert_int_equal(db.nr, 100);
	assert_int_equal(state_compact(&db), 90);
	assert_int_equal(db.nr, 10);
	assert_true(db.cap <= 2 * db.nr + 16);
	for (int i = 0; i < 100; i++) {
		struct state_tenant *st;

		snprintf(name, sizeof(name), "u%d", i);
		st = state_find(&db, name, false);
		if (i % 10 == 3) {
			assert_non_null(st);
			assert_string_equal(st->name, name);
			assert_int_equal(st->manual, SM_THROTTLE);
		} else {
			assert_null(st);
		}
	}
	assert_int_equal(state_compact(&db), 0);
	assert_non_null(state_find(&db, "new", true));		/* appends after a compaction */
	assert_non_null(state_find(&db, "u13", false));
	state_free(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_static_limits_on_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_nproc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mem_share_base_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_trips_and_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_freeze_rung_and_kill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exempt_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_plan_not_applied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manual_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_keeps_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_while_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calm_tenant_no_state_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_compact, setup, teardown),
	};

	log_init("test_enforcer", 0, LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
