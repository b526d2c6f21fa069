// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cg_v1.c - layout detection (v1, hybrid, v2-at-unified, none) and the
 * v1 backend against fake trees. File contents copied from this machine's
 * /sys/fs/cgroup/{cpu,cpuacct,memory,blkio,pids,freezer} (kernel 6.18).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "../../collectors/cg_internal.h"
#include "fixture_cg.h"

#define CG "quell/alice"

/* Files of CG in every v1 hierarchy, contents as the kernel prints them. */
static void full_cgroup(struct fx_cg *e, bool with_unified)
{
	fx_put(&e->t, "cpu/" CG "/cpu.stat",
	       "nr_periods 50\nnr_throttled 4\nthrottled_time 123456789\n"
	       "nr_bursts 0\nburst_time 0\n");
	fx_put(&e->t, "cpu/" CG "/cpu.cfs_quota_us", "-1\n");
	fx_put(&e->t, "cpu/" CG "/cpu.cfs_period_us", "100000\n");
	fx_put(&e->t, "cpu/" CG "/cgroup.procs", "");
	fx_put(&e->t, "cpuacct/" CG "/cpuacct.usage", "52848097416\n");
	fx_put(&e->t, "cpuacct/" CG "/cgroup.procs", "");
	fx_put(&e->t, "memory/" CG "/memory.usage_in_bytes", "21753856\n");
	fx_put(&e->t, "memory/" CG "/memory.max_usage_in_bytes", "33554432\n");
	fx_put(&e->t, "memory/" CG "/memory.failcnt", "17\n");
	fx_put(&e->t, "memory/" CG "/memory.oom_control",
	       "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	fx_put(&e->t, "memory/" CG "/memory.stat", "cache 9519104\nrss 12234752\nrss_huge 0\n"
	  "pgpgin 42969\npgpgout 37657\npgfault 51643\npgmajfault 0\n"
	  "hierarchical_memory_limit 9223372036854771712\ntotal_cache 449036288\n"
	  "total_pgpgin 1429935\ntotal_pgfault 2245272\ntotal_pgmajfault 992\n");
	fx_put(&e->t, "memory/" CG "/memory.limit_in_bytes", "9223372036854771712\n");
	fx_put(&e->t, "memory/" CG "/memory.soft_limit_in_bytes", "9223372036854771712\n");
	fx_put(&e->t, "memory/" CG "/cgroup.procs", "");
	fx_put(&e->t, "blkio/" CG "/blkio.throttle.io_service_bytes_recursive",
	  "254:0 Read 4096\n254:0 Write 10485760\n254:0 Sync 10489856\n254:0 Async 0\n"
	  "254:0 Discard 0\n254:0 Total 10489856\n7:1 Read 512\n7:1 Write 0\n7:1 Sync 512\n"
	  "7:1 Async 0\n7:1 Discard 0\n7:1 Total 512\nTotal 10490368\n");
	fx_put(&e->t, "blkio/" CG "/blkio.throttle.io_serviced_recursive",
	  "254:0 Read 1\n254:0 Write 10\n254:0 Sync 11\n254:0 Async 0\n254:0 Discard 0\n"
	  "254:0 Total 11\nTotal 11\n");
	fx_put(&e->t, "blkio/" CG "/blkio.throttle.read_bps_device", "");
	fx_put(&e->t, "blkio/" CG "/blkio.throttle.write_bps_device", "");
	fx_put(&e->t, "blkio/" CG "/blkio.throttle.read_iops_device", "");
	fx_put(&e->t, "blkio/" CG "/blkio.throttle.write_iops_device", "");
	fx_put(&e->t, "blkio/" CG "/cgroup.procs", "");
	fx_put(&e->t, "pids/" CG "/pids.current", "3\n");
	fx_put(&e->t, "pids/" CG "/pids.events", "max 9\n");
	fx_put(&e->t, "pids/" CG "/pids.max", "max\n");
	fx_put(&e->t, "pids/" CG "/cgroup.procs", "");
	fx_put(&e->t, "freezer/" CG "/freezer.state", "THAWED\n");
	fx_put(&e->t, "freezer/" CG "/cgroup.procs", "");
	if (!with_unified)
		return;
	fx_put(&e->t, "unified/" CG "/cpu.stat",
	       "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnice_usec 0\n");
	fx_put(&e->t, "unified/" CG "/cgroup.events", "populated 0\nfrozen 0\n");
	fx_put(&e->t, "unified/" CG "/cgroup.freeze", "0\n");
	fx_put(&e->t, "unified/" CG "/cgroup.procs", "");
	fx_put(&e->t, "unified/" CG "/cpu.pressure",
	       "some avg10=16.47 avg60=3.98 avg300=1.10 total=6624282\n"
	       "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	fx_put(&e->t, "unified/" CG "/memory.pressure",
	       "some avg10=1.23 avg60=0.31 avg300=0.33 total=3739720\n"
	       "full avg10=0.67 avg60=0.19 avg300=0.29 total=3469620\n");
	fx_put(&e->t, "unified/" CG "/io.pressure",
	       "some avg10=0.00 avg60=0.00 avg300=0.00 total=11\n"
	       "full avg10=0.00 avg60=0.00 avg300=0.00 total=10\n");
}

