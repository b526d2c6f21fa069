// SPDX-License-Identifier: GPL-2.0-only
/* test_units.c - every units parser with good, bad and overflowing input; printers. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "units.h"

static void test_size_good(void **state)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "12B", 12 }, { "1K", 1024 }, { "1k", 1024 },
		{ "512M", 512ULL << 20 }, { "1G", 1ULL << 30 }, { "1GB", 1ULL << 30 },
		{ "1GiB", 1ULL << 30 }, { "2T", 2ULL << 40 }, { "1.5G", 3ULL << 29 },
		{ "0.5K", 512 }, { "1P", 1ULL << 50 },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 7;
		assert_int_equal(units_parse_size(ok[i].s, &v), 0);
		assert_true(v == ok[i].v);
	}
	assert_int_equal(units_parse_size("unlimited", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(units_parse_size("max", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(units_parse_size("NONE", &v), 0);
	assert_true(v == UINT64_MAX);
}

static void test_size_bad(void **state)
{
	static const char *const bad[] = {
		"", "G", "-1", "+1", " 1G", "1G ", "1X", "1.G", ".", "1..5", "0x10", "1GG", "1Gi",
		"nan", "inf", "1e3", "1,5G",
	};
	uint64_t v = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(units_parse_size(bad[i], &v), -EINVAL);
		assert_true(v == 42);	/* untouched on error */
	}
	assert_int_equal(units_parse_size(NULL, &v), -EINVAL);
	/* overflow: 2^64 and 16384P */
	assert_int_equal(units_parse_size("18446744073709551616", &v), -ERANGE);
	assert_int_equal(units_parse_size("16384P", &v), -ERANGE);
	/* exactly UINT64_MAX would alias "unlimited" */
	assert_int_equal(units_parse_size("18446744073709551615", &v), -ERANGE);
	assert_true(v == 42);
	assert_int_equal(units_parse_size("18446744073709551614", &v), 0);
	assert_true(v == UINT64_MAX - 1);
}

static void test_count(void **state)
{
	uint64_t v = 3;

	assert_int_equal(units_parse_count("100", &v), 0);
	assert_true(v == 100);
	assert_int_equal(units_parse_count("5k", &v), 0);
	assert_true(v == 5000);
	assert_int_equal(units_parse_count("1.5k", &v), 0);
	assert_true(v == 1500);
	assert_int_equal(units_parse_count("2M", &v), 0);
	assert_true(v == 2000000);
	v = 3;
	assert_int_equal(units_parse_count("1.5", &v), -EINVAL);
	assert_int_equal(units_parse_count("-1", &v), -EINVAL);
	assert_int_equal(units_parse_count("10x", &v), -EINVAL);
	assert_int_equal(units_parse_count("", &v), -EINVAL);
	assert_int_equal(units_parse_count("unlimited", &v), -EINVAL);
	assert_int_equal(units_parse_count("99999999999999999999", &v), -ERANGE);
	assert_int_equal(units_parse_count("18446744073709552k", &v), -ERANGE);
	assert_true(v == 3);
}

/* one literal input and what it parses to */
struct good {
	const char *s;
	uint64_t v;
};

#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* every ok[i] parses to its value; every bad[i] is -EINVAL, *out untouched */
static void check_parser(int (*parse)(const char *s, uint64_t *out), const char *what,
			 const struct good *ok, size_t nok, const char *const *bad, size_t nbad)
{
	uint64_t v;

	for (size_t i = 0; i < nok; i++) {
		v = 7;
		if (parse(ok[i].s, &v) || v != ok[i].v)
			fail_msg("%s \"%s\": %llu, want %llu", what, ok[i].s, (unsigned long long)v,
				 (unsigned long long)ok[i].v);
	}
	for (size_t i = 0; i < nbad; i++) {
		v = 42;
		if (parse(bad[i], &v) != -EINVAL || v != 42)
			fail_msg("%s \"%s\" taken", what, bad[i]);
	}
}

/*
 * The edges of the byte and count syntaxes, as literal inputs: what a
 * fraction, a trailing B / iB, the case of a suffix and the top of the
 * range do. Written before the two parsers became one (src/common/units.c,
 * parse_scaled), and passing on both.
 */
