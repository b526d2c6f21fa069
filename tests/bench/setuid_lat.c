// SPDX-License-Identifier: GPL-2.0-only
/*
 * setuid_lat.c - placement latency seen from the client side (issue 3).
 *
 * N times: fork a child (root, outside any tenant cgroup) that takes a
 * timestamp, calls setresuid(UID) - what suexec, PHP-FPM pools and cron do -
 * and then polls /proc/self/cgroup until, for each comma-separated suffix of
 * CGSUFFIXES, some line ends with it (e.g. ":cpu:/quell/alice,0::/quell/alice":
 * in the tenant's cgroup in the v1 cpu and the v2 hierarchy). The parent
 * waits for each child before the next one, so samples do not queue.
 *
 *   setuid_lat UID CGSUFFIXES N [TIMEOUT_MS=3000]
 *
 * Prints: samples=N missed=M p50_us=.. p90_us=.. p99_us=.. max_us=..
 * (a child not placed within TIMEOUT_MS counts as missed, not as a sample).
 * Exit status: 0 ok, 2 usage, 1 error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* 1 if some line of buf (lines of /proc/self/cgroup) ends with suffix[0..sl) */
static int has_line(const char *buf, const char *suffix, size_t sl)
{
	const char *line = buf;

	while (*line) {
		const char *end = strchrnul(line, '\n');

		if ((size_t)(end - line) >= sl && !memcmp(end - sl, suffix, sl))
			return 1;
		line = *end ? end + 1 : end;
	}
	return 0;
}

/* 1 if every comma-separated suffix matches a line of /proc/self/cgroup, 0 if not, -errno */
static int in_cgroup(const char *suffixes)
{
	char buf[8192];
	const char *s = suffixes;
	ssize_t n;
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (*s) {
		const char *end = strchrnul(s, ',');

		if (end > s && !has_line(buf, s, (size_t)(end - s)))
			return 0;
		s = *end ? end + 1 : end;
	}
	return 1;
}

/* child: returns the latency in us through the pipe, or UINT64_MAX */
static void child(int wfd, uid_t uid, const char *suffix, uint64_t timeout_ns)
{
	struct timespec nap = { 0, 20000 };	/* 20 us: resolution vs. stealing CPU */
	uint64_t t0, lat = UINT64_MAX;

	t0 = now_ns();
	if (setresuid(uid, uid, uid))
		_exit(1);
	while (now_ns() - t0 < timeout_ns) {
		if (in_cgroup(suffix) == 1) {
			lat = (now_ns() - t0) / 1000;
			break;
		}
		nanosleep(&nap, NULL);
	}
	if (write(wfd, &lat, sizeof(lat)) != sizeof(lat))
		_exit(1);
	_exit(0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pctl(const uint64_t *v, int n, double q)
{
	int i = (int)(q * (n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
	uint64_t *lat, timeout_ns;
	int n, got = 0, missed = 0, pfd[2];
	uid_t uid;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: %s UID CGSUFFIXES N [TIMEOUT_MS]\n", argv[0]);
		return 2;
	}
	uid = (uid_t)strtoul(argv[1], NULL, 10);
	n = atoi(argv[3]);
	timeout_ns = (argc > 4 ? strtoull(argv[4], NULL, 10) : 3000) * 1000000ull;
	if (uid == 0 || n < 1 || n > 100000 || !*argv[2]) {
		fprintf(stderr, "setuid_lat: bad arguments\n");
		return 2;
	}
	lat = calloc((size_t)n, sizeof(*lat));
	if (!lat || pipe(pfd))
		return 1;
	for (int i = 0; i < n; i++) {
		uint64_t v = UINT64_MAX;
		int st;
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			close(pfd[0]);
			child(pfd[1], uid, argv[2], timeout_ns);
		}
		if (read(pfd[0], &v, sizeof(v)) != sizeof(v))
			v = UINT64_MAX;
		waitpid(pid, &st, 0);
		if (v == UINT64_MAX)
			missed++;
		else
			lat[got++] = v;
	}
	if (!got) {
		printf("samples=0 missed=%d\n", missed);
		return 1;
	}
	qsort(lat, (size_t)got, sizeof(*lat), cmp_u64);
	printf("samples=%d missed=%d p50_us=%llu p90_us=%llu p99_us=%llu max_us=%llu\n", got,
	       missed, (unsigned long long)pctl(lat, got, 0.5), (unsigned long long)pctl(lat, got, 0.9),
	       (unsigned long long)pctl(lat, got, 0.99), (unsigned long long)lat[got - 1]);
	free(lat);
	return 0;
}
