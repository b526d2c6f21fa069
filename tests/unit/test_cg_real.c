// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cg_real.c - the cgroup backend against the REAL /sys/fs/cgroup.
 * Needs root; otherwise every test is skipped (reported as skipped, never
 * passed). Only touches quelltest-<pid>-<rand> and its child, which the
 * group teardown kills, thaws and removes even when an assertion failed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"

struct real {
	bool usable;
	int root_fd;
	struct cg_layout l;
	char name[64];		/* quelltest-<pid>-<rand> */
	char child[96];		/* <name>/child */
	pid_t sleeper;
};

static struct real R = { .root_fd = -1, .sleeper = -1 };

static void need_root(void)
{
	if (!R.usable)
		skip();
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	R.root_fd = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (R.root_fd < 0 || cg_layout_open(R.root_fd, &R.l))
		return 0;
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	snprintf(R.name, sizeof(R.name), "quelltest-%d-%d", (int)getpid(), rand() % 32768);
	snprintf(R.child, sizeof(R.child), "%s/child", R.name);
	R.usable = true;
	printf("# real cgroupfs: mode %s, test cgroup %s\n", cg_mode_name(R.l.mode), R.name);
	return 0;
}

/* Runs whatever happened in the tests: nothing of ours is left behind. */
static int group_teardown(void **state)
{
	(void)state;
	if (!R.usable)
		goto out;
	if (R.sleeper > 0) {
		cg_freeze(&R.l, R.child, false);
		kill(R.sleeper, SIGKILL);
		waitpid(R.sleeper, NULL, 0);
		R.sleeper = -1;
	}
	for (int i = 0; i < 50; i++) {
		if (!cg_exists(&R.l, R.name))
			break;
		if (cg_exists(&R.l, R.child)) {
			cg_freeze(&R.l, R.child, false);
			cg_kill(&R.l, R.child);
		}
		if (cg_remove(&R.l, R.name) == 0)
			break;
		sleep_ms(100);
	}
	if (cg_exists(&R.l, R.name))
		fprintf(stderr, "# LEFT BEHIND: %s\n", R.name);
	cg_layout_close(&R.l);
out:
	if (R.root_fd >= 0)
		close(R.root_fd);
	return 0;
}

static void test_create(void **state)
{
	(void)state;
	need_root();
	assert_false(cg_exists(&R.l, R.name));
	assert_int_equal(cg_create(&R.l, R.name), 0);
	assert_int_equal(cg_create(&R.l, R.child), 0);
	assert_true(cg_exists(&R.l, R.child));
	/* every v1 hierarchy and unified/ have it */
	for (int c = 0; c < CGC_NR; c++) {
		struct stat st;

		if (R.l.v1_fd[c] >= 0 && R.l.mode != CG_MODE_V2)
			assert_int_equal(fstatat(R.l.v1_fd[c], R.child, &st, 0), 0);
	}
	assert_int_equal(cg_level(R.child), 2);
}

static int child_cb(const char *name, void *arg)
{
	*(bool *)arg |= !strcmp(name, "child");
	return 0;
}

static int id_cb(const char *name, uint64_t id, void *arg)
{
	if (!strcmp(name, "child"))
		*(uint64_t *)arg = id;
	return 0;
}

/* cgroup2's d_ino is the cgroup id; mkdir/rmdir of a child reach an inotify watch */
static void test_children_ids_watch(void **state)
{
	uint64_t id = 0, want = 0;
	char w2[128];
	int fd;

	(void)state;
	need_root();
	if (R.l.v2_fd < 0)
		skip();
	assert_int_equal(cg_id(&R.l, R.child, &want), 0);
	assert_int_equal(cg_children_ids(&R.l, R.name, id_cb, &id), 1);
	assert_true(want != 0);
	assert_int_equal(id, want);
	fd = cg_watch_open(&R.l, R.name);
	assert_true(fd >= 0);
	assert_int_equal(cg_watch_read(fd), 0);
	snprintf(w2, sizeof(w2), "%s/w2", R.name);
	assert_int_equal(cg_create(&R.l, w2), 0);
	assert_int_equal(cg_watch_read(fd), CG_WATCH_CHANGED);
	assert_int_equal(cg_watch_read(fd), 0);
	assert_int_equal(cg_remove(&R.l, w2), 0);
	assert_int_equal(cg_watch_read(fd), CG_WATCH_CHANGED);
	close(fd);
}

