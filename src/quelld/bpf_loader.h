/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpf_loader.h - the only door to the BPF side. Implemented in
 * src/quelld/bpf_loader.c, the one file that includes the skeleton and
 * libbpf (docs/hacking.md, style 2). Everything here returns 0 / -errno.
 */
#ifndef QUELL_BPF_LOADER_H
#define QUELL_BPF_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quell_bpf.h"

struct qbpf;

struct qbpf_opts {
	uint32_t key_mode;	/* QUELL_KEY_UID or QUELL_KEY_CGROUP */
	uint32_t cg_level;	/* cgroup mode: v2 level of the tenant cgroups */
	uint32_t max_tenants;	/* acct map entries */
	uint32_t max_tasks;	/* per-task state entries (0: from pid_max) */
	bool events;		/* placement events on the ring buffer */
	bool events_exec;	/* also an event on every exec (QUELL_EV_EXEC) */
	bool force_raw_tp;	/* use the raw_tp twins even if tp_btf works (also env
				 * QUELL_BPF_FORCE_RAW_TP=1) */
	/* uid mode: only uids in [min_uid, max_uid] get acct entries (both 0: every uid) */
	uint32_t min_uid, max_uid;
	/*
	 * The proc root (daemon.proc_fd, [daemon] proc_root), not owned: pid_max
	 * and running tasks' schedstat are read below it. -1: "/proc".
	 */
	int proc_fd;
};

/* What the running kernel offers; filled by qbpf_probe(). */
struct qbpf_features {
	bool btf;		/* /sys/kernel/btf/vmlinux */
	bool tp_btf;		/* tp_btf programs load */
	bool raw_tp;
	bool kprobe;		/* informational: quell never needs it */
	bool ringbuf;
	bool syscall_tps;	/* syscalls:sys_exit_set*uid exist */
};

int qbpf_probe(struct qbpf_features *f);
/* Mount bpffs at /sys/fs/bpf and tracefs at /sys/kernel/tracing when missing. */
int qbpf_mount_fs(void);
/* open -> set rodata and map sizes -> load -> attach. Message in err on failure. */
int qbpf_load(const struct qbpf_opts *o, struct qbpf **out, char *err, size_t errlen);
void qbpf_destroy(struct qbpf *b);
/* "tp_btf" or "raw_tp" */
const char *qbpf_variant(const struct qbpf *b);
/*
 * Hooks as a space-separated list: attached ones by name, the ones absent on
 * this kernel or disabled as "-name" (e.g. "-page_fault_user" off x86).
 */
const char *qbpf_hooks(const struct qbpf *b);
/*
 * Turn on BPF run-time stats (BPF_ENABLE_STATS) for as long as the returned
 * fd is open; close() restores the previous state. Returns fd or -errno.
 */
int qbpf_enable_stats(void);

/*
 * qbpf_read_acct - call cb once per key with the per-CPU values summed and
 * the in-progress slice of currently running tasks added to cpu_ns
 * (now_ns: CLOCK_MONOTONIC). Returns number of keys or -errno.
 */
int qbpf_read_acct(struct qbpf *b, uint64_t now_ns,
		   int (*cb)(uint64_t key, const struct quell_acct *a, void *arg), void *arg);
/*
 * One CPU's pending slot (quell_cpu_cur.pend) is not in acct until flushed:
 * which slots to add to what a read of acct found. c1 and c2: that CPU's
 * cpu_cur read before and after acct (neither torn); gen1: the flush stamp
 * (quell_acct_cpu.gen) on that CPU of the entry of c1's pending key as read,
 * 0 if it had none. Fills add[] with what to add to whom; returns 0..2.
 * Pure, for the unit tests.
 */
struct qbpf_pend_add {
	uint64_t key;
	const struct quell_acct *a;
};
int qbpf_pend_merge(const struct quell_cpu_cur *c1, const struct quell_cpu_cur *c2,
		    uint64_t gen1, struct qbpf_pend_add add[2]);
