// SPDX-License-Identifier: GPL-2.0-only
/*
 * xtenant_pipe.c - two tenants handing a byte back and forth through pipes.
 *
 * The worst case for the BPF side's wait bookkeeping: pinned to one CPU
 * (taskset), every switch ends a wait of a few microseconds behind the
 * other tenant, so wait_end() walks the slice ring and charges the other
 * at each one (bpf/quell.bpf.c). Used to time the wait alarm's window
 * (docs/performance.md "The wait alarm sums a tenant's waits").
 *
 *   xtenant_pipe UID_A UID_B ROUNDS      (as root)
 *
 * The parent becomes UID_A, the child UID_B; both sleep 1 s (quelld places
 * them) and then make ROUNDS round trips. Exit status: 0 ok, 1 an error.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int become(uid_t u)
{
	return setresgid(u, u, u) || setresuid(u, u, u) ? -1 : 0;
}

int main(int argc, char **argv)
{
	int to_b[2], to_a[2], st, n;
	char c = 0;
	pid_t pid;

	if (argc != 4 || (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: xtenant_pipe UID_A UID_B ROUNDS\n");
		return 1;
	}
	if (pipe(to_b) || pipe(to_a)) {
		perror("pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid) {
		if (become(atoi(argv[2])))
			_exit(1);
		sleep(1);
		for (int i = 0; i < n; i++)
			if (read(to_b[0], &c, 1) != 1 || write(to_a[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	if (become(atoi(argv[1]))) {
		perror("setresuid");
		return 1;
	}
	sleep(1);
	for (int i = 0; i < n; i++)
		if (write(to_b[1], &c, 1) != 1 || read(to_a[0], &c, 1) != 1)
			return 1;
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : 1;
}