static void test_size_edges(void **state)
{
	static const struct good ok[] = {
		{ "1.5", 1 }, { "1.9B", 1 }, { "0.5B", 0 }, { "12b", 12 }, { "1kb", 1024 },
		{ "1Kib", 1024 }, { "1KiB", 1024 }, { "1kB", 1024 }, { ".5K", 512 },
		{ "007K", 7168 }, { "1.5T", 3ULL << 39 }, { "1.0000000009G", 1ULL << 30 },
		{ "0.000000001G", 1 }, { "Max", UINT64_MAX }, { "UNLIMITED", UINT64_MAX },
		{ "18014398509481983.99K", UINT64_MAX - 10 },
	};
	static const char *const bad[] = {
		"1Ki", "1KBB", "1BB", "1iB", "1BiB", "1E", "1b ", "1 K", "K1", "1kk", "1.5.5K",
		"unlimitedK", "maxB", "1Bk", "B",
	};
	uint64_t v = 42;

	check_parser(units_parse_size, "size", ok, N(ok), bad, N(bad));
	/* 2^64 - 1024 + 1023.999999: floors to UINT64_MAX, which means unlimited */
	assert_int_equal(units_parse_size("18014398509481983.999999999K", &v), -ERANGE);
	assert_int_equal(units_parse_size("18014398509481984K", &v), -ERANGE);	/* 2^64 */
	assert_int_equal(units_parse_size("17179869184G", &v), -ERANGE);		/* 2^64 */
	assert_true(v == 42);
}

static void test_count_edges(void **state)
{
	static const struct good ok[] = {
		{ "1.0", 1 }, { "1.50k", 1500 }, { "0.0001k", 0 }, { "1K", 1000 },
		{ "3g", 3000000000ULL }, { "1G", 1000000000ULL }, { ".5k", 500 }, { "0", 0 },
		{ "007", 7 }, { "18446744073709551615", UINT64_MAX },
		{ "18446744073709551.615k", UINT64_MAX },
	};
	static const char *const bad[] = {
		"1T", "1P", "1kB", "1ki", "1B", "12b", "max", "none", "k", "1.k", ".", "1.5",
		"0.1", "1kk", "1 k", "1k ", "+1k",
	};
	uint64_t v = 42;

	check_parser(units_parse_count, "count", ok, N(ok), bad, N(bad));
	assert_int_equal(units_parse_count("18446744073709551.616k", &v), -ERANGE);
	assert_int_equal(units_parse_count("18446744073710G", &v), -ERANGE);
	assert_int_equal(units_parse_count(NULL, &v), -EINVAL);
	assert_true(v == 42);
}

static void test_duration(void **state)
{
	static const struct { const char *s; uint64_t ms; } ok[] = {
		{ "10", 10000 }, { "0", 0 }, { "10s", 10000 }, { "5m", 300000 }, { "1h", 3600000 },
		{ "2d", 172800000 }, { "250ms", 250 }, { "1h30m", 5400000 }, { "1.5s", 1500 },
		{ "1w", 604800000 }, { "2min", 120000 }, { "1m30s", 90000 },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 1;
		assert_int_equal(units_parse_duration_ms(ok[i].s, &v), 0);
		assert_true(v == ok[i].ms);
	}
	v = 77;
	assert_int_equal(units_parse_duration_ms("", &v), -EINVAL);
	assert_int_equal(units_parse_duration_ms("s", &v), -EINVAL);
	assert_int_equal(units_parse_duration_ms("10x", &v), -EINVAL);
	assert_int_equal(units_parse_duration_ms("1h30", &v), -EINVAL);
	assert_int_equal(units_parse_duration_ms("-5s", &v), -EINVAL);
	assert_int_equal(units_parse_duration_ms("10 s", &v), -EINVAL);
	assert_int_equal(units_parse_duration_ms("5msec", &v), -EINVAL);
	assert_int_equal(units_parse_duration_ms("99999999999999999w", &v), -ERANGE);
	assert_true(v == 77);
}

