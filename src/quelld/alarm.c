// SPDX-License-Identifier: GPL-2.0-only
/*
 * alarm.c - the alarms between ticks: the fork alarm (docs/policy.md "The
 * fork alarm") and the wait alarm ("The wait alarm", at the end).
 *
 * The fork alarm.
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

_Static_assert(WAIT_CROWD_MAX == QUELL_WAIT_CROWD, "the crowd fits the BPF side's");

static void fork_alarm_event(struct daemon *d, const struct quell_event *e)
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

/*
 * The wait alarm. A CPU hog starves its neighbours from its first
 * milliseconds too, and cpu-hog's urgent way (a neighbour waiting past
 * urgent_above ms/s) could take the gentle rung at the first sample that
 * shows it - but samples came a second apart, and the first after the
 * hog's start is mostly from before it: the web bench's CPU offender was
 * demoted 2.3-2.4 s after its start (docs/performance.md). The BPF side
 * sends an event when a tenant's tasks waited alarm_wait behind others
 * within 100 ms (one for the machine per 100 ms); wait_pace.h says when that is
 * worth an early tick, and the tick decides as any other. Nothing here
 * names an offender: the rules, on their samples, do.
 */
static void wait_alarm_event(struct daemon *d, const struct quell_event *e)
{
	const struct tenant *t;

	if (!d->wait_alarm_on)
		return;
	t = registry_by_key(&d->reg, e->key);
	/*
	 * A tenant on a rung that lowers its CPU waits behind the others:
	 * that is the rung working. Its waits took an early tick each, until
	 * the pace paused (t_policy_cpu_alarm: the next hog came in the
	 * pause). The policy's own test, so that a tenant held only by a
	 * memory or IO cap, a victim to the rules, is one here too.
	 */
	if (t && policy_cpu_demoted(&d->cfg.policy, &t->pol))
		return;
	if (wait_pace_alarm(&d->wait_pace, clock_mono_ns()))
		log_debug("wait alarm: %s waited %.1f ms behind others in 100 ms",
			  t ? t->name : "a tenant", (double)e->wait_us / 1000.0);
}

void alarm_event(struct daemon *d, const struct quell_event *e)
{
	if (e->type == QUELL_EV_FORK_ALARM)
		fork_alarm_event(d, e);
	else if (e->type == QUELL_EV_WAIT_ALARM)
		wait_alarm_event(d, e);
}

static int fork_alarm_timeout(const struct daemon *d)
{
	if (!d->alarm_due)
		return -1;
	if (!d->alarm_tick_ns)
		return 0;
	return clock_ms_until(d->alarm_tick_ns + ALARM_TICK_GAP_MS * 1000000ULL);
}

static int wait_alarm_timeout(const struct daemon *d)
{
	uint64_t due = wait_pace_due(&d->wait_pace, d->tick_prev_ns);

	return due ? clock_ms_until(due) : -1;
}

int daemon_alarm_timeout(const struct daemon *d)
{
	int f = fork_alarm_timeout(d), w = wait_alarm_timeout(d);

	if (f < 0)
		return w;
	return w < 0 || f < w ? f : w;
}

bool daemon_alarm_poll(struct daemon *d)
{
	bool fork = d->alarm_due && fork_alarm_timeout(d) == 0;
	bool wait = wait_alarm_timeout(d) == 0;

	if (!fork && !wait)
		return false;
	if (fork) {
		d->alarm_due = false;
		d->alarm_tick_ns = clock_mono_ns();
	}
	d->wait_early = wait;
	return true;
}

/*
 * The crowd for the BPF side (wait_pace.h wait_crowd_offer()), from the tick
 * just done: the policy inputs decide() built (d->reg's order), the CPUs'
 * fair level it judged them by, and each tenant's ladder after the tick.
 * One pass, no allocation.
 */
static void crowd_update(struct daemon *d)
{
	const struct policy_config *pc = &d->cfg.policy;
	const struct decide_plan *p = &d->plan;
	struct wait_crowd c = { 0 };
	uint64_t keys[QUELL_WAIT_CROWD] = { 0 };
	int n = p->ret >= 0 && p->n == d->reg.nr ? p->n : 0;

	for (int i = 0; i < n; i++)
		wait_crowd_offer(&c, i, &p->pin[i], policy_cpu_demoted(pc, &d->reg.t[i]->pol),
				 p->cpu_level);
	for (int k = 0; k < c.n; k++)
		keys[k] = d->reg.t[c.idx[k]]->key;
	qbpf_set_wait_crowd(d->bpf, keys, c.n);
}

void alarm_tick_done(struct daemon *d, uint64_t tick_ns, bool entered)
{
	if (d->wait_alarm_on && d->bpf)
		crowd_update(d);
	if (d->wait_early && entered)
		log_debug("wait alarm: the early tick entered a rung");
	if (wait_pace_tick(&d->wait_pace, tick_ns, d->wait_early, entered))
		log_debug("wait alarm: %d early ticks entered no rung: none for %d s",
			  WAIT_PACE_FRUITLESS, WAIT_PACE_PAUSE_MS / 1000);
	d->wait_early = false;
}

void alarm_released(struct daemon *d)
{
	if (wait_pace_resume(&d->wait_pace))
		log_debug("wait alarm: a rung was released: early ticks again");
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
	d->wait_alarm_on = policy_wait_alarm_wanted(pc);
	if (!d->wait_alarm_on)
		d->wait_pace = (struct wait_pace){ 0 };
	/* both off: no long wait is looked at either */
	qbpf_set_alarm(d->bpf, forks, d->wait_alarm_on,
		       forks || d->wait_alarm_on ? pc->alarm_wait_ms * 1000000ULL : 0);
}
