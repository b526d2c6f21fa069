/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cgroup.h - one interface over cgroup v1 and v2 (docs/hacking.md, style 5).
 *
 * Everything outside collectors/cg_*.c speaks in terms of a cgroup
 * *relative path* ("quell/alice") that exists in every hierarchy quell
 * uses, and of struct cg_limits / struct cg_usage. No other file spells a
 * cgroup file name.
 *
 * All functions take a struct cg_layout whose fds are opened relative to a
 * root directory fd (normally /sys/fs/cgroup, a mkdtemp() tree in tests).
 * Return 0 or -errno. A cgroup that vanished mid-read is -ENOENT, which
 * callers treat as normal, not as an error.
 */
#ifndef QUELL_CGROUP_H
#define QUELL_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum cg_mode {
	CG_MODE_NONE,		/* no usable cgroupfs */
	CG_MODE_V1,		/* v1 controllers only */
	CG_MODE_HYBRID,		/* v1 controllers + v2 at <root>/unified */
	CG_MODE_V2,		/* unified only */
};

/* v1 controller hierarchies quell uses. */
enum cg_ctrl {
	CGC_CPU,
	CGC_CPUACCT,
	CGC_MEMORY,
	CGC_BLKIO,
	CGC_PIDS,
	CGC_FREEZER,
	CGC_NR
};

struct cg_layout {
	enum cg_mode mode;
	int root_fd;		/* the cgroupfs mount root (/sys/fs/cgroup) */
	int v2_fd;		/* unified hierarchy root, -1 if none */
	int v1_fd[CGC_NR];	/* v1 controller roots, -1 if absent */
	bool v2_has[CGC_NR];	/* v2: controller listed in cgroup.controllers */
	/* added by collectors: borrowed, never closed; cg_layout_open sets -1 */
	int proc_fd;		/* procfs root for cg_where; -1 = "/proc" */
	int sys_fd;		/* sysfs root for io limits on 0:0; -1 = "/sys" */
};

/* "unlimited" in struct cg_limits */
#define CG_UNLIMITED	UINT64_MAX

struct cg_io_limit {
	uint32_t major, minor;	/* 0:0 is "every block device" (expanded by the backend) */
	uint64_t rbps, wbps;	/* bytes/s, CG_UNLIMITED for none */
	uint64_t riops, wiops;
};

#define CG_IO_MAX_DEVS	8

struct cg_limits {
	uint64_t cpu_quota_us;	/* per cpu_period_us; CG_UNLIMITED for none */
	uint64_t cpu_period_us;	/* 0 means 100000 */
	uint64_t mem_high;	/* soft: v2 memory.high, v1 soft_limit_in_bytes */
	uint64_t mem_max;	/* hard: v2 memory.max, v1 limit_in_bytes */
	uint64_t pids_max;
	/*
	 * Scheduling priority, not a cap. 0 / false = the kernel's default
	 * (cpu.weight 100, cpu.shares 1024, cpu.idle 0), so a zeroed struct
	 * asks for nothing.
	 */
	uint32_t cpu_weight;	/* v2 cpu.weight 1..10000; v1 cpu.shares = weight * 1024 / 100 */
	bool cpu_idle;		/* cpu.idle = 1 (v1 cpu controller and v2, kernel 5.15+) */
	/*
	 * The disk's share under contention, v2 scale 1..10000: v2 io.weight
	 * (io.cost) and io.bfq.weight, v1 blkio.bfq.weight (BFQ: 1..1000, so
	 * clamped). Binds only where the disk runs BFQ or v2 io.cost; a disk on
	 * mq-deadline or none has no weights (docs/policy.md).
	 */
	uint32_t io_weight;
	/*
	 * Hold the tenant at this size (0 = none): v2 memory.high (the smaller
	 * of the two); v1 memory.limit_in_bytes at max(mem_hold, usage) +
	 * headroom, never below the usage (v1's soft limit does not bind).
	 */
	uint64_t mem_hold;
	int nr_io;
	struct cg_io_limit io[CG_IO_MAX_DEVS];
};