static void test_percent(void **state)
{
	double d = -1;

	assert_int_equal(units_parse_percent("50%", &d), 0);
	assert_true(d == 50.0);
	assert_int_equal(units_parse_percent("250", &d), 0);
	assert_true(d == 250.0);
	assert_int_equal(units_parse_percent("12.5%", &d), 0);
	assert_true(fabs(d - 12.5) < 1e-9);
	assert_int_equal(units_parse_percent("max", &d), 0);
	assert_true(isinf(d));
	d = 9;
	assert_int_equal(units_parse_percent("%", &d), -EINVAL);
	assert_int_equal(units_parse_percent("50%%", &d), -EINVAL);
	assert_int_equal(units_parse_percent("-5%", &d), -EINVAL);
	assert_int_equal(units_parse_percent("nan", &d), -EINVAL);
	assert_int_equal(units_parse_percent("inf", &d), -EINVAL);
	assert_int_equal(units_parse_percent("5e2", &d), -EINVAL);
	assert_int_equal(units_parse_percent("10000000000%", &d), -ERANGE);
	assert_true(d == 9);
}

static void test_bool(void **state)
{
	bool b = false;

	assert_int_equal(units_parse_bool("yes", &b), 0);
	assert_true(b);
	assert_int_equal(units_parse_bool("OFF", &b), 0);
	assert_false(b);
	assert_int_equal(units_parse_bool("1", &b), 0);
	assert_true(b);
	assert_int_equal(units_parse_bool("false", &b), 0);
	assert_false(b);
	assert_int_equal(units_parse_bool("maybe", &b), -EINVAL);
	assert_int_equal(units_parse_bool("", &b), -EINVAL);
	assert_false(b);
}

static void test_fmt_size(void **state)
{
	char buf[32];

	assert_string_equal(units_fmt_size(12, buf, sizeof(buf)), "12B");
	assert_string_equal(units_fmt_size(0, buf, sizeof(buf)), "0B");
	assert_string_equal(units_fmt_size(512 * 1024.0, buf, sizeof(buf)), "512K");
	assert_string_equal(units_fmt_size(1.5 * (1 << 30), buf, sizeof(buf)), "1.5G");
	assert_string_equal(units_fmt_size(1 << 30, buf, sizeof(buf)), "1G");
	assert_string_equal(units_fmt_size(1023.99 * 1024, buf, sizeof(buf)), "1M");
	assert_string_equal(units_fmt_size(150.4 * (1 << 20), buf, sizeof(buf)), "150M");
	assert_string_equal(units_fmt_size(NAN, buf, sizeof(buf)), "-");
	assert_string_equal(units_fmt_size(-1, buf, sizeof(buf)), "-");
	assert_string_equal(units_fmt_size(INFINITY, buf, sizeof(buf)), "max");
	/* small buffers truncate, never overflow */
	assert_string_equal(units_fmt_size(1.5 * (1 << 30), buf, 3), "1.");
}

static void test_fmt_duration(void **state)
{
	char buf[32];

	assert_string_equal(units_fmt_duration_ms(120, buf, sizeof(buf)), "120ms");
	assert_string_equal(units_fmt_duration_ms(45000, buf, sizeof(buf)), "45s");
	assert_string_equal(units_fmt_duration_ms(1500, buf, sizeof(buf)), "1.5s");
	assert_string_equal(units_fmt_duration_ms(303000, buf, sizeof(buf)), "5m03s");
	assert_string_equal(units_fmt_duration_ms((2 * 3600 + 3 * 60) * 1000ULL, buf, sizeof(buf)),
			    "2h03m");
	assert_string_equal(units_fmt_duration_ms((2 * 86400 + 5 * 3600) * 1000ULL, buf, sizeof(buf)),
			    "2d05h");
}

/* What we print we can read back (sizes that are whole units). */
static void test_roundtrip(void **state)
{
	static const uint64_t vals[] = { 1, 1023, 1024, 512ULL << 20, 3ULL << 30, 7ULL << 40 };
	char buf[32];
	uint64_t v;

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		units_fmt_size((double)vals[i], buf, sizeof(buf));
		assert_int_equal(units_parse_size(buf, &v), 0);
		assert_true(v == vals[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_good),
		cmocka_unit_test(test_size_bad),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_size_edges),
		cmocka_unit_test(test_count_edges),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_fmt_size),
		cmocka_unit_test(test_fmt_duration),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
