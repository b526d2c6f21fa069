// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cg_v2.c - the cgroup v2 backend against fake trees (fixture.h).
 * File contents are what a 6.x kernel prints (cgroup-v2.rst formats; cpu.stat
 * and pressure copied from this machine's /sys/fs/cgroup/unified).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "cgroup.h"
#include "fixture_cg.h"

#define CG "quell/alice"

static void wcg(struct fx_cg *e, const char *file, const char *s)
{
	char p[256];

	snprintf(p, sizeof(p), CG "/%s", file);
	fx_put(&e->t, p, s);
}

/* A v2 root with all controllers and one tenant cgroup full of real-format files. */
static void full_cgroup(struct fx_cg *e)
{
	wcg(e, "cpu.stat", "usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\n"
		"nice_usec 0\ncore_sched.force_idle_usec 0\nnr_periods 120\nnr_throttled 7\n"
		"throttled_usec 35000\nnr_bursts 0\nburst_usec 0\n");
	wcg(e, "memory.current", "104857600\n");
	wcg(e, "memory.peak", "209715200\n");
	wcg(e, "memory.events", "low 0\nhigh 12\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n");
	wcg(e, "memory.stat", "anon 1048576\nfile 4096\nkernel 8192\npgscan 0\npgsteal 0\n"
		"pgfault 98765\npgmajfault 21\nthp_fault_alloc 0\n");
	wcg(e, "io.stat", "254:0 rbytes=1048576 wbytes=2097152 rios=16 wios=32 dbytes=0 dios=0\n"
		"8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
	wcg(e, "pids.current", "5\n");
	wcg(e, "pids.events", "max 2\n");
	wcg(e, "cpu.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=1500\n"
		"full avg10=0.00 avg60=0.00 avg300=0.00 total=700\n");
	wcg(e, "memory.pressure", "some avg10=1.23 avg60=0.31 avg300=0.33 total=3739720\n"
		"full avg10=0.67 avg60=0.19 avg300=0.29 total=3469620\n");
	wcg(e, "io.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=42\n"
		"full avg10=0.00 avg60=0.00 avg300=0.00 total=40\n");
	wcg(e, "cgroup.events", "populated 1\nfrozen 1\n");
	wcg(e, "cgroup.freeze", "0\n");
	wcg(e, "cgroup.kill", "");
	wcg(e, "cgroup.procs", "");
	wcg(e, "cpu.max", "max 100000\n");
	wcg(e, "memory.high", "max\n");
	wcg(e, "memory.max", "max\n");
	wcg(e, "pids.max", "max\n");
	wcg(e, "io.max", "");
}

static void test_detect_v2(void **state)
{
	struct fx_cg *e = *state;

	assert_int_equal(e->l.mode, CG_MODE_V2);
	assert_string_equal(cg_mode_name(e->l.mode), "v2");
	assert_true(e->l.v2_fd >= 0);
	assert_true(e->l.v2_has[CGC_CPU]);
	assert_true(e->l.v2_has[CGC_MEMORY]);
	assert_true(e->l.v2_has[CGC_BLKIO]);
	assert_true(e->l.v2_has[CGC_PIDS]);
	for (int c = 0; c < CGC_NR; c++)
		assert_int_equal(e->l.v1_fd[c], -1);
}

static void test_detect_v2_partial_controllers(void **state)
{
	struct fx_cg *e = *state;

	fx_put(&e->t, "cgroup.controllers", "memory pids\n");
	assert_int_equal(fx_cg_open(e), 0);
	assert_int_equal(e->l.mode, CG_MODE_V2);
	assert_false(e->l.v2_has[CGC_CPU]);
	assert_false(e->l.v2_has[CGC_BLKIO]);
	assert_true(e->l.v2_has[CGC_MEMORY]);
	assert_true(e->l.v2_has[CGC_PIDS]);
}

static void test_usage_full(void **state)
{
	/* full_cgroup() as read; its memory.stat has no workingset_refault_file */
	const struct cg_usage want = {
		.valid = CGU_CPU | CGU_THROTTLE | CGU_MEM | CGU_MEM_PEAK | CGU_MEM_EVENTS |
			 CGU_OOM | CGU_PGFAULT | CGU_IO | CGU_PIDS | CGU_PIDS_EVENTS |
			 CGU_PSI_CPU | CGU_PSI_MEM | CGU_PSI_IO | CGU_FROZEN,
		.cpu_ns = 1234567000ULL, .cpu_throttled = 7, .cpu_throttled_ns = 35000000ULL,
		.mem_bytes = 104857600, .mem_peak = 209715200,
		.mem_high_events = 12, .mem_max_events = 3,
		.oom_kills = 1,
		.pgfaults = 98765,
		.io_rbytes = 1048576 + 4096, .io_wbytes = 2097152, .io_rops = 17, .io_wops = 32,
		.pids_current = 5, .pids_max_events = 2,
		.psi_cpu_some_us = 1500,
		.psi_mem_some_us = 3739720, .psi_mem_full_us = 3469620,
		.psi_io_some_us = 42, .psi_io_full_us = 40,
		.frozen = true,
	};
	struct fx_cg *e = *state;
	struct cg_usage u;

	full_cgroup(e);
	assert_int_equal(cg_read_usage(&e->l, CG, &u), 0);
	fx_expect_usage(&u, &want);
}

/* What this machine's unified/ child looks like: no controllers enabled. */
static void test_usage_no_controllers(void **state)
{
	struct fx_cg *e = *state;
	struct cg_usage u;

	wcg(e, "cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnice_usec 0\n");
	wcg(e, "cgroup.events", "populated 1\nfrozen 0\n");
	wcg(e, "cpu.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
		"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	assert_int_equal(cg_read_usage(&e->l, CG, &u), 0);
	assert_int_equal(u.valid, CGU_CPU | CGU_PSI_CPU | CGU_FROZEN);
	assert_false(u.frozen);
	assert_int_equal(u.cpu_ns, 0);
}

static void test_usage_vanished(void **state)
{
	struct fx_cg *e = *state;
	struct cg_usage u;

	assert_int_equal(cg_read_usage(&e->l, "quell/gone", &u), -ENOENT);
	assert_int_equal(u.valid, 0);
}

static void test_usage_malformed(void **state)
{
	static const struct fx_cg_spoilt bad[] = {
		{ CG "/memory.current", "lots\n", CGU_MEM, CGU_CPU },
		{ CG "/io.stat", "254:0 rbytes=12 wbytes=x\n", CGU_IO, CGU_CPU },
		{ CG "/io.stat", "garbage\n", CGU_IO, CGU_CPU },
		{ CG "/cpu.pressure", "some avg10=zz\n", CGU_PSI_CPU, CGU_CPU },
		{ CG "/cpu.stat", "usage_usec -5\n", CGU_CPU, CGU_MEM },
	};

	fx_cg_expect_spoilt(*state, CG, full_cgroup, bad, sizeof(bad) / sizeof(bad[0]));
}

static void test_io_stat_extra_keys(void **state)
{
	struct fx_cg *e = *state;
	struct cg_usage u;

	full_cgroup(e);
	/* io.cost adds cost.* keys with non-integer values on some kernels */
	wcg(e, "io.stat", "8:16 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0 "
		"cost.vrate=100.00 cost.usage=5\n\n");
	assert_int_equal(cg_read_usage(&e->l, CG, &u), 0);
	assert_int_equal(u.io_rbytes, 10);
	assert_int_equal(u.io_wbytes, 20);
	assert_int_equal(u.io_rops, 1);
	assert_int_equal(u.io_wops, 2);
}

static void test_apply_limits(void **state)
{
	struct fx_cg *e = *state;
	struct cg_limits lim;

	full_cgroup(e);
	wcg(e, "io.max", "8:0 rbps=100 wbps=max riops=max wiops=max\n");
	cg_limits_init(&lim);
	lim.cpu_quota_us = 50000;
	lim.mem_high = 1073741824;
	lim.mem_max = 2147483648ULL;
	lim.pids_max = 100;
	lim.nr_io = 1;
	lim.io[0] = (struct cg_io_limit){ 254, 0, 1048576, CG_UNLIMITED, CG_UNLIMITED, 500 };
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, CG "/cpu.max", "50000 100000");
	fx_expect(&e->t, CG "/memory.high", "1073741824");
	fx_expect(&e->t, CG "/memory.max", "2147483648");
	fx_expect(&e->t, CG "/pids.max", "100");
	/* one write per device; 8:0 had a limit and is not wanted any more */
	fx_expect(&e->t, CG "/io.max", "254:0 rbps=1048576 wbps=max riops=max wiops=500"
					"8:0 rbps=max wbps=max riops=max wiops=max");
}

/* issue 14: cpu.weight / cpu.idle and the hold (memory.high on v2) */
static void test_apply_priority_and_hold(void **state)
{
	struct fx_cg *e = *state;
	struct cg_limits lim;

	full_cgroup(e);
	wcg(e, "cpu.weight", "100\n");
	wcg(e, "cpu.idle", "0\n");
	cg_limits_init(&lim);
	lim.cpu_weight = 1;
	lim.mem_high = 1ULL << 30;
	lim.mem_hold = 300ULL << 20;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, CG "/cpu.weight", "1");
	fx_expect(&e->t, CG "/cpu.idle", "0");
	fx_expect(&e->t, CG "/memory.high", "314572800");	/* the smaller of high and hold */
	fx_expect(&e->t, CG "/memory.max", "max");

	/*
	 * never below the usage now: the hold is the tick's sample, and a leak
	 * went 16 MiB past it before the write (t_policy_mem_refault in the VM)
	 */
	wcg(e, "memory.current", "419430400\n");
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, CG "/memory.high", "419430400");
	lim.mem_high = 350ULL << 20;		/* a static high under it still binds */
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, CG "/memory.high", "367001600");
	wcg(e, "memory.current", "104857600\n");

	cg_limits_init(&lim);
	lim.cpu_idle = true;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, CG "/cpu.idle", "1");
	fx_expect(&e->t, CG "/cpu.weight", "100");
	fx_expect(&e->t, CG "/memory.high", "max");

	cg_limits_init(&lim);
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, CG "/cpu.idle", "0");

	/* a kernel without cpu.idle: fine unless idle is asked for */
	unlinkat(e->t.fd, CG "/cpu.idle", 0);
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	lim.cpu_idle = true;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), -EOPNOTSUPP);
}

