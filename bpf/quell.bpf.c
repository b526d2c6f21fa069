// SPDX-License-Identifier: GPL-2.0-only
/*
 * quell.bpf.c - per-tenant accounting in the kernel.
 *
 * Every hook is a thin wrapper around one __always_inline handler. Hooks on
 * scheduler/block/memory tracepoints come twice, tp_btf and raw_tp (the bcc
 * libbpf-tools pattern); the loader keeps one twin and turns autoload off
 * for the other. Hooks that exist only as classic tracepoints (oom, syscalls)
 * read their context through CO-RE'd trace_event_raw_* structs.
 *
 * Everything is per-CPU on the hot path (acct, stats, cpu_cur, rings), and the
 * counters of the tenant last switched in on a CPU are kept in cpu_cur's
 * pending slot, flushed into acct when another tenant comes (quell_bpf.h);
 * per-task
 * state lives in task local storage ("tstate") in the tp_btf twin and in the
 * shared hash "tasks" in the raw_tp one; the IO maps are shared hashes.
 * The attribution rules are documented in docs/attribution.md.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "quell_bpf.h"
#include "compat.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load (rodata). */
const volatile __u32 key_mode = QUELL_KEY_UID;
const volatile __u32 cg_level = 1;
const volatile __u32 events_exec = 0;
/*
 * uid mode: only uids in [min_key, max_key] ([tenants] min_uid/max_uid) are
 * tenants. Others (root, system users) are QUELL_KEY_OTHER: they never take
 * one of the max_tenants acct slots, but unlike idle they hold the CPU
 * against tenants (a wait behind them is suffered).
 */
const volatile __u64 min_key = 0;
const volatile __u64 max_key = ~0ULL;

/*
 * The fork alarm (docs/policy.md "The fork alarm"), set by userspace at any
 * time (.bss, qbpf_set_alarm()): the forks in QUELL_ALARM_WIN_NS that make
 * a burst (0: off), and the wait behind other tenants that makes a task
 * "stalled" (ns).
 */
volatile __u64 alarm_forks;
volatile __u64 alarm_wait_ns;
/*
 * The wait alarm (docs/policy.md "The wait alarm"): 1 to send
 * QUELL_EV_WAIT_ALARM when a tenant's tasks waited alarm_wait_ns or more
 * behind others within QUELL_WAIT_WIN_NS (wait_win_add()), at most one
 * every QUELL_WAIT_ALARM_GAP_NS for the whole machine (wait_alarm_last,
 * bpf_ktime_get_ns()).
 */
volatile __u64 wait_alarm;
__u64 wait_alarm_last;

#define E2BIG			7	/* errno; vmlinux.h has no uapi errno */
#define QUELL_REQ_OP_MASK	0xff	/* REQ_OP_BITS = 8 since 4.10 */
#define QUELL_REQ_OP_READ	0
#define QUELL_REQ_OP_WRITE	1
#define QUELL_PF_KTHREAD	0x00200000	/* include/linux/sched.h PF_KTHREAD */
#define QUELL_GFP_IO_FS	(0x40 | 0x80)	/* __GFP_IO | __GFP_FS, include/linux/gfp_types.h */
#define QUELL_PAGE_MAPPING_FLAGS 0x3	/* PAGE_MAPPING_ANON | PAGE_MAPPING_MOVABLE */
#define QUELL_S_IFMT		0170000
#define QUELL_S_IFREG		0100000
/* levels above a bio's blkcg searched in cgkey (tenant/sub/sub/sub) */
#define QUELL_BLKCG_UP		4

/* One on-CPU slice: who held this CPU over [start, end). Private to bpf/. */
struct slice {
	__u64 key;
	__u64 start;
	__u64 end;
	__u64 idle;		/* the task's CPU group (or its parent) had cpu.idle = 1 */
};

struct slice_ring {
	struct slice s[QUELL_SLICE_RING];
	__u64 head;		/* next slot to write; slots are head & (RING - 1) */
	__u64 tenant_end;	/* end of the newest tenant slice (0: none yet) */
};

_Static_assert((QUELL_SLICE_RING & (QUELL_SLICE_RING - 1)) == 0, "ring size power of 2");

/* Per-task (tid) state; storage dies with the task, hash entries at sched_process_exit. */
struct task_state {
	__u64 reclaim_ts;	/* in direct/memcg reclaim since (0: not) */
};

struct io_rq {
	__u64 key;
	__u64 issue_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);	/* loader: qbpf_opts.max_tenants */
	__type(key, __u64);
	__type(value, struct quell_acct_cpu);
} acct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, QUELL_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct quell_cpu_cur);
} cpu_cur SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slice_ring);
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);	/* loader: qbpf_opts.max_tasks or pid_max */
	__type(key, __u32);
	__type(value, struct task_state);
} tasks SEC(".maps");

/*
 * The same per-task state as task local storage, used by the tp_btf twin:
 * bpf_task_storage_get() reads a slot cached in task->bpf_storage instead of
 * hashing a pid into the global "tasks" table (and it needs no delete at
 * exit). Tracing programs may use it since 5.11; it needs a BTF task
 * pointer, which raw_tp arguments are not, so the raw_tp twin keeps "tasks"
 * (which the loader sizes to 1 entry when tp_btf is used).
 * runqslower (tools/bpf) does the same in tp_btf/sched_wakeup and sched_switch.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_state);
} tstate SEC(".maps");

/*
 * bio -> submitter's key, and the issue time once the request whose first
 * bio it is was issued; deleted at completion. LRU: bios of bio-based
 * devices (dm) and bios merged behind another never issue. One map from
 * queue to completion: a second one keyed by request cost a delete and an
 * insert more per IO (block_rq_issue 528-627 ns with both).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct io_rq);
} bios SEC(".maps");

/*
 * cgroup id -> tenant key, filled by userspace (qbpf_map_cgroup) with each
 * tenant cgroup's id in the hierarchy that holds the blkcgs (v1 blkio, or
 * v2). Charges bios submitted by kernel threads (blk-throttle dispatch,
 * cgroup writeback) to the tenant whose blkcg they carry.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);	/* loader: 2 * qbpf_opts.max_tenants */
	__type(key, __u64);
	__type(value, __u64);
} cgkey SEC(".maps");

/* pids chosen by the OOM killer (value: RSS in kB then), counted when they exit */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} oom_victims SEC(".maps");

/* tenant key -> its last OOM victim, for the audit log (quell_bpf.h) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);	/* loader: qbpf_opts.max_tenants */
	__type(key, __u64);
	__type(value, struct quell_oom);
} oom_last SEC(".maps");

/* real uid at sys_enter_set*uid, to emit an event only when it changed */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} uid_enter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* A tenant's fork window for the fork alarm. Private to bpf/. */
struct fork_win {
	__u64 start;		/* bpf_ktime_get_ns() of its first fork */
	__u64 n;		/* forks since */
	__u64 fired;		/* last alarm of this tenant */
	__u64 prev_start;	/* the window right before this one (0: none) */
	__u64 prev_n;		/* its forks */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);	/* loader: qbpf_opts.max_tenants */
	__type(key, __u64);
	__type(value, struct fork_win);
} fork_win SEC(".maps");

/*
 * The last waits of alarm_wait_ns or more behind others, of the last two
 * tenants that had one: w[0] the newest, w[1] the newest of another tenant
 * than w[0]'s. A storm's own tasks wait too, and most often: with one slot
 * they hid the neighbour's waits from fork_alarm() (t_policy_fork_alarm).
 */
struct long_wait {
	struct {
		__u64 ts;	/* bpf_ktime_get_ns() when it ended */
		__u64 key;
		__u64 wait;	/* ns */
	} w[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct long_wait);
} long_wait SEC(".maps");

/*
 * The wait alarm's windows: a tenant's waits behind other tenants since
 * start, in slots by its key. Two tenants in one slot take it from each
 * other (an alarm late, never one invented). Private to bpf/.
 */
struct wait_win {
	__u64 key;
	__u64 start;	/* bpf_ktime_get_ns() */
	__u64 sum;	/* ns behind other tenants (none on cpu.idle) */
};

#define WAIT_WIN_SLOTS	256

