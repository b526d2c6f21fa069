/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * procfs.h - processes from /proc, relative to a proc root fd so tests use
 * a fake tree. proc_fd -1 means "/proc".
 *
 * Only thread-group leaders are listed (what /proc's top level holds).
 * A process that exits while being read is skipped by the iterators and is
 * -ENOENT from procfs_read_pid, never an error.
 */
#ifndef QUELL_PROCFS_H
#define QUELL_PROCFS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_info {
	pid_t pid, ppid;
	uid_t uid;			/* real uid (status "Uid:" first field) */
	char comm[17];			/* TASK_COMM_LEN 16 + NUL */
	char state;			/* 'R', 'S', 'Z', ... */
	int threads;
	uint64_t rss_bytes;		/* status VmRSS; 0 for kernel threads */
	uint64_t cpu_ns;		/* utime + stime, clock ticks -> ns */
	uint64_t start_ticks;		/* stat field 22: start time after boot, in ticks */
	uint64_t run_ns;		/* schedstat field 1 (sum_exec_runtime); valid if has_run_delay */
	uint64_t run_delay_ns;		/* schedstat field 2; valid if has_run_delay */
	bool has_run_delay;
};

/*
 * Parsers of one file's text, filling the fields that file holds.
 * stat: pid, comm, state, ppid, cpu_ns, threads, start_ticks (comm may hold
 * spaces and ')'; the last ')' ends it). status: uid, ppid, threads, rss.
 * schedstat: "run_ns delay_ns slices". Return 0 or -EINVAL.
 */
int procfs_parse_stat(const char *buf, struct proc_info *pi);
int procfs_parse_status(const char *buf, struct proc_info *pi);
int procfs_parse_schedstat(const char *buf, struct proc_info *pi);

/* One process: stat + status (+ schedstat when present). 0, -ENOENT when gone, -EINVAL. */
int procfs_read_pid(int proc_fd, pid_t pid, struct proc_info *pi);
/* Real uid only (status "Uid:"), cheaper. 0 / -ENOENT / -EINVAL. */
int procfs_pid_uid(int proc_fd, pid_t pid, uid_t *uid);

/*
 * procfs_foreach - call cb for every process (numeric entries of the
 * proc root). cb returning non-zero stops the walk and that value is
 * returned. Returns the number of processes visited, or -errno.
 */
int procfs_foreach(int proc_fd, int (*cb)(const struct proc_info *pi, void *arg), void *arg);

/*
 * procfs_pids_of_uid - processes whose real uid is uid. Stores up to max
 * pids; returns how many there are (may exceed max), or -errno.
 */
int procfs_pids_of_uid(int proc_fd, uid_t uid, pid_t *pids, int max);

/* Clock ticks (USER_HZ) to ns. */
uint64_t procfs_ticks_to_ns(uint64_t ticks);

#endif /* QUELL_PROCFS_H */
