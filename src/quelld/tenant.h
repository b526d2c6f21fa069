/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tenant.h - the tenant registry: who the tenants are, their BPF key, their
 * cgroup, the last two samples and derived rates.
 */
#ifndef QUELL_TENANT_H
#define QUELL_TENANT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "tenant_limits.h"
#include "metrics.h"
#include "policy.h"

#define TENANT_UID_NONE		UINT32_MAX
#define TENANT_CG_MAX		192

enum tenant_state {
	TS_OK,
	TS_THROTTLED,
	TS_FROZEN,
	TS_KILLED,
};

/*
 * What act.c last wrote to the tenant's cgroup, to skip identical writes:
 * struct cg_limits less io[1..], which act never fills (limits_to_cg without
 * devices gives one 0:0 entry at most), so 112 bytes instead of 384. Not
 * persisted; a new or recreated tenant starts with valid false. When the
 * write failed (valid false, fails > 0) it is what was tried, and the same
 * write waits for src/quelld/backoff.h to say try again.
 */
struct tenant_written {
	uint64_t cpu_quota_us, cpu_period_us, mem_high, mem_max, pids_max, mem_hold;
	struct cg_io_limit io0;
	uint32_t cpu_weight;
	uint32_t io_weight;
	uint32_t fail_ms;		/* monotonic ms mod 2^32 (backoff.h) of the last failure */
	uint32_t warned_ms;		/* of the last warning about a failure */
	int16_t err;			/* -errno of the last failure */
	uint8_t fails;			/* this write failed so many times in a row (max 255) */
	uint8_t nr_io;
	bool cpu_idle;
	bool frozen;
	bool valid;
};

/* A fork alarm's evidence (src/quelld/alarm.c); zero: none. */
struct tenant_alarm {
	float forks_s;			/* the burst's forks/s over its window */
	float wait_ms;			/* the neighbour's wait behind others */
};

struct tenant {
	char name[QUELL_NAME_MAX];
	uint32_t uid;			/* TENANT_UID_NONE in cgroup mode */
	uint64_t key;			/* BPF acct key: uid, or v2 cgroup id */
	char cg[TENANT_CG_MAX];		/* cgroup path relative to the hierarchy roots, "" if none */
	bool exempt;
	struct qm_sample prev, cur;
	struct qm_rates rates;
	struct qm_view view;
	struct tenant_limits lim;	/* effective static limits */
	struct tenant_limits dyn;	/* dynamic limits written by the policy engine */
	struct tenant_limits applied;	/* in force: static + `set` overrides, made stricter by dyn */
	bool applied_valid;		/* the enforcer has computed applied */
	struct tenant_written written;	/* what act.c last wrote (src/quelld/act.c) */
	enum tenant_state state;
	char state_rule[QUELL_NAME_MAX];	/* rule (or "manual") behind state */
	uint64_t state_until;		/* CLOCK_REALTIME s when a dynamic action expires, 0 never */
	struct policy_tstate pol;
	bool seen;			/* found by this tick's discovery */
	bool cg_warned;			/* a cgroup read error was logged at warning level */
	bool fs_set;			/* fs_cpu/fs_behind hold a value */
	float fs_cpu, fs_behind;	/* smoothed ns/s (cpu_ns, rq_behind_ns) for src/quelld/fairshare.c */
	uint64_t cg_absent_epoch;	/* cg was absent at this gather epoch + 1 (gather.c), 0 = read */
	uint64_t cg_read_ns;		/* last full cgroup read (CLOCK_MONOTONIC), 0 = none to reuse */
	uint64_t cg_read_epoch;		/* the gather epoch + 1 of that read (src/quelld/quiet.h) */
	/* the fork alarm: since the last tick (alarm.c), and this tick's (gather.c) */
	struct tenant_alarm alarm_new, alarm;
};

struct registry {
	struct tenant **t;		/* dense array, order of creation */
	int nr, cap;
	/* open-addressing indexes into t[] by key and by name */
	int *by_key, *by_name;
	int idx_cap;			/* power of two, >= 2 * nr */
};

int registry_init(struct registry *r);
void registry_free(struct registry *r);
/* Returns the tenant, or NULL. */
struct tenant *registry_by_key(const struct registry *r, uint64_t key);
struct tenant *registry_by_name(const struct registry *r, const char *name);
/* Adds a zeroed tenant with name/uid/key; returns it or NULL (ENOMEM / EEXIST in errno). */
struct tenant *registry_add(struct registry *r, const char *name, uint32_t uid, uint64_t key);
/* Removes t (pointer invalid afterwards). */
void registry_remove(struct registry *r, struct tenant *t);
/* Changes t's key keeping the index right. */
int registry_rekey(struct registry *r, struct tenant *t, uint64_t key);

/* "ok", "throttled", "frozen", "killed": the wire names; "unknown" out of range. */
const char *tenant_state_name(enum tenant_state s);

#endif /* QUELL_TENANT_H */