/*
 * The crowd (include/quell_bpf.h QUELL_WAIT_CROWD): tenants whose waits
 * sound no wait alarm, by key, kept by userspace after every tick. A map,
 * not an array to loop over: each branch in wait_end()'s path costs the
 * verifier dearly (task_group_idle()).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, QUELL_WAIT_CROWD);
	__type(key, __u64);
	__type(value, __u8);
} wait_crowd SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WAIT_WIN_SLOTS);
	__type(key, __u32);
	__type(value, struct wait_win);
} wait_win SEC(".maps");

static __always_inline void stat_add(__u32 idx, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&stats, &idx);

	if (p)
		*p += v;
}

/* This CPU's acct entry for key, created on first use; NULL (and counted) if full. */
static __always_inline struct quell_acct_cpu *acct_get(__u64 key)
{
	struct quell_acct_cpu zero = {};
	struct quell_acct_cpu *a;

	a = bpf_map_lookup_elem(&acct, &key);
	if (a)
		return a;
	/* -EEXIST from a racing CPU is fine: the lookup below finds it */
	bpf_map_update_elem(&acct, &key, &zero, BPF_NOEXIST);
	a = bpf_map_lookup_elem(&acct, &key);
	if (!a)
		stat_add(QUELL_STAT_ACCT_FULL, 1);
	return a;
}

/*
 * Hot-path reads. tp_btf programs get BTF-typed pointers that can be loaded
 * from directly (the JIT emits a guarded load); raw_tp programs must go
 * through bpf_probe_read_kernel, a helper call each. Handlers are inlined
 * with a constant btf flag, so each twin keeps only its own branch.
 * Measured under `stress-ng --switch 2`: see docs/attribution.md.
 */
static __always_inline __u32 task_pid(struct task_struct *t, bool btf)
{
	return btf ? t->pid : BPF_CORE_READ(t, pid);
}

/*
 * CPU time the scheduler has charged to t: update_curr() adds each delta
 * of rq_clock_task (no IRQ time with IRQ_TIME_ACCOUNTING, no steal with
 * PARAVIRT_TIME_ACCOUNTING) here and to cpuacct / cpu.stat alike, and
 * __schedule() has run it for prev before trace_sched_switch.
 */
static __always_inline __u64 task_sum_exec(struct task_struct *t, bool btf)
{
	return btf ? t->se.sum_exec_runtime : BPF_CORE_READ(t, se.sum_exec_runtime);
}

/*
 * t's sum_exec_runtime when the scheduler last picked it to run
 * (set_next_entity(); fair class): sum - this = its current slice so far.
 */
static __always_inline __u64 task_picked_sum(struct task_struct *t, bool btf)
{
	return btf ? t->se.prev_sum_exec_runtime : BPF_CORE_READ(t, se.prev_sum_exec_runtime);
}

/* A key with an acct entry: neither idle nor a non-tenant task. */
static __always_inline bool key_is_tenant(__u64 key)
{
	return key != QUELL_KEY_NONE && key != QUELL_KEY_OTHER;
}

/* Tenant key of t; QUELL_KEY_NONE for idle, QUELL_KEY_OTHER for a non-tenant task. */
static __always_inline __u64 task_key(struct task_struct *t, bool btf)
{
	struct cgroup *cg;
	__u64 uid;

	if (!t || task_pid(t, btf) == 0)
		return QUELL_KEY_NONE;	/* idle task */
	if (key_mode == QUELL_KEY_UID) {
		/* real_cred: the objective credentials; ->cred may be overridden */
		uid = btf ? t->real_cred->uid.val : BPF_CORE_READ(t, real_cred, uid.val);
		return uid < min_key || uid > max_key ? QUELL_KEY_OTHER : uid;
	}
	cg = btf ? t->cgroups->dfl_cgrp : BPF_CORE_READ(t, cgroups, dfl_cgrp);
	if (!cg || (btf ? cg->level : BPF_CORE_READ(cg, level)) < (int)cg_level)
		return QUELL_KEY_OTHER;
	return compat_cgroup_ancestor_id(cg, cg_level) ?: QUELL_KEY_OTHER;
}

static __always_inline struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

/*
 * Per-task state of t (pid: its tid), created if missing; NULL (and counted)
 * if it cannot be. btf: t is a BTF pointer (tp_btf twin, or
 * bpf_get_current_task_btf()), use task storage; otherwise the "tasks" hash.
 */
static __always_inline struct task_state *task_state_get(struct task_struct *t, __u32 pid,
							 bool btf)
{
	struct task_state zero = {};
	struct task_state *ts;

	if (btf) {
		ts = bpf_task_storage_get(&tstate, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!ts)
			stat_add(QUELL_STAT_TASK_FULL, 1);	/* -ENOMEM or recursion */
		return ts;
	}
	ts = bpf_map_lookup_elem(&tasks, &pid);
	if (ts)
		return ts;
	if (bpf_map_update_elem(&tasks, &pid, &zero, BPF_NOEXIST) == -E2BIG) {
		stat_add(QUELL_STAT_TASK_FULL, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&tasks, &pid);
}

/* Per-task state of t if it has any, else NULL (no create). */
static __always_inline struct task_state *task_state_find(struct task_struct *t, __u32 pid,
							  bool btf)
{
	if (btf)
		return bpf_task_storage_get(&tstate, t, 0, 0);
	return bpf_map_lookup_elem(&tasks, &pid);
}

/*
 * One acct pointer remembered for the duration of one program run, as valid
 * as the lookup that returned it (a qbpf_forget() racing with this run is
 * the same hazard either way): prev's tenant is often also the waiter's or
 * the owner of a slice in the ring. Not kept across runs: a map value cannot
 * hold a pointer to another map's value.
 */
struct acct_cache {
	__u64 key;
	struct quell_acct_cpu *a;
};

static __always_inline struct quell_acct_cpu *acct_get_cached(struct acct_cache *c, __u64 key)
{
	if (c->a && c->key == key)
		return c->a;
	c->a = acct_get(key);
	c->key = key;
	return c->a;
}

/* compiler barrier: the JIT keeps the order of stores, x86 makes it visible in order */
#ifndef barrier
#define barrier()	asm volatile("" ::: "memory")
#endif

static __always_inline struct quell_cpu_cur *cur_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_cur, &zero);
}

/*
 * key's counters on this CPU for the sched_switch program: the pending slot
 * if key is its tenant, else the acct entry. sched_switch runs with IRQs off,
 * so nothing else on this CPU touches the slot meanwhile.
 */
static __always_inline struct quell_acct *acct_here(struct quell_cpu_cur *cur,
						    struct acct_cache *ac, __u64 key)
{
	struct quell_acct_cpu *v;

	if (cur->pend_set && cur->pend_key == key)
		return &cur->pend;
	v = acct_get_cached(ac, key);
	return v ? &v->a : NULL;
}

/*
 * Make key the pending tenant of this CPU: add the slot of the previous one
 * to its acct entry (flush number ++pend_gen, stamped in the entry so
 * userspace knows it is there) and start an empty slot. A slot that cannot
 * be flushed (acct full, counted by acct_get) is lost, as its events were
 * before there was a slot. Measured: one tenant's pinned sched pipe,
 * 196-203 ns per switch with a hash lookup of prev's entry on every switch;
 * see docs/performance.md "BPF cost" for after.
 */
static __always_inline void pend_switch(struct quell_cpu_cur *cur, struct acct_cache *ac,
					__u64 key)
{
	struct quell_acct_cpu *v;
	__u64 *d, *p;
	int i;

	if (cur->pend_set && cur->pend_key == key)
		return;
	if (cur->pend_set) {
		__u64 g = cur->pend_gen + 1;

		cur->pend_gen_end = g;	/* a reader copying from here on sees them differ */
		barrier();
		v = acct_get_cached(ac, cur->pend_key);
		if (v) {
			d = (__u64 *)&v->a;
			p = (__u64 *)&cur->pend;
			for (i = 0; i < (int)(sizeof(struct quell_acct) / 8); i++)
				d[i] += p[i];
			v->gen = g;
		}
		__builtin_memset(&cur->pend, 0, sizeof(cur->pend));
		cur->pend_key = key;
		barrier();
		cur->pend_gen = g;
		return;
	}
	cur->pend_key = key;
	barrier();
	cur->pend_set = 1;
}

#define ACCT_OFF(f)	__builtin_offsetof(struct quell_acct, f)

/*
 * Add v1 to the counter at offset o1 (and v2 at o2, unless o2 < 0) of key on
 * this CPU, from a program other than sched_switch: these run preemptible
 * (process context) or in an IRQ, and this CPU's sched_switch may flush the
 * pending slot in between. Atomic adds keep a flush from being undone by a
 * read-modify-write straddling it; a program preempted between the key
 * check and the add can put one event's increment in the next tenant's
 * slot, never more.
 */
