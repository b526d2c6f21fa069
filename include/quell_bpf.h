/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * quell_bpf.h - the one contract between bpf/ and userspace.
 *
 * Rules (docs/hacking.md, style 1): fixed-width fields only, explicit padding, no
 * pointers, bools or enums in shared structs; sizes are pinned with
 * _Static_assert so a change on one side cannot silently skew the other.
 * This header is included by the bpf/ programs (after vmlinux.h) and by the
 * loader in src/quelld; nothing else is shared with bpf/.
 */
#ifndef QUELL_BPF_H
#define QUELL_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* How the BPF side turns a task into a tenant key (rodata key_mode). */
#define QUELL_KEY_UID		0	/* key = real uid of the task */
#define QUELL_KEY_CGROUP	1	/* key = id of the v2 ancestor cgroup at cg_level */

/* Key of the idle task (pid 0): nobody; its slices block no one. */
#define QUELL_KEY_NONE		((__u64)-1)
/*
 * Key of a real task that is no tenant (uid outside [min_uid, max_uid],
 * kernel threads, cgroup mode: outside the tenant level). No acct entry,
 * but a wait behind it is suffered (docs/attribution.md).
 */
#define QUELL_KEY_OTHER		((__u64)-2)

/*
 * Slices remembered per CPU to attribute run-queue waits (see
 * docs/attribution.md). Power of 2. 16 covered only ~4 ms of a loaded 2-CPU
 * box (load 4, ~3800 switches/s/CPU) and left most waits unattributed.
 */
#define QUELL_SLICE_RING	64

/*
 * Per-tenant cumulative counters, in the per-CPU hash "acct" keyed by a
 * __u64 tenant key (inside struct quell_acct_cpu) and in each CPU's pending
 * slot (quell_cpu_cur.pend). Userspace sums the per-CPU copies.
 */
struct quell_acct {
	__u64 cpu_ns;		/* on-CPU time, sched_switch */
	__u64 ctxsw;		/* times switched out */
	__u64 rq_suffered_ns;	/* own tasks' wait runnable -> on CPU, behind any other task */
	__u64 rq_self_ns;	/* own tasks' wait behind the same tenant's tasks */
	__u64 rq_inflicted_ns;	/* other tenants' wait while this tenant held the CPU */
	__u64 forks;		/* sched_process_fork, counted for the parent */
	__u64 execs;		/* sched_process_exec */
	__u64 io_rbytes;	/* block_bio_queue, submitter's tenant */
	__u64 io_wbytes;
	__u64 io_rops;
	__u64 io_wops;
	__u64 io_lat_ns;	/* sum of block_rq_issue -> block_rq_complete latency */
	__u64 io_lat_cnt;	/* requests in io_lat_ns */
	__u64 pgfaults;		/* exceptions:page_fault_user */
	__u64 reclaim_ns;	/* direct + memcg reclaim stall */
	__u64 oom_kills;	/* oom:mark_victim, counted for the victim's tenant */
	__u64 rq_behind_ns;	/* the part of rq_suffered_ns spent behind other tenants' tasks */
};
_Static_assert(sizeof(struct quell_acct) == 17 * 8, "quell_acct layout");

/*
 * Value of "acct" on one CPU: the counters plus the number of the last
 * flush of that CPU's pending slot into it (quell_cpu_cur.pend_gen), so
 * userspace can tell whether a pending slot it read is already in here.
 */
struct quell_acct_cpu {
	struct quell_acct a;
	__u64 gen;		/* pend_gen of the last flush into this entry (0: none) */
};
_Static_assert(sizeof(struct quell_acct_cpu) == 18 * 8, "quell_acct_cpu layout");

/*
 * Per-CPU "who is on this CPU now" (array map "cpu_cur", one entry). Lets
 * userspace add the in-progress slice of a task that has not switched out
 * since the last tick, so a lone CPU hog is accounted smoothly.
 *
 * It also holds the pending counters of the tenant last switched in on this
 * CPU (pend_key): every event of that tenant on this CPU adds there instead
 * of looking up its "acct" entry (a per-CPU hash), and the slot is flushed
 * into acct only when another tenant is switched in. A sched pipe of one
 * tenant thus never touches the hash (docs/performance.md, "BPF cost").
 * Userspace adds the slot when it is not in acct yet (qbpf_pend_merge()).
 */
