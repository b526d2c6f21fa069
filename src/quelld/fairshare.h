/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fairshare.h - "inflicted" run-queue delay charged to the tenants that took
 * more than their fair share of the CPU while others waited
 * (docs/attribution.md, "Inflicted: who took more than its share").
 */
#ifndef QUELL_FAIRSHARE_H
#define QUELL_FAIRSHARE_H

struct fs_tenant {
	double cpu;		/* in: CPU time used over the interval (ns) */
	double suffered;	/* in: run-queue wait behind others over the interval (ns) */
	double entitled;	/* out: fair share of the CPU time the tenants used (ns) */
	double inflicted;	/* out: others' wait charged to this tenant (ns) */
};

/* Fill entitled and inflicted of t[0..n-1] from cpu and suffered. 0 or -errno. */
int fairshare_inflicted(struct fs_tenant *t, int n);

#endif /* QUELL_FAIRSHARE_H */
