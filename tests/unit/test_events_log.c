// SPDX-License-Identifier: GPL-2.0-only
/* test_events_log.c - audit log append, rotation by size, filtered reads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "events_log.h"
#include "fixture.h"

static struct fx_tree tree;
static char logp[512];

static int setup(void **state)
{
	(void)state;
	if (fx_tree_new(&tree))
		return -1;
	snprintf(logp, sizeof(logp), "%s/sub/dir/events.jsonl", tree.path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fx_tree_free(&tree);
	return 0;
}

static void add(struct events_log *l, long t, const char *tenant, const char *action)
{
	json_t *ev = json_pack("{s:I, s:s, s:s, s:s}", "time", (json_int_t)t, "tenant", tenant,
			       "action", action, "rule", "cpu-hog");

	assert_int_equal(events_log_append(l, ev), 0);
	json_decref(ev);
}

static void test_append_and_read(void **state)
{
	struct events_log *l;
	json_t *arr;

	(void)state;
	assert_int_equal(events_log_open(logp, 0, 3, &l), 0);	/* makes sub/dir */
	add(l, 100, "alice", "apply");
	add(l, 200, "bob", "apply");
	add(l, 300, "alice", "release");
	events_log_close(l);

	assert_int_equal(events_log_read(logp, NULL, 0, 0, &arr), 0);
	assert_int_equal(json_array_size(arr), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "action")),
			    "apply");
	json_decref(arr);

	assert_int_equal(events_log_read(logp, "alice", 0, 0, &arr), 0);
	assert_int_equal(json_array_size(arr), 2);
	json_decref(arr);

	assert_int_equal(events_log_read(logp, "alice", 150, 0, &arr), 0);
	assert_int_equal(json_array_size(arr), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "time")), 300);
	json_decref(arr);

	assert_int_equal(events_log_read(logp, "", 0, 2, &arr), 0);	/* newest two */
	assert_int_equal(json_array_size(arr), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "time")), 200);
	json_decref(arr);
}

static void test_time_added(void **state)
{
	struct events_log *l;
	json_t *arr, *ev = json_pack("{s:s}", "tenant", "x"), *notobj = json_array();
	time_t now = time(NULL);

	(void)state;
	assert_int_equal(events_log_open(logp, 0, 1, &l), 0);
	assert_int_equal(events_log_append(l, ev), 0);
	assert_int_equal(events_log_append(l, notobj), -EINVAL);	/* not an object */
	json_decref(notobj);
	json_decref(ev);
	events_log_close(l);
	assert_int_equal(events_log_read(logp, "x", now - 1, 0, &arr), 0);
	assert_int_equal(json_array_size(arr), 1);
	json_decref(arr);
}

static void test_rotation(void **state)
{
	struct events_log *l;
	json_t *arr;
	char p[600];
	struct stat st;

	(void)state;
	/* each line is ~60 bytes: 200 bytes holds 3 */
	assert_int_equal(events_log_open(logp, 200, 2, &l), 0);
	for (int i = 0; i < 20; i++)
		add(l, 1000 + i, "alice", "apply");
	events_log_close(l);

	assert_int_equal(stat(logp, &st), 0);
	assert_true(st.st_size <= 200);
	snprintf(p, sizeof(p), "%s.1", logp);
	assert_int_equal(stat(p, &st), 0);
	assert_true(st.st_size <= 200);
	snprintf(p, sizeof(p), "%s.2", logp);
	assert_int_equal(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s.3", logp);
	assert_int_not_equal(access(p, F_OK), 0);	/* keep = 2 */

	/* read spans the rotated files, oldest first, newest event last */
	assert_int_equal(events_log_read(logp, NULL, 0, 0, &arr), 0);
	assert_true(json_array_size(arr) >= 6 && json_array_size(arr) < 20);
	for (size_t i = 1; i < json_array_size(arr); i++)
		assert_true(json_integer_value(json_object_get(json_array_get(arr, i), "time")) >
			    json_integer_value(json_object_get(json_array_get(arr, i - 1), "time")));
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(arr, json_array_size(arr) - 1), "time")), 1019);
	json_decref(arr);
}

static void test_bad_lines_and_missing(void **state)
{
	json_t *arr;
	char p[600];

	(void)state;
	snprintf(p, sizeof(p), "%s/none.jsonl", tree.path);
	assert_int_equal(events_log_read(p, NULL, 0, 0, &arr), 0);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);

	assert_int_equal(fx_write(&tree, "bad.jsonl",
				  "{\"time\":1,\"tenant\":\"a\"}\nnot json\n[1,2]\n"
				  "{\"time\":2,\"tenant\":\"a\"}\n{\"time\":3,"), 0);
	snprintf(p, sizeof(p), "%s/bad.jsonl", tree.path);
	assert_int_equal(events_log_read(p, "a", 0, 0, &arr), 0);
	assert_int_equal(json_array_size(arr), 2);
	json_decref(arr);
	assert_int_equal(events_log_read(NULL, NULL, 0, 0, &arr), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_and_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_added, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_lines_and_missing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
