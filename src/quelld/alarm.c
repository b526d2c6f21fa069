// SPDX-License-Identifier: GPL-2.0-only
/*
 * alarm.c - the fork alarm between ticks (docs/policy.md "The fork alarm").
 * The BPF side (bpf/quell.bpf.c fork_alarm()) saw a tenant fork in a burst
 * while another tenant's task had just stalled behind others, and sent an
 * event. Here the event is remembered on the tenant, for the next tick's
 * decide to read as evidence (gather.c moves it into the tick), and that
 * tick is asked for now: a fork storm starves its neighbours from its first
 * tens of milliseconds, the 1 s tick let them wait 0.3-0.9 s
 * (docs/performance.md). At most one alarm tick every ALARM_TICK_GAP_MS: a
 * storm in a hundred tenants at once costs ten extra ticks a second, not a
 * hundred. The gap is from the last alarm tick, not the last tick: a
 * regular tick 20 ms before does not hold the first alarm back (that tick's
 * sample had no alarm in it). The BPF side sends at most one alarm a
 * second for a tenant.
 */
#include <math.h>

#include "bpf_loader.h"
#include "clock.h"
#include "log.h"
#include "quelld.h"

#define ALARM_TICK_GAP_MS	100

void alarm_event(struct daemon *d, const struct quell_event *e)
{
	struct tenant *t = registry_by_key(&d->reg, e->key);
	const struct tenant *p = registry_by_key(&d->reg, e->peer);
	/* the rate the burst reached (its first forks can come in a few ms: 1 ms at least) */
	float forks_s = (float)((double)e->count * 1e6 / (double)(e->span_us > 1000 ? e->span_us : 1000));
	float wait_ms = (float)e->wait_us / 1000.0f;

	if (!t)
		return;		/* no longer a tenant (removed since) */
	log_debug("fork alarm: %s forked %u times in %.1f ms while %s waited %.1f ms",
		  t->name, e->count, (double)e->span_us / 1000.0,
		  p ? p->name : e->peer == QUELL_KEY_OTHER ? "a service's task" : "a tenant",
		  (double)wait_ms);
	if (forks_s > t->alarm_new.forks_s)
		t->alarm_new.forks_s = forks_s;
	if (wait_ms > t->alarm_new.wait_ms)
		t->alarm_new.wait_ms = wait_ms;
	d->alarm_due = true;
}

int daemon_alarm_timeout(const struct daemon *d)
{
	if (!d->alarm_due)
		return -1;
	if (!d->alarm_tick_ns)
		return 0;
	return clock_ms_until(d->alarm_tick_ns + ALARM_TICK_GAP_MS * 1000000ULL);
}

bool daemon_alarm_poll(struct daemon *d)
{
	if (!d->alarm_due || daemon_alarm_timeout(d) > 0)
		return false;
	d->alarm_due = false;
	d->alarm_tick_ns = clock_mono_ns();
	return true;
}

void alarm_configure(struct daemon *d)
{
	const struct policy_config *pc = &d->cfg.policy;
	uint64_t forks = 0;
	bool any = false;

	if (!d->bpf)
		return;
	for (int i = 0; i < pc->nr_rules; i++)
		any |= pc->rules[i].enabled && pc->rules[i].alarm;
	/* forks/s into forks per window, at least 2 (one fork is no burst) */
	if (pc->enabled && any && pc->alarm_forks > 0) {
		forks = (uint64_t)ceil(pc->alarm_forks * (double)QUELL_ALARM_WIN_NS / 1e9);
		if (forks < 2)
			forks = 2;
	}
	/* off: no long wait is noted either (a map write on each) */
	qbpf_set_alarm(d->bpf, forks, forks ? pc->alarm_wait_ms * 1000000ULL : 0);
}
