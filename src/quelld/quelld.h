/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * quelld.h - the daemon's own modules (src/quelld), for main.c and tests.
 * All return 0 / -errno unless said otherwise.
 */
#ifndef QUELL_QUELLD_H
#define QUELL_QUELLD_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"

/* daemon.c: life cycle */
int daemon_init(struct daemon *d);	/* cgroups, BPF (or fallback), socket, modules */
void daemon_fini(struct daemon *d);	/* detach everything, remove nothing that is not ours */
void daemon_tick(struct daemon *d);	/* gather -> decide -> act -> record */
/*
 * The refault watch (docs/policy.md): daemon_watch_timeout - ms until its
 * next poll is due (0 now), -1 when it is off; daemon_watch_poll - poll if
 * due; true when the next tick should be taken now (call daemon_tick()).
 */
int daemon_watch_timeout(const struct daemon *d);
bool daemon_watch_poll(struct daemon *d);
/*
 * alarm.c: the fork alarm and the wait alarm (docs/policy.md "The fork
 * alarm", "The wait alarm").
 * alarm_event - a QUELL_EV_FORK_ALARM or QUELL_EV_WAIT_ALARM from the ring
 * buffer: a fork alarm is remembered on its tenant for the next tick, which
 * is asked for now; a wait alarm asks for an early tick (wait_pace.h);
 * daemon_alarm_timeout - ms until that tick may be taken (0 now), -1 none
 * asked for; daemon_alarm_poll - true when it should be taken now (call
 * daemon_tick()); alarm_tick_done - after each tick, with whether it
 * entered a rung; alarm_configure - tell the BPF side the thresholds of
 * d->cfg.policy (each alarm off when no rule would use it): after load and
 * reload.
 */
struct quell_event;
void alarm_event(struct daemon *d, const struct quell_event *e);
int daemon_alarm_timeout(const struct daemon *d);
bool daemon_alarm_poll(struct daemon *d);
void alarm_tick_done(struct daemon *d, uint64_t tick_ns, bool entered);
/* alarm_released - a rung was released (a tick's plan or `quellctl release`) */
void alarm_released(struct daemon *d);
void alarm_configure(struct daemon *d);
void daemon_ready(struct daemon *d);	/* after init: sd_notify READY=1 */
/*
 * daemon_reconfigure - SIGHUP: install n (copied) in place of the running
 * configuration, whole, except the keys that need a restart (they keep the
 * running value and are named in one warning). Applies the live keys: log
 * level, excluded users evicted, limits and policy re-applied, history and
 * the metrics listener reopened when their keys changed. The caller re-arms
 * the tick timer. Returns config_diff's bits of the keys applied live.
 */
uint64_t daemon_reconfigure(struct daemon *d, const struct quell_config *n);

/* discover.c: who the tenants are */
/*
 * discover_tenants - users mode: walk the passwd database; cgroup mode: the
 * children of cfg.parent. New tenants are added (and get their cgroup and
 * static limits), vanished ones are removed once their cgroup is empty.
 * Returns the number of tenants.
 */
int discover_tenants(struct daemon *d);
/* discover_fini - closes what discovery keeps open (the cgroups-mode watch). */
void discover_fini(struct daemon *d);
/* Add (or find) the tenant of uid now, e.g. on a placement event for an unknown uid. */
struct tenant *discover_uid(struct daemon *d, uint32_t uid);
/* A user name quell accepts as a tenant name (also a safe cgroup dir name). */
bool tenant_name_ok(const char *name);

/* gather.c: one sample per tenant from BPF, cgroupfs and procfs, plus host view */
int gather_tick(struct daemon *d);
/*
 * gather_mem_base - d->mem_base: the memory the tenants share, min(MemTotal,
 * the limit of the cgroup they sit under) (limits_share_base); MemTotal
 * alone when that limit cannot be read (said once). Every tick, first.
 */
void gather_mem_base(struct daemon *d);
/* The cgroup the tenants sit under: [tenants] managed (users mode) or parent. */
const char *gather_tenants_root(const struct daemon *d);

/* placement.c: tenants' processes into their cgroups */
int placement_init(struct daemon *d);		/* create <managed>, adopt existing tenant cgroups */
int placement_sweep(struct daemon *d);		/* move every stray process; returns moved */
/* BPF ring buffer events, at most a budget of work per call (the rest stays queued) */
void placement_events(struct daemon *d);
void placement_tick(struct daemon *d);		/* continue work the last budget left */
/* Work left by the last budget: the loop calls placement_events() again at once. */
bool placement_busy(void);
/* Place one process by its uid now; returns 1 moved, 0 nothing to do, -errno. */
int placement_pid(struct daemon *d, int pid, struct tenant **tp);

#endif /* QUELL_QUELLD_H */