static __always_inline void acct_ev(__u64 key, int o1, __u64 v1, int o2, __u64 v2)
{
	struct quell_cpu_cur *cur = cur_get();
	struct quell_acct_cpu *e;
	void *a;

	if (cur && cur->pend_set && cur->pend_key == key) {
		a = &cur->pend;
	} else {
		e = acct_get(key);
		if (!e)
			return;
		a = &e->a;
	}
	__sync_fetch_and_add((__u64 *)(a + o1), v1);
	if (o2 >= 0)
		__sync_fetch_and_add((__u64 *)(a + o2), v2);
}

/*
 * When next became runnable, on the switch clock (now, switch_clock()), or 0 if
 * it did not wait (or the kernel keeps no sched_info). The scheduler stamps
 * t->sched_info.last_queued with rq_clock at every enqueue of a task that
 * is not queued yet (wakeup, wakeup_new, migration) and when a running task
 * is preempted (sched_info_depart); sched_info_arrive() turns it into
 * run_delay right after trace_sched_switch (context_switch()). At this
 * tracepoint __schedule() has just run update_rq_clock(), so rq->clock -
 * last_queued is the wait the kernel itself adds to run_delay. This
 * replaces timestamping every wakeup in sched_wakeup(_new) programs.
 * The run queue is reached through t's cfs_rq (set_task_rq() keeps it on
 * t's CPU, this one, for tasks of any class): the per-CPU "runqueues" ksym
 * needs its address in kallsyms, which this kernel (no KALLSYMS_ALL) lacks.
 */
static __always_inline __u64 wait_start(struct task_struct *t, __u64 now, bool rq_now,
					 bool btf)
{
	__u64 q, clk;

	if (!bpf_core_field_exists(t->sched_info) || !bpf_core_field_exists(t->se.cfs_rq->rq))
		return 0;	/* no CONFIG_SCHED_INFO or no FAIR_GROUP_SCHED */
	q = btf ? t->sched_info.last_queued : BPF_CORE_READ(t, sched_info.last_queued);
	if (!q)
		return 0;
	if (rq_now)
		return q < now ? q : 0;	/* the same clock: no conversion */
	clk = btf ? t->se.cfs_rq->rq->clock : BPF_CORE_READ(t, se.cfs_rq, rq, clock);
	if (clk <= q || clk - q >= now)
		return 0;
	return now - (clk - q);
}

/*
 * A tenant's task waited this long behind others: remember it for the fork
 * alarm (fork_alarm()). Rare (alarm_wait_ns is tens of ms), so the clock
 * shared by every CPU is read here, not the switch's per-CPU rq clock.
 */
static __always_inline void long_wait_note(__u64 key, __u64 wait)
{
	__u32 zero = 0;
	struct long_wait *w = bpf_map_lookup_elem(&long_wait, &zero);

	if (!w)
		return;
	/* two CPUs at once may garble a slot: an alarm lost or late, never one invented */
	if (w->w[0].key != key)
		w->w[1] = w->w[0];
	w->w[0].ts = bpf_ktime_get_ns();
	w->w[0].key = key;
	w->w[0].wait = wait;
}

/*
 * The wait alarm: a tenant's tasks waited wait ns behind others. One
 * event for the machine per QUELL_WAIT_ALARM_GAP_NS: quelld takes an early
 * tick and decides from it (src/quelld/alarm.c). Two CPUs at once may both
 * send one: two events, never a lost one. False when the gap held it back.
 */
static __always_inline bool wait_alarm_send(__u64 key, __u64 wait)
{
	__u64 now = bpf_ktime_get_ns();
	struct quell_event *e;

	if (now - wait_alarm_last < QUELL_WAIT_ALARM_GAP_NS)
		return false;
	wait_alarm_last = now;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_add(QUELL_STAT_RB_DROP, 1);
		return true;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = QUELL_EV_WAIT_ALARM;
	e->ts_ns = now;
	e->key = key;
	e->wait_us = (__u32)(wait / 1000);
	bpf_ringbuf_submit(e, 0);
	stat_add(QUELL_STAT_EVENTS, 1);
	return true;
}

/*
 * A tenant's task just waited behind ns behind other tenants: add it to
 * the tenant's window, and once the window holds alarm_wait_ns, send the
 * alarm and start a new one - unless the tenant is in the crowd. The old
 * test, one wait of alarm_wait_ns, missed a handler whose waits were
 * short: the alarms came from the hog's own waits behind it, 0.1-0.7 s
 * apart, and the rung 0.6-1.9 s after the hog's start (t_policy_cpu_alarm).
 */
static __always_inline void wait_win_add(__u64 key, __u64 behind)
{
	__u32 slot = (__u32)(key ^ (key >> 8)) & (WAIT_WIN_SLOTS - 1);
	struct wait_win *w = bpf_map_lookup_elem(&wait_win, &slot);
	__u64 sum, now;

	if (!w)
		return;
	now = bpf_ktime_get_ns();
	if (w->key != key || now - w->start > QUELL_WAIT_WIN_NS) {
		w->key = key;
		w->start = now;
		w->sum = 0;
	}
	/* two CPUs at once may lose a wait: an alarm late, never one invented */
	sum = w->sum + behind;
	w->sum = sum;
	if (sum < alarm_wait_ns)
		return;
	/* the crowd's window starts again, so it is looked up once per alarm_wait_ns */
	if (bpf_map_lookup_elem(&wait_crowd, &key)) {
		stat_add(QUELL_STAT_WAIT_CROWD, 1);
		w->start = now;
		w->sum = 0;
	} else if (wait_alarm_send(key, sum)) {
		w->start = now;
		w->sum = 0;
	}
}

/* A user-space task of a user other than root (read only for a long wait: rare). */
static __always_inline bool service_task(struct task_struct *t, bool btf)
{
	__u32 flags = btf ? t->flags : BPF_CORE_READ(t, flags);
	__u32 uid = btf ? t->real_cred->uid.val : BPF_CORE_READ(t, real_cred, uid.val);

	return !(flags & QUELL_PF_KTHREAD) && uid != 0;
}

/*
 * next (waiter_key) is switched in at now after being runnable since t_w:
 * split the wait over the slices this CPU ran meanwhile.
 */
static __always_inline void wait_end(__u64 t_w, struct task_struct *waiter, __u64 waiter_key,
				     __u64 now, struct slice_ring *ring, struct quell_cpu_cur *cur,
				     struct acct_cache *ac, bool btf)
{
	__u64 wait, covered = 0, suffered = 0, self = 0, behind = 0, alarm = 0;
	struct quell_acct_cpu *v;
	struct quell_acct *a;
	__u64 head = ring->head;
	struct slice *last;
	int i;

	if (now <= t_w)
		return;
	wait = now - t_w;

	/*
	 * The common case of a tenant's ping-pong (pipe, futex, a server and
	 * its workers): the newest slice is the waiter's own tenant and covers
	 * the whole wait. All of it is self; no walk.
	 */
	last = &ring->s[(head - 1) & (QUELL_SLICE_RING - 1)];
	if (head && last->key == waiter_key && last->start <= t_w && last->end >= now) {
		if (!key_is_tenant(waiter_key))
			return;
		a = acct_here(cur, ac, waiter_key);
		if (a)
			a->rq_self_ns += wait;
		return;
	}

