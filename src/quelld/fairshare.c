// SPDX-License-Identifier: GPL-2.0-only
/*
 * fairshare.c - who inflicted the run-queue waits of an interval.
 *
 * The BPF side charges every waiting thread's wait to whoever held its CPU
 * meanwhile. With one thread of V beside 8 of H on 2 CPUs, CFS gives each
 * tenant about one CPU, and V's CPU always has H threads queued on it: V
 * "inflicted" 838 ms/s, H 127, though V was the one getting less than its
 * share (issue 14 item 4). Here harm is charged by fair share instead:
 *
 *  1. The CPU time the tenants used, C = sum(cpu), is the capacity they
 *     shared. Each tenant wants demand = cpu + suffered (what it ran plus
 *     what it waited behind others). Its entitlement is its max-min fair
 *     share of C (water-filling: nobody is entitled to more than it wants,
 *     what a light tenant leaves is split evenly among the others).
 *  2. excess = max(0, cpu - entitled): what it took beyond that share.
 *  3. Each tenant's suffered time is charged to the *other* tenants in
 *     proportion to their excess. Nobody above its share: nobody inflicted
 *     anything (contention among equals). A waiter whose only "culprit"
 *     would be itself charges nobody.
 *
 * Equal weights: quell gives every tenant the same cpu.shares/cpu.weight
 * unless a rule lowered it, and then it is the one to blame anyway.
 * O(n log n) for the sort, O(n) otherwise (10,000 tenants per tick).
 */
#include <errno.h>
#include <stdlib.h>

#include "fairshare.h"

static int by_demand(const void *a, const void *b, void *arg)
{
	const struct fs_tenant *t = arg;
	double da = t[*(const int *)a].cpu + t[*(const int *)a].suffered;
	double db = t[*(const int *)b].cpu + t[*(const int *)b].suffered;

	return (da > db) - (da < db);
}

int fairshare_inflicted(struct fs_tenant *t, int n)
{
	double cap = 0, excess = 0, per_unit = 0;
	int *ord, i;

	if (n <= 0)
		return 0;
	ord = calloc((size_t)n, sizeof(*ord));
	if (!ord)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (t[i].cpu < 0)
			t[i].cpu = 0;
		if (t[i].suffered < 0)
			t[i].suffered = 0;
		cap += t[i].cpu;
		ord[i] = i;
		t[i].inflicted = 0;
	}
	qsort_r(ord, (size_t)n, sizeof(*ord), by_demand, t);
	for (i = 0; i < n; i++) {
		struct fs_tenant *x = &t[ord[i]];
		double share = cap / (n - i), want = x->cpu + x->suffered;

		x->entitled = want < share ? want : share;
		cap -= x->entitled;
		excess += x->cpu > x->entitled ? x->cpu - x->entitled : 0;
	}
	free(ord);
	if (excess <= 0)
		return 0;
	/*
	 * inflicted_i = excess_i * sum_{j != i} suffered_j / (excess - excess_j):
	 * one pass for the sum over all j, then take i's own term out.
	 */
	for (i = 0; i < n; i++) {
		double xi = t[i].cpu > t[i].entitled ? t[i].cpu - t[i].entitled : 0;
		double rest = excess - xi;

		if (t[i].suffered > 0 && rest > excess * 1e-9)
			per_unit += t[i].suffered / rest;
	}
	for (i = 0; i < n; i++) {
		double xi = t[i].cpu > t[i].entitled ? t[i].cpu - t[i].entitled : 0;
		double rest = excess - xi, mine = per_unit;

		if (xi <= 0)
			continue;
		if (t[i].suffered > 0 && rest > excess * 1e-9)
			mine -= t[i].suffered / rest;
		t[i].inflicted = xi * (mine > 0 ? mine : 0);
	}
	return 0;
}
