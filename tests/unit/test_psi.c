// SPDX-License-Identifier: GPL-2.0-only
/* test_psi.c - the PSI parser with literal kernel output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include "psi.h"

/* /proc/pressure/memory on this machine */
static const char mem_text[] =
	"some avg10=1.23 avg60=0.31 avg300=0.33 total=3739720\n"
	"full avg10=0.67 avg60=0.19 avg300=0.29 total=3469620\n";

static void test_parse_some_full(void **state)
{
	struct psi_stats s;

	(void)state;
	assert_int_equal(psi_parse(mem_text, &s), 0);
	assert_true(s.has_some);
	assert_true(s.has_full);
	assert_float_equal(s.some.avg10, 1.23, 1e-9);
	assert_float_equal(s.some.avg60, 0.31, 1e-9);
	assert_float_equal(s.some.avg300, 0.33, 1e-9);
	assert_int_equal(s.some.total_us, 3739720);
	assert_float_equal(s.full.avg10, 0.67, 1e-9);
	assert_int_equal(s.full.total_us, 3469620);
}

static void test_parse_some_only(void **state)
{
	struct psi_stats s;

	(void)state;
	/* cpu.pressure before 5.13 had no "full" line; no trailing newline either */
	assert_int_equal(psi_parse("some avg10=16.47 avg60=3.98 avg300=1.10 total=6624282", &s), 0);
	assert_true(s.has_some);
	assert_false(s.has_full);
	assert_float_equal(s.some.avg10, 16.47, 1e-9);
	assert_int_equal(s.some.total_us, 6624282);
	assert_int_equal(s.full.total_us, 0);
}

static void test_parse_big_total(void **state)
{
	struct psi_stats s;

	(void)state;
	assert_int_equal(psi_parse("some avg10=100.00 avg60=99.99 avg300=0.01 total=18446744073709551615\n",
				   &s), 0);
	assert_true(s.some.total_us == UINT64_MAX);
	assert_float_equal(s.some.avg10, 100.0, 1e-9);
}

static void test_parse_malformed(void **state)
{
	struct psi_stats s = { .some.total_us = 99 };

	(void)state;
	assert_int_equal(psi_parse("", &s), -EINVAL);
	assert_int_equal(psi_parse("\n", &s), -EINVAL);
	assert_int_equal(psi_parse("full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &s), -EINVAL);
	assert_int_equal(psi_parse("some avg10=0.00 avg60=0.00 total=0\n", &s), -EINVAL);
	assert_int_equal(psi_parse("some avg10=abc avg60=0.00 avg300=0.00 total=0\n", &s), -EINVAL);
	assert_int_equal(psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=-3\n", &s), -EINVAL);
	assert_int_equal(psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=5 junk\n", &s),
			 -EINVAL);
	assert_int_equal(psi_parse("some avg10=170.00 avg60=0.00 avg300=0.00 total=5\n", &s),
			 -EINVAL);
	assert_int_equal(psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n"
				   "full avg10=x\n", &s), -EINVAL);
	assert_int_equal(psi_parse("!@#$\n", &s), -EINVAL);
	assert_int_equal(psi_parse(NULL, &s), -EINVAL);
	assert_int_equal(s.some.total_us, 99);	/* untouched on error */
}

static void test_parse_file(void **state)
{
	struct psi_stats s;
	FILE *f = fmemopen((void *)mem_text, sizeof(mem_text) - 1, "r");

	(void)state;
	assert_non_null(f);
	assert_int_equal(psi_parse_file(f, &s), 0);
	assert_int_equal(s.full.total_us, 3469620);
	fclose(f);
}

static void test_read_host_fake(void **state)
{
	struct fx_tree t;
	struct psi_stats s;

	(void)state;
	assert_int_equal(fx_tree_new(&t), 0);
	assert_int_equal(fx_write(&t, "pressure/io", "some avg10=0.50 avg60=0.00 avg300=0.00 total=77\n"
				  "full avg10=0.25 avg60=0.00 avg300=0.00 total=55\n"), 0);
	assert_int_equal(psi_read_host(t.fd, PSI_IO, &s), 0);
	assert_int_equal(s.some.total_us, 77);
	assert_int_equal(s.full.total_us, 55);
	assert_int_equal(psi_read_host(t.fd, PSI_CPU, &s), -ENOENT);
	assert_int_equal(psi_read_host(t.fd, PSI_NR, &s), -EINVAL);
	assert_string_equal(psi_res_name(PSI_MEM), "memory");
	fx_tree_free(&t);
}

static void test_read_host_real(void **state)
{
	struct psi_stats s;
	int e;

	(void)state;
	e = psi_read_host(-1, PSI_CPU, &s);
	if (e == -ENOENT || e == -EOPNOTSUPP)
		skip();		/* kernel without PSI, or psi=0 */
	assert_int_equal(e, 0);
	assert_true(s.has_some);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_some_full),
		cmocka_unit_test(test_parse_some_only),
		cmocka_unit_test(test_parse_big_total),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_read_host_fake),
		cmocka_unit_test(test_read_host_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