/* --- detection ------------------------------------------------------------ */

static void test_detect_v1_and_hybrid(void **state)
{
	struct fx_cg *e = *state;

	assert_int_equal(e->l.mode, CG_MODE_HYBRID);
	assert_string_equal(cg_mode_name(e->l.mode), "hybrid");
	assert_true(e->l.v2_fd >= 0);
	for (int c = 0; c < CGC_NR; c++)
		assert_true(e->l.v1_fd[c] >= 0);
	/* unified/ lists no controllers here: v2_has only the core freezer */
	assert_false(e->l.v2_has[CGC_CPU]);
	assert_false(e->l.v2_has[CGC_MEMORY]);
	assert_true(e->l.v2_has[CGC_FREEZER]);
}

static void test_detect_v1_only(void **state)
{
	struct fx_cg *e = *state;

	assert_int_equal(e->l.mode, CG_MODE_V1);
	assert_int_equal(e->l.v2_fd, -1);
	assert_true(e->l.v1_fd[CGC_MEMORY] >= 0);
}

static void test_detect_combined_and_symlinks(void **state)
{
	struct fx_cg *e = *state;
	struct stat a, b;

	/* Debian/RHEL style: cpu,cpuacct mount plus cpu and cpuacct symlinks */
	fx_put(&e->t, "cpu,cpuacct/cgroup.procs", "1\n");
	assert_int_equal(symlinkat("cpu,cpuacct", e->t.fd, "cpu"), 0);
	fx_put(&e->t, "memory/cgroup.procs", "1\n");
	fx_put(&e->t, "cpuset/cgroup.procs", "1\n");	/* not cpu */
	fx_put(&e->t, "blkio/notacgroup", "");		/* no cgroup.procs: not a hierarchy */
	assert_int_equal(fx_cg_open(e), 0);
	assert_int_equal(e->l.mode, CG_MODE_V1);
	assert_true(e->l.v1_fd[CGC_CPU] >= 0);
	assert_true(e->l.v1_fd[CGC_CPUACCT] >= 0);
	assert_int_equal(fstat(e->l.v1_fd[CGC_CPU], &a), 0);
	assert_int_equal(fstat(e->l.v1_fd[CGC_CPUACCT], &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_true(e->l.v1_fd[CGC_MEMORY] >= 0);
	assert_int_equal(e->l.v1_fd[CGC_BLKIO], -1);
	assert_int_equal(e->l.v1_fd[CGC_PIDS], -1);
	assert_int_equal(e->l.v1_fd[CGC_FREEZER], -1);

	/* creating in a combined hierarchy happens once, in the one directory */
	assert_int_equal(cg_create(&e->l, "quell/x"), 0);
	assert_true(cg_exists(&e->l, "quell/x"));
}

static void test_detect_none(void **state)
{
	struct fx_cg *e = *state;

	assert_int_equal(cg_layout_open(e->t.fd, &e->l), -ENOENT);
	assert_int_equal(e->l.mode, CG_MODE_NONE);
	assert_string_equal(cg_mode_name(e->l.mode), "none");
	/* a dir without cgroup.procs does not count */
	fx_put(&e->t, "cpu/tasks", "");
	assert_int_equal(cg_layout_open(e->t.fd, &e->l), -ENOENT);
	cg_layout_close(&e->l);		/* safe on a failed open */
	assert_int_equal(cg_layout_open(-1, &e->l), -EBADF);
}

static void test_detect_unified_only(void **state)
{
	struct fx_cg *e = *state;

	fx_put(&e->t, "unified/cgroup.controllers", "cpu memory\n");
	assert_int_equal(fx_cg_open(e), 0);
	assert_int_equal(e->l.mode, CG_MODE_V2);
	assert_true(e->l.v2_has[CGC_CPU]);
}

/* --- usage ---------------------------------------------------------------- */

static void test_usage_v1(void **state)
{
	/* full_cgroup() as read; no PSI and no refaults without unified/ */
	const struct cg_usage want = {
		.valid = CGU_CPU | CGU_THROTTLE | CGU_MEM | CGU_MEM_PEAK | CGU_MEM_EVENTS |
			 CGU_OOM | CGU_PGFAULT | CGU_IO | CGU_PIDS | CGU_PIDS_EVENTS | CGU_FROZEN,
		.cpu_ns = 52848097416ULL, .cpu_throttled = 4, .cpu_throttled_ns = 123456789,
		.mem_bytes = 21753856, .mem_peak = 33554432,
		.mem_max_events = 17, .mem_high_events = 0,	/* failcnt; v1 has no high */
		.oom_kills = 2,
		.pgfaults = 2245272,				/* total_ (hierarchical) wins */
		.io_rbytes = 4096 + 512, .io_wbytes = 10485760, .io_rops = 1, .io_wops = 10,
		.pids_current = 3, .pids_max_events = 9,
		.frozen = false,
	};
	struct fx_cg *e = *state;
	struct cg_usage u;

	full_cgroup(e, false);
	assert_int_equal(cg_read_usage(&e->l, CG, &u), 0);
	fx_expect_usage(&u, &want);
}

static void test_usage_hybrid_psi(void **state)
{
	struct fx_cg *e = *state;
	struct cg_usage u;

	full_cgroup(e, true);
	fx_put(&e->t, "freezer/" CG "/freezer.state", "FROZEN\n");
	assert_int_equal(cg_read_usage(&e->l, CG, &u), 0);
	assert_true(u.valid & CGU_PSI_CPU);
	assert_true(u.valid & CGU_PSI_MEM);
	assert_true(u.valid & CGU_PSI_IO);
	assert_int_equal(u.psi_cpu_some_us, 6624282);
	assert_int_equal(u.psi_mem_full_us, 3469620);
	assert_int_equal(u.psi_io_some_us, 11);
	assert_int_equal(u.cpu_ns, 52848097416ULL);	/* cpuacct, not unified */
	assert_true(u.frozen);				/* v1 freezer said FROZEN */

	/* a tenant dir missing in unified/ is not an error, just no PSI */
	fx_put(&e->t, "memory/quell/bob/memory.usage_in_bytes", "4096\n");
	fx_put(&e->t, "cpu/quell/bob/cgroup.procs", "");
	assert_int_equal(cg_read_usage(&e->l, "quell/bob", &u), 0);
	assert_int_equal(u.valid, CGU_MEM);
}

static void test_usage_v1_fallbacks(void **state)
{
	struct fx_cg *e = *state;
	struct cg_usage u;
	char p[512];

	full_cgroup(e, false);
	/* old kernels: no _recursive blkio files, no total_pgfault */
	snprintf(p, sizeof(p), "%s/blkio/" CG "/blkio.throttle.io_service_bytes_recursive", e->t.path);
	unlink(p);
	snprintf(p, sizeof(p), "%s/blkio/" CG "/blkio.throttle.io_serviced_recursive", e->t.path);
	unlink(p);
	fx_put(&e->t, "blkio/" CG "/blkio.throttle.io_service_bytes", "Total 0\n");
	fx_put(&e->t, "blkio/" CG "/blkio.throttle.io_serviced", "Total 0\n");
	fx_put(&e->t, "memory/" CG "/memory.stat", "cache 1\npgfault 51643\npgmajfault 0\n");
	assert_int_equal(cg_read_usage(&e->l, CG, &u), 0);
	assert_true(u.valid & CGU_IO);
	assert_int_equal(u.io_rbytes, 0);
	assert_int_equal(u.pgfaults, 51643);
}

/* full_cgroup() without unified/: what test_usage_v1_vanished_malformed spoils */
static void full_cgroup_v1(struct fx_cg *e)
{
	full_cgroup(e, false);
}

static void test_usage_v1_vanished_malformed(void **state)
{
	static const struct fx_cg_spoilt bad[] = {
		{ "cpuacct/" CG "/cpuacct.usage", "12abc\n", CGU_CPU, CGU_MEM },
		{ "blkio/" CG "/blkio.throttle.io_service_bytes_recursive", "254:0 Read\n",
		  CGU_IO, CGU_CPU },
		{ "freezer/" CG "/freezer.state", "MELTING\n", CGU_FROZEN, CGU_CPU },
		{ "memory/" CG "/memory.oom_control", "oom_kill_disable 0\noom_kill x\n",
		  CGU_OOM, CGU_MEM },
	};
	struct fx_cg *e = *state;
	struct cg_usage u;

	assert_int_equal(cg_read_usage(&e->l, "quell/gone", &u), -ENOENT);
	fx_cg_expect_spoilt(e, CG, full_cgroup_v1, bad, sizeof(bad) / sizeof(bad[0]));
}

/* --- limits --------------------------------------------------------------- */

static void test_apply_limits_v1(void **state)
{
	struct fx_cg *e = *state;
	struct cg_limits lim;

	full_cgroup(e, true);
	/* an old rule on 8:0 goes away (0 removes it in v1) */
	fx_put(&e->t, "blkio/" CG "/blkio.throttle.read_bps_device", "8:0 777\n");
	cg_limits_init(&lim);
	lim.cpu_quota_us = 150000;
	lim.mem_high = 536870912;
	lim.mem_max = 1073741824;
	lim.pids_max = 50;
	lim.nr_io = 1;
	lim.io[0] = (struct cg_io_limit){ 254, 0, 1048576, 2097152, CG_UNLIMITED, 300 };
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, "cpu/" CG "/cpu.cfs_quota_us", "150000");
	/* unchanged period: not rewritten */
	fx_expect(&e->t, "cpu/" CG "/cpu.cfs_period_us", "100000\n");
	fx_expect(&e->t, "memory/" CG "/memory.soft_limit_in_bytes", "536870912");
	fx_expect(&e->t, "memory/" CG "/memory.limit_in_bytes", "1073741824");
	fx_expect(&e->t, "pids/" CG "/pids.max", "50");
	fx_expect(&e->t, "blkio/" CG "/blkio.throttle.read_bps_device", "254:0 10485768:0 0");
	fx_expect(&e->t, "blkio/" CG "/blkio.throttle.write_bps_device", "254:0 2097152");
	fx_expect(&e->t, "blkio/" CG "/blkio.throttle.read_iops_device", "254:0 0");
	fx_expect(&e->t, "blkio/" CG "/blkio.throttle.write_iops_device", "254:0 300");

	/* a new period: quota dropped, period written, quota written */
	lim.cpu_period_us = 50000;
	lim.cpu_quota_us = 25000;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, "cpu/" CG "/cpu.cfs_period_us", "50000");
	fx_expect(&e->t, "cpu/" CG "/cpu.cfs_quota_us", "25000");

	/* everything back to unlimited */
	cg_limits_init(&lim);
	lim.cpu_period_us = 50000;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, "cpu/" CG "/cpu.cfs_quota_us", "-1");
	fx_expect(&e->t, "memory/" CG "/memory.limit_in_bytes", "-1");
	fx_expect(&e->t, "memory/" CG "/memory.soft_limit_in_bytes", "-1");
	fx_expect(&e->t, "pids/" CG "/pids.max", "max");
}

