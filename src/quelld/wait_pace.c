// SPDX-License-Identifier: GPL-2.0-only
/*
 * wait_pace.c - when the wait alarm takes an early tick (src/quelld/wait_pace.h).
 */
#include <math.h>

#include "wait_pace.h"

#define MS	1000000ULL

bool wait_pace_alarm(struct wait_pace *p, uint64_t now_ns)
{
	if (p->pause_until_ns && now_ns < p->pause_until_ns)
		return false;
	p->pause_until_ns = 0;
	if (p->wanted)
		return false;
	p->wanted = true;
	p->alarm_ns = now_ns;
	return true;
}

uint64_t wait_pace_due(const struct wait_pace *p, uint64_t last_tick_ns)
{
	uint64_t at = last_tick_ns + WAIT_PACE_SAMPLE_MS * MS;

	if (!p->wanted)
		return 0;
	return at > p->alarm_ns ? at : p->alarm_ns;
}

bool wait_pace_tick(struct wait_pace *p, uint64_t now_ns, bool early, bool entered)
{
	p->wanted = false;
	if (!early)
		return false;
	/* a run of fruitless ticks is broken by a rung, or by a quiet spell */
	if (entered || (p->early_ns && now_ns - p->early_ns > WAIT_PACE_RUN_MS * MS))
		p->fruitless = 0;
	p->early_ns = now_ns;
	if (entered || ++p->fruitless < WAIT_PACE_FRUITLESS)
		return false;
	p->fruitless = 0;
	p->pause_until_ns = now_ns + WAIT_PACE_PAUSE_MS * MS;
	return true;
}

bool wait_pace_resume(struct wait_pace *p)
{
	bool paused = p->pause_until_ns != 0;

	p->pause_until_ns = 0;
	p->fruitless = 0;
	return paused;
}

void wait_crowd_offer(struct wait_crowd *c, int idx, const struct policy_input *in,
		      bool demoted, double level)
{
	double rank = demoted ? INFINITY : policy_cpu_demand(in);
	int i;

	if (!demoted && !policy_cpu_contending(in, level))
		return;		/* its share or less, or unknown (NAN) */
	/* sorted, largest first: the smallest falls off a full crowd */
	for (i = c->n; i > 0 && c->rank[i - 1] < rank; i--)
		if (i < WAIT_CROWD_MAX) {
			c->idx[i] = c->idx[i - 1];
			c->rank[i] = c->rank[i - 1];
		}
	if (i >= WAIT_CROWD_MAX)
		return;
	c->idx[i] = idx;
	c->rank[i] = rank;
	if (c->n < WAIT_CROWD_MAX)
		c->n++;
}