/*
 * The IO weight: io.weight (io.cost, "default N") and io.bfq.weight (BFQ,
 * 1..1000) where present, back to the default when not asked for; asked
 * for where neither file exists (no io.cost, no BFQ) is -EOPNOTSUPP.
 */
static void test_apply_io_weight(void **state)
{
	struct fx_cg *e = *state;
	struct cg_limits lim;

	full_cgroup(e);
	cg_limits_init(&lim);
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);	/* none asked: fine */
	lim.io_weight = 1;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), -EOPNOTSUPP);

	wcg(e, "io.bfq.weight", "default 100\n");
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);	/* BFQ alone is enough */
	fx_expect(&e->t, CG "/io.bfq.weight", "1");
	wcg(e, "io.weight", "default 100\n");
	lim.io_weight = 5000;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, CG "/io.weight", "default 5000");
	fx_expect(&e->t, CG "/io.bfq.weight", "1000");		/* BFQ's top */
	cg_limits_init(&lim);					/* released */
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, CG "/io.weight", "default 100");
	fx_expect(&e->t, CG "/io.bfq.weight", "100");
	unlinkat(e->t.fd, CG "/io.bfq.weight", 0);		/* io.cost alone */
	lim.io_weight = 10;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, CG "/io.weight", "default 10");
}