/*
 * The IO weight on v1: blkio.bfq.weight (BFQ, 1..1000), present while the
 * kernel has BFQ; back to 100 when not asked for; asked for without it is
 * -EOPNOTSUPP (no other v1 file weighs a disk on a mq kernel).
 */
static void test_apply_io_weight_v1(void **state)
{
	struct fx_cg *e = *state;
	struct cg_limits lim;

	full_cgroup(e, true);
	cg_limits_init(&lim);
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	lim.io_weight = 1;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), -EOPNOTSUPP);
	fx_put(&e->t, "blkio/" CG "/blkio.bfq.weight", "100\n");
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, "blkio/" CG "/blkio.bfq.weight", "1");
	lim.io_weight = 10000;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, "blkio/" CG "/blkio.bfq.weight", "1000");
	cg_limits_init(&lim);
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, "blkio/" CG "/blkio.bfq.weight", "100");
}

/* issue 14: the gentle rung's cpu.shares / cpu.idle and the v1 hold */
static void test_apply_priority_and_hold_v1(void **state)
{
	struct fx_cg *e = *state;
	struct cg_limits lim;

	full_cgroup(e, true);
	fx_put(&e->t, "cpu/" CG "/cpu.shares", "1024\n");
	fx_put(&e->t, "cpu/" CG "/cpu.idle", "0\n");
	cg_limits_init(&lim);
	lim.cpu_weight = 1;		/* v2 scale: 1 -> 1024 / 100 = 10 shares */
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, "cpu/" CG "/cpu.shares", "10");
	fx_expect(&e->t, "cpu/" CG "/cpu.idle", "0");
	lim.cpu_weight = 0;
	lim.cpu_idle = true;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, "cpu/" CG "/cpu.idle", "1");
	/* the default, for when idle is cleared */
	fx_expect(&e->t, "cpu/" CG "/cpu.shares", "1024");
	fx_expect(&e->t, "cpu/" CG "/cpu.cfs_quota_us", "-1");		/* no cap */

	/* hold above the usage (21753856): the hold + 16 MiB headroom, a hard limit */
	cg_limits_init(&lim);
	lim.mem_hold = 100ULL << 20;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, "memory/" CG "/memory.limit_in_bytes", "121634816");
	fx_expect(&e->t, "memory/" CG "/memory.soft_limit_in_bytes", "-1");
	/* hold below the usage: never below it */
	lim.mem_hold = 1ULL << 20;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	/* 21753856 + 16 MiB */
	fx_expect(&e->t, "memory/" CG "/memory.limit_in_bytes", "38531072");
	/* a static hard limit below the hold wins */
	lim.mem_max = 30ULL << 20;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, "memory/" CG "/memory.limit_in_bytes", "31457280");
	/* released: the limit goes */
	cg_limits_init(&lim);
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, "memory/" CG "/memory.limit_in_bytes", "-1");
	fx_expect(&e->t, "cpu/" CG "/cpu.idle", "0");

	/*
	 * issue 14: the default share as the static limit (50 % of a 512 MiB
	 * box) under mem-growth's hold: the hold never raises it, and its
	 * release leaves it, not "unlimited" (tests/unit/test_decide.c has the
	 * decisions)
	 */
	cg_limits_init(&lim);
	lim.mem_max = 256ULL << 20;
	lim.mem_hold = 300ULL << 20;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, "memory/" CG "/memory.limit_in_bytes", "268435456");
	lim.mem_hold = 0;
	assert_int_equal(cg_apply_limits(&e->l, CG, &lim), 0);
	fx_expect(&e->t, "memory/" CG "/memory.limit_in_bytes", "268435456");

	/* headroom: 1/16 of a big hold */
	assert_int_equal(cg_v1_hold_bytes(1ULL << 30, 1ULL << 20), (1ULL << 30) + (64ULL << 20));
	assert_int_equal(cg_v1_hold_bytes(0, 1ULL << 30), (1ULL << 30) + (64ULL << 20));
}

