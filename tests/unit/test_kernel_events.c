// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_kernel_events.c - kernel actions into the audit log (issue 12 item 7):
 * the burst rule with literal times, and kernel_events_tick() on a registry
 * of literal samples writing to a real audit log under mkdtemp() (fixture.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "clock.h"
#include "daemon.h"
#include "events_log.h"
#include "fixture.h"
#include "kernel_events.h"
#include "tenant.h"

static void test_burst_single(void **state)
{
	struct kev_burst b = { 0 };

	(void)state;
	assert_false(kev_burst_step(&b, 0, 1000));		/* nothing, nothing pending */
	assert_false(kev_burst_step(&b, 1, 2000));		/* one OOM kill: wait for quiet */
	assert_int_equal(b.count, 1);
	assert_false(kev_burst_step(&b, 0, 2000 + KEV_QUIET_MS - 1));
	assert_true(kev_burst_step(&b, 0, 2000 + KEV_QUIET_MS));
	assert_int_equal(b.first_ms, 2000);
	assert_int_equal(b.last_ms, 2000);
}

static void test_burst_storm_is_one(void **state)
{
	struct kev_burst b = { 0 };
	uint64_t t;

	(void)state;
	/* a fork bomb refused 500 times a second for 10 s: one report, 5000 */
	for (t = 0; t < 10000; t += 1000)
		assert_false(kev_burst_step(&b, 500, t));
	assert_false(kev_burst_step(&b, 0, 10000));
	assert_false(kev_burst_step(&b, 0, 9000 + KEV_QUIET_MS - 1));
	assert_true(kev_burst_step(&b, 0, 9000 + KEV_QUIET_MS));
	assert_int_equal(b.count, 5000);
	assert_int_equal(b.last_ms - b.first_ms, 9000);
}

static void test_burst_long_is_reported(void **state)
{
	struct kev_burst b = { 0 };
	uint64_t t;
	int reports = 0;

	(void)state;
	/* never quiet: still one line per KEV_MAX_MS, none lost */
	for (t = 0; t <= 3 * KEV_MAX_MS; t += 1000) {
		if (kev_burst_step(&b, 2, t)) {
			assert_int_equal(b.count, 2 * (KEV_MAX_MS / 1000 + 1));
			memset(&b, 0, sizeof(b));
			reports++;
		}
	}
	assert_int_equal(reports, 2);
}

/* one tenant with counter values prev -> cur, from src */
static struct tenant *tenant_with(struct registry *r, const char *name, uint32_t uid,
				  enum qm_id id, uint64_t prev, uint64_t cur, enum qm_source src)
{
	struct tenant *t = registry_add(r, name, uid, uid);

	assert_non_null(t);
	limits_init(&t->lim);
	qm_set(&t->prev, id, prev, src);
	qm_set(&t->cur, id, cur, src);
	return t;
}

/* a daemon with an empty registry and an audit log in a fixture.h tree */
struct kev_env {
	struct fx_tree t;
	char path[300];
	struct daemon *d;
};

static int kev_setup(void **state)
{
	struct kev_env *e = calloc(1, sizeof(*e));

	if (!e || fx_tree_new(&e->t))
		return -1;
	*state = e;
	snprintf(e->path, sizeof(e->path), "%s/events.jsonl", e->t.path);
	e->d = calloc(1, sizeof(*e->d));
	if (!e->d || events_log_open(e->path, 0, 1, &e->d->events) ||
	    registry_init(&e->d->reg))
		return -1;
	return 0;
}

static int kev_teardown(void **state)
{
	struct kev_env *e = *state;

	kernel_events_fini();
	events_log_close(e->d->events);
	registry_free(&e->d->reg);
	free(e->d);
	fx_tree_free(&e->t);
	free(e);
	return 0;
}

/* The log closed and read back (into *arr, for json_decref): its one line. */
static json_t *kev_only_line(struct kev_env *e, json_t **arr)
{
	events_log_close(e->d->events);
	e->d->events = NULL;
	assert_int_equal(events_log_read(e->path, NULL, 0, 0, arr), 0);
	assert_int_equal(json_array_size(*arr), 1);
	return json_array_get(*arr, 0);
}

static void test_tick_logs_one_line_per_burst(void **state)
{
	struct kev_env *e = *state;
	struct daemon *d = e->d;
	struct tenant *a, *b;
	json_t *arr, *ev, *evi;

	a = tenant_with(&d->reg, "alice", 1001, QM_PIDS_MAX_EVENTS, 10, 310, QM_SRC_CGROUP);
	a->lim.set |= LIM_NPROC;
	a->lim.nproc = 20;
	qm_set(&a->cur, QM_NPROC, 20, QM_SRC_CGROUP);
	/* bob: a counter that went backwards (restart) is no event */
	b = tenant_with(&d->reg, "bob", 1002, QM_PIDS_MAX_EVENTS, 50, 3, QM_SRC_CGROUP);

	kernel_events_tick(d, 1000);
	a->prev = a->cur;
	a->cur.v[QM_PIDS_MAX_EVENTS] += 200;
	b->prev = b->cur;
	kernel_events_tick(d, 2000);
	a->prev = a->cur;
	kernel_events_tick(d, 3000);
	kernel_events_tick(d, 2000 + KEV_QUIET_MS);	/* quiet: alice's burst ends */
	kernel_events_tick(d, 2000 + 2 * KEV_QUIET_MS);	/* and is not logged twice */

	ev = kev_only_line(e, &arr);
	assert_string_equal(json_string_value(json_object_get(ev, "tenant")), "alice");
	assert_string_equal(json_string_value(json_object_get(ev, "action")), "kernel_pids_max");
	assert_string_equal(json_string_value(json_object_get(ev, "rule")), "kernel");
	evi = json_object_get(ev, "evidence");
	assert_int_equal(json_integer_value(json_object_get(evi, "count")), 500);
	assert_string_equal(json_string_value(json_object_get(evi, "limit")), "nproc");
	assert_int_equal(json_integer_value(json_object_get(evi, "limit_value")), 20);
	assert_int_equal(json_integer_value(json_object_get(evi, "nproc")), 20);
	json_decref(arr);
}

/*
 * issue 14: a tenant OOM-killed at its default share of the memory: the
 * line names the limit in force in bytes and when the burst began
 * (first_ms, CLOCK_REALTIME), though it is written KEV_QUIET_MS later.
 */
static void test_oom_at_share_names_limit_and_start(void **state)
{
	struct kev_env *e = *state;
	struct daemon *d = e->d;
	struct tenant *a;
	json_t *arr, *ev, *evi;
	uint64_t before, first;

	a = tenant_with(&d->reg, "leaker", 1001, QM_OOM_KILLS, 0, 1, QM_SRC_CGROUP);
	/* what act applied: the default 50 % of a 512 MiB box (decide.c's limits_of) */
	limits_init(&a->applied);
	limits_apply_defaults(&a->applied);
	limits_resolve(&a->applied, 512ULL << 20);
	a->applied_valid = true;
	qm_set(&a->cur, QM_MEM_BYTES, 268300000, QM_SRC_CGROUP);

	before = clock_real_ms();
	kernel_events_tick(d, 10000);
	a->prev = a->cur;
	kernel_events_tick(d, 11000);
	kernel_events_tick(d, 10000 + KEV_QUIET_MS);	/* quiet: logged now */

	ev = kev_only_line(e, &arr);
	assert_string_equal(json_string_value(json_object_get(ev, "action")), "kernel_oom_kill");
	evi = json_object_get(ev, "evidence");
	assert_string_equal(json_string_value(json_object_get(evi, "limit")), "mem_max");
	assert_int_equal(json_integer_value(json_object_get(evi, "limit_value")), 256 << 20);
	assert_true(json_is_integer(json_object_get(evi, "first_ms")));
	first = (uint64_t)json_integer_value(json_object_get(evi, "first_ms"));
	/* the first tick was "now" when the test began: KEV_QUIET_MS before the line */
	assert_true(first + KEV_QUIET_MS >= before && first <= before + 1000);
	json_decref(arr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_single),
		cmocka_unit_test(test_burst_storm_is_one),
		cmocka_unit_test(test_burst_long_is_reported),
		cmocka_unit_test_setup_teardown(test_tick_logs_one_line_per_burst, kev_setup,
						kev_teardown),
		cmocka_unit_test_setup_teardown(test_oom_at_share_names_limit_and_start, kev_setup,
						kev_teardown),
	};

	return cmocka_run_group_tests_name("kernel_events", tests, NULL, NULL);
}