static void test_usage_refaults(void **state)
{
	struct fx_cg *e = *state;
	struct cg_usage u;

	full_cgroup(e);
	wcg(e, "memory.stat", "anon 1048576\nfile 4096\npgfault 98765\n"
	    "workingset_refault_anon 3\nworkingset_refault_file 4242\n");
	assert_int_equal(cg_read_usage(&e->l, CG, &u), 0);
	assert_true(u.valid & CGU_REFAULT);
	assert_int_equal(u.refaults, 4242);
}

static void test_apply_unlimited(void **state)
{
	struct fx_cg *e = *state;
	struct cg_limits lim;

	full_cgroup(e);
	wcg(e, "cpu.max", "20000 50000\n");
	wcg(e, "pids.max", "10\n");
	cg_limits_init(&lim);
	lim.cpu_period_us = 50000;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, CG "/cpu.max", "max 50000");
	fx_expect(&e->t, CG "/pids.max", "max");
	fx_expect(&e->t, CG "/memory.max", "max");
	fx_expect(&e->t, CG "/io.max", "");
}

static void test_apply_cpu_bounds(void **state)
{
	struct fx_cg *e = *state;
	struct cg_limits lim;

	full_cgroup(e);
	cg_limits_init(&lim);
	lim.cpu_quota_us = 10;		/* below the kernel's 1 ms minimum */
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, CG "/cpu.max", "1000 100000");
	lim.cpu_period_us = 5000000;	/* > 1 s: refused before writing */
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), -EINVAL);
	fx_expect(&e->t, CG "/cpu.max", "1000 100000");
}

