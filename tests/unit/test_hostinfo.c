// SPDX-License-Identifier: GPL-2.0-only
/* test_hostinfo.c - /proc/loadavg, meminfo, stat, diskstats and /sys/block parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include "cg_internal.h"
#include "hostinfo.h"

/* copied from this machine */
static const char stat_text[] =
	"cpu  62339 0 10706 117881 603 0 98 112 0 0\n"
	"cpu0 30750 0 4860 60184 43 0 18 51 0 0\n"
	"cpu1 31589 0 5846 57697 560 0 79 61 0 0\n"
	"intr 1234 0 0\nctxt 98765\nbtime 1700000000\nprocesses 3000\n";

static const char diskstats_text[] =
	"   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	"   7       1 loop1 10 0 80 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	" 254       0 vda 71511 13052 4170258 22449 22607 20554 5467640 22004 0 10872 46020 11067 "
	"66 1816504 1447 2883 119\n"
	" 254       1 vda1 70000 13000 4100000 22000 22000 20000 5400000 22000 0 10000 46000 0 0 0 0 "
	"0 0\n";

static void test_loadavg(void **state)
{
	double l[3] = { -1, -1, -1 };

	(void)state;
	assert_int_equal(hostinfo_parse_loadavg("7.24 4.71 2.03 4/121 29298\n", l), 0);
	assert_float_equal(l[0], 7.24, 1e-9);
	assert_float_equal(l[1], 4.71, 1e-9);
	assert_float_equal(l[2], 2.03, 1e-9);
	assert_int_equal(hostinfo_parse_loadavg("7.24 x", l), -EINVAL);
	assert_int_equal(hostinfo_parse_loadavg("", l), -EINVAL);
	assert_float_equal(l[0], 7.24, 1e-9);
}

static void test_meminfo(void **state)
{
	struct host_mem m;

	(void)state;
	assert_int_equal(hostinfo_parse_meminfo("MemTotal:       24684084 kB\nMemFree:        "
						"23046564 kB\nMemAvailable:   23907264 kB\n", &m), 0);
	assert_int_equal(m.total, 24684084ULL * 1024);
	assert_int_equal(m.available, 23907264ULL * 1024);
	assert_int_equal(hostinfo_parse_meminfo("MemTotal: 5 kB\n", &m), -EINVAL);
	assert_int_equal(hostinfo_parse_meminfo("MemTotal: x kB\nMemAvailable: 1 kB\n", &m), -EINVAL);
}

static void test_stat(void **state)
{
	struct host_cpu c;

	(void)state;
	assert_int_equal(hostinfo_parse_stat(stat_text, &c), 0);
	assert_int_equal(c.ncpu, 2);
	/* user+nice+system+irq+softirq+steal = 62339+0+10706+0+98+112 jiffies of 10 ms */
	assert_int_equal(c.busy_ns, (62339ULL + 10706 + 98 + 112) * 10000000ULL);
	assert_int_equal(c.idle_ns, (117881ULL + 603) * 10000000ULL);
	assert_int_equal(c.total_ns, c.busy_ns + c.idle_ns);
	assert_int_equal(hostinfo_parse_stat("cpu  1 2\n", &c), -EINVAL);
	assert_int_equal(hostinfo_parse_stat("intr 5\n", &c), -EINVAL);
	assert_int_equal(hostinfo_parse_stat("cpu  1 2 3 x\n", &c), -EINVAL);
}

static void test_diskstats(void **state)
{
	const uint32_t devs[1][2] = { { 254, 0 } };
	struct host_disk d;

	(void)state;
	/* whole disk only: the vda1 partition is not counted twice */
	assert_int_equal(hostinfo_parse_diskstats(diskstats_text, devs, 1, &d), 0);
	assert_int_equal(d.rios, 71511);
	assert_int_equal(d.rbytes, 4170258ULL * 512);
	assert_int_equal(d.wios, 22607);
	assert_int_equal(d.wbytes, 5467640ULL * 512);
	assert_int_equal(hostinfo_parse_diskstats(diskstats_text, NULL, -1, &d), 0);
	assert_int_equal(d.rios, 71511 + 70000 + 10);
	assert_int_equal(hostinfo_parse_diskstats("254 0 vda x\n", NULL, -1, &d), -EINVAL);
}

static void blk(struct fx_tree *t, const char *name, const char *dev, const char *size)
{
	char p[128];

	snprintf(p, sizeof(p), "block/%s/dev", name);
	assert_int_equal(fx_write(t, p, dev), 0);
	snprintf(p, sizeof(p), "block/%s/size", name);
	assert_int_equal(fx_write(t, p, size), 0);
}

static void test_block_devs(void **state)
{
	struct fx_tree t;
	uint32_t devs[8][2];

	(void)state;
	assert_int_equal(fx_tree_new(&t), 0);
	/* this machine: 8 loops (unbound), vda, zram0 (not set up) */
	blk(&t, "loop0", "7:0\n", "0\n");
	blk(&t, "loop3", "7:3\n", "204800\n");	/* bound: losetup'd */
	blk(&t, "vda", "254:0\n", "536870912\n");
	blk(&t, "zram0", "253:0\n", "0\n");
	blk(&t, "ram0", "1:0\n", "131072\n");
	blk(&t, "sda", "8:0\n", "976773168\n");
	blk(&t, "bad", "eight\n", "100\n");
	assert_int_equal(cgu_block_devs(t.fd, devs, 8), 3);
	assert_int_equal(devs[0][0], 7);	/* sorted */
	assert_int_equal(devs[0][1], 3);
	assert_int_equal(devs[1][0], 8);
	assert_int_equal(devs[2][0], 254);
	assert_int_equal(cgu_block_devs(t.fd, devs, 1), 1);
	fx_tree_free(&t);
}

static void test_read_real(void **state)
{
	struct host_info hi;

	(void)state;
	assert_int_equal(hostinfo_read(-1, -1, &hi), 0);
	assert_true(hi.valid & HOST_LOAD);
	assert_true(hi.valid & HOST_MEM);
	assert_true(hi.valid & HOST_CPU);
	assert_true(hi.mem.total > hi.mem.available);
	assert_true(hi.cpu.busy_ns > 0);
	assert_int_equal(hostinfo_ncpu(-1), (int)sysconf(_SC_NPROCESSORS_ONLN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loadavg),
		cmocka_unit_test(test_meminfo),
		cmocka_unit_test(test_stat),
		cmocka_unit_test(test_diskstats),
		cmocka_unit_test(test_block_devs),
		cmocka_unit_test(test_read_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
