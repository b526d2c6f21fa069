// SPDX-License-Identifier: GPL-2.0-only
/* test_procfs.c - procfs parsers with literal kernel text, iterators on a fake /proc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include "procfs.h"

/* this machine's /proc/self/stat for cat, utime/stime changed to 7 / 3 */
static const char stat_cat[] =
	"29294 (cat) R 29291 29291 3767 0 -1 4194304 98 0 0 0 7 3 0 0 20 0 1 0 96209 "
	"3133440 411 18446744073709551615 94693640687616 94693640707497 140724872400128 0 0 0 "
	"0 0 0 0 0 0 17 1 0 0 0 0 0 94693640723504 94693640725120 94693897957376 "
	"140724872407692 140724872407712 140724872407712 140724872409067 0\n";

static const char status_cat[] =
	"Name:\tcat\nUmask:\t0022\nState:\tR (running)\nTgid:\t29294\nNgid:\t0\nPid:\t29294\n"
	"PPid:\t29291\nTracerPid:\t0\nUid:\t1001\t1002\t1003\t1004\nGid:\t0\t0\t0\t0\n"
	"FDSize:\t256\nGroups:\t \nVmPeak:\t    3060 kB\nVmSize:\t    3060 kB\n"
	"VmRSS:\t    1728 kB\nRssAnon:\t     112 kB\nThreads:\t1\n";

static void test_parse_stat(void **state)
{
	struct proc_info pi = { 0 };

	(void)state;
	assert_int_equal(procfs_parse_stat(stat_cat, &pi), 0);
	assert_int_equal(pi.pid, 29294);
	assert_string_equal(pi.comm, "cat");
	assert_int_equal(pi.state, 'R');
	assert_int_equal(pi.ppid, 29291);
	assert_int_equal(pi.cpu_ns, procfs_ticks_to_ns(10));
	assert_int_equal(pi.threads, 1);
	assert_int_equal(pi.start_ticks, 96209);
	assert_int_equal(procfs_ticks_to_ns(100), 1000000000ULL);	/* USER_HZ 100 */
}

static void test_parse_stat_hostile_comm(void **state)
{
	struct proc_info pi = { 0 };

	(void)state;
	/* a tenant can name its process "x) S 1 (" */
	assert_int_equal(procfs_parse_stat("77 (x) S 1 () Z 5 5 5 0 -1 0 0 0 0 0 300 200 0 0 20 0 "
					   "12 0 555 0 0\n", &pi), 0);
	assert_string_equal(pi.comm, "x) S 1 (");
	assert_int_equal(pi.state, 'Z');
	assert_int_equal(pi.ppid, 5);
	assert_int_equal(pi.cpu_ns, procfs_ticks_to_ns(500));
	assert_int_equal(pi.threads, 12);
	/* comm longer than TASK_COMM_LEN is cut, not overflowed */
	assert_int_equal(procfs_parse_stat("8 (aaaaaaaaaaaaaaaaaaaaaaaaaaaa) S 1 1 1 0 -1 0 0 0 0 0 0 0 "
					   "0 0 20 0 1 0 5 0 0\n", &pi), 0);
	assert_int_equal(strlen(pi.comm), 16);
}

static void test_parse_stat_malformed(void **state)
{
	struct proc_info pi = { 0 };

	(void)state;
	assert_int_equal(procfs_parse_stat("", &pi), -EINVAL);
	assert_int_equal(procfs_parse_stat("12 cat R 1", &pi), -EINVAL);
	assert_int_equal(procfs_parse_stat("12 (cat) R 1 2 3\n", &pi), -EINVAL);	/* truncated */
	assert_int_equal(procfs_parse_stat("x (cat) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0",
					   &pi), -EINVAL);
	assert_int_equal(procfs_parse_stat("12 (cat) R 1 1 1 0 -1 0 0 0 0 0 zz 0 0 0 20 0 1 0 5 0 0",
					   &pi), -EINVAL);
	assert_int_equal(procfs_parse_stat(NULL, &pi), -EINVAL);
}

static void test_parse_status(void **state)
{
	struct proc_info pi = { 0 };

	(void)state;
	assert_int_equal(procfs_parse_status(status_cat, &pi), 0);
	assert_int_equal(pi.uid, 1001);		/* real, not effective */
	assert_int_equal(pi.ppid, 29291);
	assert_int_equal(pi.threads, 1);
	assert_int_equal(pi.rss_bytes, 1728 * 1024);
	/* kernel thread: no VmRSS */
	assert_int_equal(procfs_parse_status("Name:\tkthreadd\nPPid:\t0\nUid:\t0\t0\t0\t0\n"
					     "Threads:\t1\n", &pi), 0);
	assert_int_equal(pi.rss_bytes, 0);
	assert_int_equal(procfs_parse_status("Name:\tx\nPPid:\t1\nThreads:\t1\n", &pi), -EINVAL);
	assert_int_equal(procfs_parse_status("Uid:\tabc\nPPid:\t1\nThreads:\t1\n", &pi), -EINVAL);
	assert_int_equal(procfs_parse_status("Uid:\t5\t5\t5\t5\nPPid:\t1\nThreads:\t1\n"
					     "VmRSS:\t lots kB\n", &pi), -EINVAL);
}