static void fake_block(struct fx_cg *e, const char *name, const char *dev, const char *size)
{
	char p[128];

	snprintf(p, sizeof(p), "block/%s/dev", name);
	fx_put(&e->sys, p, dev);
	snprintf(p, sizeof(p), "block/%s/size", name);
	fx_put(&e->sys, p, size);
}

static void test_apply_io_all_devices(void **state)
{
	struct fx_cg *e = *state;
	struct cg_limits lim;

	full_cgroup(e);
	fake_block(e, "vda", "254:0\n", "536870912\n");
	fake_block(e, "sda", "8:0\n", "1000\n");
	fake_block(e, "loop0", "7:0\n", "0\n");		/* unbound */
	fake_block(e, "loop1", "7:1\n", "2048\n");	/* bound */
	fake_block(e, "zram0", "253:0\n", "0\n");
	fake_block(e, "ram0", "1:0\n", "8192\n");
	cg_limits_init(&lim);
	lim.nr_io = 2;
	lim.io[0] = (struct cg_io_limit){ 0, 0, CG_UNLIMITED, 10485760, CG_UNLIMITED, CG_UNLIMITED };
	/* an explicit entry beats the 0:0 expansion for its device */
	lim.io[1] = (struct cg_io_limit){ 8, 0, 1, 2, 3, 4 };
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, CG "/io.max", "7:1 rbps=max wbps=10485760 riops=max wiops=max"
					"254:0 rbps=max wbps=10485760 riops=max wiops=max"
					"8:0 rbps=1 wbps=2 riops=3 wiops=4");
}

static void test_apply_missing_controller(void **state)
{
	struct fx_cg *e = *state;
	struct cg_limits lim;
	char p[512];

	full_cgroup(e);
	snprintf(p, sizeof(p), "%s/" CG "/pids.max", e->t.path);
	assert_int_equal(unlink(p), 0);
	cg_limits_init(&lim);
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);	/* unlimited: fine */
	lim.pids_max = 10;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), -EOPNOTSUPP);
	assert_int_equal(cg_apply_limits(&e->l, "quell/gone", &lim), -ENOENT);
	assert_int_equal(cg_apply_limits(&e->l, "../etc", &lim), -EINVAL);
	assert_int_equal(cg_apply_limits(&e->l, "/abs", &lim), -EINVAL);
	assert_int_equal(cg_apply_limits(&e->l, "a//b", &lim), -EINVAL);
}