struct quell_cpu_cur {
	__u64 key;		/* tenant key of the running task, QUELL_KEY_NONE for idle */
	__u64 start_ns;		/* when it was switched in; + clock_off: CLOCK_MONOTONIC */
	__u32 pid;
	__u32 pend_set;		/* 1: pend holds pend_key's counters (0 after load) */
	/*
	 * task->se.sum_exec_runtime at switch-in: the switch-out charges the
	 * difference (what cpuacct / cpu.stat count), not now - start_ns.
	 */
	__u64 sum_exec_ns;
	/*
	 * The switches' clock is this CPU's rq->clock (bpf/quell.bpf.c
	 * switch_clock()); clock_off = bpf_ktime_get_ns() - rq clock, as of
	 * clock_calib (rq clock), modulo 2^64. 0 when the clock is ktime.
	 */
	__u64 clock_off;
	__u64 clock_calib;
	/*
	 * Flushes of pend into acct on this CPU so far. A flush writes
	 * pend_gen_end first and pend_gen last, and a map read copies in
	 * address order: a copy with pend_gen != pend_gen_end caught a flush
	 * halfway (userspace reads again).
	 */
	__u64 pend_gen;
	__u64 pend_key;		/* tenant of pend (valid if pend_set) */
	struct quell_acct pend;	/* not yet in acct; flush number pend_gen + 1 adds it */
	__u64 pend_gen_end;
};
_Static_assert(sizeof(struct quell_cpu_cur) == 72 + 17 * 8, "quell_cpu_cur layout");

/*
 * The last OOM victim of a tenant (hash "oom_last", keyed by tenant key),
 * written when a task the OOM killer chose (oom:mark_victim) exits, so the
 * audit log can name it (issue 12 item 7). Userspace reads it when the
 * tenant's oom_kills grew.
 */
struct quell_oom {
	__u32 pid;		/* thread id of the victim */
	__u32 tgid;
	__u32 uid;		/* real uid */
	__u32 pad;
	__u64 rss_kb;		/* anon + file + shmem RSS at mark_victim (6.8+), 0 before */
	__u64 ts_ns;		/* bpf_ktime_get_ns() at exit */
	__u64 kills;		/* victims of this tenant so far (same count as oom_kills) */
	char comm[16];		/* TASK_COMM_LEN */
};
_Static_assert(sizeof(struct quell_oom) == 56, "quell_oom layout");

/* Indices of the per-CPU array map "stats": self-health of the BPF side. */
#define QUELL_STAT_ACCT_FULL	0	/* acct update failed: map full */
#define QUELL_STAT_TASK_FULL	1	/* per-task state map full: a wait was lost */
#define QUELL_STAT_RB_DROP	2	/* ring buffer full: an event was lost */
#define QUELL_STAT_UNATTRIB_NS	3	/* wait older than the slice ring: not attributed */
#define QUELL_STAT_IO_FULL	4	/* unused: the LRU map "bios" evicts silently (was "rqs" full) */
#define QUELL_STAT_EVENTS	5	/* events sent on the ring buffer */
#define QUELL_STAT_OTHER_INFLICTED_NS 6	/* tenants' wait behind QUELL_KEY_OTHER tasks */
#define QUELL_STAT_UNTRACED_SWITCH 7	/* prev was not the task we saw switched in */
#define QUELL_STAT_IO_LOWER	8	/* bytes of bios below a stacked device: not charged */
#define QUELL_STAT_WAIT_CROWD	9	/* wait alarms held back: the waiter was in the crowd */
#define QUELL_STAT_NR		10

/* Ring buffer events (map "events"). */
#define QUELL_EV_UID_CHANGE	1	/* set*uid() changed the real uid */
#define QUELL_EV_EXEC		2	/* exec by a task whose tenant may need placement */
/*
 * The fork alarm (docs/policy.md "The fork alarm"): tenant key forked
 * count times within QUELL_ALARM_WIN_NS while a task of tenant peer had
 * just waited wait_us on a run queue behind other tenants.
 */
#define QUELL_EV_FORK_ALARM	3
/*
 * The wait alarm (docs/policy.md "The wait alarm"): the tasks of tenant
 * key waited wait_us behind other tenants (at least alarm_wait) within
 * QUELL_WAIT_WIN_NS.
 */