	for (i = 0; i < QUELL_SLICE_RING; i++) {
		struct slice *s = &ring->s[(head - 1 - i) & (QUELL_SLICE_RING - 1)];
		__u64 lo, hi, ov;

		if (i >= head || !s->end || s->end <= t_w)
			break;	/* empty slot, or older than the wait: done */
		lo = s->start > t_w ? s->start : t_w;
		hi = s->end < now ? s->end : now;
		if (hi <= lo)
			continue;
		ov = hi - lo;
		covered += ov;
		if (s->key == QUELL_KEY_NONE)
			continue;	/* idle held the CPU: nobody to blame */
		if (s->key == waiter_key) {
			/* own tenant, or non-tenant behind non-tenant: nobody else's */
			self += ov;
			continue;
		}
		suffered += ov;
		if (s->key == QUELL_KEY_OTHER) {
			/* root, system users, kthreads: blamed as a group, in stats */
			stat_add(QUELL_STAT_OTHER_INFLICTED_NS, ov);
			continue;
		}
		/*
		 * The acct entry even when s->key is pending here (counters
		 * may be split between both; userspace sums them): a branch to
		 * the slot inside this loop made the verifier give up (E2BIG).
		 * The usual inflicter, prev's tenant, was just flushed through ac.
		 */
		v = acct_get_cached(ac, s->key);
		if (v)
			v->a.rq_inflicted_ns += ov;
		behind += ov;
		/* no branch: one more per slice made the walk too long to verify (E2BIG) */
		alarm += ov & (s->idle - 1);
	}
	if (wait > covered) {
		/* older than the ring: suffered, but we cannot say behind whom */
		suffered += wait - covered;
		stat_add(QUELL_STAT_UNATTRIB_NS, wait - covered);
	}
	/*
	 * A long wait for the fork alarm: a tenant's, or a service's (a task
	 * that is no tenant, of a user other than root, not a kernel thread:
	 * nginx, php-fpm's master, a database - what every tenant's requests
	 * pass through). Root's own tasks and kernel threads do not count:
	 * the machine's agents wake now and then, and that is nobody suffering.
	 */
	if (alarm_wait_ns && suffered >= alarm_wait_ns && alarm_forks &&
	    (key_is_tenant(waiter_key) || service_task(waiter, btf)))
		long_wait_note(waiter_key, suffered);
	/*
	 * A tenant's waits behind other tenants only: what a rule can act
	 * on (a hog alone waited behind root's tasks now and then, and each
	 * such wait cost an early tick, t_policy_cpu_alarm). Nor behind a
	 * tenant whose group is cpu.idle: its rung is entered already, and
	 * the handler's waits behind the demoted hog took early ticks that
	 * entered nothing until the pace paused the alarm (t_policy_cpu_alarm;
	 * docs/policy.md "The wait alarm").
	 */
	if (alarm >= QUELL_WAIT_WIN_MIN_NS && wait_alarm && alarm_wait_ns &&
	    key_is_tenant(waiter_key))
		wait_win_add(waiter_key, alarm);
	/* a wait behind idle only (ping-pong on otherwise idle CPUs) adds nothing */
	if (!key_is_tenant(waiter_key) || !(suffered | self))
		return;
	a = acct_here(cur, ac, waiter_key);
	if (a) {
		a->rq_suffered_ns += suffered;
		a->rq_self_ns += self;
		a->rq_behind_ns += behind;
	}
}

/*
 * The switch's clock: this CPU's rq->clock, which __schedule() updated just
 * before the tracepoint (see wait_start()), read in one load through next's
 * cfs_rq in the tp_btf twin. bpf_ktime_get_ns() cost 33 ns of a 131 ns
 * sched_switch program (an empty tp_btf program 56, one that only calls it
 * 89, under bpf_stats, pinned sched pipe; docs/performance.md "BPF cost").
 * rq->clock is sched_clock, which CLOCK_MONOTONIC leaves behind by NTP's
 * slew: userspace turns cur->start_ns into CLOCK_MONOTONIC with clock_off
 * (ktime - rq clock), refreshed every QUELL_CLOCK_CALIB_NS. The ring, slices
 * and waits stay on the rq clock, each CPU its own. The raw_tp twin (three
 * helper calls to reach rq) and kernels without FAIR_GROUP_SCHED keep
 * bpf_ktime_get_ns() and clock_off 0. Returns whether now is the rq clock.
 */
#define QUELL_CLOCK_CALIB_NS	(64 * 1000 * 1000ULL)

/*
 * Is t in a CPU group with cpu.idle = 1, its own or its parent's (quell
 * places a tenant's tasks in the tenant's group, where the gentle rung
 * writes it; the parent covers one level of sub-groups)? A wait behind
 * such a task is the rung working, not a new offender: it sounds no wait
 * alarm (wait_end()). Read once per new slice, so a cross-tenant pipe
 * pinned to one CPU pays it at every switch: sched_switch 179 -> 188 ns
 * per run (medians of 5 pairs, docs/performance.md); a tenant's own
 * ping-pong extends its slice and pays nothing. Without a task_group idle
 * field (before 5.15) or CONFIG_CGROUP_SCHED: never.
 */
static __always_inline bool task_group_idle(struct task_struct *t, bool btf)
{
	struct task_group *tg;

	if (!bpf_core_field_exists(t->sched_task_group) ||
	    !bpf_core_field_exists(struct task_group, idle))
		return false;
	/*
	 * No branch (the root group's parent is NULL: a BTF load through it
	 * reads 0, and so does a failed probe read): one more in this
	 * program's busiest path cost the verifier ~50,000 instructions in
	 * the cgroup key mode, which is near its limit (docs/hacking.md).
	 */
	if (btf) {
		tg = t->sched_task_group;
		return (tg->idle | tg->parent->idle) != 0;
	}
	tg = BPF_CORE_READ(t, sched_task_group);
	return (BPF_CORE_READ(tg, idle) | BPF_CORE_READ(tg, parent, idle)) != 0;
}

static __always_inline bool switch_clock(struct task_struct *next, struct quell_cpu_cur *cur,
					 __u64 *now, bool btf)
{
	__u64 clk;

	if (!btf || !bpf_core_field_exists(next->se.cfs_rq->rq)) {
		*now = bpf_ktime_get_ns();
		cur->clock_off = 0;
		return false;
	}
	clk = next->se.cfs_rq->rq->clock;
	if (!clk) {
		/* no cfs_rq (set_task_rq() always sets one): stay on this CPU's rq clock */
		*now = bpf_ktime_get_ns() - cur->clock_off;
		return true;
	}
	*now = clk;
	if (!cur->clock_calib || clk - cur->clock_calib > QUELL_CLOCK_CALIB_NS) {
		cur->clock_off = bpf_ktime_get_ns() - clk;
		cur->clock_calib = clk;
	}
	return true;
}

static __always_inline int on_switch(struct task_struct *prev, struct task_struct *next, bool btf)
{
	struct acct_cache ac = {};
	struct quell_cpu_cur *cur;
	struct slice_ring *ring;
	struct quell_acct *a;
	__u32 zero = 0, prev_pid, next_pid;
	__u64 pkey = QUELL_KEY_NONE, nkey, now;
	bool rq_now;

	cur = cur_get();
	ring = bpf_map_lookup_elem(&rings, &zero);
	if (!cur || !ring)
		return 0;
	rq_now = switch_clock(next, cur, &now, btf);
	prev_pid = task_pid(prev, btf);
	next_pid = task_pid(next, btf);

	/*
	 * 1. prev's slice [start, now); unknown before our first switch here.
	 * Normally we saw prev switched in: start = cur->start_ns. But the
	 * kernel does not trace every switch: on 6.18 here neither BPF nor
	 * tracefs' own sched_switch saw some switches away from a thread of
	 * the host's agent (~1 per second per CPU), so cur still names that
	 * thread. Then prev's slice began when the scheduler last picked it
	 * (task_picked_sum). Dropping the slice instead lost up to seconds
	 * of a CPU-bound tenant that rarely switches: b_accuracy read
	 * quell/kernel 0.82-0.93 for stress-ng --cpu 2 beside a dd.
	 */
	if (cur->start_ns && now > cur->start_ns) {
		struct slice *last = &ring->s[(ring->head - 1) & (QUELL_SLICE_RING - 1)];
		__u64 start = cur->start_ns, base = cur->sum_exec_ns;

		if (cur->pid != prev_pid) {
			__u64 sum = task_sum_exec(prev, btf), picked = task_picked_sum(prev, btf);
			__u64 r = sum > picked ? sum - picked : 0;

			stat_add(QUELL_STAT_UNTRACED_SWITCH, 1);
			if (r > now - start)
				r = now - start;	/* it cannot have begun before cur's switch */
			start = now - r;
			base = sum - r;
		}
		pkey = task_key(prev, btf);
		if (key_is_tenant(pkey) && now > start) {
			__u64 wall = now - start, ran = task_sum_exec(prev, btf);

			/*
			 * Charge what the scheduler charged (sum_exec_runtime
			 * delta), not the wall-clock slice, which includes IRQ,
			 * softirq and steal time: 3-8 % too much on a busy VM.
			 * Guard: a delta beyond the slice (+1 ms for the two
			 * clocks' skew) or a counter gone backwards is not
			 * this slice's; fall back to the wall clock.
			 */
			ran = ran >= base ? ran - base : ~0ULL;
			if (ran > wall + 1000000)
				ran = wall;
			a = acct_here(cur, &ac, pkey);
			if (a) {
				a->cpu_ns += ran;
				a->ctxsw++;
			}
		}
		if (now <= start) {
			/* an unseen slice of no length (idle, or not a fair task) */
		} else if (ring->head && last->key == pkey && last->end == start) {
			/*
			 * same tenant again: extend, so the ring spans more
			 * time (its cpu.idle as when the slice began: a rung
			 * entered meanwhile is seen at its next slice)
			 */
			last->end = now;
		} else {
			struct slice *s = &ring->s[ring->head & (QUELL_SLICE_RING - 1)];

			s->key = pkey;
			s->start = start;
			s->end = now;
			s->idle = task_group_idle(prev, btf);
			ring->head++;
		}
	}

	if (key_is_tenant(pkey))
		ring->tenant_end = now;

	/*
	 * 2. next's wait (if any) ends now, against the ring including prev's
	 * slice. A non-tenant that waited only since the last tenant slice on
	 * this CPU ended has nobody to charge (root's ping-pong, kthreads):
	 * leave before walking the ring.
	 */
	nkey = task_key(next, btf);
	/*
	 * A tenant coming in becomes the pending one (flushing the previous
	 * one through ac, which the ring walk then finds cached when that
	 * tenant inflicted the wait). A non-tenant leaves the slot alone: the
	 * tenant it interrupts is likely to come back.
	 */
	if (key_is_tenant(nkey))
		pend_switch(cur, &ac, nkey);
	if (next_pid) {
		__u64 t_w = wait_start(next, now, rq_now, btf);

		if (t_w && (key_is_tenant(nkey) || t_w < ring->tenant_end))
			wait_end(t_w, next, nkey, now, ring, cur, &ac, btf);
	}

	cur->key = nkey;
	cur->start_ns = now;
	cur->pid = next_pid;
	cur->sum_exec_ns = next_pid ? task_sum_exec(next, btf) : 0;
	return 0;
}

