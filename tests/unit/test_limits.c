// SPDX-License-Identifier: GPL-2.0-only
/* test_limits.c - limits_parse_kv, merge, the cgroup form and printing. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tenant_limits.h"

static void test_init(void **state)
{
	struct tenant_limits l;

	memset(&l, 0x55, sizeof(l));
	limits_init(&l);
	assert_int_equal(l.set, 0);
	assert_true(isinf(l.cpu_pct));
	assert_true(l.mem_max == CG_UNLIMITED && l.mem_high == CG_UNLIMITED);
	assert_true(l.nproc == CG_UNLIMITED && l.io_rbps == CG_UNLIMITED && l.io_wiops == CG_UNLIMITED);
}

static void test_parse_every_key(void **state)
{
	struct tenant_limits l;
	char err[256];

	limits_init(&l);
	assert_int_equal(limits_parse_kv(&l, "cpu", "50%", err, sizeof(err)), 0);
	assert_true(l.cpu_pct == 50.0);
	assert_int_equal(limits_parse_kv(&l, "mem", "1G", err, sizeof(err)), 0);
	assert_true(l.mem_max == 1ULL << 30);
	assert_int_equal(limits_parse_kv(&l, "mem_high", "768M", err, sizeof(err)), 0);
	assert_true(l.mem_high == 768ULL << 20);
	assert_int_equal(limits_parse_kv(&l, "mem_max", "2G", err, sizeof(err)), 0);
	assert_true(l.mem_max == 2ULL << 30);
	assert_int_equal(limits_parse_kv(&l, "nproc", "100", err, sizeof(err)), 0);
	assert_true(l.nproc == 100);
	assert_int_equal(limits_parse_kv(&l, "io", "10M", err, sizeof(err)), 0);
	assert_true(l.io_rbps == 10ULL << 20 && l.io_wbps == 10ULL << 20);
	assert_int_equal(limits_parse_kv(&l, "io_read", "20M/s", err, sizeof(err)), 0);
	assert_true(l.io_rbps == 20ULL << 20 && l.io_wbps == 10ULL << 20);
	assert_int_equal(limits_parse_kv(&l, "io_write", "5M", err, sizeof(err)), 0);
	assert_true(l.io_wbps == 5ULL << 20);
	assert_int_equal(limits_parse_kv(&l, "iops", "500", err, sizeof(err)), 0);
	assert_true(l.io_riops == 500 && l.io_wiops == 500);
	assert_int_equal(limits_parse_kv(&l, "riops", "1k", err, sizeof(err)), 0);
	assert_true(l.io_riops == 1000);
	assert_int_equal(limits_parse_kv(&l, "wiops", "200", err, sizeof(err)), 0);
	assert_true(l.io_wiops == 200);
	assert_int_equal(l.set, LIM_CPU | LIM_MEM_HIGH | LIM_MEM_MAX | LIM_NPROC | LIM_IO_RBPS |
				LIM_IO_WBPS | LIM_IO_RIOPS | LIM_IO_WIOPS);
	/* unlimited is a value that is set (an override can lift a default) */
	assert_int_equal(limits_parse_kv(&l, "nproc", "unlimited", err, sizeof(err)), 0);
	assert_true(l.nproc == CG_UNLIMITED);
	assert_int_equal(limits_parse_kv(&l, "cpu", "max", err, sizeof(err)), 0);
	assert_true(isinf(l.cpu_pct));
	assert_true(l.set & LIM_CPU);
}