static void test_parse_schedstat(void **state)
{
	struct proc_info pi = { 0 };

	(void)state;
	assert_int_equal(procfs_parse_schedstat("0 3792525 1\n", &pi), 0);
	assert_true(pi.has_run_delay);
	assert_int_equal(pi.run_delay_ns, 3792525);
	/* field 1 is sum_exec_runtime, what bpf_loader.c adds for a running task */
	assert_int_equal(procfs_parse_schedstat("18446744073709551 7 2\n", &pi), 0);
	assert_true(pi.run_ns == 18446744073709551ull);
	assert_int_equal(pi.run_delay_ns, 7);
	assert_int_equal(procfs_parse_schedstat("12 x\n", &pi), -EINVAL);
}

static void fake_proc(struct fx_tree *t, int pid, int uid, const char *comm)
{
	char p[64], s[512];

	snprintf(p, sizeof(p), "%d/stat", pid);
	snprintf(s, sizeof(s), "%d (%s) S 1 1 1 0 -1 0 0 0 0 0 50 50 0 0 20 0 2 0 100 0 0\n",
		 pid, comm);
	assert_int_equal(fx_write(t, p, s), 0);
	snprintf(p, sizeof(p), "%d/status", pid);
	snprintf(s, sizeof(s), "Name:\t%s\nPPid:\t1\nUid:\t%d\t%d\t%d\t%d\nVmRSS:\t100 kB\n"
		 "Threads:\t2\n", comm, uid, uid, uid, uid);
	assert_int_equal(fx_write(t, p, s), 0);
}

struct seen {
	int n;
	int uid_sum;
	bool stop_at_2;
};

static int seen_cb(const struct proc_info *pi, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->uid_sum += (int)pi->uid;
	assert_int_equal(pi->threads, 2);
	assert_int_equal(pi->rss_bytes, 100 * 1024);
	return s->stop_at_2 && s->n == 2 ? 42 : 0;
}

static void test_iterate_fake(void **state)
{
	struct fx_tree t;
	struct proc_info pi;
	struct seen s = { 0 };
	pid_t pids[8];
	uid_t uid;

	(void)state;
	assert_int_equal(fx_tree_new(&t), 0);
	fake_proc(&t, 100, 1000, "php-fpm");
	fake_proc(&t, 101, 1000, "php-fpm");
	fake_proc(&t, 200, 1001, "sshd");
	fake_proc(&t, 300, 0, "init");
	assert_int_equal(fx_write(&t, "300/schedstat", "5 6 7\n"), 0);
	assert_int_equal(fx_write(&t, "400/stat", "garbage"), 0);	/* skipped */
	assert_int_equal(fx_write(&t, "self/stat", "x"), 0);		/* not numeric */
	assert_int_equal(fx_write(&t, "loadavg", "0 0 0\n"), 0);

	assert_int_equal(procfs_foreach(t.fd, seen_cb, &s), 4);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.uid_sum, 3001);
	s = (struct seen){ .stop_at_2 = true };
	assert_int_equal(procfs_foreach(t.fd, seen_cb, &s), 42);

	assert_int_equal(procfs_pids_of_uid(t.fd, 1000, pids, 8), 2);
	assert_true((pids[0] == 100 && pids[1] == 101) || (pids[0] == 101 && pids[1] == 100));
	assert_int_equal(procfs_pids_of_uid(t.fd, 1000, pids, 1), 2);	/* count beyond max */
	assert_int_equal(procfs_pids_of_uid(t.fd, 4242, pids, 8), 0);

	assert_int_equal(procfs_read_pid(t.fd, 300, &pi), 0);
	assert_string_equal(pi.comm, "init");
	assert_true(pi.has_run_delay);
	assert_int_equal(pi.run_delay_ns, 6);
	assert_int_equal(procfs_read_pid(t.fd, 100, &pi), 0);
	assert_false(pi.has_run_delay);
	assert_int_equal(procfs_read_pid(t.fd, 999, &pi), -ENOENT);	/* gone */
	assert_int_equal(procfs_read_pid(t.fd, 400, &pi), -EINVAL);
	assert_int_equal(procfs_read_pid(t.fd, 0, &pi), -EINVAL);
	assert_int_equal(procfs_pid_uid(t.fd, 200, &uid), 0);
	assert_int_equal(uid, 1001);
	fx_tree_free(&t);
}

static int count_cb(const struct proc_info *pi, void *arg)
{
	(void)pi;
	(*(int *)arg)++;
	return 0;
}

static void test_real_proc(void **state)
{
	struct proc_info pi;
	int n = 0;

	(void)state;
	assert_int_equal(procfs_read_pid(-1, getpid(), &pi), 0);
	assert_int_equal(pi.pid, getpid());
	assert_int_equal(pi.uid, getuid());
	assert_int_equal(pi.ppid, getppid());
	assert_true(pi.rss_bytes > 0);
	assert_true(procfs_foreach(-1, count_cb, &n) > 1);
	assert_true(n > 1);
	assert_true(procfs_pids_of_uid(-1, getuid(), NULL, 0) >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_parse_stat_hostile_comm),
		cmocka_unit_test(test_parse_stat_malformed),
		cmocka_unit_test(test_parse_status),
		cmocka_unit_test(test_parse_schedstat),
		cmocka_unit_test(test_iterate_fake),
		cmocka_unit_test(test_real_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
