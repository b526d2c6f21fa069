// SPDX-License-Identifier: GPL-2.0-only
/* test_events_log.c - audit log append, rotation by size, filtered reads. */
#include <errno.h>
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

#include "events_log.h"
#include "fixture.h"
#include "history.h"

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

/* Lines t0..t1 (one per second) of tenant "a", written as files by hand. */
static void write_lines(const char *rel, int t0, int t1, const char *tail)
{
	char *buf = calloc(1, 64 * (size_t)(t1 - t0 + 1) + 256);
	size_t o = 0;

	assert_non_null(buf);
	for (int t = t0; t <= t1; t++)
		o += (size_t)sprintf(buf + o, "{\"time\":%d,\"tenant\":\"%s\",\"action\":\"apply\"}\n",
				     t, t % 2 ? "a" : "b");
	if (tail)
		strcpy(buf + o, tail);
	assert_int_equal(fx_write(&tree, rel, buf), 0);
	free(buf);
}

struct seen {
	int n, stop_after;
	double t[64];
};

static int seen_line(const char *line, size_t len, void *arg)
{
	struct seen *s = arg;
	double t = -1;

	events_line_time(line, len, &t);
	if (s->n < 64)
		s->t[s->n] = t;
	s->n++;
	return s->stop_after && s->n >= s->stop_after;
}

/* Newest first: backwards through path, then path.1, path.2; stops when told. */
static void test_scan_newest_first(void **state)
{
	char p[600];
	struct seen s = { 0 };

	(void)state;
	write_lines("log", 7, 9, NULL);
	write_lines("log.1", 4, 6, NULL);
	write_lines("log.2", 1, 3, NULL);
	write_lines("log.4", 100, 101, NULL);	/* after a gap: not part of the log */
	snprintf(p, sizeof(p), "%s/log", tree.path);
	assert_int_equal(events_log_scan(p, seen_line, &s), 0);
	assert_int_equal(s.n, 9);
	for (int i = 0; i < 9; i++)
		assert_float_equal(s.t[i], 9 - i, 0);

	memset(&s, 0, sizeof(s));
	s.stop_after = 4;
	assert_int_equal(events_log_scan(p, seen_line, &s), 0);
	assert_int_equal(s.n, 4);	/* stopped in log.1, log.2 never opened */
	assert_float_equal(s.t[3], 6, 0);

	/* the current file missing (keep = 0 truncates, a rotation in flight) */
	unlink(p);
	memset(&s, 0, sizeof(s));
	assert_int_equal(events_log_scan(p, seen_line, &s), 0);
	assert_int_equal(s.n, 6);
	assert_float_equal(s.t[0], 6, 0);
	assert_int_equal(events_log_scan(NULL, seen_line, &s), -EINVAL);
}

/* A last line without its newline; lines longer than a 64 KiB chunk; over 1 MiB skipped. */
static void test_scan_partial_and_long_lines(void **state)
{
	size_t big = 200000, huge = (1 << 20) + 5000;
	char *buf = malloc(big + huge + 512), p[600];
	json_t *arr;
	size_t o = 0;

	(void)state;
	assert_non_null(buf);
	o += (size_t)sprintf(buf, "{\"time\":1,\"tenant\":\"a\",\"action\":\"apply\",\"pad\":\"");
	memset(buf + o, 'x', big);
	o += big;
	o += (size_t)sprintf(buf + o, "\"}\n{\"time\":2,\"tenant\":\"a\",\"action\":\"x\",\"pad\":\"");
	memset(buf + o, 'y', huge);
	o += huge;
	o += (size_t)sprintf(buf + o, "\"}\n{\"time\":3,\"tenant\":\"a\",\"action\":\"release\"}\n"
			     "{\"time\":4,\"tenant\":\"a\",\"act");
	buf[o] = '\0';
	assert_int_equal(fx_write(&tree, "p.jsonl", buf), 0);
	free(buf);
	snprintf(p, sizeof(p), "%s/p.jsonl", tree.path);
	assert_int_equal(events_log_read(p, "a", 0, 0, &arr), 0);
	assert_int_equal(json_array_size(arr), 2);	/* 1 and 3: 2 too long, 4 cut */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "time")), 1);
	assert_int_equal(strlen(json_string_value(json_object_get(json_array_get(arr, 0),
								  "pad"))), big);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 1), "time")), 3);
	json_decref(arr);

	/* a complete last line without a newline is an event */
	assert_int_equal(fx_write(&tree, "q.jsonl", "{\"time\":5,\"action\":\"kill\"}\n"
				  "{\"time\":6,\"action\":\"kill\"}"), 0);
	snprintf(p, sizeof(p), "%s/q.jsonl", tree.path);
	assert_int_equal(events_log_read(p, NULL, 0, 1, &arr), 0);
	assert_int_equal(json_array_size(arr), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "time")), 6);
	json_decref(arr);
}

/* limit and since across rotated files; since stops the scan (slack 60 s). */
static void test_read_limit_since(void **state)
{
	char p[600];
	json_t *arr;

	(void)state;
	write_lines("l", 1201, 1300, NULL);
	write_lines("l.1", 1101, 1200, NULL);
	/* since - 60 s lies in l.1: a read with such a since never opens l.2... */
	write_lines("l.2", 1, 1100, NULL);
	snprintf(p, sizeof(p), "%s/l", tree.path);

	assert_int_equal(events_log_read(p, "a", 0, 3, &arr), 0);	/* newest 3 of a */
	assert_int_equal(json_array_size(arr), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "time")), 1295);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 2), "time")), 1299);
	json_decref(arr);

	assert_int_equal(events_log_read(p, NULL, 1190, 0, &arr), 0);	/* spans l.1 and l */
	assert_int_equal(json_array_size(arr), 111);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "time")), 1190);
	json_decref(arr);

	/* ...which is why an unreadable l.2 does not matter to a since inside l.1 */
	snprintf(p, sizeof(p), "%s/l.2", tree.path);
	assert_int_equal(chmod(p, 0), 0);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0700), 0);	/* reading a directory fails: EISDIR */
	snprintf(p, sizeof(p), "%s/l", tree.path);
	assert_int_equal(events_log_read(p, "b", 1170, 0, &arr), 0);	/* stops at 1109 */
	assert_int_equal(json_array_size(arr), 66);
	json_decref(arr);
	assert_int_equal(events_log_read(p, "b", 0, 0, &arr), -EISDIR);
}

/* The history graphs read the same log the same way: every rotated file. */
static void test_hist_events_all_rotated(void **state)
{
	struct hist_event *ev;
	char p[600];
	int n;

	(void)state;
	write_lines("h", 21, 30, NULL);
	write_lines("h.1", 11, 20, NULL);
	write_lines("h.2", 1, 10, NULL);
	snprintf(p, sizeof(p), "%s/h", tree.path);
	assert_int_equal(hist_events_load(p, NULL, 0, 1000, &ev, &n), 0);
	assert_int_equal(n, 30);		/* the first version read h and h.1 only */
	for (int i = 0; i < n; i++)
		assert_int_equal(ev[i].time, i + 1);	/* oldest first */
	free(ev);
	assert_int_equal(hist_events_load(p, "a", 5, 14, &ev, &n), 0);
	assert_int_equal(n, 5);			/* 5 7 9 11 13 */
	assert_int_equal(ev[0].time, 5);
	assert_int_equal(ev[4].time, 13);
	free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_and_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_added, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_lines_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_newest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_partial_and_long_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_limit_since, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hist_events_all_rotated, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
