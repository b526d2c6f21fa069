// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel_events.c - the kernel's own actions on a tenant into the audit log
 * (issue 12 item 7): an OOM kill showed in `show` (oom_kills) but nowhere in
 * `quellctl events`, nor did forks refused by pids.max.
 *
 * Part of "record": runs after gather, reads only the counters gather
 * already filled (prev/cur of each tenant) and, for an OOM kill, the BPF
 * map of last victims (qbpf_oom_last). A kind of event that keeps coming is
 * one burst: it is logged once, KEV_QUIET_MS after its last event (or every
 * KEV_MAX_MS while it lasts), with the count, so a fork bomb hitting
 * pids.max thousands of times a second writes one line, not thousands.
 * Lines go through audit_log() (rule "kernel"), so quellctl events,
 * the API and quell_actions_total{action="kernel_..."} see them.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bpf_loader.h"
#include "clock.h"
#include "daemon.h"
#include "kernel_events.h"
#include "log.h"
#include "tenant.h"

static const struct {
	const char *action;
	enum qm_id id;
	uint32_t lim_bit;	/* the limit the kernel enforced */
	const char *lim_name;
} kinds[KEV_NR] = {
	[KEV_OOM_KILL] = { "kernel_oom_kill", QM_OOM_KILLS, LIM_MEM_MAX, "mem_max" },
	[KEV_PIDS_MAX] = { "kernel_pids_max", QM_PIDS_MAX_EVENTS, LIM_NPROC, "nproc" },
	[KEV_MEM_MAX] = { "kernel_mem_max", QM_MEM_MAX_EVENTS, LIM_MEM_MAX, "mem_max" },
	[KEV_MEM_HIGH] = { "kernel_mem_high", QM_MEM_HIGH_EVENTS, LIM_MEM_HIGH, "mem_high" },
};

/* Usage at the latest tick of a burst: the evidence logged with it. */
struct kev_usage {
	uint64_t mem_bytes, mem_peak, nproc;
	bool mem_ok, peak_ok, nproc_ok;
	uint64_t limit;		/* the kind's limit in force then, CG_UNLIMITED if none */
};

/* Tenants with a burst pending; few at a time, so a plain array. */
struct kev_pending {
	char name[QUELL_NAME_MAX];
	struct kev_burst b[KEV_NR];
	struct kev_usage u[KEV_NR];
	bool seen;		/* its tenant was in this tick's registry */
};

static struct {
	struct kev_pending *p;
	int nr, cap;
} K;

bool kev_burst_step(struct kev_burst *b, uint64_t delta, uint64_t now_ms)
{
	if (delta) {
		if (!b->count)
			b->first_ms = now_ms;
		b->count += delta;
		b->last_ms = now_ms;
	}
	if (!b->count)
		return false;
	return now_ms - b->last_ms >= KEV_QUIET_MS || now_ms - b->first_ms >= KEV_MAX_MS;
}

const char *kev_action(enum kev_kind k)
{
	return k < KEV_NR ? kinds[k].action : "kernel_unknown";
}

/* The counter's growth since the last tick; 0 if either sample lacks it or the source changed. */
static uint64_t counter_delta(const struct tenant *t, enum qm_id id)
{
	if (!qm_valid(&t->prev, id) || !qm_valid(&t->cur, id) || t->prev.src[id] != t->cur.src[id])
		return 0;
	return t->cur.v[id] > t->prev.v[id] ? t->cur.v[id] - t->prev.v[id] : 0;
}

static struct kev_pending *pending_find(const char *name, bool create)
{
	struct kev_pending *p;