/*
 * Does the BPF side account key at all (uid mode: inside the loaded uid
 * range)? A covered key without an acct entry is idle; one outside is unknown.
 */
bool qbpf_key_covered(const struct qbpf *b, uint64_t key);
/* The last OOM victim of key (struct quell_oom); 0, or -ENOENT if it had none. */
int qbpf_oom_last(struct qbpf *b, uint64_t key, struct quell_oom *out);
/* Delete a key from the acct map (tenant gone). */
int qbpf_forget(struct qbpf *b, uint64_t key);
int qbpf_read_stats(struct qbpf *b, uint64_t stats[QUELL_STAT_NR]);
/*
 * Bios submitted by kernel threads (blk-throttle dispatch, writeback) are
 * charged by the blkcg they carry: map a cgroup id (inode of a tenant's
 * directory in a blkcg hierarchy, cg_ids()) to the tenant key. 0 / -errno
 * (-EINVAL for id 0 or a non-tenant key, -E2BIG when the map is full).
 */
int qbpf_map_cgroup(struct qbpf *b, uint64_t cgid, uint64_t key);
/*
 * Who evicts whom (quell_bpf.h struct quell_evict): map a tenant's memory
 * cgroup id (inode of its directory in the v1 memory hierarchy or in v2,
 * cg_memcg_id()) to its key, replacing the key's previous id. 0 / -errno.
 */
int qbpf_map_memcg(struct qbpf *b, uint64_t memcg_id, uint64_t key);
/*
 * qbpf_read_evict - call cb once per key of the "evict" map with the per-CPU
 * values summed. Returns number of keys, or cb's negative value / -errno.
 */
int qbpf_read_evict(struct qbpf *b,
		    int (*cb)(uint64_t key, const struct quell_evict *e, void *arg), void *arg);
/* Remove one cgroup id; 0 / -errno (-ENOENT if it was not mapped). */
int qbpf_unmap_cgroup(struct qbpf *b, uint64_t cgid);
/*
 * Remove every cgroup id mapped to key (tenant gone), and its memory cgroup
 * id (qbpf_map_memcg); returns how many cgroup ids.
 */
int qbpf_unmap_key(struct qbpf *b, uint64_t key);
/* Entries currently in the acct map, for the map-fill self-metric. */
int qbpf_acct_fill(struct qbpf *b, uint32_t *used, uint32_t *max);

/* Per-program run time (kernel.bpf_stats_enabled must be 1 for non-zero). */
struct qbpf_prog_stat {
	char name[64];
	uint64_t run_ns, run_cnt;
};
int qbpf_prog_stats(struct qbpf *b, struct qbpf_prog_stat *out, int max);

/*
 * The fork alarm (docs/policy.md "The fork alarm"): an event
 * (QUELL_EV_FORK_ALARM) when a tenant forks forks times within
 * QUELL_ALARM_WIN_NS while another tenant's task has just waited wait_ns
 * behind others. forks 0: off. The wait alarm ("The wait alarm"): an event
 * (QUELL_EV_WAIT_ALARM) when a tenant's task ends such a wait, one per
 * QUELL_WAIT_ALARM_GAP_NS at most. wait_ns 0: both off. Takes effect at
 * once, at any time.
 */
int qbpf_set_alarm(struct qbpf *b, uint64_t forks, bool wait_alarm, uint64_t wait_ns);
/* The wait alarm's crowd (include/quell_bpf.h QUELL_WAIT_CROWD): these n keys, no other. 0 / -errno */
int qbpf_set_wait_crowd(struct qbpf *b, const uint64_t *keys, int n);
/* Ring buffer of struct quell_event; fd for poll/epoll, or -1 if there is none. */
int qbpf_events_fd(struct qbpf *b);
/* Drain pending events into cb; returns events handled (0 when events are off) or -errno. */
int qbpf_events_consume(struct qbpf *b, int (*cb)(const struct quell_event *e, void *arg),
			void *arg);

#endif /* QUELL_BPF_LOADER_H */
