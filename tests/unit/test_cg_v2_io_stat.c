// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cg_v2_io_stat.c - the v2 io.stat parser with literal kernel output,
 * including the lines 6.1 prints for a device that has a blkg (io.max was
 * written for it) but no IO yet: "254:0 " and nothing else. Found in the
 * pure-v2 test VM: after `quellctl set T io=10M` every cgroup counter of T
 * was lost (cg_read_usage -EINVAL) until T had done IO on every device.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cgroup.h"
#include "../../collectors/cg_internal.h"

static void test_device_without_io(void **state)
{
	struct cg_usage u;

	(void)state;
	memset(&u, 0, sizeof(u));
	/* 6.1, io.max on vda, no IO in the cgroup yet */
	assert_int_equal(cg_v2_parse_io_stat("254:0 \n", &u), 0);
	assert_true(u.valid & CGU_IO);
	assert_int_equal(u.io_rbytes, 0);
	assert_int_equal(u.io_wops, 0);

	/* one idle device among busy ones, last line without its newline */
	memset(&u, 0, sizeof(u));
	assert_int_equal(cg_v2_parse_io_stat(
		"8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n"
		"254:0 \n"
		"254:16 rbytes=10 wbytes=2097152 rios=2 wios=32 dbytes=0 dios=0\n"
		"259:0 ", &u), 0);
	assert_int_equal(u.io_rbytes, 4106);
	assert_int_equal(u.io_wbytes, 2097152);
	assert_int_equal(u.io_rops, 3);
	assert_int_equal(u.io_wops, 32);
}

static void test_still_strict(void **state)
{
	struct cg_usage u;

	(void)state;
	memset(&u, 0, sizeof(u));
	/* what real kernels never print stays an error */
	assert_int_equal(cg_v2_parse_io_stat("254:0 rbytes\n", &u), -EINVAL);
	assert_int_equal(cg_v2_parse_io_stat("254:0 rbytes=x wbytes=1\n", &u), -EINVAL);
	assert_int_equal(cg_v2_parse_io_stat("vda rbytes=1\n", &u), -EINVAL);
	assert_false(u.valid & CGU_IO);
	assert_int_equal(cg_v2_parse_io_stat("", &u), 0);
	assert_int_equal(u.io_rbytes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_without_io),
		cmocka_unit_test(test_still_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