static void test_usage_refaults_v1(void **state)
{
	struct fx_cg *e = *state;
	struct cg_usage u;

	full_cgroup(e, false);
	fx_put(&e->t, "memory/" CG "/memory.stat", "cache 9519104\npgfault 51643\n"
	  "workingset_refault_file 77\ntotal_pgfault 2245272\n"
	  "total_workingset_refault_file 125265\n");
	assert_int_equal(cg_read_usage(&e->l, CG, &u), 0);
	assert_true(u.valid & CGU_REFAULT);
	assert_int_equal(u.refaults, 125265);	/* total_ (hierarchical) wins */
}

static void test_read_limits_v1(void **state)
{
	struct fx_cg *e = *state;
	struct cg_limits lim;

	full_cgroup(e, false);
	assert_int_equal(cg_read_limits(&e->l, CG, &lim), 0);
	assert_true(lim.cpu_quota_us == CG_UNLIMITED);	/* -1 */
	assert_int_equal(lim.cpu_period_us, 100000);
	assert_true(lim.mem_max == CG_UNLIMITED);	/* 9223372036854771712 */
	assert_true(lim.mem_high == CG_UNLIMITED);
	assert_true(lim.pids_max == CG_UNLIMITED);
	assert_int_equal(lim.nr_io, 0);

	fx_put(&e->t, "cpu/" CG "/cpu.cfs_quota_us", "50000\n");
	fx_put(&e->t, "memory/" CG "/memory.limit_in_bytes", "999424\n");	/* page-rounded */
	fx_put(&e->t, "pids/" CG "/pids.max", "20\n");
	fx_put(&e->t, "blkio/" CG "/blkio.throttle.read_bps_device", "254:0 1048576\n8:0 5\n");
	fx_put(&e->t, "blkio/" CG "/blkio.throttle.write_iops_device", "254:0 300\n");
	assert_int_equal(cg_read_limits(&e->l, CG, &lim), 0);
	assert_int_equal(lim.cpu_quota_us, 50000);
	assert_int_equal(lim.mem_max, 999424);
	assert_int_equal(lim.pids_max, 20);
	assert_int_equal(lim.nr_io, 2);
	assert_int_equal(lim.io[0].major, 254);
	assert_int_equal(lim.io[0].rbps, 1048576);
	assert_true(lim.io[0].wbps == CG_UNLIMITED);
	assert_int_equal(lim.io[0].wiops, 300);
	assert_int_equal(lim.io[1].major, 8);
	assert_int_equal(lim.io[1].rbps, 5);

	fx_put(&e->t, "blkio/" CG "/blkio.throttle.read_bps_device", "254:0\n");
	assert_int_equal(cg_read_limits(&e->l, CG, &lim), -EINVAL);
	assert_int_equal(cg_read_limits(&e->l, "quell/gone", &lim), -ENOENT);
}

