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
 *  3. What a tenant is owed: the part of its wait that unfairness explains,
 *     owed = min(suffered, max(0, entitled - cpu)) - the CPU it was denied
 *     below its share, never more than it waited. A tenant above its share
 *     is owed nothing: waits among the greedy are contention among equals.
 *  4. The owed time is charged to the tenants above their share in
 *     proportion to their excess. Nobody above its share: nobody inflicted
 *     anything. So the charge of an interval is at most the CPU taken
 *     beyond the shares (sum owed <= sum shortfall = sum excess): a tenant a
 *     few ms over its share by measurement noise is charged a few ms, not
 *     the whole of its neighbour's per-thread wait (a CI run of
 *     t_inflicted_share: 1 thread beside 8 at ~1 CPU each, V one tick
 *     121 % of its share was charged H's 11.7 ms/s of waits by 8 threads).
 *
 * The inputs are rates smoothed over ~2 s (fairshare_smooth(), called by
 * src/quelld/gather.c): charge-at-switch makes one 500 ms tick's CPU of a
 * tenant swing by tens of %, which decided who was "above its share"
 * between two equals tick by tick.
 *
 * Equal weights: quell gives every tenant the same cpu.shares/cpu.weight
 * unless a rule lowered it. A tenant a rule lowered (cpu.idle, a lower
 * weight, a quota: `lowered`) waits because quell decided it should: it
 * wants only what it ran, so it is owed nothing. Counted as a wish, its wait
 * made whoever ran beside it look above its share: in step 3 of
 * tests/integration/t_policy_cpu_root_wait.sh (B busy on cpu_idle, V busy
 * on both CPUs) V was charged 431.6 ms/s of B's wait and topped `list
 * --sort inflicted`. The pure-v2 VM's web bench showed the light site on
 * top the same way, beside its demoted hog.
 * O(n log n) for the sort, O(n) otherwise (10,000 tenants per tick).
 */
#include <errno.h>
#include <math.h>
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
	double cap = 0, excess = 0, owed = 0;
	int *ord, i;

	if (n <= 0)
		return 0;
	ord = calloc((size_t)n, sizeof(*ord));
	if (!ord)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (t[i].cpu < 0)
			t[i].cpu = 0;
		if (t[i].suffered < 0 || t[i].lowered)
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
	/* anyone owed is below its share, so has no excess of its own to leave out */
	for (i = 0; i < n; i++) {
		double short_by = t[i].entitled - t[i].cpu;

		if (short_by > 0)
			owed += t[i].suffered < short_by ? t[i].suffered : short_by;
	}
	for (i = 0; i < n; i++)
		if (t[i].cpu > t[i].entitled)
			t[i].inflicted = owed * (t[i].cpu - t[i].entitled) / excess;
	return 0;
}

double fairshare_smooth(double avg, double rate, double dt_s, bool first)
{
	double a;

	if (first || !isfinite(avg))
		return rate;
	if (dt_s <= 0)
		return avg;
	a = 1 - exp(-dt_s / FAIRSHARE_TAU_S);
	return avg + a * (rate - avg);
}
