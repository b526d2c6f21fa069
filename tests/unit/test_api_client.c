// SPDX-License-Identifier: GPL-2.0-only
/* test_api_client.c - the socket server's pure pieces: framing, output buffer, admission. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api.h"

static char *dup_str(const char *s)
{
	char *p = strdup(s);

	assert_non_null(p);
	return p;
}

/* Two pipelined requests come out one at a time; a partial one waits. */
static void test_frame_lines(void **state)
{
	char buf[64];
	size_t len, ll = 99;
	bool disc = false;

	len = (size_t)sprintf(buf, "{\"cmd\":\"a\"}\n{\"cmd\":\"b\"}\n{\"cm");
	assert_int_equal(api_frame(buf, &len, 64, &disc, &ll), 1);
	assert_int_equal(ll, 11);
	memmove(buf, buf + ll + 1, len - ll - 1);	/* what the server does after serving */
	len -= ll + 1;
	assert_int_equal(api_frame(buf, &len, 64, &disc, &ll), 1);
	assert_memory_equal(buf, "{\"cmd\":\"b\"}", 11);
	memmove(buf, buf + ll + 1, len - ll - 1);
	len -= ll + 1;
	assert_int_equal(api_frame(buf, &len, 64, &disc, &ll), 0);
	assert_int_equal(len, 4);
	assert_false(disc);
}

/* No newline in max bytes: refused once, skipped to its end, the next request intact. */
static void test_frame_oversized(void **state)
{
	char buf[16];
	size_t len = 16, ll = 0;
	bool disc = false;

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(api_frame(buf, &len, 16, &disc, &ll), -EMSGSIZE);
	assert_true(disc);
	assert_int_equal(len, 0);
	/* more of the same line: dropped silently, no second error */
	len = 16;
	assert_int_equal(api_frame(buf, &len, 16, &disc, &ll), 0);
	assert_int_equal(len, 0);
	/* its end, then a request */
	len = (size_t)sprintf(buf, "xx\n{\"c\":1}\n");
	assert_int_equal(api_frame(buf, &len, 16, &disc, &ll), 1);
	assert_false(disc);
	assert_int_equal(ll, 7);
	assert_memory_equal(buf, "{\"c\":1}", 7);
}

/* One reply of any size is taken; pipelined ones only up to the cap. */
static void test_out_cap(void **state)
{
	struct api_outbuf o = { 0 };
	char *big = malloc(1000);

	assert_non_null(big);
	memset(big, 'r', 1000);
	assert_int_equal(api_out_queue(&o, big, 1000, 100), 0);	/* over cap, but alone */
	assert_int_equal(api_out_pending(&o), 1000);
	api_out_advance(&o, 950);
	assert_int_equal(api_out_pending(&o), 50);
	assert_int_equal(api_out_queue(&o, dup_str("0123456789"), 10, 100), 0);
	assert_int_equal(api_out_pending(&o), 60);
	assert_memory_equal(o.buf + o.off + 50, "0123456789", 10);
	/* 60 + 41 > 100: the caller drops the client */
	char *m = malloc(41);

	assert_non_null(m);
	memset(m, 'z', 41);
	assert_int_equal(api_out_queue(&o, m, 41, 100), -ENOBUFS);
	assert_int_equal(api_out_pending(&o), 60);	/* unchanged */
	/* 60 + 40 = 100 fits exactly */
	m = malloc(40);
	assert_non_null(m);
	memset(m, 'y', 40);
	assert_int_equal(api_out_queue(&o, m, 40, 100), 0);
	assert_int_equal(api_out_pending(&o), 100);
	api_out_advance(&o, 100);
	assert_int_equal(api_out_pending(&o), 0);
	assert_null(o.buf);
	api_out_free(&o);
}

#define P(u, t) { .used = true, .uid = (u), .active_ms = (t) }

/* Room: nobody is closed. */
static void test_admit_room(void **state)
{
	const struct api_peer p[] = { P(1000, 5), { 0 }, P(1001, 3) };

	assert_int_equal(api_admit(p, 3, 1000, 10, 2), -1);
	assert_int_equal(api_admit(p, 3, 1002, 10, 2), -1);
}

/* A uid at its cap loses its own least recently active connection, never another uid's. */
static void test_admit_per_uid(void **state)
{
	const struct api_peer p[] = { P(1000, 50), P(1001, 1), P(1000, 20), P(1000, 30) };

	assert_int_equal(api_admit(p, 4, 1000, 10, 3), 2);
	assert_int_equal(api_admit(p, 4, 1001, 10, 3), -1);
	/* root is not capped */
	const struct api_peer r[] = { P(0, 50), P(0, 1), P(0, 20) };

	assert_int_equal(api_admit(r, 3, 0, 10, 2), -1);
}

/* Table full: the uid holding most pays, with its least recently active. */
static void test_admit_full(void **state)
{
	const struct api_peer p[] = { P(1000, 1), P(0, 40), P(0, 30), P(0, 35), P(1001, 2) };

	assert_int_equal(api_admit(p, 5, 1002, 5, 32), 2);
	assert_int_equal(api_admit(p, 5, 0, 5, 32), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_lines),
		cmocka_unit_test(test_frame_oversized),
		cmocka_unit_test(test_out_cap),
		cmocka_unit_test(test_admit_room),
		cmocka_unit_test(test_admit_per_uid),
		cmocka_unit_test(test_admit_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
