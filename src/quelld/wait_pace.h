/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wait_pace.h - when the wait alarm takes an early tick (docs/policy.md
 * "The wait alarm"; src/quelld/alarm.c feeds it). Pure: CLOCK_MONOTONIC
 * nanoseconds in, a due time out (tests/unit/test_wait_pace.c).
 *
 * A tenant's task waited alarm_wait behind others (the BPF side's event).
 * The tick that follows decides from the rates since the tick before it,
 * so an early tick is useful only when that sample is mostly the trouble:
 * it comes WAIT_PACE_SAMPLE_MS after the last tick at the earliest. The
 * first alarm after a long quiet tick thus takes a tick at once (its
 * sample is diluted, but it starts a clean one) and the next alarm, if
 * the waits go on, a tick on that clean sample. Early ticks that enter no
 * rung, WAIT_PACE_FRUITLESS in a row (each less than WAIT_PACE_RUN_MS
 * after the one before), stop them for WAIT_PACE_PAUSE_MS:
 * a box that is busy with no offender waits at 5 ms all the time, and its
 * ticks cost (18 ms of CPU at 10,000 tenants, docs/performance.md).
 */
#ifndef QUELL_WAIT_PACE_H
#define QUELL_WAIT_PACE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

#define WAIT_PACE_SAMPLE_MS	100
#define WAIT_PACE_FRUITLESS	4
#define WAIT_PACE_PAUSE_MS	15000
#define WAIT_PACE_RUN_MS	3000

struct wait_pace {
	bool wanted;			/* an alarm came since the last tick */
	uint64_t alarm_ns;		/* the first of them */
	unsigned fruitless;		/* early ticks in a row that entered no rung */
	uint64_t early_ns;		/* the last early tick (0: none) */
	uint64_t pause_until_ns;	/* no early tick before this (0: none) */
};

/* An alarm at now_ns; ignored while paused. True when it asks for a tick (the first since one). */
bool wait_pace_alarm(struct wait_pace *p, uint64_t now_ns);
/* When the early tick is due (>= now: wait; <= now: take it), 0 when none is wanted. */
uint64_t wait_pace_due(const struct wait_pace *p, uint64_t last_tick_ns);
/*
 * After a tick at now_ns: early (it was the wait alarm's), entered (it
 * entered or raised a rung of any tenant). Clears the wanted tick. True
 * when this tick began a pause.
 */
bool wait_pace_tick(struct wait_pace *p, uint64_t now_ns, bool early, bool entered);
/*
 * A rung was released: end a pause (true if there was one). The fruitless
 * ticks that began it were mostly a neighbour waiting behind a tenant
 * already demoted (t_policy_cpu_alarm: the handler behind the hog on
 * cpu.idle); once a rung goes, the next alarm may be a new offender.
 */
bool wait_pace_resume(struct wait_pace *p);

/*
 * The crowd: tenants whose own waits sound no wait alarm (the BPF side's
 * hash map wait_crowd, include/quell_bpf.h QUELL_WAIT_CROWD): those whose
 * waits no neighbour signal counts either (src/policy/cpu_share.c). Those
 * on a CPU rung first (their waits are the rung working), then those
 * contending in the last tick - wanting more of the CPUs than the fair
 * level - most demand first. The hog's 8 shells beside the 3-thread
 * handler (t_policy_cpu_alarm) took 135 % of the 2 cores to the handler's
 * 60 % and waited 0.6-1.1 s/s behind it: their alarms took the machine's
 * one per 100 ms, and their early ticks, on samples where the handler
 * happened to wait little, entered nothing until the pace paused.
 */
#define WAIT_CROWD_MAX		8	/* QUELL_WAIT_CROWD */

struct wait_crowd {
	int n;
	int idx[WAIT_CROWD_MAX];	/* the caller's tenant indices, first first */
	double rank[WAIT_CROWD_MAX];	/* demand, % of a core; +inf for a tenant on a CPU rung */
};

/*
 * Offer tenant idx (its last tick's input; on a CPU rung or not) to c,
 * given the CPUs' fair level of that tick (policy_cpu_level()).
 */
void wait_crowd_offer(struct wait_crowd *c, int idx, const struct policy_input *in,
		      bool demoted, double level);

#endif /* QUELL_WAIT_PACE_H */