/*
 * The fork alarm (docs/policy.md "The fork alarm"). A fork storm starves
 * its neighbours from its first tens of milliseconds: a wakeup probe beside
 * one in a sibling cgroup waited up to 0.7-1.5 s (tests/bench/b_fork_groups.sh),
 * and the 1 s tick came too late for the first of them. So the burst is
 * seen here, at the fork: alarm_forks forks of one tenant within
 * QUELL_ALARM_WIN_NS while a task of another tenant has just waited
 * alarm_wait_ns behind others send an event; quelld takes a tick at once
 * and the rule may enter its gentle rung. Nothing is sent while nobody
 * else waits: a tenant forking alone is never touched.
 */
static __always_inline void fork_alarm(struct task_struct *parent, __u64 key)
{
	struct fork_win zero = {}, *w;
	struct long_wait *lw;
	struct quell_event *e;
	__u64 now = bpf_ktime_get_ns();
	__u32 z = 0;
	int i;

	w = bpf_map_lookup_elem(&fork_win, &key);
	if (!w) {
		bpf_map_update_elem(&fork_win, &key, &zero, BPF_NOEXIST);
		w = bpf_map_lookup_elem(&fork_win, &key);
		if (!w)
			return;
	}
	if (now - w->start > QUELL_ALARM_WIN_NS) {
		/*
		 * A burst is alarm_forks in two windows in a row: one page that
		 * runs a shell forking 50 times makes ~50 forks in one window
		 * and stops (tests/bench/b_web.sh's fork page, requested once),
		 * a storm goes on.
		 */
		if (now - w->start <= 2 * QUELL_ALARM_WIN_NS) {
			w->prev_start = w->start;
			w->prev_n = w->n;
		} else {
			w->prev_start = 0;
			w->prev_n = 0;
		}
		w->start = now;
		w->n = 0;
	}
	/* forks of one tenant on two CPUs at once: an add may be lost, never invented */
	if (__sync_fetch_and_add(&w->n, 1) + 1 < alarm_forks || w->prev_n < alarm_forks)
		return;
	if (w->fired && now - w->fired < QUELL_ALARM_REARM_NS)
		return;
	lw = bpf_map_lookup_elem(&long_wait, &z);
	if (!lw)
		return;
	/* a recent wait of another tenant (ts may be a hair ahead: another CPU's clock read) */
	i = lw->w[0].key == key ? 1 : 0;
	if (!lw->w[i].ts || lw->w[i].key == key ||
	    (__s64)(now - lw->w[i].ts) > (__s64)QUELL_ALARM_PAIR_NS)
		return;
	w->fired = now;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_add(QUELL_STAT_RB_DROP, 1);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = QUELL_EV_FORK_ALARM;
	e->pid = BPF_CORE_READ(parent, pid);
	e->tgid = BPF_CORE_READ(parent, tgid);
	e->ts_ns = now;
	e->cgid = bpf_get_current_cgroup_id();
	e->key = key;
	e->peer = lw->w[i].key;
	e->count = (__u32)(w->prev_n + w->n);	/* both windows */
	e->span_us = (__u32)((now - w->prev_start) / 1000);
	e->wait_us = (__u32)(lw->w[i].wait / 1000);
	bpf_ringbuf_submit(e, 0);
	stat_add(QUELL_STAT_EVENTS, 1);
}

static __always_inline int on_fork(struct task_struct *parent)
{
	__u64 key = task_key(parent, false);

	if (!key_is_tenant(key))
		return 0;
	acct_ev(key, ACCT_OFF(forks), 1, -1, 0);
	if (alarm_forks)
		fork_alarm(parent, key);
	return 0;
}

static __always_inline void event_emit(__u32 type, struct task_struct *t, __u32 uid,
				       __u32 old_uid)
{
	struct quell_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_add(QUELL_STAT_RB_DROP, 1);
		return;
	}
	e->type = type;
	e->pid = BPF_CORE_READ(t, pid);
	e->tgid = BPF_CORE_READ(t, tgid);
	e->uid = uid;
	e->old_uid = old_uid;
	e->span_us = 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->cgid = bpf_get_current_cgroup_id();
	e->key = 0;
	e->peer = 0;
	e->count = 0;
	e->wait_us = 0;
	bpf_ringbuf_submit(e, 0);
	stat_add(QUELL_STAT_EVENTS, 1);
}

static __always_inline int on_exec(struct task_struct *p)
{
	__u64 key = task_key(p, false);

	if (key_is_tenant(key))
		acct_ev(key, ACCT_OFF(execs), 1, -1, 0);
	if (events_exec) {
		__u32 uid = BPF_CORE_READ(p, real_cred, uid.val);

		event_emit(QUELL_EV_EXEC, p, uid, uid);
	}
	return 0;
}

static __always_inline int on_exit(struct task_struct *p, bool btf)
{
	__u32 pid = BPF_CORE_READ(p, pid);
	struct quell_oom v = {}, *old;
	__u64 key, *rss;

	if (!btf)
		bpf_map_delete_elem(&tasks, &pid);	/* task storage goes with the task */
	bpf_map_delete_elem(&uid_enter, &pid);
	rss = bpf_map_lookup_elem(&oom_victims, &pid);
	if (!rss)
		return 0;
	v.rss_kb = *rss;
	bpf_map_delete_elem(&oom_victims, &pid);
	key = task_key(p, false);
	if (!key_is_tenant(key))
		return 0;
	acct_ev(key, ACCT_OFF(oom_kills), 1, -1, 0);
	old = bpf_map_lookup_elem(&oom_last, &key);
	v.kills = (old ? old->kills : 0) + 1;
	v.pid = pid;
	v.tgid = BPF_CORE_READ(p, tgid);
	v.uid = BPF_CORE_READ(p, real_cred, uid.val);
	v.ts_ns = bpf_ktime_get_ns();
	bpf_probe_read_kernel_str(v.comm, sizeof(v.comm), &p->comm);
	bpf_map_update_elem(&oom_last, &key, &v, BPF_ANY);
	return 0;
}

/*
 * Tenant key of the blkcg a bio carries (bio->bi_blkg->blkcg, set from the
 * submitter's or the dirtying inode's cgroup), from the map cgkey: the
 * blkcg's own cgroup or one of its QUELL_BLKCG_UP - 1 nearest ancestors.
 * QUELL_KEY_OTHER if none is mapped (root's IO) or without CONFIG_BLK_CGROUP.
 */