/* --- create / attach / where / freeze / kill ------------------------------ */

static void test_create_remove_hybrid(void **state)
{
	struct fx_cg *e = *state;
	char p[512];
	struct stat st;

	assert_int_equal(cg_create(&e->l, CG), 0);
	for (size_t i = 0; i < FX_CG_NR_V1; i++) {
		snprintf(p, sizeof(p), "%s/%s/" CG, e->t.path, fx_cg_v1_ctrls[i]);
		assert_int_equal(stat(p, &st), 0);
	}
	snprintf(p, sizeof(p), "%s/unified/" CG, e->t.path);
	assert_int_equal(stat(p, &st), 0);
	/* a process in the v1 memory hierarchy: nothing is removed */
	fx_put(&e->t, "memory/" CG "/cgroup.procs", "4242\n");
	assert_int_equal(cg_remove(&e->l, CG), -EBUSY);
	assert_int_equal(stat(p, &st), 0);
	fx_put(&e->t, "memory/" CG "/cgroup.procs", "");
	assert_int_equal(cg_remove(&e->l, CG), 0);
	for (size_t i = 0; i < FX_CG_NR_V1; i++) {
		snprintf(p, sizeof(p), "%s/%s/" CG, e->t.path, fx_cg_v1_ctrls[i]);
		assert_int_equal(stat(p, &st), -1);
	}
	assert_false(cg_exists(&e->l, CG));
}

