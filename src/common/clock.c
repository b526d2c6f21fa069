// SPDX-License-Identifier: GPL-2.0-only
/*
 * clock.c - monotonic and wall clocks (include/clock.h). They lived in
 * src/quelld/daemon.c and the enforcer (now src/quelld/act.c), which made every daemon
 * module that needed the time call back up into the loop (issue 13).
 */
#include <time.h>

#include "clock.h"

uint64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t clock_real_s(void)
{
	return (uint64_t)time(NULL);
}

int clock_ms_until(uint64_t due_ns)
{
	uint64_t now = clock_mono_ns();

	return now >= due_ns ? 0 : (int)((due_ns - now + 999999) / 1000000);
}

uint64_t clock_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