	for (int i = 0; i < K.nr; i++)
		if (!strcmp(K.p[i].name, name))
			return &K.p[i];
	if (!create)
		return NULL;
	if (K.nr == K.cap) {
		int cap = K.cap ? 2 * K.cap : 16;

		p = realloc(K.p, (size_t)cap * sizeof(*p));
		if (!p)
			return NULL;
		K.p = p;
		K.cap = cap;
	}
	p = &K.p[K.nr++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	return p;
}

static void usage_snapshot(const struct tenant *t, enum kev_kind k, struct kev_usage *u)
{
	const struct tenant_limits *l = t->applied_valid ? &t->applied : &t->lim;
	uint32_t bit = kinds[k].lim_bit;

	u->mem_ok = qm_valid(&t->cur, QM_MEM_BYTES);
	u->mem_bytes = t->cur.v[QM_MEM_BYTES];
	u->peak_ok = qm_valid(&t->cur, QM_MEM_PEAK);
	u->mem_peak = t->cur.v[QM_MEM_PEAK];
	u->nproc_ok = qm_valid(&t->cur, QM_NPROC);
	u->nproc = t->cur.v[QM_NPROC];
	u->limit = CG_UNLIMITED;
	if (l->set & bit)
		u->limit = bit == LIM_NPROC ? l->nproc : bit == LIM_MEM_HIGH ? l->mem_high : l->mem_max;
}

static void burst_log(struct daemon *d, const struct tenant *t, enum kev_kind k,
		      const struct kev_burst *b, const struct kev_usage *u, uint64_t now_ms)
{
	const struct tenant_limits *l = t->applied_valid ? &t->applied : &t->lim;
	json_t *ev = json_object();
	struct quell_oom o;
	uint64_t real = clock_real_ms();

	json_object_set_new(ev, "count", json_integer((json_int_t)b->count));
	json_object_set_new(ev, "seconds",
			    json_real((double)(b->last_ms - b->first_ms) / 1000.0));
	/*
	 * When the burst began (CLOCK_REALTIME ms, the tick that first saw it):
	 * the line is written KEV_QUIET_MS after its end, so its own time says
	 * late when a limit acted
	 */
	json_object_set_new(ev, "first_ms", json_integer((json_int_t)(
		real > now_ms - b->first_ms ? real - (now_ms - b->first_ms) : real)));
	json_object_set_new(ev, "limit", json_string(kinds[k].lim_name));
	json_object_set_new(ev, "limit_value", u->limit == CG_UNLIMITED ? json_null() :
			    json_integer((json_int_t)u->limit));
	if (k != KEV_PIDS_MAX) {
		if (u->mem_ok)
			json_object_set_new(ev, "mem_bytes", json_integer((json_int_t)u->mem_bytes));
		if (u->peak_ok)
			json_object_set_new(ev, "mem_peak", json_integer((json_int_t)u->mem_peak));
	}
	if (u->nproc_ok)
		json_object_set_new(ev, "nproc", json_integer((json_int_t)u->nproc));
	json_object_set_new(ev, "source", json_string(t->cur.src[kinds[k].id] == QM_SRC_BPF ?
						      "bpf" : "cgroup"));
	if (k == KEV_OOM_KILL) {
		/* the victim: the last one, when BPF saw it (the kernel log has the others) */
		if (d->bpf && !qbpf_oom_last(d->bpf, t->key, &o)) {
			json_object_set_new(ev, "victim_pid", json_integer(o.tgid));
			json_object_set_new(ev, "victim_tid", json_integer(o.pid));
			json_object_set_new(ev, "victim_comm", json_string(o.comm));
			json_object_set_new(ev, "victim_uid", json_integer(o.uid));
			if (o.rss_kb)
				json_object_set_new(ev, "victim_rss", json_integer((json_int_t)o.rss_kb * 1024));
		} else {
			json_object_set_new(ev, "victim_pid", json_null());
		}
	}
	audit_log(d, t, kinds[k].action, "kernel", 0, false, l, ev);
}

void kernel_events_tick(struct daemon *d, uint64_t now_ms)
{
	for (int i = 0; i < K.nr; i++)
		K.p[i].seen = false;
	for (int i = 0; i < d->reg.nr; i++) {
		const struct tenant *t = d->reg.t[i];
		struct kev_pending *p = NULL;
		bool looked = false;

		for (int k = 0; k < KEV_NR; k++) {
			uint64_t delta = counter_delta(t, kinds[k].id);

			if (!p && (delta || (!looked && K.nr))) {
				p = pending_find(t->name, delta != 0);
				looked = true;
			}
			if (!p)
				continue;	/* the common case: nothing new, nothing pending */
			p->seen = true;
			if (delta)
				usage_snapshot(t, k, &p->u[k]);
			if (kev_burst_step(&p->b[k], delta, now_ms)) {
				burst_log(d, t, k, &p->b[k], &p->u[k], now_ms);
				memset(&p->b[k], 0, sizeof(p->b[k]));
			}
		}
	}
	/* drop entries with nothing pending, and those of tenants that are gone */
	for (int i = 0; i < K.nr;) {
		bool busy = false;

		for (int k = 0; k < KEV_NR; k++)
			busy |= K.p[i].b[k].count != 0;
		if (busy && K.p[i].seen) {
			i++;
			continue;
		}
		if (busy)
			log_info("kernel events of %s dropped: tenant gone", K.p[i].name);
		K.p[i] = K.p[--K.nr];
	}
}

void kernel_events_fini(void)
{
	free(K.p);
	memset(&K, 0, sizeof(K));
}