static void test_read_limits(void **state)
{
	struct fx_cg *e = *state;
	struct cg_limits lim;

	full_cgroup(e);
	wcg(e, "cpu.max", "50000 100000\n");
	wcg(e, "memory.high", "1073741824\n");
	wcg(e, "memory.max", "max\n");
	wcg(e, "pids.max", "64\n");
	wcg(e, "io.max", "254:0 rbps=1048576 wbps=max riops=max wiops=500\n"
		"8:0 rbps=max wbps=2 riops=3 wiops=max\n");
	assert_int_equal(cg_read_limits(&e->l, CG, &lim), 0);
	assert_int_equal(lim.cpu_quota_us, 50000);
	assert_int_equal(lim.cpu_period_us, 100000);
	assert_int_equal(lim.mem_high, 1073741824);
	assert_true(lim.mem_max == CG_UNLIMITED);
	assert_int_equal(lim.pids_max, 64);
	assert_int_equal(lim.nr_io, 2);
	assert_int_equal(lim.io[0].major, 254);
	assert_int_equal(lim.io[0].rbps, 1048576);
	assert_true(lim.io[0].wbps == CG_UNLIMITED);
	assert_int_equal(lim.io[0].wiops, 500);
	assert_int_equal(lim.io[1].major, 8);
	assert_int_equal(lim.io[1].wbps, 2);
	assert_int_equal(lim.io[1].riops, 3);

	wcg(e, "cpu.max", "max 100000\n");
	assert_int_equal(cg_read_limits(&e->l, CG, &lim), 0);
	assert_true(lim.cpu_quota_us == CG_UNLIMITED);

	wcg(e, "cpu.max", "half 100000\n");
	assert_int_equal(cg_read_limits(&e->l, CG, &lim), -EINVAL);
	wcg(e, "cpu.max", "max 100000\n");
	wcg(e, "io.max", "254:0 rbps=fast\n");
	assert_int_equal(cg_read_limits(&e->l, CG, &lim), -EINVAL);
	assert_int_equal(cg_read_limits(&e->l, "quell/gone", &lim), -ENOENT);
}

/* apply -> read back -> apply again is a fixed point (crash-safety reconcile) */
static void test_limits_roundtrip(void **state)
{
	struct fx_cg *e = *state;
	struct cg_limits in, out;

	full_cgroup(e);
	cg_limits_init(&in);
	in.cpu_quota_us = 25000;
	in.cpu_period_us = 50000;
	in.mem_max = 1 << 30;
	in.pids_max = 7;
	assert_int_equal(cg_apply_limits(&e->l, CG, &in), 0);
	assert_int_equal(cg_read_limits(&e->l, CG, &out), 0);
	assert_int_equal(out.cpu_quota_us, 25000);
	assert_int_equal(out.cpu_period_us, 50000);
	assert_int_equal(out.mem_max, 1 << 30);
	assert_true(out.mem_high == CG_UNLIMITED);
	assert_int_equal(out.pids_max, 7);
	assert_int_equal(out.nr_io, 0);
}

static void test_create_enables_controllers(void **state)
{
	struct fx_cg *e = *state;
	struct stat st;
	char p[512];

	/* root already has everything: it must not be written */
	fx_put(&e->t, "cgroup.subtree_control", "cpu io memory pids\n");
	fx_put(&e->t, "quell/cgroup.controllers", "cpu memory pids\n");
	fx_put(&e->t, "quell/cgroup.subtree_control", "cpu memory\n");
	assert_int_equal(cg_create(&e->l, "quell/bob"), 0);
	snprintf(p, sizeof(p), "%s/quell/bob", e->t.path);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	fx_expect(&e->t, "cgroup.subtree_control", "cpu io memory pids\n");
	/* io is not in quell's cgroup.controllers: only +pids was missing */
	fx_expect(&e->t, "quell/cgroup.subtree_control", "+pids");
	assert_true(cg_exists(&e->l, "quell/bob"));
	assert_int_equal(cg_create(&e->l, "quell/bob"), 0);	/* idempotent */
	assert_int_equal(cg_create(&e->l, ""), -EINVAL);
	assert_int_equal(cg_create(&e->l, "quell/../x"), -EINVAL);
}