struct cg_usage {
	uint64_t valid;		/* bits from enum cg_usage_bit */
	uint64_t cpu_ns;
	uint64_t cpu_throttled;		/* periods */
	uint64_t cpu_throttled_ns;
	uint64_t mem_bytes;
	uint64_t mem_peak;
	uint64_t mem_high_events;
	uint64_t mem_max_events;	/* v1: failcnt */
	uint64_t oom_kills;
	uint64_t pgfaults;
	uint64_t refaults;	/* memory.stat workingset_refault_file (pages) */
	uint64_t io_rbytes, io_wbytes, io_rops, io_wops;
	uint64_t pids_current;
	uint64_t pids_max_events;
	uint64_t psi_cpu_some_us;
	uint64_t psi_mem_some_us, psi_mem_full_us;
	uint64_t psi_io_some_us, psi_io_full_us;
	bool frozen;
};

enum cg_usage_bit {
	CGU_CPU = 1 << 0,
	CGU_THROTTLE = 1 << 1,
	CGU_MEM = 1 << 2,
	CGU_MEM_PEAK = 1 << 3,
	CGU_MEM_EVENTS = 1 << 4,
	CGU_OOM = 1 << 5,
	CGU_PGFAULT = 1 << 6,
	CGU_IO = 1 << 7,
	CGU_PIDS = 1 << 8,
	CGU_PIDS_EVENTS = 1 << 9,
	CGU_PSI_CPU = 1 << 10,
	CGU_PSI_MEM = 1 << 11,
	CGU_PSI_IO = 1 << 12,
	CGU_FROZEN = 1 << 13,
	CGU_REFAULT = 1 << 14,
};

/*
 * cg_layout_open - detect v1 / hybrid / v2 under root_fd and open the
 * hierarchy roots. root_fd is borrowed (not closed by cg_layout_close).
 */
int cg_layout_open(int root_fd, struct cg_layout *l);
void cg_layout_close(struct cg_layout *l);
const char *cg_mode_name(enum cg_mode m);

/* Create rel in every hierarchy (and on v2 enable cpu/memory/io/pids in parents). */
int cg_create(const struct cg_layout *l, const char *rel);
/* Remove rel everywhere; -EBUSY if it still has processes. */
int cg_remove(const struct cg_layout *l, const char *rel);
bool cg_exists(const struct cg_layout *l, const char *rel);
/*
 * Move a whole process (all threads) into rel in every hierarchy: the v1
 * ones first, unified last, and unified only if every v1 write worked, so a
 * process in rel in unified is in rel everywhere (see cg_placed()).
 */
int cg_attach(const struct cg_layout *l, const char *rel, pid_t pid);
/* Where is pid? Writes the v2 (or v1 cpu) path relative to the root, without leading '/'. */
int cg_where(const struct cg_layout *l, pid_t pid, char *buf, size_t len);

/* Hierarchies in a cg_placed mask: bit CGC_x for a v1 controller, this one for v2. */
#define CG_HIER_V2	(1u << CGC_NR)

enum cg_placement {
	CG_OUTSIDE,		/* in rel in none of the hierarchies */
	CG_PARTIAL,		/* in rel in some, not all: half-placed */
	CG_INSIDE,		/* in rel (or below it) in every hierarchy */
};

/* The hierarchies l uses, as a cg_placed mask. */
unsigned int cg_hier_mask(const struct cg_layout *l);
/*
 * cg_parse_placed - pure: is the process whose /proc/PID/cgroup is text in
 * rel or below it in every hierarchy of want (cg_hier_mask bits)? A wanted
 * hierarchy without a line counts as outside. Returns enum cg_placement,
 * -EINVAL for malformed text or an empty want.
 */
int cg_parse_placed(const char *text, unsigned int want, const char *rel);
/*
 * cg_placed - the same for a live pid: reads the whole /proc/PID/cgroup,
 * every line (on hybrid the unified line alone cannot tell a half-placed
 * process). Returns enum cg_placement, -ENOENT (exited) or -errno.
 */
int cg_placed(const struct cg_layout *l, pid_t pid, const char *rel);
/* List processes in rel (v2, else v1 cpu hierarchy); returns count or -errno. */
int cg_procs(const struct cg_layout *l, const char *rel, pid_t *pids, int max);
/* Child directory names of rel (one per call to cb); returns count or -errno. */
int cg_children(const struct cg_layout *l, const char *rel,
		int (*cb)(const char *name, void *arg), void *arg);
/*
 * The same over every hierarchy: each name that is a child of rel in any
 * of them, once (sorted), so what is left in some hierarchies only is seen
 * too. cb returning non-zero stops; returns calls made, cb's value or -errno
 * (-ENOENT: rel in no hierarchy).
 */
