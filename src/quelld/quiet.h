/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * quiet.h - which tenants a tick reads only the pressure files of
 * (docs/performance.md "Quiet tenants"). Pure: two samples and clocks in,
 * a yes or no out (tests/unit/test_quiet.c).
 *
 * A full cgroup read is ~18 files a tenant on a hybrid host, ~7.5 us each:
 * 500 tenants with sleeping processes made a tick 100-210 ms. Most of what
 * those files hold changes only when the tenant runs, forks, faults or does
 * IO, which BPF counts every tick anyway. A tenant that BPF saw do none of
 * that since the last tick, whose last full read is younger than
 * QUIET_MAX_MS, keeps the values of that read. Its pressure files are read
 * every tick all the same: a task asleep in D state stalls without BPF
 * seeing it, and the neighbours' pressure is what the rules judge.
 */
#ifndef QUELL_QUIET_H
#define QUELL_QUIET_H

#include <stdbool.h>
#include <stdint.h>

#include "metrics.h"

/* A full read at least this often, less up to QUIET_SPREAD_MS by key so tenants' reads spread. */
#define QUIET_MAX_MS	5000
#define QUIET_SPREAD_MS	1750

/*
 * May the tick of cur reuse the full read at read_ns (CLOCK_MONOTONIC, 0 =
 * none yet)? Yes when that read is younger than QUIET_MAX_MS less the key's
 * spread and every activity counter BPF keeps is valid from BPF in both
 * samples and unchanged.
 */
bool quiet_skip(const struct qm_sample *prev, const struct qm_sample *cur, uint64_t read_ns,
		uint64_t key);

/* Carry prev's cgroupfs values into cur where cur has none; returns how many. */
int quiet_carry(struct qm_sample *cur, const struct qm_sample *prev);

#endif /* QUELL_QUIET_H */