static void test_remove(void **state)
{
	struct fx_cg *e = *state;

	full_cgroup(e);
	fx_put(&e->t, CG "/sub/cgroup.events", "populated 0\nfrozen 0\n");
	/* populated: refused, nothing removed */
	assert_int_equal(cg_remove(&e->l, CG), -EBUSY);
	assert_true(cg_exists(&e->l, CG "/sub"));
	wcg(e, "cgroup.events", "populated 0\nfrozen 0\n");
	assert_int_equal(cg_remove(&e->l, CG), 0);
	assert_false(cg_exists(&e->l, CG));
	assert_true(cg_exists(&e->l, "quell"));
	assert_int_equal(cg_remove(&e->l, CG), -ENOENT);
}

/* a subtree three deep, cgroup files at each level (a fake tree's): all of it goes */
static void test_remove_deep(void **state)
{
	struct fx_cg *e = *state;

	full_cgroup(e);
	fx_put(&e->t, CG "/a/b/c/cgroup.events", "populated 0\n");
	fx_put(&e->t, CG "/a/b/cgroup.procs", "");
	fx_put(&e->t, CG "/a/x/cgroup.events", "populated 0\n");
	wcg(e, "cgroup.events", "populated 0\nfrozen 0\n");
	assert_int_equal(cg_remove(&e->l, CG), 0);
	assert_false(cg_exists(&e->l, CG "/a/b/c"));
	assert_false(cg_exists(&e->l, CG));
	assert_true(cg_exists(&e->l, "quell"));
}

static void test_attach_procs_children(void **state)
{
	struct fx_cg *e = *state;
	pid_t pids[2];
	int n;

	full_cgroup(e);
	assert_int_equal(cg_attach(&e->l, CG, 4242), 0);
	fx_expect(&e->t, CG "/cgroup.procs", "4242");
	assert_int_equal(cg_attach(&e->l, "quell/gone", 4242), -ENOENT);
	assert_int_equal(cg_attach(&e->l, CG, -1), -EINVAL);

	wcg(e, "cgroup.procs", "12\n34\n56\n");
	assert_int_equal(cg_procs(&e->l, CG, pids, 2), 3);	/* total, 2 stored */
	assert_int_equal(pids[0], 12);
	assert_int_equal(pids[1], 34);
	wcg(e, "cgroup.procs", "");
	assert_int_equal(cg_procs(&e->l, CG, pids, 2), 0);
	assert_int_equal(cg_procs(&e->l, "quell/gone", pids, 2), -ENOENT);

	fx_put(&e->t, "quell/bob/cgroup.procs", "");
	n = cg_children(&e->l, "quell", NULL, NULL);
	assert_int_equal(n, -EINVAL);
}

static int count_cb(const char *name, void *arg)
{
	int *seen = arg;

	if (!strcmp(name, "alice"))
		seen[0]++;
	else if (!strcmp(name, "bob"))
		seen[1]++;
	else
		seen[2]++;
	return 0;
}

static int stop_cb(const char *name, void *arg)
{
	(void)name;
	(void)arg;
	return -ECANCELED;
}

/* a positive return stops the walk too, and is not counted */
static int first_cb(const char *name, void *arg)
{
	(void)name;
	(*(int *)arg)++;
	return 1;
}

static void test_children(void **state)
{
	struct fx_cg *e = *state;
	int seen[3] = { 0 };

	full_cgroup(e);
	fx_put(&e->t, "quell/bob/cgroup.procs", "");
	fx_put(&e->t, "quell/cgroup.procs", "");
	assert_int_equal(cg_children(&e->l, "quell", count_cb, seen), 2);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[2], 0);	/* files are not children */
	assert_int_equal(cg_children(&e->l, "quell", stop_cb, NULL), -ECANCELED);
	seen[0] = 0;
	assert_int_equal(cg_children(&e->l, "quell", first_cb, &seen[0]), 0);
	assert_int_equal(seen[0], 1);
	assert_int_equal(cg_children(&e->l, "nope", count_cb, seen), -ENOENT);
}

