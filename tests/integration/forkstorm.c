// SPDX-License-Identifier: GPL-2.0-only
/*
 * forkstorm.c - placement under fork and setuid storms (issues 11.10, 12.5).
 *
 *   forkstorm fork UID N [W=1]
 *	As root: setresuid(UID) - what suexec, PHP-FPM and cron do - then fork
 *	W forkers which fork N/W children each, as fast as they can, each
 *	child sleeping (pause) until killed (a PHP-FPM master and its pools).
 *	Prints "forked N in MS ms" once all are forked, then pauses itself.
 *	The children are forked while quelld is still moving their parents,
 *	so some are born in a mix of the old and the new cgroups (12.5).
 *
 *   forkstorm setuid UID WORKERS SECONDS
 *	As root: WORKERS processes, each forking children in a loop for
 *	SECONDS; every child calls setresuid(UID) (one ring-buffer event
 *	each), sleeps 20 ms so that there is something to place, and exits.
 *	Prints "setuid children N" at the end (11.10).
 *
 *   forkstorm burst N HOLD_S
 *	As the caller: fork N children as fast as it can, each sleeping
 *	HOLD_S s, counting the forks the kernel refuses (EAGAIN: pids.max).
 *	Prints "OK REFUSED FIRST TOTAL" (FIRST: seconds to the first refusal,
 *	-1.000 if none; TOTAL: seconds for all N attempts) as tenant_load.py's
 *	fork does, then waits for the children (t_policy_fork_burst: Python's
 *	fork ran 1,500 in 12.9 s on a machine where this one takes 1.1 s).
 *
 * Exit status: 0 ok, 2 usage, 1 error.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* fork n sleeping children; 0 or -errno */
static int fork_sleepers(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0)
			return -errno;
		if (p == 0) {
			for (;;)
				pause();
		}
	}
	return 0;
}

static int do_fork(uid_t uid, long n, int width)
{
	int fds[2], ret = 0;
	double t0;

	if (width < 1 || pipe(fds))
		return 2;
	if (setresuid(uid, uid, uid)) {
		perror("setresuid");
		return 1;
	}
	t0 = now_ms();
	if (width == 1) {
		ret = fork_sleepers(n);
	} else {
		for (int w = 0; w < width; w++) {
			pid_t p = fork();

			if (p < 0)
				return 1;
			if (p == 0) {
				int e = fork_sleepers(n / width + (w < n % width));

				if (write(fds[1], &e, sizeof(e)) != sizeof(e))
					_exit(1);
				for (;;)
					pause();
			}
		}
		for (int w = 0; w < width; w++) {
			int e = -EIO;

			if (read(fds[0], &e, sizeof(e)) != sizeof(e) || e)
				ret = e;
		}
	}
	if (ret) {
		fprintf(stderr, "fork: %s\n", strerror(-ret));
		return 1;
	}
	printf("forked %ld in %.0f ms\n", n, now_ms() - t0);
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

static int worker(uid_t uid, double end)
{
	const struct timespec nap = { 0, 20 * 1000 * 1000 };
	long n = 0;

	while (now_ms() < end) {
		pid_t p = fork();

		if (p < 0) {
			if (errno == EAGAIN)
				continue;
			return -1;
		}
		if (p == 0) {
			if (setresuid(uid, uid, uid))
				_exit(1);
			nanosleep(&nap, NULL);
			_exit(0);
		}
		waitpid(p, NULL, 0);
		n++;
	}
	return (int)(n > 0x7fffffff ? 0x7fffffff : n);
}

static int do_setuid(uid_t uid, int workers, double seconds)
{
	double end = now_ms() + seconds * 1e3;
	int fds[2];
	long total = 0;

	if (pipe(fds))
		return 1;
	for (int w = 0; w < workers; w++) {
		pid_t p = fork();

		if (p < 0)
			return 1;
		if (p == 0) {
			int n = worker(uid, end);

			if (write(fds[1], &n, sizeof(n)) != sizeof(n))
				_exit(1);
			_exit(n < 0);
		}
	}
	close(fds[1]);
	for (int w = 0; w < workers; w++) {
		int n;

		if (read(fds[0], &n, sizeof(n)) == sizeof(n) && n > 0)
			total += n;
	}
	while (wait(NULL) > 0)
		;
	printf("setuid children %ld\n", total);
	return 0;
}

static int do_burst(long n, unsigned hold)
{
	double t0 = now_ms(), first = -1;
	long ok = 0, refused = 0;

	for (long i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0) {
			if (errno != EAGAIN) {
				perror("fork");
				return 1;
			}
			if (first < 0)
				first = now_ms() - t0;
			refused++;
			continue;
		}
		if (p == 0) {
			sleep(hold);
			_exit(0);
		}
		ok++;
	}
	printf("%ld %ld %.3f %.3f\n", ok, refused, first < 0 ? -1.0 : first / 1e3,
	       (now_ms() - t0) / 1e3);
	fflush(stdout);
	while (wait(NULL) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "fork"))
		return do_fork((uid_t)atol(argv[2]), atol(argv[3]), argc == 5 ? atoi(argv[4]) : 1);
	if (argc == 5 && !strcmp(argv[1], "setuid"))
		return do_setuid((uid_t)atol(argv[2]), atoi(argv[3]), atof(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "burst"))
		return do_burst(atol(argv[2]), (unsigned)atoi(argv[3]));
	fprintf(stderr, "usage: forkstorm fork UID N [W] | forkstorm setuid UID WORKERS SECONDS |"
		" forkstorm burst N HOLD_S\n");
	return 2;
}
