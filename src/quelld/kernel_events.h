/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kernel_events.h - what the kernel did to a tenant on its own (OOM kill,
 * pids.max refusals, memory.max / memory.high events) into the audit log,
 * one line per burst (issue 12 item 7). docs/policy.md "Kernel events".
 */
#ifndef QUELL_KERNEL_EVENTS_H
#define QUELL_KERNEL_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

struct daemon;

enum kev_kind {
	KEV_OOM_KILL,		/* a task of the tenant was OOM-killed */
	KEV_PIDS_MAX,		/* fork/clone refused by pids.max (EAGAIN) */
	KEV_MEM_MAX,		/* memory.max hit (v2 "max" event, v1 failcnt) */
	KEV_MEM_HIGH,		/* reclaimed above memory.high (v2 "high" event) */
	KEV_NR
};

/* A burst ends this long after its last event... */
#define KEV_QUIET_MS	3000
/* ...and one still going is reported at least this often. */
#define KEV_MAX_MS	60000

/* Events of one kind for one tenant not logged yet. */
struct kev_burst {
	uint64_t count;			/* events in the burst, 0: none pending */
	uint64_t first_ms, last_ms;	/* CLOCK_MONOTONIC ms of the first and latest tick with some */
};

/*
 * kev_burst_step - add the delta a tick saw at now_ms. Returns true when the
 * burst is to be logged now (quiet for KEV_QUIET_MS, or KEV_MAX_MS old); the
 * caller logs b->count and zeroes b. Pure.
 */
bool kev_burst_step(struct kev_burst *b, uint64_t delta, uint64_t now_ms);

/* Audit-log action name of a kind ("kernel_oom_kill", ...). */
const char *kev_action(enum kev_kind k);

/* Once per tick after gather: compare each tenant's prev/cur counters, log finished bursts. */
void kernel_events_tick(struct daemon *d, uint64_t now_ms);
/* Drop what is pending (daemon stops). Pending bursts of a gone tenant are dropped too. */
void kernel_events_fini(void);

#endif /* QUELL_KERNEL_EVENTS_H */