static int ids_cb(const char *name, uint64_t id, void *arg)
{
	uint64_t *ids = arg;

	if (!strcmp(name, "alice"))
		ids[0] = id;
	else if (!strcmp(name, "bob"))
		ids[1] = id;
	else
		ids[2]++;
	return 0;
}

static int ids_stop_cb(const char *name, uint64_t id, void *arg)
{
	(void)name;
	(void)id;
	(void)arg;
	return -ECANCELED;
}

/* the ids are what cg_id() says (here from fstatat: a fake tree is not cgroup2) */
static void test_children_ids(void **state)
{
	struct fx_cg *e = *state;
	uint64_t ids[3] = { 0 }, a, b;

	full_cgroup(e);
	fx_put(&e->t, "quell/bob/cgroup.procs", "");
	assert_int_equal(cg_children_ids(&e->l, "quell", ids_cb, ids), 2);
	assert_int_equal(cg_id(&e->l, CG, &a), 0);
	assert_int_equal(cg_id(&e->l, "quell/bob", &b), 0);
	assert_int_equal(ids[0], a);
	assert_int_equal(ids[1], b);
	assert_int_equal(ids[2], 0);	/* files are not children */
	assert_int_equal(cg_children_ids(&e->l, "quell", ids_stop_cb, NULL), -ECANCELED);
	assert_int_equal(cg_children_ids(&e->l, "nope", ids_cb, ids), -ENOENT);
	assert_int_equal(cg_children_ids(&e->l, "../x", ids_cb, ids), -EINVAL);
}

/* a file missing in a cgroup that exists is the file's absence, not the cgroup's */
static void test_usage_file_missing(void **state)
{
	struct fx_cg *e = *state;
	char p[512];
	struct cg_usage u;

	full_cgroup(e);
	snprintf(p, sizeof(p), "%s/" CG "/memory.peak", e->t.path);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(cg_read_usage(&e->l, CG, &u), 0);
	assert_false(u.valid & CGU_MEM_PEAK);
	assert_true(u.valid & CGU_MEM);
	snprintf(p, sizeof(p), "%s/" CG "/cpu.stat", e->t.path);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(cg_read_usage(&e->l, CG, &u), 0);
	assert_false(u.valid & CGU_CPU);
	assert_true(u.valid & CGU_PIDS);
}