static __always_inline __u64 bio_blkcg_key(struct bio *bio, bool btf)
{
	struct cgroup_subsys_state *css;
	struct cgroup *cg;
	__u64 id, *key;
	int i;

	if (!bpf_core_field_exists(bio->bi_blkg))
		return QUELL_KEY_OTHER;
	/*
	 * Up through css.parent (same in 6.1 and 6.18), not cgroup->ancestors[]:
	 * compat_cgroup_ancestor_id()'s pre-6.1 branch, hoisted by clang out of
	 * this loop, was an unresolved CO-RE relocation the verifier reached.
	 */
	cg = btf ? bio->bi_blkg->blkcg->css.cgroup : BPF_CORE_READ(bio, bi_blkg, blkcg, css.cgroup);
	for (i = 0; i < QUELL_BLKCG_UP && cg; i++) {
		id = btf ? cg->kn->id : BPF_CORE_READ(cg, kn, id);
		key = bpf_map_lookup_elem(&cgkey, &id);
		if (key)
			return *key;
		css = btf ? cg->self.parent : BPF_CORE_READ(cg, self.parent);
		cg = css ? (btf ? css->cgroup : BPF_CORE_READ(css, cgroup)) : NULL;
	}
	return QUELL_KEY_OTHER;
}

/*
 * A bio that a stacked device submits to the device below it, for a bio
 * already charged when it was queued on the stacked device (docs/attribution.md,
 * "IO on stacked devices"). Charging it again counted a loop device over vda
 * twice (issue 12 item 6: io_wbps 3,552 MiB/s for 1,786 written).
 *  - nested: queued while current->bio_list is set, i.e. from inside another
 *    bio's ->submit_bio (dm, md, multipath remapping in the submitter's
 *    context). A bio submitted from outside any ->submit_bio is never traced
 *    with bio_list set: block_bio_queue fires before submit_bio_noacct_nocheck()
 *    sets it, and split remainders are not traced again.
 *  - loop: the loop worker (drivers/block/loop.c) reads/writes the backing
 *    file from a kworker that kthread_associate_blkcg()'d the request's blkcg,
 *    so its bios on the backing disk carry the tenant's blkcg. That call has
 *    no other user in the kernel, so kthread->blkcg_css set means "IO done on
 *    behalf of a request above" (the rootcg worker leaves it NULL, and its
 *    bios carry the root blkcg: charged to nobody).
 *  - loop, buffered (dio=0, the default of losetup): the worker writes into
 *    the backing file's page cache under the tenant's memcg; the flusher, or
 *    anyone's sync(2), writes those pages back later, and with cgroup
 *    writeback (pure v2) the bios carry the tenant's blkcg. loop_configure()
 *    clears __GFP_IO | __GFP_FS in the backing file's mapping (so that
 *    reclaim cannot recurse into the loop device) and loop_clr_fd() restores
 *    it: a regular file whose mapping lacks both is a bound loop's backing file.
 */
static __always_inline bool bio_is_loop_backing(struct bio *bio, bool btf)
{
	struct address_space *m = NULL;
	struct page *pg;
	__u16 mode;

	/*
	 * Every data bio passes here: in the tp_btf twin the first two hops are
	 * plain loads, not helper calls. The mapping pointer carries flag bits
	 * (checked before any dereference), so it is read as a value.
	 */
	pg = btf ? bio->bi_io_vec->bv_page : BPF_CORE_READ(bio, bi_io_vec, bv_page);
	if (!pg)
		return false;
	bpf_probe_read_kernel(&m, sizeof(m), (void *)pg + bpf_core_field_offset(pg->mapping));
	if (!m || ((unsigned long)m & QUELL_PAGE_MAPPING_FLAGS))
		return false;	/* anonymous (O_DIRECT from user memory), movable */
	if (BPF_CORE_READ(m, gfp_mask) & QUELL_GFP_IO_FS)
		return false;
	mode = BPF_CORE_READ(m, host, i_mode);
	return (mode & QUELL_S_IFMT) == QUELL_S_IFREG;
}

static __always_inline bool bio_is_lower(struct task_struct *t, __u32 flags, struct bio *bio,
					 bool btf)
{
	struct kthread *k;

	if (btf ? !!t->bio_list : !!BPF_CORE_READ(t, bio_list))
		return true;
	if (bio_is_loop_backing(bio, btf))
		return true;
	if (!(flags & QUELL_PF_KTHREAD))
		return false;
	if (!bpf_core_field_exists(t->worker_private) ||
	    !bpf_core_field_exists(struct kthread, blkcg_css))
		return false;	/* < 5.17, or no CONFIG_BLK_CGROUP */
	k = BPF_CORE_READ(t, worker_private);
	return k && BPF_CORE_READ(k, blkcg_css);
}

/*
 * In the tp_btf twin current and the bio are BTF pointers: plain loads
 * instead of a bpf_probe_read_kernel() call per field (block_bio_queue
 * measured 454-516 ns for root's bios on main, 228-239 after). The stacked-
 * device check still comes first: io_lower_bytes counts every lower bio,
 * whoever it would have been charged to (t_io_stacked reads it from a dump
 * that maps no cgroup).
 */
static __always_inline int on_bio_queue(struct bio *bio, bool btf)
{
	struct task_struct *t = btf ? bpf_get_current_task_btf() : current_task();
	__u32 op = (btf ? bio->bi_opf : BPF_CORE_READ(bio, bi_opf)) & QUELL_REQ_OP_MASK;
	__u64 bytes, key, ptr = (__u64)bio;
	__u32 flags;

	if (op != QUELL_REQ_OP_READ && op != QUELL_REQ_OP_WRITE)
		return 0;	/* flush, discard, zone ops: not data */
	flags = btf ? t->flags : BPF_CORE_READ(t, flags);
	bytes = btf ? bio->bi_iter.bi_size : BPF_CORE_READ(bio, bi_iter.bi_size);
	if (bio_is_lower(t, flags, bio, btf)) {
		stat_add(QUELL_STAT_IO_LOWER, bytes);
		return 0;
	}
	key = task_key(t, btf);
	/*
	 * A kernel thread submits on someone's behalf: blk-throttle dispatches
	 * throttled bios from a kworker, the flusher writes back dirty pages.
	 * Both bios carry the blkcg they are charged to; so does a non-tenant's
	 * bio issued for a tenant's cgroup. Kernel threads keep their own key
	 * (root, if root is a tenant) only when the blkcg maps to nobody.
	 */
	if (!key_is_tenant(key) || (flags & QUELL_PF_KTHREAD)) {
		__u64 ck = bio_blkcg_key(bio, btf);

		if (key_is_tenant(ck))
			key = ck;
	}
	if (!key_is_tenant(key))
		return 0;
	if (op == QUELL_REQ_OP_READ)
		acct_ev(key, ACCT_OFF(io_rbytes), bytes, ACCT_OFF(io_rops), 1);
	else
		acct_ev(key, ACCT_OFF(io_wbytes), bytes, ACCT_OFF(io_wops), 1);
	{
		struct io_rq v = { .key = key };

		bpf_map_update_elem(&bios, &ptr, &v, BPF_ANY);
	}
	return 0;
}

/* The request's first bio (rq->bio) is the one whose entry times it. */
static __always_inline int on_rq_issue(struct request *rq, bool btf)
{
	__u64 bio = (__u64)(btf ? rq->bio : BPF_CORE_READ(rq, bio));
	struct io_rq *v;

	if (!bio)
		return 0;
	v = bpf_map_lookup_elem(&bios, &bio);
	if (!v)
		return 0;	/* queued before we loaded, or not by a tenant */
	if (!v->issue_ns)
		v->issue_ns = bpf_ktime_get_ns();	/* a requeue keeps the first issue */
	return 0;
}

/*
 * Before blk_update_request() ends any bio, so rq->bio is still the first
 * one; a partial completion counts once (the entry goes with it).
 */
static __always_inline int on_rq_complete(struct request *rq, bool btf)
{
	__u64 bio = (__u64)(btf ? rq->bio : BPF_CORE_READ(rq, bio)), now;
	struct io_rq *v;

	if (!bio)
		return 0;
	v = bpf_map_lookup_elem(&bios, &bio);
	if (!v || !v->issue_ns)
		return 0;	/* not a tenant's, or never seen issued: no clock read */
	now = bpf_ktime_get_ns();
	if (now > v->issue_ns)
		acct_ev(v->key, ACCT_OFF(io_lat_ns), now - v->issue_ns, ACCT_OFF(io_lat_cnt), 1);
	bpf_map_delete_elem(&bios, &bio);
	return 0;
}

static __always_inline int on_page_fault(bool btf)
{
	__u64 key = btf ? task_key(bpf_get_current_task_btf(), true) :
			  task_key(current_task(), false);

	if (key_is_tenant(key))
		acct_ev(key, ACCT_OFF(pgfaults), 1, -1, 0);
	return 0;
}