static void test_parse_errors(void **state)
{
	struct tenant_limits l, before;
	char err[256];

	limits_init(&l);
	before = l;
	assert_int_equal(limits_parse_kv(&l, "disk", "1G", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "unknown limit \"disk\""));
	assert_int_equal(limits_parse_kv(&l, "mem", "lots", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "mem: bad value \"lots\": expected a size such as 512M, 1G, a share "
			    "such as 50% or \"unlimited\"");
	assert_int_equal(limits_parse_kv(&l, "mem_hold", "lots", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "mem_hold: bad value \"lots\": expected a size such as 512M, 1G or "
			    "\"unlimited\"");
	assert_int_equal(limits_parse_kv(&l, "cpu", "fast", err, sizeof(err)), -EINVAL);
	assert_int_equal(limits_parse_kv(&l, "cpu", "0%", err, sizeof(err)), -ERANGE);
	assert_int_equal(limits_parse_kv(&l, "nproc", "0", err, sizeof(err)), -ERANGE);
	assert_int_equal(limits_parse_kv(&l, "nproc", "1.5", err, sizeof(err)), -EINVAL);
	assert_int_equal(limits_parse_kv(&l, "mem", "99999999999P", err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "mem: value \"99999999999P\" is out of range");
	assert_int_equal(limits_parse_kv(&l, "io", "", err, sizeof(err)), -EINVAL);
	assert_memory_equal(&l, &before, sizeof(l));	/* nothing half-written */
}

static void test_merge(void **state)
{
	struct tenant_limits d, o;
	char err[256];

	limits_init(&d);
	limits_init(&o);
	limits_parse_kv(&d, "cpu", "100%", err, sizeof(err));
	limits_parse_kv(&d, "mem", "1G", err, sizeof(err));
	limits_parse_kv(&o, "mem", "4G", err, sizeof(err));
	limits_parse_kv(&o, "nproc", "50", err, sizeof(err));
	limits_merge(&d, &o);
	assert_true(d.cpu_pct == 100.0);	/* kept */
	assert_true(d.mem_max == 4ULL << 30);	/* replaced */
	assert_true(d.nproc == 50);		/* added */
	assert_true(d.mem_high == CG_UNLIMITED);
	assert_int_equal(d.set, LIM_CPU | LIM_MEM_MAX | LIM_NPROC);
}

static void test_to_cg(void **state)
{
	static const uint32_t devs[2][2] = { { 8, 0 }, { 259, 1 } };
	struct tenant_limits l;
	struct cg_limits cg;
	char err[256];

	limits_init(&l);
	limits_to_cg(&l, NULL, 0, &cg);
	assert_true(cg.cpu_quota_us == CG_UNLIMITED);
	assert_int_equal(cg.nr_io, 0);
	assert_true(cg.mem_max == CG_UNLIMITED && cg.pids_max == CG_UNLIMITED);

	limits_parse_kv(&l, "cpu", "250%", err, sizeof(err));
	limits_parse_kv(&l, "mem_high", "512M", err, sizeof(err));
	limits_parse_kv(&l, "nproc", "100", err, sizeof(err));
	limits_parse_kv(&l, "io_write", "10M", err, sizeof(err));
	limits_to_cg(&l, devs, 2, &cg);
	assert_true(cg.cpu_quota_us == 250000 && cg.cpu_period_us == 100000);
	assert_true(cg.mem_high == 512ULL << 20 && cg.mem_max == CG_UNLIMITED);
	assert_true(cg.pids_max == 100);
	assert_int_equal(cg.nr_io, 2);
	assert_int_equal(cg.io[1].major, 259);
	assert_int_equal(cg.io[1].minor, 1);
	assert_true(cg.io[0].wbps == 10ULL << 20 && cg.io[0].rbps == CG_UNLIMITED);

	/* no device list: one 0:0 entry, "every device" */
	limits_to_cg(&l, NULL, 0, &cg);
	assert_int_equal(cg.nr_io, 1);
	assert_int_equal(cg.io[0].major, 0);

	/* tiny quotas are raised to the kernel's 1 ms minimum */
	limits_parse_kv(&l, "cpu", "0.5%", err, sizeof(err));
	limits_to_cg(&l, NULL, 0, &cg);
	assert_true(cg.cpu_quota_us == 1000);
}

static void test_fmt(void **state)
{
	struct tenant_limits l, back;
	char buf[256], err[256], *save = NULL, tmp[256];

	limits_init(&l);
	assert_string_equal(limits_fmt(&l, buf, sizeof(buf)), "");
	limits_parse_kv(&l, "cpu", "50%", err, sizeof(err));
	limits_parse_kv(&l, "mem", "1G", err, sizeof(err));
	limits_parse_kv(&l, "nproc", "100", err, sizeof(err));
	limits_parse_kv(&l, "io", "10M", err, sizeof(err));
	limits_parse_kv(&l, "riops", "300", err, sizeof(err));
	assert_string_equal(limits_fmt(&l, buf, sizeof(buf)),
			    "cpu=50% mem=1G nproc=100 io=10M riops=300");

	/* the printed form parses back to the same limits */
	limits_parse_kv(&l, "mem_high", "1000000000", err, sizeof(err));
	limits_fmt(&l, buf, sizeof(buf));
	limits_init(&back);
	snprintf(tmp, sizeof(tmp), "%s", buf);
	for (char *kv = strtok_r(tmp, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(kv, '=');

		*eq = '\0';
		assert_int_equal(limits_parse_kv(&back, kv, eq + 1, err, sizeof(err)), 0);
	}
	assert_int_equal(back.set, l.set);
	assert_true(back.mem_high == 1000000000 && back.cpu_pct == 50.0);

	/* truncation is safe */
	assert_int_equal(strlen(limits_fmt(&l, buf, 10)), 9);
}

/* issue 14: priority kinds, the hold, and the default process cap */
static void test_gentle_kinds_and_defaults(void **state)
{
	struct tenant_limits l, d;
	struct cg_limits c;
	char err[256], buf[256];

	(void)state;
	limits_init(&l);
	assert_int_equal(limits_parse_kv(&l, "cpu_weight", "1", err, sizeof(err)), 0);
	assert_int_equal(limits_parse_kv(&l, "cpu_idle", "yes", err, sizeof(err)), 0);
	assert_int_equal(limits_parse_kv(&l, "mem_hold", "256M", err, sizeof(err)), 0);
	assert_int_equal(l.set, LIM_CPU_WEIGHT | LIM_CPU_IDLE | LIM_MEM_HOLD);
	assert_int_equal(l.cpu_weight, 1);
	assert_int_equal(l.cpu_idle, 1);
	assert_int_equal(l.mem_hold, 256ULL << 20);
	assert_string_equal(limits_fmt(&l, buf, sizeof(buf)),
			    "mem_hold=256M cpu_weight=1 cpu_idle=yes");
	limits_to_cg(&l, NULL, 0, &c);
	assert_int_equal(c.cpu_weight, 1);
	assert_true(c.cpu_idle);
	assert_int_equal(c.mem_hold, 256ULL << 20);
	assert_int_equal(c.cpu_quota_us, CG_UNLIMITED);	/* no cap */

	assert_int_equal(limits_parse_kv(&l, "cpu_idle", "no", err, sizeof(err)), 0);
	assert_int_equal(l.cpu_idle, CG_UNLIMITED);
	limits_to_cg(&l, NULL, 0, &c);
	assert_false(c.cpu_idle);
	assert_int_equal(limits_parse_kv(&l, "cpu_weight", "0", err, sizeof(err)), -ERANGE);
	assert_int_equal(limits_parse_kv(&l, "cpu_weight", "10001", err, sizeof(err)), -ERANGE);
	assert_int_equal(limits_parse_kv(&l, "cpu_idle", "maybe", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "yes or no"));

	/* the IO weight: the same scale, its own field, printed back */
	limits_init(&l);
	assert_int_equal(limits_parse_kv(&l, "io_weight", "1", err, sizeof(err)), 0);
	assert_int_equal(l.set, LIM_IO_WEIGHT);
	assert_true(l.set & LIM_GENTLE);
	assert_false(l.set & LIM_GENTLE_CPU);
	assert_int_equal(l.io_weight, 1);
	assert_int_equal(l.cpu_weight, CG_UNLIMITED);
	assert_string_equal(limits_fmt(&l, buf, sizeof(buf)), "io_weight=1");
	limits_to_cg(&l, NULL, 0, &c);
	assert_int_equal(c.io_weight, 1);
	assert_int_equal(c.cpu_weight, 0);
	assert_int_equal(c.nr_io, 0);				/* no bytes/s cap */
	assert_int_equal(limits_parse_kv(&l, "io_weight", "0", err, sizeof(err)), -ERANGE);
	assert_int_equal(limits_parse_kv(&l, "io_weight", "10001", err, sizeof(err)), -ERANGE);
	assert_int_equal(limits_parse_kv(&l, "io_weight", "heavy", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "1 to 10000"));
	assert_int_equal(l.io_weight, 1);			/* a refused value changes nothing */
	limits_init(&d);
	assert_int_equal(limits_parse_kv(&d, "io_weight", "unlimited", err, sizeof(err)), 0);
	limits_merge(&l, &d);
	limits_to_cg(&l, NULL, 0, &c);
	assert_int_equal(c.io_weight, 0);

	/* nothing set: nothing asked of the cgroup */
	limits_init(&l);
	limits_to_cg(&l, NULL, 0, &c);
	assert_int_equal(c.cpu_weight, 0);
	assert_false(c.cpu_idle);
	assert_int_equal(c.mem_hold, 0);

	/* the default process cap: only where nothing was said */
	limits_init(&d);
	limits_apply_defaults(&d);
	assert_int_equal(d.set, LIM_NPROC | LIM_MEM_MAX);
	assert_int_equal(d.nproc, LIMITS_DEFAULT_NPROC);
	assert_true(LIMITS_DEFAULT_NPROC < 1000);	/* a 1,000-process burst is stopped */
	limits_init(&d);
	assert_int_equal(limits_parse_kv(&d, "nproc", "unlimited", err, sizeof(err)), 0);
	limits_apply_defaults(&d);
	assert_int_equal(d.nproc, CG_UNLIMITED);
	assert_int_equal(limits_parse_kv(&d, "nproc", "2000", err, sizeof(err)), 0);
	limits_apply_defaults(&d);
	assert_int_equal(d.nproc, 2000);
}

/* issue 14: "mem = 50%" of the memory the tenants share */
static void test_mem_share_parse(void **state)
{
	struct tenant_limits l, back;
	char err[256], buf[256];

	(void)state;
	limits_init(&l);
	assert_int_equal(limits_parse_kv(&l, "mem", "50%", err, sizeof(err)), 0);
	assert_int_equal(l.set, LIM_MEM_MAX);
	assert_int_equal(l.mem_max_pct, 5000);
	assert_true(l.mem_max == CG_UNLIMITED);		/* bytes only once resolved */
	assert_int_equal(limits_parse_kv(&l, "mem_high", "12.5%", err, sizeof(err)), 0);
	assert_int_equal(l.mem_high_pct, 1250);
	assert_int_equal(limits_parse_kv(&l, "mem_max", "100%", err, sizeof(err)), 0);
	assert_int_equal(l.mem_max_pct, 10000);
	assert_string_equal(limits_fmt(&l, buf, sizeof(buf)), "mem_high=12.5% mem=100%");
	/* what limits_fmt prints parses back to the same */
	limits_init(&back);
	assert_int_equal(limits_parse_kv(&back, "mem_high", "12.5%", err, sizeof(err)), 0);
	assert_int_equal(limits_parse_kv(&back, "mem", "100%", err, sizeof(err)), 0);
	assert_int_equal(back.mem_high_pct, l.mem_high_pct);
	assert_int_equal(back.mem_max_pct, l.mem_max_pct);

	/* a size or unlimited replaces the share */
	assert_int_equal(limits_parse_kv(&l, "mem", "1G", err, sizeof(err)), 0);
	assert_int_equal(l.mem_max_pct, 0);
	assert_true(l.mem_max == 1ULL << 30);
	assert_int_equal(limits_parse_kv(&l, "mem_high", "unlimited", err, sizeof(err)), 0);
	assert_int_equal(l.mem_high_pct, 0);
	assert_true(l.mem_high == CG_UNLIMITED);

	/* refused, with a message that says what is wanted, and nothing changed */
	limits_init(&l);
	assert_int_equal(limits_parse_kv(&l, "mem", "0%", err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "above 0%"));
	assert_int_equal(limits_parse_kv(&l, "mem", "0.001%", err, sizeof(err)), -ERANGE);
	assert_int_equal(limits_parse_kv(&l, "mem", "101%", err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "at most 100%"));
	assert_int_equal(limits_parse_kv(&l, "mem_high", "abc%", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "share such as 50%"));
	assert_int_equal(limits_parse_kv(&l, "mem", "%", err, sizeof(err)), -EINVAL);
	assert_int_equal(limits_parse_kv(&l, "mem", "-5%", err, sizeof(err)), -EINVAL);
	assert_int_equal(limits_parse_kv(&l, "mem", "50%%", err, sizeof(err)), -EINVAL);
	assert_int_equal(limits_parse_kv(&l, "mem", "max%", err, sizeof(err)), -EINVAL);
	assert_int_equal(l.set, 0);
	/* only the memory limits take a share */
	assert_int_equal(limits_parse_kv(&l, "mem_hold", "50%", err, sizeof(err)), -EINVAL);
	assert_int_equal(limits_parse_kv(&l, "io", "50%", err, sizeof(err)), -EINVAL);
	assert_int_equal(limits_parse_kv(&l, "nproc", "50%", err, sizeof(err)), -EINVAL);
	/* a bad size names the share among what is accepted */
	assert_int_equal(limits_parse_kv(&l, "mem", "lots", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "50%"));
}

static void test_mem_share_base_and_resolve(void **state)
{
	const uint64_t G = 1ULL << 30, M = 1ULL << 20;
	struct tenant_limits l;
	struct cg_limits c;
	char err[256];

	(void)state;
	/* MemTotal only; a root limit below it; root "max"; nothing known */
	assert_true(limits_share_base(24 * G, CG_UNLIMITED) == 24 * G);
	assert_true(limits_share_base(24 * G, 512 * M) == 512 * M);
	assert_true(limits_share_base(1 * G, 2 * G) == 1 * G);	/* a box larger than RAM */
	assert_true(limits_share_base(0, 512 * M) == 512 * M);	/* MemTotal unread */
	assert_true(limits_share_base(0, CG_UNLIMITED) == 0);

	limits_init(&l);
	assert_int_equal(limits_parse_kv(&l, "mem", "50%", err, sizeof(err)), 0);
	limits_resolve(&l, limits_share_base(24 * G, CG_UNLIMITED));
	assert_true(l.mem_max == 12 * G);
	assert_int_equal(l.mem_max_pct, 5000);	/* the share binds: still said */
	limits_to_cg(&l, NULL, 0, &c);
	assert_true(c.mem_max == 12 * G);

	limits_init(&l);
	assert_int_equal(limits_parse_kv(&l, "mem", "50%", err, sizeof(err)), 0);
	limits_resolve(&l, limits_share_base(24 * G, 512 * M));
	assert_true(l.mem_max == 256 * M);

	/* rounded down to a page, never 0 */
	limits_init(&l);
	assert_int_equal(limits_parse_kv(&l, "mem", "33.33%", err, sizeof(err)), 0);
	limits_resolve(&l, 1000000007ULL);
	assert_true(l.mem_max % 4096 == 0);
	assert_true(l.mem_max <= 333300002ULL && l.mem_max > 333300002ULL - 4096);
	limits_init(&l);
	assert_int_equal(limits_parse_kv(&l, "mem", "0.01%", err, sizeof(err)), 0);
	limits_resolve(&l, 1 * M);
	assert_true(l.mem_max == 4096);

	/* no base known: the share limits nothing (and stays a share) */
	limits_init(&l);
	assert_int_equal(limits_parse_kv(&l, "mem_high", "50%", err, sizeof(err)), 0);
	limits_resolve(&l, 0);
	assert_true(l.mem_high == CG_UNLIMITED);
	assert_int_equal(l.mem_high_pct, 5000);

	/* a huge base does not overflow */
	limits_init(&l);
	assert_int_equal(limits_parse_kv(&l, "mem", "100%", err, sizeof(err)), 0);
	limits_resolve(&l, UINT64_MAX - 1);
	assert_true(l.mem_max > (UINT64_MAX - 1) / 2 && l.mem_max < UINT64_MAX);
}

static void test_mem_share_default(void **state)
{
	struct tenant_limits l, over;
	char err[256];

	(void)state;
	/* nothing said about mem: 50 % */
	limits_init(&l);
	limits_apply_defaults(&l);
	assert_true(l.set & LIM_MEM_MAX);
	assert_int_equal(l.mem_max_pct, LIMITS_DEFAULT_MEM_PCT);
	assert_int_equal(LIMITS_DEFAULT_MEM_PCT, 5000);
	limits_resolve(&l, 1ULL << 30);
	assert_true(l.mem_max == 512ULL << 20);

	/* mem = unlimited switches it off */
	limits_init(&l);
	assert_int_equal(limits_parse_kv(&l, "mem", "unlimited", err, sizeof(err)), 0);
	limits_apply_defaults(&l);
	limits_resolve(&l, 1ULL << 30);
	assert_true(l.mem_max == CG_UNLIMITED);
	assert_int_equal(l.mem_max_pct, 0);

	/* precedence: [limits] 25%, [tenant:NAME] 2G over it, a `set` 10% over that */
	limits_init(&l);
	assert_int_equal(limits_parse_kv(&l, "mem", "25%", err, sizeof(err)), 0);
	limits_init(&over);
	assert_int_equal(limits_parse_kv(&over, "mem", "2G", err, sizeof(err)), 0);
	limits_merge(&l, &over);
	assert_int_equal(l.mem_max_pct, 0);
	assert_true(l.mem_max == 2ULL << 30);
	limits_init(&over);
	assert_int_equal(limits_parse_kv(&over, "mem", "10%", err, sizeof(err)), 0);
	limits_merge(&l, &over);
	limits_apply_defaults(&l);
	assert_int_equal(l.mem_max_pct, 1000);
	limits_resolve(&l, 10ULL << 30);
	assert_true(l.mem_max == (1ULL << 30) - ((1ULL << 30) % 4096));
	/* mem_high alone leaves the default mem in place */
	limits_init(&l);
	assert_int_equal(limits_parse_kv(&l, "mem_high", "1G", err, sizeof(err)), 0);
	limits_apply_defaults(&l);
	assert_int_equal(l.mem_max_pct, LIMITS_DEFAULT_MEM_PCT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_parse_every_key),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_to_cg),
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_gentle_kinds_and_defaults),
		cmocka_unit_test(test_mem_share_parse),
		cmocka_unit_test(test_mem_share_base_and_resolve),
		cmocka_unit_test(test_mem_share_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