#define QUELL_EV_WAIT_ALARM	4

struct quell_event {
	__u32 type;		/* QUELL_EV_* */
	__u32 pid;		/* thread id */
	__u32 tgid;		/* process id: what gets moved (cgroup.procs) */
	__u32 uid;		/* real uid after the event */
	__u32 old_uid;
	__u32 span_us;		/* QUELL_EV_FORK_ALARM: the time count forks took */
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	__u64 cgid;		/* v2 cgroup id at the time of the event */
	/* QUELL_EV_FORK_ALARM and QUELL_EV_WAIT_ALARM only (0 otherwise) */
	__u64 key;		/* the forking tenant; the waiting one (wait alarm) */
	__u64 peer;		/* the tenant whose task waited (fork alarm) */
	__u32 count;		/* forks in the window (fork alarm) */
	__u32 wait_us;		/* the wait behind other tenants (peer's; key's) */
};
_Static_assert(sizeof(struct quell_event) == 64, "quell_event layout");

/*
 * The fork alarm's window: forks are counted per tenant in windows of this
 * length (a window restarts at the first fork after it ended). 50 ms: a
 * storm of 8 shells forking /bin/true made ~60 forks in it on this 2-vCPU
 * box, a php-fpm pool serving a page that runs a shell ~25 (docs/policy.md).
 */
#define QUELL_ALARM_WIN_NS	(50ULL * 1000 * 1000)
/* A long wait pairs with a fork burst when it ended at most this long before. */
#define QUELL_ALARM_PAIR_NS	(500ULL * 1000 * 1000)
/* One alarm per tenant per this long, at most. */
#define QUELL_ALARM_REARM_NS	(1000ULL * 1000 * 1000)
/* One wait alarm for the whole machine per this long, at most. */
#define QUELL_WAIT_ALARM_GAP_NS	(100ULL * 1000 * 1000)
/*
 * The wait alarm sums a tenant's waits behind other tenants in windows of
 * this length (a window restarts at the first wait after it ended): a
 * request handler beside a hog waits 0.2-2 ms at a time, hundreds of times
 * a second, and seldom once for alarm_wait (docs/policy.md "The wait
 * alarm"). alarm_wait in 100 ms is cpu-hog's urgent 50 ms/s.
 */
#define QUELL_WAIT_WIN_NS	(100ULL * 1000 * 1000)
/*
 * Shorter waits are left out of the window: two tenants' tasks that hand
 * work to each other through a pipe wait ~4 us behind each other at every
 * switch; with them the window was looked at on every switch and the pipe
 * sounded fruitless alarms (docs/policy.md "The wait alarm").
 */
#define QUELL_WAIT_WIN_MIN_NS	(50ULL * 1000)
/*
 * The wait alarm's crowd: up to this many tenants whose own waits sound no
 * alarm, because they are the crowd the others wait in, not its victims -
 * a tenant on a CPU rung, or one that took more than its fair share of the
 * CPUs in the last tick (src/quelld/wait_pace.h, the crowd). The
 * BPF side sends one wait alarm per QUELL_WAIT_ALARM_GAP_NS for the whole
 * machine, and a hog's 8 shells, waiting behind the handler they starve,
 * took most of them.
 */
#define QUELL_WAIT_CROWD	8

/*
 * Who evicts whom (issue 14 item 3; docs/attribution.md "Memory inflicted"):
 * page-cache pages charged to one tenant that are removed while a task of
 * another tenant is in direct or memcg reclaim (PF_MEMALLOC), or by kswapd
 * after another tenant's allocation woke it (mm_vmscan_wakeup_kswapd).
 * Value of the per-CPU hash "evict", keyed by tenant key; userspace sums
 * the per-CPU copies. The hash "memcg_key" (memory cgroup id -> tenant
 * key) is filled by userspace with each tenant's memory cgroup id: the
 * inode of its directory in the v1 memory hierarchy, or in v2.
 */
struct quell_evict {
	__u64 inflicted_pages;	/* others' pages removed by its reclaim or by kswapd it woke */
	__u64 suffered_pages;	/* this tenant's pages another tenant's reclaim removed */
};
_Static_assert(sizeof(struct quell_evict) == 16, "quell_evict layout");

#endif /* QUELL_BPF_H */