/* current as a BTF pointer for task storage (tp_btf); the raw_tp twin keys by pid */
static __always_inline struct task_struct *current_task_any(bool btf)
{
	return btf ? bpf_get_current_task_btf() : NULL;
}

static __always_inline int on_reclaim_begin(bool btf)
{
	struct task_state *ts = task_state_get(current_task_any(btf),
					       (__u32)bpf_get_current_pid_tgid(), btf);

	if (ts)
		ts->reclaim_ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_reclaim_end(bool btf)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns(), key;
	struct task_state *ts;

	ts = task_state_find(current_task_any(btf), pid, btf);
	if (!ts || !ts->reclaim_ts)
		return 0;
	if (now > ts->reclaim_ts) {
		key = task_key(current_task(), false);
		if (key_is_tenant(key))
			acct_ev(key, ACCT_OFF(reclaim_ns), now - ts->reclaim_ts, -1, 0);
	}
	ts->reclaim_ts = 0;
	return 0;
}

/* --- hooks: tp_btf and raw_tp twins ------------------------------------ */

/* "btf" is 1 in the tp_btf twin and 0 in the raw_tp one (see task_pid()). */
#define TWIN(tp, handler_call, args...)					\
	SEC("tp_btf/" #tp)						\
	int BPF_PROG(tb_##tp, ##args) { const bool btf __attribute__((unused)) = true; return handler_call; } \
	SEC("raw_tp/" #tp)						\
	int BPF_PROG(rt_##tp, ##args) { const bool btf __attribute__((unused)) = false; return handler_call; }

TWIN(sched_switch, on_switch(prev, next, btf),
     bool preempt, struct task_struct *prev, struct task_struct *next)
TWIN(sched_process_fork, on_fork(parent), struct task_struct *parent, struct task_struct *child)
TWIN(sched_process_exec, on_exec(p), struct task_struct *p)
TWIN(sched_process_exit, on_exit(p, btf), struct task_struct *p)
TWIN(block_bio_queue, on_bio_queue(bio, btf), struct bio *bio)
TWIN(block_rq_issue, on_rq_issue(rq, btf), struct request *rq)
TWIN(block_rq_complete, on_rq_complete(rq, btf), struct request *rq)
TWIN(page_fault_user, on_page_fault(btf))
TWIN(mm_vmscan_direct_reclaim_begin, on_reclaim_begin(btf))
TWIN(mm_vmscan_direct_reclaim_end, on_reclaim_end(btf))
TWIN(mm_vmscan_memcg_reclaim_begin, on_reclaim_begin(btf))
TWIN(mm_vmscan_memcg_reclaim_end, on_reclaim_end(btf))

/* --- classic tracepoints ---------------------------------------------- */

/*
 * oom:mark_victim's raw arguments changed in 6.8 (int pid -> task, uid), but
 * the trace event keeps a "pid" field in both; CO-RE finds it. The RSS
 * fields (kB) came with 6.8 too; before, the victim's RSS is left 0.
 */
SEC("tracepoint/oom/mark_victim")
int tp_mark_victim(struct trace_event_raw_mark_victim *ctx)
{
	__u32 pid = ctx->pid;
	__u64 rss = 0;

	if (bpf_core_field_exists(ctx->anon_rss))
		rss = BPF_CORE_READ(ctx, anon_rss) + BPF_CORE_READ(ctx, file_rss) +
		      BPF_CORE_READ(ctx, shmem_rss);
	bpf_map_update_elem(&oom_victims, &pid, &rss, BPF_ANY);
	return 0;
}

static __always_inline int setuid_enter(void)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	__u32 uid = BPF_CORE_READ(current_task(), real_cred, uid.val);

	bpf_map_update_elem(&uid_enter, &pid, &uid, BPF_ANY);
	return 0;
}

static __always_inline int setuid_exit(long ret)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	struct task_struct *t = current_task();
	__u32 uid, old_uid = (__u32)-1, *old;

	old = bpf_map_lookup_elem(&uid_enter, &pid);
	if (old) {
		old_uid = *old;
		bpf_map_delete_elem(&uid_enter, &pid);
	}
	if (ret != 0)
		return 0;
	uid = BPF_CORE_READ(t, real_cred, uid.val);
	if (old && uid == old_uid)
		return 0;	/* effective/saved uid changed only: same tenant */
	event_emit(QUELL_EV_UID_CHANGE, t, uid, old_uid);
	return 0;
}

#define SETUID_TPS(sc)							\
	SEC("tracepoint/syscalls/sys_enter_" #sc)			\
	int tp_enter_##sc(void *ctx) { return setuid_enter(); }		\
	SEC("tracepoint/syscalls/sys_exit_" #sc)			\
	int tp_exit_##sc(struct trace_event_raw_sys_exit *ctx)		\
	{ return setuid_exit(ctx->ret); }

SETUID_TPS(setuid)
SETUID_TPS(setreuid)
SETUID_TPS(setresuid)

/* --- who evicts whom (issue 14 item 3) ------------------------------- */

#define QUELL_PF_MEMALLOC	0x00000800	/* include/linux/sched.h */
#define QUELL_PF_KSWAPD		0x00020000
/* levels above a page's memory cgroup searched in memcg_key (tenant/sub/sub) */
#define QUELL_MEMCG_UP		3

/* memory cgroup id -> tenant key, filled by userspace (qbpf_map_memcg) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);	/* loader: qbpf_opts.max_tenants */
	__type(key, __u64);
	__type(value, __u64);
} memcg_key SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);	/* loader: qbpf_opts.max_tenants */
	__type(key, __u64);
	__type(value, struct quell_evict);
} evict SEC(".maps");

static __always_inline struct quell_evict *evict_get(__u64 key)
{
	struct quell_evict zero = {};
	struct quell_evict *e;

	e = bpf_map_lookup_elem(&evict, &key);
	if (e)
		return e;
	bpf_map_update_elem(&evict, &key, &zero, BPF_NOEXIST);
	e = bpf_map_lookup_elem(&evict, &key);
	if (!e)
		stat_add(QUELL_STAT_ACCT_FULL, 1);
	return e;
}

/*
 * The memory cgroup a folio is charged to: folio->memcg_data without its
 * flag bits (include/linux/memcontrol.h). Page cache is charged to a
 * mem_cgroup; a KMEM-flagged value is an obj_cgroup, whose memcg we take.
 */
static __always_inline struct mem_cgroup *folio_memcg_of(struct folio *folio)
{
	unsigned long data = BPF_CORE_READ(folio, memcg_data);
	unsigned long kmem = bpf_core_enum_value(enum page_memcg_data_flags, MEMCG_DATA_KMEM);
	unsigned long nr = bpf_core_enum_value(enum page_memcg_data_flags,
					       __NR_MEMCG_DATA_FLAGS);
	void *p = (void *)(data & ~(nr - 1));

	if (!p)
		return NULL;
	if (data & kmem)
		return BPF_CORE_READ((struct obj_cgroup *)p, memcg);
	return p;
}

/* Pages in a folio: 1, or the large folio's _nr_pages (6.9+) / order (before). */
static __always_inline __u64 folio_pages(struct folio *folio)
{
	unsigned long flags = 0;
	int head = bpf_core_enum_value(enum pageflags, PG_head);

	bpf_probe_read_kernel(&flags, sizeof(flags), folio);	/* page flags come first */
	if (!(flags & (1UL << head)))
		return 1;
	if (bpf_core_field_exists(folio->_nr_pages))
		return BPF_CORE_READ(folio, _nr_pages);
	return 1ULL << (BPF_CORE_READ(folio, _flags_1) & 0xff);
}

/*
 * Who woke kswapd (issue 14 item 3). kswapd reclaims for the allocators
 * that pushed a node's free memory below its low watermark; the kernel's
 * wakeup_kswapd() traces mm_vmscan_wakeup_kswapd in the allocating task's
 * context, and only when it actually wakes a sleeping (or napping) kswapd,
 * so there is one traced waker per kswapd run, not one per allocation.
 * Each node keeps its last QUELL_KSWAPD_WAKERS wakers; the evictions of a
 * run are charged to the newest of them that is a tenant other than the
 * page's owner (see on_filemap_delete()). mm_vmscan_kswapd_sleep (kswapd
 * going to sleep for good, node balanced) ends them: a later run needs a
 * new waker.
 */
#define QUELL_GFP_DIRECT_RECLAIM 0x400	/* __GFP_DIRECT_RECLAIM, bit 10 since 4.4 */
#define QUELL_KSWAPD_WAKERS	4	/* power of 2 */
#define QUELL_MAX_NODES		64	/* nodes beyond are not attributed */

_Static_assert((QUELL_KSWAPD_WAKERS & (QUELL_KSWAPD_WAKERS - 1)) == 0, "wakers power of 2");

struct kswapd_waker {
	__u64 key;		/* tenant key, or QUELL_KEY_OTHER (root, atomic allocation) */
	__u64 ts;		/* bpf_ktime_get_ns() of the wakeup */
};

/* One node's kswapd: who woke it lately. Private to bpf/. */
struct kswapd_node {
	__u64 sleep_ts;		/* kswapd last went to sleep: wakers before are over */
	__u64 head;		/* next slot of w; racing wakers may share one (benign) */
	struct kswapd_waker w[QUELL_KSWAPD_WAKERS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QUELL_MAX_NODES);
	__type(key, __u32);
	__type(value, struct kswapd_node);
} kswapd_nodes SEC(".maps");

/*
 * kswapd thread (pid) -> its node, learnt at mm_vmscan_kswapd_wake/sleep,
 * which run in kswapd's own context. Until a node's kswapd has woken once
 * after load, its evictions are not attributed (nor would there be a waker).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, QUELL_MAX_NODES);
	__type(key, __u32);
	__type(value, __u32);
} kswapd_nid SEC(".maps");

/*
 * mm_vmscan_wakeup_kswapd: current's allocation woke nid's kswapd. Only an
 * allocation that may reclaim itself (__GFP_DIRECT_RECLAIM) comes from a
 * task's own context for sure: atomic ones (GFP_ATOMIC, GFP_NOWAIT) may run
 * in an interrupt on top of any task, and the zone-boost wakeup in rmqueue()
 * passes no flags at all. Those, kernel threads and non-tenants are recorded
 * as QUELL_KEY_OTHER: they push the tenants' older wakes out of the ring.
 */
static __always_inline int on_wakeup_kswapd(int nid, __u32 gfp, bool btf)
{
	struct task_struct *t = btf ? bpf_get_current_task_btf() : current_task();
	__u32 flags = btf ? t->flags : BPF_CORE_READ(t, flags);
	__u64 key = QUELL_KEY_OTHER, now;
	struct kswapd_waker *w;
	struct kswapd_node *n;
	__u32 nid32 = nid;

	n = bpf_map_lookup_elem(&kswapd_nodes, &nid32);
	if (!n)
		return 0;
	if ((gfp & QUELL_GFP_DIRECT_RECLAIM) && !(flags & QUELL_PF_KTHREAD))
		key = task_key(t, btf);
	if (!key_is_tenant(key))
		key = QUELL_KEY_OTHER;
	now = bpf_ktime_get_ns();
	w = &n->w[n->head++ & (QUELL_KSWAPD_WAKERS - 1)];
	w->key = key;
	w->ts = now;
	return 0;
}

/* mm_vmscan_kswapd_wake / _sleep, in kswapd's context: learn its node; sleep ends the wakers. */
static __always_inline int on_kswapd_wake(int nid, bool sleep)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid(), n32 = nid, *old;
	struct kswapd_node *n;

	if (n32 >= QUELL_MAX_NODES)
		return 0;
	old = bpf_map_lookup_elem(&kswapd_nid, &pid);
	if (!old || *old != n32)
		bpf_map_update_elem(&kswapd_nid, &pid, &n32, BPF_ANY);
	if (sleep) {
		n = bpf_map_lookup_elem(&kswapd_nodes, &n32);
		if (n)
			n->sleep_ts = bpf_ktime_get_ns();
	}
	return 0;
}

