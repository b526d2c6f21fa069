/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fairshare.h - "inflicted" run-queue delay charged to the tenants that took
 * more than their fair share of the CPU while others waited
 * (docs/attribution.md, "Inflicted: who took more than its share").
 */
#ifndef QUELL_FAIRSHARE_H
#define QUELL_FAIRSHARE_H

#include <stdbool.h>

/* Any unit of time per interval, the same for all four (gather.c: ns/s). */
struct fs_tenant {
	double cpu;		/* in: CPU time used over the interval */
	double suffered;	/* in: run-queue wait behind other tenants over the interval */
	bool lowered;		/* in: on a rung that lowers its CPU: its wait is owed by nobody */
	double entitled;	/* out: fair share of the CPU time the tenants used */
	double inflicted;	/* out: others' wait charged to this tenant */
};

/* Time constant of the inputs' smoothing (s). */
#define FAIRSHARE_TAU_S 2.0

/* Fill entitled and inflicted of t[0..n-1] from cpu and suffered. 0 or -errno. */
int fairshare_inflicted(struct fs_tenant *t, int n);
/*
 * Exponential average of a rate with time constant FAIRSHARE_TAU_S: avg
 * moved towards rate for dt_s seconds; rate itself when first.
 */
double fairshare_smooth(double avg, double rate, double dt_s, bool first);

#endif /* QUELL_FAIRSHARE_H */