int cg_children_all(const struct cg_layout *l, const char *rel,
		    int (*cb)(const char *name, void *arg), void *arg);

/*
 * The same in the v2 hierarchy, with each child's cgroup id (cg_id()), read
 * from the directory entry on cgroup2 (no stat per child). Returns the
 * number of calls, cb's first non-zero return or -errno (-EOPNOTSUPP: no v2).
 */
int cg_children_ids(const struct cg_layout *l, const char *rel,
		    int (*cb)(const char *name, uint64_t id, void *arg), void *arg);
/*
 * cg_watch_open - an inotify fd (non-blocking, close-on-exec) that tells when
 * a child of rel (v2 hierarchy) is created, removed or renamed. Returns the
 * fd or -errno. cg_watch_read drains it: 0 nothing happened, CG_WATCH_CHANGED
 * children changed, CG_WATCH_LOST events were lost or rel itself went away
 * (rescan, close the fd, open a new watch), -errno.
 */
#define CG_WATCH_CHANGED	1
#define CG_WATCH_LOST		2
int cg_watch_open(const struct cg_layout *l, const char *rel);
int cg_watch_read(int fd);

int cg_read_usage(const struct cg_layout *l, const char *rel, struct cg_usage *u);
/*
 * Only cpu, memory and io.pressure of rel (v2 or hybrid's unified; -EOPNOTSUPP
 * on v1, -ENOENT when the cgroup is gone): what a quiet tenant's tick reads
 * (src/quelld/quiet.h).
 */
int cg_read_pressure(const struct cg_layout *l, const char *rel, struct cg_usage *u);
int cg_apply_limits(const struct cg_layout *l, const char *rel, const struct cg_limits *lim);
int cg_read_limits(const struct cg_layout *l, const char *rel, struct cg_limits *lim);
/*
 * cg_read_mem_limit - the smallest memory limit of rel and its ancestors
 * (v1 memory.limit_in_bytes where the v1 memory hierarchy is, else v2
 * memory.max), CG_UNLIMITED when none has one (collectors/mem_share.c).
 * Returns 0, -ENOENT (no rel), -EOPNOTSUPP (no memory controller), -errno.
 */
int cg_read_mem_limit(const struct cg_layout *l, const char *rel, uint64_t *bytes);
int cg_freeze(const struct cg_layout *l, const char *rel, bool frozen);
/*
 * Would a process moved into rel be frozen (rel or an ancestor frozen or
 * freezing, v2 or v1 freezer)? 1 yes, 0 no, -ENOENT no such cgroup, -errno.
 */
int cg_frozen(const struct cg_layout *l, const char *rel);
/*
 * Kill every process in rel and below it, never one of root's (any of its
 * uids 0): cgroup.kill when none is root's, else a SIGKILL loop (pidfd:
 * open, check the uid, signal) that skips root's. Returns 0 when all are
 * gone, -EPERM when only root's are left, -EAGAIN when some survived ~1 s,
 * -ENOENT, -errno.
 */
int cg_kill(const struct cg_layout *l, const char *rel);
/* v2 cgroup id (inode number of the unified directory), for BPF keys. */
int cg_id(const struct cg_layout *l, const char *rel, uint64_t *id);
/*
 * Ids (directory inodes, what a bio's blkcg cgroup->kn->id is) of rel in
 * each hierarchy whose cgroups can be a bio's blkcg: v1 blkio (v1, hybrid)
 * and v2 when "io" is a v2 controller. Only those: ids of different
 * hierarchies can collide. Returns how many were written (0..max) or -errno.
 */
int cg_ids(const struct cg_layout *l, const char *rel, uint64_t *ids, int max);
/*
 * Id of rel's memory cgroup (inode of its directory in the v1 memory
 * hierarchy, else in v2 when memory is a v2 controller): what a page's
 * memcg->css.cgroup->kn->id is. 0 / -EOPNOTSUPP (no memory controller) / -errno.
 */
int cg_memcg_id(const struct cg_layout *l, const char *rel, uint64_t *id);
/* Nesting level of rel in the v2 hierarchy (root = 0), as bpf_get_current_ancestor_cgroup_id wants. */
int cg_level(const char *rel);

void cg_limits_init(struct cg_limits *lim);	/* everything unlimited */

#endif /* QUELL_CGROUP_H */