static void test_attach_where_hybrid(void **state)
{
	struct fx_cg *e = *state;
	char buf[128];

	full_cgroup(e, true);
	assert_int_equal(cg_attach(&e->l, CG, 777), 0);
	fx_expect(&e->t, "unified/" CG "/cgroup.procs", "777");
	fx_expect(&e->t, "memory/" CG "/cgroup.procs", "777");
	fx_expect(&e->t, "freezer/" CG "/cgroup.procs", "777");

	/* this machine's /proc/self/cgroup format */
	fx_put(&e->proc, "777/cgroup",
	       "9:name=systemd:/\n8:pids:/quell/alice\n7:blkio:/quell/alice\n"
	       "4:memory:/quell/alice\n2:cpuacct:/quell/alice\n1:cpu:/quell/alice\n0::/quell/alice\n");
	assert_int_equal(cg_where(&e->l, 777, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "quell/alice");
	/* hybrid answers from unified/ (0::) */
	fx_put(&e->proc, "778/cgroup", "1:cpu:/quell/bob\n0::/elsewhere\n");
	assert_int_equal(cg_where(&e->l, 778, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "elsewhere");
}

/* 12.5: a process is placed only when every hierarchy says so */
static void test_placed_hybrid(void **state)
{
	struct fx_cg *e = *state;
	unsigned int all = cg_hier_mask(&e->l);
	/* this machine's /proc/PID/cgroup, the tenant in every hierarchy */
	const char *in = "9:name=systemd:/\n8:pids:/quell/alice\n7:blkio:/quell/alice\n"
		"6:freezer:/quell/alice\n5:devices:/\n4:memory:/quell/alice\n3:cpuset:/\n"
		"2:cpuacct:/quell/alice\n1:cpu:/quell/alice\n0::/quell/alice\n";
	/* what t_placement_storm found on main: unified moved, the v1 ones not */
	const char *half = "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
		"4:memory:/process_api/aeb9\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/quell/alice\n"
		"0::/quell/alice\n";
	const char *out = "8:pids:/\n7:blkio:/\n6:freezer:/\n4:memory:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

	assert_int_equal(all, CG_HIER_V2 | (1u << CGC_CPU) | (1u << CGC_CPUACCT) |
			 (1u << CGC_MEMORY) | (1u << CGC_BLKIO) | (1u << CGC_PIDS) |
			 (1u << CGC_FREEZER));
	assert_int_equal(cg_parse_placed(in, all, CG), CG_INSIDE);
	assert_int_equal(cg_parse_placed(half, all, CG), CG_PARTIAL);
	assert_int_equal(cg_parse_placed(out, all, CG), CG_OUTSIDE);
	/* the unified line alone would call "half" placed: cg_where did */
	assert_int_equal(cg_parse_placed(half, CG_HIER_V2, CG), CG_INSIDE);
	/* below the tenant counts as inside, a sibling with the same prefix does not */
	assert_int_equal(cg_parse_placed("1:cpu:/quell/alice/sub\n0::/quell/alice/sub\n",
					 CG_HIER_V2 | 1u << CGC_CPU, CG), CG_INSIDE);
	assert_int_equal(cg_parse_placed("1:cpu:/quell/alice2\n0::/quell/alice\n",
					 CG_HIER_V2 | 1u << CGC_CPU, CG), CG_PARTIAL);
	/* a wanted hierarchy without a line is not "inside" */
	assert_int_equal(cg_parse_placed("1:cpu:/quell/alice\n0::/quell/alice\n", all, CG),
			 CG_PARTIAL);
	/* one v1 mount for two controllers, a removed cgroup, no final newline */
	assert_int_equal(cg_parse_placed("4:cpu,cpuacct:/quell/alice (deleted)\n0::/quell/alice",
					 CG_HIER_V2 | 1u << CGC_CPU | 1u << CGC_CPUACCT, CG),
			 CG_INSIDE);
	assert_int_equal(cg_parse_placed("garbage\n", all, CG), -EINVAL);
	assert_int_equal(cg_parse_placed(in, 0, CG), -EINVAL);

	/* the same through a fake /proc */
	fx_put(&e->proc, "901/cgroup", in);
	fx_put(&e->proc, "902/cgroup", half);
	fx_put(&e->proc, "903/cgroup", out);
	assert_int_equal(cg_placed(&e->l, 901, CG), CG_INSIDE);
	assert_int_equal(cg_placed(&e->l, 902, CG), CG_PARTIAL);
	assert_int_equal(cg_placed(&e->l, 903, CG), CG_OUTSIDE);
	assert_int_equal(cg_placed(&e->l, 904, CG), -ENOENT);
	assert_int_equal(cg_placed(&e->l, 901, "quell/../x"), -EINVAL);
}

/* v1 first, unified last and only when every v1 write worked */
static void test_attach_order_hybrid(void **state)
{
	struct fx_cg *e = *state;
	char p[512];

	full_cgroup(e, true);
	/* the memory hierarchy's directory is gone: unified must not be written */
	snprintf(p, sizeof(p), "%s/memory/" CG "/cgroup.procs", e->t.path);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(cg_attach(&e->l, CG, 4242), -ENOENT);
	fx_expect(&e->t, "unified/" CG "/cgroup.procs", "");
	fx_expect(&e->t, "cpu/" CG "/cgroup.procs", "4242");
	fx_put(&e->t, "memory/" CG "/cgroup.procs", "");
	assert_int_equal(cg_attach(&e->l, CG, 4242), 0);
	fx_expect(&e->t, "unified/" CG "/cgroup.procs", "4242");
}

static void test_placed_v1(void **state)
{
	struct fx_cg *e = *state;
	unsigned int all = cg_hier_mask(&e->l);

	assert_false(all & CG_HIER_V2);
	/* v1 only: the 0:: line is not looked at */
	assert_int_equal(cg_parse_placed("8:pids:/quell/alice\n7:blkio:/quell/alice\n"
					 "6:freezer:/quell/alice\n4:memory:/quell/alice\n"
					 "2:cpuacct:/quell/alice\n1:cpu:/quell/alice\n0::/\n", all, CG),
			 CG_INSIDE);
	assert_int_equal(cg_parse_placed("8:pids:/\n7:blkio:/quell/alice\n6:freezer:/quell/alice\n"
					 "4:memory:/quell/alice\n2:cpuacct:/quell/alice\n"
					 "1:cpu:/quell/alice\n", all, CG), CG_PARTIAL);
}

static int names_cb(const char *name, void *arg)
{
	char *seen = arg;

	strcat(seen, name);
	strcat(seen, " ");
	return 0;
}

/* 11.6: a leftover in one hierarchy only is seen, each name once */
static void test_children_all_hybrid(void **state)
{
	struct fx_cg *e = *state;
	char seen[256] = "";

	assert_int_equal(cg_create(&e->l, "quell/bob"), 0);
	assert_int_equal(cg_create(&e->l, "quell/alice"), 0);
	assert_int_equal(fx_mkdirs(e->t.path, "memory/quell/zoe"), 0);	/* memory only */
	fx_put(&e->t, "unified/quell/cgroup.procs",
	       "");			/* a file, not a child */
	assert_int_equal(cg_children_all(&e->l, "quell", names_cb, seen), 3);
	assert_string_equal(seen, "alice bob zoe ");
	/* cg_children (the primary hierarchy only) misses zoe */
	seen[0] = '\0';
	assert_int_equal(cg_children(&e->l, "quell", names_cb, seen), 2);
	assert_int_equal(cg_children_all(&e->l, "nope", names_cb, seen), -ENOENT);
	assert_int_equal(cg_children_all(&e->l, "quell/../x", names_cb, seen), -EINVAL);
}

static void test_where_v1(void **state)
{
	struct fx_cg *e = *state;
	char buf[128];

	fx_put(&e->proc, "55/cgroup", "5:memory:/m\n4:cpu,cpuacct:/quell/carol\n3:cpuset:/\n");
	assert_int_equal(cg_where(&e->l, 55, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "quell/carol");
	fx_put(&e->proc, "56/cgroup", "3:cpuset:/x\n");
	assert_int_equal(cg_where(&e->l, 56, buf, sizeof(buf)), -ENOENT);
}

static void test_freeze_hybrid_and_v1(void **state)
{
	struct fx_cg *e = *state;

	full_cgroup(e, true);
	fx_put(&e->t, "freezer/" CG "/freezer.state", "FROZEN\n");
	assert_int_equal(cg_freeze(&e->l, CG, true), 0);
	fx_expect(&e->t, "unified/" CG "/cgroup.freeze", "1");
	assert_int_equal(cg_freeze(&e->l, CG, false), 0);
	fx_expect(&e->t, "unified/" CG "/cgroup.freeze", "0");
	/* thawing also thaws the v1 freezer */
	fx_expect(&e->t, "freezer/" CG "/freezer.state", "THAWED");
}

static void test_freeze_v1_only(void **state)
{
	struct fx_cg *e = *state;

	full_cgroup(e, false);
	assert_int_equal(cg_freeze(&e->l, CG, true), 0);
	fx_expect(&e->t, "freezer/" CG "/freezer.state", "FROZEN");
	assert_int_equal(cg_freeze(&e->l, "quell/gone", true), -ENOENT);
	assert_int_equal(cg_id(&e->l, CG, &(uint64_t){ 0 }), -EOPNOTSUPP);
}

/* v1 has no cgroup.kill: the SIGKILL loop, on a real child of ours. */
static void test_kill_loop_v1(void **state)
{
	struct fx_cg *e = *state;
	char buf[32];
	int status, ready[2];
	pid_t pid;

	full_cgroup(e, false);
	e->l.proc_fd = -1;	/* real /proc: the loop checks for zombies */
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* as root, be nobody: cg_kill never signals a process of root's */
		if (getuid() == 0 && setresuid(65534, 65534, 65534))
			_exit(126);
		if (write(ready[1], "", 1) != 1)
			_exit(125);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], buf, 1), 1);	/* nobody's by now */
	close(ready[0]);
	snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	fx_put(&e->t, "cpu/" CG "/cgroup.procs", buf);
	assert_int_equal(cg_kill(&e->l, CG), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	/* nothing listed: done at once */
	fx_put(&e->t, "cpu/" CG "/cgroup.procs", "");
	assert_int_equal(cg_kill(&e->l, CG), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		fx_cg_test(test_detect_v1_and_hybrid, fx_cg_setup_hybrid),
		fx_cg_test(test_detect_v1_only, fx_cg_setup_v1),
		fx_cg_test(test_detect_combined_and_symlinks, fx_cg_setup_empty),
		fx_cg_test(test_detect_none, fx_cg_setup_empty),
		fx_cg_test(test_detect_unified_only, fx_cg_setup_empty),
		fx_cg_test(test_usage_v1, fx_cg_setup_v1),
		fx_cg_test(test_usage_hybrid_psi, fx_cg_setup_hybrid),
		fx_cg_test(test_usage_v1_fallbacks, fx_cg_setup_v1),
		fx_cg_test(test_usage_v1_vanished_malformed, fx_cg_setup_v1),
		fx_cg_test(test_apply_limits_v1, fx_cg_setup_hybrid),
		fx_cg_test(test_apply_priority_and_hold_v1, fx_cg_setup_hybrid),
		fx_cg_test(test_apply_io_weight_v1, fx_cg_setup_hybrid),
		fx_cg_test(test_usage_refaults_v1, fx_cg_setup_v1),
		fx_cg_test(test_read_limits_v1, fx_cg_setup_v1),
		fx_cg_test(test_create_remove_hybrid, fx_cg_setup_hybrid),
		fx_cg_test(test_attach_where_hybrid, fx_cg_setup_hybrid),
		fx_cg_test(test_where_v1, fx_cg_setup_v1),
		fx_cg_test(test_placed_hybrid, fx_cg_setup_hybrid),
		fx_cg_test(test_attach_order_hybrid, fx_cg_setup_hybrid),
		fx_cg_test(test_placed_v1, fx_cg_setup_v1),
		fx_cg_test(test_children_all_hybrid, fx_cg_setup_hybrid),
		fx_cg_test(test_freeze_hybrid_and_v1, fx_cg_setup_hybrid),
		fx_cg_test(test_freeze_v1_only, fx_cg_setup_v1),
		fx_cg_test(test_kill_loop_v1, fx_cg_setup_v1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