/*
 * The tenants kswapd (current, pid) may reclaim for: *w1 the newest waker
 * of its node since it last slept that is a tenant, *w2 the newest such one
 * other than *w1 (QUELL_KEY_OTHER: none). A page of owner is charged to w1,
 * or to w2 when w1 is the owner: a tenant whose own allocation woke kswapd
 * is never charged for its own pages, and when a victim re-reading what was
 * taken from it woke kswapd, the tenant that woke it before in the same
 * busy period (allocating beside it) is charged.
 */
static __always_inline void kswapd_wakers(__u32 pid, __u64 *w1, __u64 *w2)
{
	struct kswapd_node *n;
	__u32 *nid;
	__u64 head;
	int j;

	*w1 = *w2 = QUELL_KEY_OTHER;
	nid = bpf_map_lookup_elem(&kswapd_nid, &pid);
	if (!nid)
		return;
	n = bpf_map_lookup_elem(&kswapd_nodes, nid);
	if (!n)
		return;
	head = n->head;
	for (j = 1; j <= QUELL_KSWAPD_WAKERS; j++) {
		struct kswapd_waker *w = &n->w[(head - j) & (QUELL_KSWAPD_WAKERS - 1)];

		if (w->ts <= n->sleep_ts)
			break;	/* before kswapd last slept (or never written) */
		if (!key_is_tenant(w->key) || w->key == *w1)
			continue;
		if (!key_is_tenant(*w1)) {
			*w1 = w->key;
		} else {
			*w2 = w->key;
			break;
		}
	}
}

/* Tenant key owning a folio: its memory cgroup or one of QUELL_MEMCG_UP ancestors in memcg_key. */
static __always_inline __u64 folio_owner(struct folio *folio)
{
	struct cgroup_subsys_state *css;
	struct mem_cgroup *memcg;
	__u64 id, *k;
	int i;

	memcg = folio_memcg_of(folio);
	if (!memcg)
		return QUELL_KEY_OTHER;
	css = &memcg->css;
	for (i = 0; i < QUELL_MEMCG_UP && css; i++) {
		id = BPF_CORE_READ(css, cgroup, kn, id);
		k = bpf_map_lookup_elem(&memcg_key, &id);
		if (k)
			return *k;
		css = BPF_CORE_READ(css, parent);
	}
	return QUELL_KEY_OTHER;
}

/*
 * filemap:mm_filemap_delete_from_page_cache, in reclaim only, when the
 * folio's memory cgroup (or one of its QUELL_MEMCG_UP ancestors) is a
 * tenant's (the owner). Who reclaimed it:
 *   - direct or memcg reclaim (PF_MEMALLOC, not a kernel thread): current's
 *     tenant, if it is one and not the owner;
 *   - kswapd (PF_KSWAPD): a tenant that woke it, kswapd_wakers().
 * The pages go to that tenant as inflicted and to the owner as suffered.
 * Truncation and unlink outside reclaim, and other kernel threads, never
 * count; they return after reading current->flags.
 */
static __always_inline int on_filemap_delete(struct folio *folio, bool btf)
{
	struct task_struct *t = btf ? bpf_get_current_task_btf() : current_task();
	__u32 flags = btf ? t->flags : BPF_CORE_READ(t, flags);
	struct quell_evict *e;
	__u64 key, owner, pages, w2;

	if (flags & QUELL_PF_KSWAPD) {
		/* no tenant woke it: nothing to charge, skip the memcg walk */
		kswapd_wakers((__u32)bpf_get_current_pid_tgid(), &key, &w2);
		if (!key_is_tenant(key))
			return 0;
		owner = folio_owner(folio);
		if (owner == key)
			key = w2;
	} else {
		if (!(flags & QUELL_PF_MEMALLOC) || (flags & QUELL_PF_KTHREAD))
			return 0;
		key = task_key(t, btf);
		if (!key_is_tenant(key))
			return 0;
		owner = folio_owner(folio);
	}
	if (!key_is_tenant(owner) || !key_is_tenant(key) || owner == key)
		return 0;
	pages = folio_pages(folio);
	e = evict_get(key);
	if (e)
		e->inflicted_pages += pages;
	e = evict_get(owner);
	if (e)
		e->suffered_pages += pages;
	return 0;
}

TWIN(mm_filemap_delete_from_page_cache, on_filemap_delete(folio, btf), struct folio *folio)
TWIN(mm_vmscan_wakeup_kswapd, on_wakeup_kswapd(nid, gfp_flags, btf),
     int nid, int zid, int order, gfp_t gfp_flags)
TWIN(mm_vmscan_kswapd_wake, on_kswapd_wake(nid, false), int nid, int zid, int order)
TWIN(mm_vmscan_kswapd_sleep, on_kswapd_wake(nid, true), int nid)