static void test_attach_where(void **state)
{
	char where[256];
	pid_t pids[8];
	bool seen = false;

	(void)state;
	need_root();
	R.sleeper = fork();
	assert_true(R.sleeper >= 0);
	if (R.sleeper == 0) {
		/* nobody's: cg_kill never signals a process of root's (test_kill_remove) */
		if (setresuid(65534, 65534, 65534))
			_exit(126);
		execlp("sleep", "sleep", "300", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(cg_attach(&R.l, R.child, R.sleeper), 0);
	assert_int_equal(cg_where(&R.l, R.sleeper, where, sizeof(where)), 0);
	assert_string_equal(where, R.child);
	assert_int_equal(cg_procs(&R.l, R.child, pids, 8), 1);
	assert_int_equal(pids[0], R.sleeper);
	assert_int_equal(cg_children(&R.l, R.name, child_cb, &seen), 1);
	assert_true(seen);
	/* a process that does not exist */
	assert_int_equal(cg_attach(&R.l, R.child, 999999999), -ESRCH);
}

static void test_limits(void **state)
{
	struct cg_limits in, out;

	(void)state;
	need_root();
	cg_limits_init(&in);
	in.cpu_quota_us = 50000;
	in.cpu_period_us = 100000;
	in.mem_high = 48 << 20;
	in.mem_max = 64 << 20;
	in.pids_max = 16;
	assert_int_equal(cg_apply_limits(&R.l, R.child, &in), 0);
	assert_int_equal(cg_read_limits(&R.l, R.child, &out), 0);
	assert_int_equal(out.cpu_quota_us, 50000);
	assert_int_equal(out.cpu_period_us, 100000);
	assert_int_equal(out.mem_high, 48 << 20);
	assert_int_equal(out.mem_max, 64 << 20);
	assert_int_equal(out.pids_max, 16);

	/* back to unlimited, and the kernel agrees */
	cg_limits_init(&in);
	assert_int_equal(cg_apply_limits(&R.l, R.child, &in), 0);
	assert_int_equal(cg_read_limits(&R.l, R.child, &out), 0);
	assert_true(out.cpu_quota_us == CG_UNLIMITED);
	assert_true(out.mem_high == CG_UNLIMITED);
	assert_true(out.mem_max == CG_UNLIMITED);
	assert_true(out.pids_max == CG_UNLIMITED);

	/* the kernel refuses a period of 2 s; we refuse before writing */
	in.cpu_period_us = 2000000;
	in.cpu_quota_us = 100000;
	assert_int_equal(cg_apply_limits(&R.l, R.child, &in), -EINVAL);
}

static void test_io_limit_all_devices(void **state)
{
	struct cg_limits in, out;
	int e;

	(void)state;
	need_root();
	cg_limits_init(&in);
	in.nr_io = 1;
	in.io[0] = (struct cg_io_limit){ 0, 0, 10 << 20, 5 << 20, CG_UNLIMITED, 200 };
	e = cg_apply_limits(&R.l, R.child, &in);
	if (e == -EOPNOTSUPP)
		skip();		/* no blkio / io controller here */
	assert_int_equal(e, 0);
	assert_int_equal(cg_read_limits(&R.l, R.child, &out), 0);
	assert_true(out.nr_io >= 1);
	assert_int_equal(out.io[0].rbps, 10 << 20);
	assert_int_equal(out.io[0].wbps, 5 << 20);
	assert_true(out.io[0].riops == CG_UNLIMITED);
	assert_int_equal(out.io[0].wiops, 200);
	printf("# io limit written for %d device(s), first %u:%u\n", out.nr_io,
	       out.io[0].major, out.io[0].minor);
	/* and removed again */
	cg_limits_init(&in);
	assert_int_equal(cg_apply_limits(&R.l, R.child, &in), 0);
	assert_int_equal(cg_read_limits(&R.l, R.child, &out), 0);
	assert_int_equal(out.nr_io, 0);
}

static void test_usage(void **state)
{
	struct cg_usage u;
	uint64_t id;
	char p[256];
	struct stat st;

	(void)state;
	need_root();
	assert_int_equal(cg_read_usage(&R.l, R.child, &u), 0);
	assert_true(u.valid & CGU_CPU);
	assert_true(u.valid & CGU_MEM);
	assert_true(u.valid & CGU_PIDS);
	assert_int_equal(u.pids_current, 1);
	assert_true(u.valid & CGU_FROZEN);
	assert_false(u.frozen);
	if (R.l.v2_fd >= 0) {
		assert_true(u.valid & CGU_PSI_CPU);
		assert_int_equal(cg_id(&R.l, R.child, &id), 0);
		snprintf(p, sizeof(p), "/sys/fs/cgroup/%s%s", R.l.mode == CG_MODE_HYBRID ?
			 "unified/" : "", R.child);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(id, st.st_ino);
	}
	printf("# usage valid=0x%llx cpu_ns=%llu mem=%llu pids=%llu\n",
	       (unsigned long long)u.valid, (unsigned long long)u.cpu_ns,
	       (unsigned long long)u.mem_bytes, (unsigned long long)u.pids_current);
	assert_int_equal(cg_read_usage(&R.l, "quelltest-does-not-exist", &u), -ENOENT);
}

static bool wait_frozen(bool want)
{
	struct cg_usage u;

	for (int i = 0; i < 100; i++) {
		if (!cg_read_usage(&R.l, R.child, &u) && (u.valid & CGU_FROZEN) && u.frozen == want)
			return true;
		sleep_ms(20);
	}
	return false;
}

static void test_freeze(void **state)
{
	(void)state;
	need_root();
	assert_int_equal(cg_freeze(&R.l, R.child, true), 0);
	assert_true(wait_frozen(true));
	assert_int_equal(cg_freeze(&R.l, R.child, false), 0);
	assert_true(wait_frozen(false));
}

static void test_kill_remove(void **state)
{
	int status = 0;
	pid_t r = 0;

	(void)state;
	need_root();
	assert_true(R.sleeper > 0);
	/* busy: not removed */
	assert_int_equal(cg_remove(&R.l, R.name), -EBUSY);
	assert_int_equal(cg_kill(&R.l, R.child), 0);
	for (int i = 0; i < 200 && r == 0; i++) {
		r = waitpid(R.sleeper, &status, WNOHANG);
		if (!r)
			sleep_ms(10);
	}
	assert_int_equal(r, R.sleeper);
	R.sleeper = -1;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	/* the exit is asynchronous to cgroup.procs: allow a moment */
	for (int i = 0; i < 50 && cg_remove(&R.l, R.name) == -EBUSY; i++)
		sleep_ms(20);
	assert_false(cg_exists(&R.l, R.name));
	for (int c = 0; c < CGC_NR; c++) {
		struct stat st;

		if (R.l.v1_fd[c] >= 0)
			assert_int_not_equal(fstatat(R.l.v1_fd[c], R.name, &st, 0), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_children_ids_watch),
		cmocka_unit_test(test_attach_where),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_io_limit_all_devices),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_freeze),
		cmocka_unit_test(test_kill_remove),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
