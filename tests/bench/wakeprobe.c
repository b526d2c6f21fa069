// SPDX-License-Identifier: GPL-2.0-only
/*
 * wakeprobe.c - the latency-sensitive victim of the neighbour benchmark.
 *
 * A SCHED_OTHER stand-in for a request handler: THREADS threads each sleep
 * PERIOD_US (an absolute CLOCK_MONOTONIC deadline, so lateness does not
 * accumulate), record how late they woke, then burn WORK_US of CPU (the
 * "request"). cyclictest measures the same wakeup lateness but needs an RT
 * policy that a tenant does not get, and an RT victim would not suffer from
 * a CFS hog at all.
 *
 *   wakeprobe SECONDS [PERIOD_US=1000] [WORK_US=100] [THREADS=1]
 *
 * Prints one line: samples=N p50_us=.. p90_us=.. p99_us=.. max_us=..
 * Exit status: 0 ok, 2 usage, 1 no samples / out of memory.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS	16

struct probe {
	pthread_t th;
	uint64_t end_ns, period_ns, work_ns;
	uint32_t *lat_us;	/* lateness per wakeup, us */
	size_t nr, cap;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *probe_run(void *arg)
{
	struct probe *p = arg;
	uint64_t next = now_ns();

	while (p->nr < p->cap) {
		struct timespec ts;
		uint64_t woke, late;

		next += p->period_ns;
		if (next >= p->end_ns)
			break;
		ts.tv_sec = next / 1000000000ull;
		ts.tv_nsec = next % 1000000000ull;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
			;
		woke = now_ns();
		late = woke > next ? woke - next : 0;
		p->lat_us[p->nr++] = late / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(late / 1000);
		while (now_ns() - woke < p->work_ns)
			;
		/* a late wakeup skips the deadlines it missed instead of bursting */
		if (now_ns() > next + p->period_ns)
			next = now_ns();
	}
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t pctl(const uint32_t *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
	struct probe pr[MAX_THREADS];
	double secs;
	long period_us = 1000, work_us = 100, threads = 1;
	uint32_t *all;
	size_t n = 0;

	if (argc < 2 || argc > 5) {
		fprintf(stderr, "usage: %s SECONDS [PERIOD_US] [WORK_US] [THREADS]\n", argv[0]);
		return 2;
	}
	secs = atof(argv[1]);
	if (argc > 2)
		period_us = atol(argv[2]);
	if (argc > 3)
		work_us = atol(argv[3]);
	if (argc > 4)
		threads = atol(argv[4]);
	if (secs <= 0 || secs > 3600 || period_us < 50 || work_us < 0 || work_us >= period_us ||
	    threads < 1 || threads > MAX_THREADS) {
		fprintf(stderr, "wakeprobe: bad arguments\n");
		return 2;
	}
	memset(pr, 0, sizeof(pr));
	for (long i = 0; i < threads; i++) {
		pr[i].end_ns = now_ns() + (uint64_t)(secs * 1e9);
		pr[i].period_ns = (uint64_t)period_us * 1000;
		pr[i].work_ns = (uint64_t)work_us * 1000;
		pr[i].cap = (size_t)(secs * 1e6 / (double)period_us) + 16;
		pr[i].lat_us = calloc(pr[i].cap, sizeof(uint32_t));
		if (!pr[i].lat_us)
			return 1;
		if (pthread_create(&pr[i].th, NULL, probe_run, &pr[i]))
			return 1;
	}
	for (long i = 0; i < threads; i++) {
		pthread_join(pr[i].th, NULL);
		n += pr[i].nr;
	}
	all = malloc((n ? n : 1) * sizeof(uint32_t));
	if (!all || !n)
		return 1;
	n = 0;
	for (long i = 0; i < threads; i++) {
		memcpy(all + n, pr[i].lat_us, pr[i].nr * sizeof(uint32_t));
		n += pr[i].nr;
		free(pr[i].lat_us);
	}
	qsort(all, n, sizeof(uint32_t), cmp_u32);
	printf("samples=%zu p50_us=%u p90_us=%u p99_us=%u max_us=%u\n", n, pctl(all, n, 0.50),
	       pctl(all, n, 0.90), pctl(all, n, 0.99), all[n - 1]);
	free(all);
	return 0;
}