static void test_where(void **state)
{
	struct fx_cg *e = *state;
	char buf[128];

	fx_put(&e->proc, "4242/cgroup", "0::/quell/alice\n");
	assert_int_equal(cg_where(&e->l, 4242, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "quell/alice");
	fx_put(&e->proc, "4243/cgroup", "0::/\n");
	assert_int_equal(cg_where(&e->l, 4243, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	fx_put(&e->proc, "4244/cgroup", "0::/quell/old (deleted)\n");
	assert_int_equal(cg_where(&e->l, 4244, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "quell/old");
	assert_int_equal(cg_where(&e->l, 4245, buf, sizeof(buf)), -ENOENT);
	fx_put(&e->proc, "4246/cgroup", "nonsense\n");
	assert_int_equal(cg_where(&e->l, 4246, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cg_where(&e->l, 4242, buf, 4), -ENAMETOOLONG);
}

/* pure v2: one hierarchy, the 0:: line decides alone */
static void test_placed_v2(void **state)
{
	struct fx_cg *e = *state;

	assert_int_equal(cg_hier_mask(&e->l), CG_HIER_V2);
	fx_put(&e->proc, "4250/cgroup", "0::/quell/alice\n");
	fx_put(&e->proc, "4251/cgroup", "0::/quell/alice/php\n");
	fx_put(&e->proc, "4252/cgroup", "0::/user.slice/user-1000.slice\n");
	fx_put(&e->proc, "4253/cgroup", "0::/quell/alicia\n");
	assert_int_equal(cg_placed(&e->l, 4250, "quell/alice"), CG_INSIDE);
	assert_int_equal(cg_placed(&e->l, 4251, "quell/alice"), CG_INSIDE);
	assert_int_equal(cg_placed(&e->l, 4252, "quell/alice"), CG_OUTSIDE);
	assert_int_equal(cg_placed(&e->l, 4253, "quell/alice"), CG_OUTSIDE);
}

static void test_freeze_kill_id_level(void **state)
{
	struct fx_cg *e = *state;
	char p[512];
	struct stat st;
	uint64_t id;

	full_cgroup(e);
	assert_int_equal(cg_freeze(&e->l, CG, true), 0);
	fx_expect(&e->t, CG "/cgroup.freeze", "1");
	assert_int_equal(cg_freeze(&e->l, CG, false), 0);
	fx_expect(&e->t, CG "/cgroup.freeze", "0");
	assert_int_equal(cg_freeze(&e->l, "quell/gone", true), -ENOENT);

	assert_int_equal(cg_kill(&e->l, CG), 0);
	fx_expect(&e->t, CG "/cgroup.kill", "1");

	assert_int_equal(cg_id(&e->l, CG, &id), 0);
	snprintf(p, sizeof(p), "%s/" CG, e->t.path);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(id, st.st_ino);
	assert_int_equal(cg_id(&e->l, "quell/gone", &id), -ENOENT);

	assert_int_equal(cg_level(""), 0);
	assert_int_equal(cg_level("quell"), 1);
	assert_int_equal(cg_level("quell/alice"), 2);
	assert_int_equal(cg_level("user.slice/user-1000.slice/x"), 3);
	assert_int_equal(cg_level("../x"), -EINVAL);
	assert_int_equal(cg_level(NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		fx_cg_test(test_detect_v2, fx_cg_setup_v2),
		fx_cg_test(test_detect_v2_partial_controllers, fx_cg_setup_empty),
		fx_cg_test(test_usage_full, fx_cg_setup_v2),
		fx_cg_test(test_usage_no_controllers, fx_cg_setup_v2),
		fx_cg_test(test_usage_vanished, fx_cg_setup_v2),
		fx_cg_test(test_usage_malformed, fx_cg_setup_v2),
		fx_cg_test(test_io_stat_extra_keys, fx_cg_setup_v2),
		fx_cg_test(test_apply_limits, fx_cg_setup_v2),
		fx_cg_test(test_apply_priority_and_hold, fx_cg_setup_v2),
		fx_cg_test(test_apply_io_weight, fx_cg_setup_v2),
		fx_cg_test(test_usage_refaults, fx_cg_setup_v2),
		fx_cg_test(test_apply_unlimited, fx_cg_setup_v2),
		fx_cg_test(test_apply_cpu_bounds, fx_cg_setup_v2),
		fx_cg_test(test_apply_io_all_devices, fx_cg_setup_v2),
		fx_cg_test(test_apply_missing_controller, fx_cg_setup_v2),
		fx_cg_test(test_read_limits, fx_cg_setup_v2),
		fx_cg_test(test_limits_roundtrip, fx_cg_setup_v2),
		fx_cg_test(test_create_enables_controllers, fx_cg_setup_v2),
		fx_cg_test(test_remove, fx_cg_setup_v2),
		fx_cg_test(test_remove_deep, fx_cg_setup_v2),
		fx_cg_test(test_attach_procs_children, fx_cg_setup_v2),
		fx_cg_test(test_children, fx_cg_setup_v2),
		fx_cg_test(test_children_ids, fx_cg_setup_v2),
		fx_cg_test(test_usage_file_missing, fx_cg_setup_v2),
		fx_cg_test(test_where, fx_cg_setup_v2),
		fx_cg_test(test_placed_v2, fx_cg_setup_v2),
		fx_cg_test(test_freeze_kill_id_level, fx_cg_setup_v2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
